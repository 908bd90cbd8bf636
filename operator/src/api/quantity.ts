/**
 * Kubernetes quantities compared exactly, as the apiserver's CEL `quantity()` library does: the
 * TypeScript twin of the CRD rules that keep requests ≤ limits and storage sizes > 0.
 */

/** A quantity as an exact value: `digits × 10^exp10 × 2^exp2` (digits signed). */
interface Exact {
  digits: bigint;
  exp10: number;
  exp2: number;
}

const DECIMAL_SUFFIX: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIX: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const SHAPE = /^([+-]?)([0-9]*)(?:\.([0-9]*))?(.*)$/;

/** Parses a quantity (a string matching QUANTITY_PATTERN, or an integer); undefined if it is not one. */
export function parseQuantity(value: string | number): Exact | undefined {
  const m = SHAPE.exec(String(value));
  if (!m) return undefined;
  const [, sign, whole = '', frac = '', suffix = ''] = m;
  if (!whole && !frac) return undefined;
  let exp10 = -frac.length;
  let exp2 = 0;
  if (suffix in BINARY_SUFFIX) exp2 = BINARY_SUFFIX[suffix]!;
  else if (suffix in DECIMAL_SUFFIX) exp10 += DECIMAL_SUFFIX[suffix]!;
  else if (/^[eE][+-]?[0-9]+$/.test(suffix)) exp10 += Number(suffix.slice(1));
  else return undefined;
  const digits = BigInt(`${whole}${frac}` || '0');
  return { digits: sign === '-' ? -digits : digits, exp10, exp2 };
}

/** -1, 0 or 1 as `a` is less than, equal to or greater than `b` (both valid quantities). */
export function compareQuantities(a: string | number, b: string | number): number {
  const x = parseQuantity(a)!;
  const y = parseQuantity(b)!;
  if (x.digits === 0n || y.digits === 0n || x.digits < 0n !== y.digits < 0n) return Math.sign(Number(x.digits > 0n) - Number(x.digits < 0n) - (Number(y.digits > 0n) - Number(y.digits < 0n)));
  // same sign, both non-zero: scale both to integers with common exponents, then compare exactly
  const e10 = Math.min(x.exp10, y.exp10);
  const e2 = Math.min(x.exp2, y.exp2);
  // absurd exponents (1e99999) decide by magnitude alone rather than build huge numbers
  if (Math.abs(x.exp10 - y.exp10) > 1000) return Math.sign(x.exp10 - y.exp10) * (x.digits < 0n ? -1 : 1);
  const scale = (q: Exact) => q.digits * 10n ** BigInt(q.exp10 - e10) * 2n ** BigInt(q.exp2 - e2);
  const [sx, sy] = [scale(x), scale(y)];
  return sx === sy ? 0 : sx < sy ? -1 : 1;
}

export function isPositiveQuantity(value: string | number): boolean {
  return (parseQuantity(value)?.digits ?? 0n) > 0n;
}
