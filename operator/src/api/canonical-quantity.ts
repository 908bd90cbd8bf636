/**
 * The string the apiserver stores for a quantity in a built-in kind: `1000m` is stored as `1`,
 * `1024Mi` as `1Gi`, the number 2 as `"2"`. A drift check that compares what it sent with what
 * it reads back must compare these forms, or it sees drift on every pass.
 *
 * A port of resource.Quantity's parse and serialization (k8s.io/apimachinery): the value is
 * rounded up to nano units; its format follows the suffix (binary `Ki`…`Ei`, decimal `n`…`E` or
 * none, exponent `e3`); a string already in canonical form is kept as written (`1e0`, `01` and
 * `5.` survive, the parser's shortcut), anything else is written out again with the mantissa's
 * factors of 10 (or 1024) moved into the largest suffix. `resourceList` adds the defaulting of a
 * core/v1 ResourceList (container requests and limits, PVC sizes): values rounded up to milli.
 * Checked against a real apiserver in test/integration/quantity.test.ts.
 *
 * This is about representation only; comparing quantities (`≤`, `> 0`) is ./quantity.ts.
 */

type Format = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

/** A parsed quantity: `sign × magnitude × 10^exp10`. */
interface Parsed {
  negative: boolean;
  magnitude: bigint;
  exp10: number;
  format: Format;
  /** The input, kept verbatim as the apiserver keeps a string it finds canonical. */
  verbatim?: string;
  /** The scale of the parser's int64 shortcut, when it was taken (undefined: the exact path). */
  fastScale?: number;
}

export interface CanonicalOptions {
  /** A core/v1 ResourceList value (requests, limits, PVC sizes): rounded up to milli units. */
  resourceList?: boolean;
}

const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const BINARY_BY_POWER = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
const DECIMAL_BY_EXP = new Map(Object.entries(DECIMAL).map(([s, e]) => [e, s]));
const MAX_INT64 = 2n ** 63n - 1n;
/** int64 digits the parser's shortcut accepts (maxInt64Factors). */
const MAX_FAST_DIGITS = 18;
/** Beyond this an exponent is absurd; the apiserver would wrap it to int32, we decline. */
const MAX_EXPONENT = 400;

/** The stored form of `value` (a string matching the quantity pattern, or a JSON number); undefined if it is not a quantity. */
export function canonicalQuantity(value: string | number, opts: CanonicalOptions = {}): string | undefined {
  const q = parse(typeof value === 'number' ? (Number.isFinite(value) ? JSON.stringify(value) : '') : value);
  if (!q) return undefined;
  return format(opts.resourceList ? roundUpToMilli(q) : q);
}

/** Whether the apiserver stores `want` as `live` (both canonicalized the same way). */
export function sameQuantity(want: string | number, live: string | number, opts: CanonicalOptions = {}): boolean {
  const w = canonicalQuantity(want, opts);
  return w !== undefined && w === canonicalQuantity(live, opts);
}

function parse(str: string): Parsed | undefined {
  if (str === '') return undefined;
  if (str === '0') return { negative: false, magnitude: 0n, exp10: 0, format: 'DecimalSI', verbatim: str };
  const m = /^([+-]?)0*([0-9]*)(?:\.([0-9]*))?([eEinumkKMGTP]*[+-]?[0-9]*)$/.exec(str);
  if (!m) return undefined;
  const [, sign = '', numDigits = '', denom = '', suffix = ''] = m;
  const num = numDigits || '0';
  const negative = sign === '-';
  const unit = interpret(suffix);
  if (!unit) return undefined;
  const { base, exponent } = unit;
  let fmt = unit.format;

  // the parser's int64 shortcut: it alone may keep the input string verbatim
  let precision: number;
  let scale = 0;
  let multiplier = 1n;
  if (base === 10) {
    scale = exponent;
    precision = MAX_FAST_DIGITS - (num.length + denom.length);
  } else if (denom.length === 0) {
    multiplier = 1n << BigInt(exponent);
    precision = 15 - num.length - Math.trunc((exponent * 3) / 10) - 1;
  } else {
    precision = -1;
  }
  if (precision >= 0) {
    scale -= denom.length;
    const shifted = num + denom;
    const product = BigInt(shifted) * multiplier;
    if (scale >= -9 && product <= MAX_INT64) {
      const canonicalAsWritten =
        base === 2 ? BigInt(shifted) % 8n !== 0n : scale % 3 === 0 && !shifted.endsWith('000') && !shifted.startsWith('0');
      return { negative, magnitude: product, exp10: scale, format: fmt, fastScale: scale, ...(canonicalAsWritten ? { verbatim: str } : {}) };
    }
  }

  // the exact path: round up to nano units, cap binary values at int64
  let magnitude = BigInt(num + denom);
  let exp10 = -denom.length;
  if (base === 10) exp10 += exponent;
  else magnitude *= 1n << BigInt(exponent);
  if (magnitude !== 0n && exp10 < -9) {
    magnitude = divideRoundingUp(magnitude, 10n ** BigInt(-9 - exp10));
    exp10 = -9;
  }
  if (fmt === 'BinarySI' && compareScaled(magnitude, exp10, MAX_INT64) > 0) [magnitude, exp10] = [MAX_INT64, 0];
  if (fmt === 'BinarySI' && magnitude !== 0n && compareScaled(magnitude, exp10, 1n) < 0) fmt = 'DecimalSI';
  return { negative, magnitude, exp10, format: fmt };
}

function interpret(suffix: string): { base: 2 | 10; exponent: number; format: Format } | undefined {
  if (suffix in DECIMAL) return { base: 10, exponent: DECIMAL[suffix]!, format: 'DecimalSI' };
  if (suffix in BINARY) return { base: 2, exponent: BINARY[suffix]!, format: 'BinarySI' };
  const e = /^[eE]([+-]?[0-9]+)$/.exec(suffix);
  if (!e) return undefined;
  const exponent = Number(e[1]);
  return Math.abs(exponent) <= MAX_EXPONENT ? { base: 10, exponent, format: 'DecimalExponent' } : undefined;
}

/** A ResourceList's defaulting: round up to milli; the verbatim string survives only if nothing finer than milli was parsed. */
function roundUpToMilli(q: Parsed): Parsed {
  if (q.fastScale !== undefined && q.fastScale >= -3) return q;
  if (q.exp10 >= -3) return { ...q, verbatim: undefined };
  return { ...q, verbatim: undefined, magnitude: divideRoundingUp(q.magnitude, 10n ** BigInt(-3 - q.exp10)), exp10: -3 };
}

function format(q: Parsed): string {
  if (q.verbatim !== undefined) return q.verbatim;
  if (q.magnitude === 0n) return '0';
  const sign = q.negative ? '-' : '';
  if (q.format === 'BinarySI' && compareScaled(q.magnitude, q.exp10, 1024n) >= 0) {
    const whole = integerValue(q.magnitude, q.exp10);
    if (whole !== undefined) {
      let [mantissa, power] = [whole, 0];
      while (mantissa % 1024n === 0n && power < BINARY_BY_POWER.length - 1) [mantissa, power] = [mantissa / 1024n, power + 1];
      return `${sign}${mantissa}${BINARY_BY_POWER[power]}`;
    }
  }
  // decimal: the exponent a multiple of 3, the mantissa as short as that allows
  let [mantissa, exponent] = [q.magnitude, q.exp10];
  while (mantissa % 10n === 0n) [mantissa, exponent] = [mantissa / 10n, exponent + 1];
  while (exponent % 3 !== 0) [mantissa, exponent] = [mantissa * 10n, exponent - 1];
  const decimal = q.format === 'DecimalExponent' ? undefined : DECIMAL_BY_EXP.get(exponent);
  // past E (10^18) DecimalSI has no suffix: newer apiservers write an exponent (1.33 drops it)
  const suffix = decimal ?? (exponent === 0 ? '' : `e${exponent}`);
  return `${sign}${mantissa}${suffix}`;
}

function divideRoundingUp(a: bigint, b: bigint): bigint {
  return (a + b - 1n) / b;
}

/** `magnitude × 10^exp10` compared with the integer `n`. */
function compareScaled(magnitude: bigint, exp10: number, n: bigint): number {
  const [x, y] = exp10 >= 0 ? [magnitude * 10n ** BigInt(exp10), n] : [magnitude, n * 10n ** BigInt(-exp10)];
  return x === y ? 0 : x < y ? -1 : 1;
}

function integerValue(magnitude: bigint, exp10: number): bigint | undefined {
  if (exp10 >= 0) return magnitude * 10n ** BigInt(exp10);
  const d = 10n ** BigInt(-exp10);
  return magnitude % d === 0n ? magnitude / d : undefined;
}
