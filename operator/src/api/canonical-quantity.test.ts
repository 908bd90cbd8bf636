import { describe, expect, it } from 'vitest';
import { STORED_QUANTITIES } from '../../test/fixtures/quantities.ts';
import { canonicalQuantity, sameQuantity } from './canonical-quantity.ts';

describe('canonicalQuantity: what the apiserver stores', () => {
  it.each(STORED_QUANTITIES)('%j is stored as %j (in a ResourceList: %j)', (input, quantity, resourceList) => {
    expect(canonicalQuantity(input)).toBe(quantity);
    expect(canonicalQuantity(input, { resourceList: true })).toBe(resourceList);
  });

  it('is idempotent: a stored form stays as it is', () => {
    for (const [, quantity, resourceList] of STORED_QUANTITIES) {
      expect(canonicalQuantity(quantity)).toBe(quantity);
      expect(canonicalQuantity(resourceList, { resourceList: true })).toBe(resourceList);
    }
  });

  it('writes past E with an exponent, as newer apiservers do', () => {
    expect(canonicalQuantity('1000E')).toBe('1e21');
  });

  it('keeps the sign', () => {
    expect(canonicalQuantity('-1500m')).toBe('-1500m');
    expect(canonicalQuantity('-0.5')).toBe('-500m');
    expect(canonicalQuantity('-1024Mi')).toBe('-1Gi');
  });

  it('declines what is not a quantity', () => {
    for (const bad of ['', 'lots', '1.5.5', '1Xi', '1e', '1e99999', Number.NaN]) expect(canonicalQuantity(bad)).toBeUndefined();
  });
});

describe('sameQuantity', () => {
  it('equates the forms one value takes, and only those', () => {
    expect(sameQuantity('1000m', '1', { resourceList: true })).toBe(true);
    expect(sameQuantity('1024Mi', '1Gi', { resourceList: true })).toBe(true);
    expect(sameQuantity(2, '2', { resourceList: true })).toBe(true);
    expect(sameQuantity('1n', '1m', { resourceList: true })).toBe(true);
    expect(sameQuantity('1n', '1m')).toBe(false);
    expect(sameQuantity('1000m', '2', { resourceList: true })).toBe(false);
    expect(sameQuantity('1Gi', '1G')).toBe(false);
    expect(sameQuantity('lots', 'lots')).toBe(false);
  });
});
