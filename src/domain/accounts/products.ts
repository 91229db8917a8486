/**
 * The three products of Payrixa and how they are named in the portal (web-api-ops §1.5,
 * §1.6, §2.6). Nav and Axis order: DenialScope, DriftWatch, DelayGuard.
 */

export const PRODUCT_SLUGS = ['denialscope', 'driftwatch', 'delayguard'] as const;

export type ProductSlugName = (typeof PRODUCT_SLUGS)[number];

/** Order of product lists in the API and CLI output (the spec's `--products` example order). */
export const PRODUCT_LIST_ORDER: readonly ProductSlugName[] = ['driftwatch', 'denialscope', 'delayguard'];

/** Sorts product slugs into {@link PRODUCT_LIST_ORDER}. */
export function inListOrder(products: readonly ProductSlugName[]): ProductSlugName[] {
  return PRODUCT_LIST_ORDER.filter((p) => products.includes(p));
}

export interface ProductInfo {
  slug: ProductSlugName;
  label: string;
  icon: string;
  signal: string;
}

export const PRODUCTS: Readonly<Record<ProductSlugName, ProductInfo>> = {
  denialscope: {
    slug: 'denialscope',
    label: 'DenialScope',
    icon: '📊',
    signal: 'V1 Signal: Denial dollars spike',
  },
  driftwatch: { slug: 'driftwatch', label: 'DriftWatch', icon: '🔍', signal: 'V1 Signal: Denial rate drift' },
  delayguard: {
    slug: 'delayguard',
    label: 'DelayGuard',
    icon: '⏰',
    signal: 'V1 Signal: Payment delay drift',
  },
};

export function isProductSlug(value: unknown): value is ProductSlugName {
  return typeof value === 'string' && (PRODUCT_SLUGS as readonly string[]).includes(value);
}

/** Parses `driftwatch,denialscope` (CLI, forms); unknown names are returned in `unknown`. */
export function parseProductList(text: string): { products: ProductSlugName[]; unknown: string[] } {
  const products: ProductSlugName[] = [];
  const unknown: string[] = [];
  for (const raw of text.split(',')) {
    const name = raw.trim().toLowerCase();
    if (!name) continue;
    if (isProductSlug(name)) {
      if (!products.includes(name)) products.push(name);
    } else unknown.push(raw.trim());
  }
  return { products: PRODUCT_SLUGS.filter((slug) => products.includes(slug)), unknown };
}

/** "<Product> is not enabled for <customer>." (§1.4) */
export function productNotEnabledMessage(slug: ProductSlugName, customerName: string): string {
  return `${PRODUCTS[slug].label} is not enabled for ${customerName}.`;
}
