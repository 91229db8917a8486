import { describe, expect, it } from 'vitest';
import { isProductSlug, parseProductList, productNotEnabledMessage } from './products.ts';

describe('products', () => {
  it('parses product lists in nav order, reporting unknown names', () => {
    expect(parseProductList('delayguard, DriftWatch,driftwatch')).toEqual({
      products: ['driftwatch', 'delayguard'],
      unknown: [],
    });
    expect(parseProductList('')).toEqual({ products: [], unknown: [] });
    expect(parseProductList('driftwatch,nope')).toEqual({ products: ['driftwatch'], unknown: ['nope'] });
  });

  it('recognises slugs and words the disabled-product message', () => {
    expect(isProductSlug('denialscope')).toBe(true);
    expect(isProductSlug('DenialScope')).toBe(false);
    expect(productNotEnabledMessage('denialscope', 'A')).toBe('DenialScope is not enabled for A.');
  });
});
