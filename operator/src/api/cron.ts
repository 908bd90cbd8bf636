/**
 * The cron schedules the apiserver accepts for a CronJob (robfig/cron's standard parser, a little
 * stricter), as one CEL rule and its TypeScript twin. Five fields separated by single spaces; each
 * field a comma list of `*`, `?`, `N` or `N-M` (N ≤ M, within the field's bounds; month and
 * weekday also by name), each optionally `/S` with S ≥ 1. Descriptors (`@daily`) and `CRON_TZ=`
 * are not accepted. One regular expression checks syntax and bounds (cheap for the apiserver's
 * CEL cost budget); ranges are then checked for order.
 */

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
/** Month and weekday names are disjoint, so one table serves both fields. */
const NAME_VALUES: Record<string, number> = {
  ...Object.fromEntries(MONTHS.map((m, i) => [m, i + 1])),
  ...Object.fromEntries(WEEKDAYS.map((d, i) => [d, i])),
};

/** `jan` → `[jJ][aA][nN]`: case-insensitive without flags (JavaScript and RE2 read it alike). */
const anyCase = (name: string) => [...name].map((c) => `[${c}${c.toUpperCase()}]`).join('');
const names = (list: string[]) => list.map(anyCase).join('|');

const VALUES = [
  '[0-5]?[0-9]', // minute 0-59
  '[01]?[0-9]|2[0-3]', // hour 0-23
  '0?[1-9]|[12][0-9]|3[01]', // day of month 1-31
  `0?[1-9]|1[0-2]|${names(MONTHS)}`, // month 1-12
  `0?[0-6]|${names(WEEKDAYS)}`, // day of week 0-6
];
const field = (value: string) => {
  const part = `([*?]|(${value})(-(${value}))?)(/[1-9][0-9]{0,2})?`;
  return `${part}(,${part})*`;
};
export const CRON_PATTERN = `^${VALUES.map(field).join(' ')}$`;
/** A range `N-M` inside a schedule that matched CRON_PATTERN. */
const RANGE = '[0-9a-zA-Z]+-[0-9a-zA-Z]+';

export const CRON_MESSAGE = 'schedule must be a cron schedule: five fields (minute hour day-of-month month day-of-week) separated by single spaces, each a list of *, N, N-M (N ≤ M) or a step like */15, within bounds';

const valueOf = (token: string) => (/^[0-9]+$/.test(token) ? Number(token) : NAME_VALUES[token.toLowerCase()]!);

export function isCronSchedule(schedule: string): boolean {
  if (!new RegExp(CRON_PATTERN).test(schedule)) return false;
  return (schedule.match(new RegExp(RANGE, 'g')) ?? []).every((r) => {
    const [a = '', b = ''] = r.split('-');
    return valueOf(a) <= valueOf(b);
  });
}

/** The CEL expression checking `expr` (a string) is a schedule `isCronSchedule` accepts. */
export function celCronSchedule(expr: string): string {
  const table = `{${Object.entries(NAME_VALUES).map(([n, v]) => `'${n}': ${v}`).join(', ')}}`;
  const value = (t: string) => `(${t}.matches('^[0-9]+$') ? int(${t}) : ${table}[${t}.lowerAscii()])`;
  return `${expr}.matches('${CRON_PATTERN}') && ${expr}.findAll('${RANGE}').all(r, ${value("r.split('-')[0]")} <= ${value("r.split('-')[1]")})`;
}
