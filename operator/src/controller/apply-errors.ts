/**
 * What an apiserver error on apply means, and how it may be shown (pure).
 *
 * A 400 (BadRequest) or 422 (Invalid) refuses the object as rendered: sending it again cannot
 * help until what is rendered (the spec) or the live object changes, so it is terminal for that
 * object. Everything else stays transient and is retried with backoff: 5xx and timeouts, 429,
 * 409 (a conflict or an object being deleted), 403 (RBAC being granted, a terminating namespace)
 * and 404 (a kind not served yet, e.g. ACK installed later).
 *
 * The apiserver's messages quote the refused value — for a pod template a Go struct of several KB
 * with inline env values — so status, Events and logs get a short form without values: the field,
 * the kind of error and the apiserver's explanation.
 */
import { KubeError, type KubeErrorCause } from '../kube/client.ts';

const MAX = 240;

/** Whether the apiserver refused the object itself (terminal until the spec or the object changes). */
export function isRefusal(err: unknown): boolean {
  return err instanceof KubeError && (err.code === 400 || err.code === 422);
}

/** One line, bounded, with every quoted value left out. */
export function shortKubeError(err: unknown): string {
  const causes = err instanceof KubeError ? (err.causes ?? []).filter((c) => c.field || c.message) : [];
  const text = causes.length ? causes.map(describeCause).join('; ') : withoutValues(String((err as Error | undefined)?.message ?? err).split('\n')[0]!);
  return bounded(text);
}

/** Field errors whose message carries the refused value after the type (apimachinery's ErrorBody). */
const VALUED = ['Invalid value', 'Unsupported value', 'Duplicate value', 'Not found'];

/** `spec.template: Invalid value: field is immutable` — the value between type and detail dropped. */
function describeCause(c: KubeErrorCause): string {
  const m = c.message ?? c.reason ?? '';
  const type = VALUED.find((t) => m.startsWith(`${t}: `));
  const body = type ? `${type}${detailAfterValue(m.slice(type.length + 2)) ?? ''}` : withoutValues(m);
  return c.field ? `${c.field}: ${body}` : body;
}

/** `<value>: <detail>` → `: <detail>` (undefined when there is no detail); the value may be a quoted string or a Go literal. */
function detailAfterValue(rest: string): string | undefined {
  const end = endOfValue(rest, 0);
  if (end < 0 || !rest.startsWith(': ', end)) return undefined;
  return `: ${withoutValues(rest.slice(end + 2))}`;
}

/**
 * Index just past a value printed by Go (%q, %v or %#v) that starts at `i`, stopping at `: ` at
 * bracket depth 0; -1 when brackets or quotes never close.
 */
function endOfValue(s: string, i: number): number {
  let depth = 0;
  while (i < s.length) {
    const ch = s[i]!;
    if (ch === '"' || ch === '`') {
      i = endOfQuoted(s, i);
      if (i < 0) return -1;
      continue;
    }
    if ('{[('.includes(ch)) depth++;
    else if ('}])'.includes(ch)) depth--;
    else if (depth === 0 && ch === ':' && s[i + 1] === ' ') return i;
    i++;
  }
  return depth === 0 ? i : -1;
}

function endOfQuoted(s: string, start: number): number {
  const q = s[start]!;
  for (let i = start + 1; i < s.length; i++) {
    if (q === '"' && s[i] === '\\') i++;
    else if (s[i] === q) return i + 1;
  }
  return -1;
}

/**
 * Drops Go literals (`core.PodTemplateSpec{…}`, `&{map[…]}`, `map[…]`, `[]string{…}`) and the
 * quoted value after a field error's type; what is left is the apiserver's wording.
 */
export function withoutValues(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const literal = /^(?:Object: )?(?:&|\*)?(?:\[\])*(?:map\[[^\]\s]*\][\w.*]*|[A-Za-z_][\w.]*)?[{]|^(?:Object: )?&?map\[/.exec(text.slice(i));
    const atWordStart = i === 0 || !/[\w.*&\]]/.test(text[i - 1]!);
    if (literal && atWordStart) {
      const end = endOfBracket(text, i + literal[0].length - 1);
      if (end > 0) {
        out += '{…}';
        i = end;
        continue;
      }
    }
    out += text[i];
    i++;
  }
  // a quoted value after a valued field error's type (`Invalid value: "…": must be …`)
  return out.replace(new RegExp(`(${VALUED.join('|')}): "(?:[^"\\\\]|\\\\.)*"`, 'g'), '$1');
}

/** Index just past the bracket that closes the one at `open` (quotes respected); -1 if none. */
function endOfBracket(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    const ch = s[i]!;
    if (ch === '"' || ch === '`') {
      const e = endOfQuoted(s, i);
      if (e < 0) return -1;
      i = e - 1;
    } else if ('{[('.includes(ch)) depth++;
    else if ('}])'.includes(ch) && --depth === 0) return i + 1;
  }
  return -1;
}

function bounded(s: string): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > MAX ? `${one.slice(0, MAX - 3)}...` : one;
}
