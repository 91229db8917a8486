/**
 * Normalisation (ingestion spec §5): payer mapping by key and CPT grouping. The PHI screen
 * always runs on the raw payer before any of this.
 */
import { payerKey } from './phi.ts';

/** Payer mapping key (§5.1): trimmed, inner white space collapsed, lower-cased. */
export const payerMappingKey = payerKey;

/** `payer_raw` (§1.2): trimmed and white space collapsed, casing as received. */
export function payerRaw(value: string): string {
  return value.replace(/[\s\u0085]+/gu, ' ').trim();
}

/** Payer mappings of one customer, read once per upload job: raw_key → normalized_name. */
export type PayerMappings = ReadonlyMap<string, string>;

/** Stored `payer`: the mapping's normalized name, else payer_raw as received. */
export function mapPayer(rawPayer: string, mappings: PayerMappings): string {
  const raw = payerRaw(rawPayer);
  return mappings.get(payerMappingKey(raw)) ?? raw;
}

/** Key of `cpt_group_mappings.cpt_code`: trimmed, upper-case, modifiers removed. */
export function cptMappingKey(cpt: string): string {
  const upper = cpt.trim().toUpperCase();
  const m = /^([A-Z0-9]{5})[-:\s][A-Z0-9]{2}(?:[-:\s][A-Z0-9]{2})*$/.exec(upper);
  return m?.[1] ?? upper;
}

/** CPT group mappings of one customer: cpt_code → cpt_group. */
export type CptGroupMappings = ReadonlyMap<string, string>;

/**
 * Built-in grouping (§5.2) for the stored base code. Only code numbers and our own group names
 * ship (never CPT descriptors). 99201 (deleted 2021), Category II/III and PLA codes and `CLAIM`
 * fall to OTHER.
 */
export function defaultCptGroup(cpt: string): string {
  if (/^\d{5}$/.test(cpt)) {
    const n = Number(cpt);
    if (n >= 99202 && n <= 99499) return 'E&M';
    if (n >= 100 && n <= 1999) return 'Anesthesia';
    if (n >= 10004 && n <= 69990) return 'Surgery';
    if (n >= 70010 && n <= 79999) return 'Radiology';
    if (n >= 80047 && n <= 89398) return 'Pathology & Lab';
    if ((n >= 90281 && n <= 99199) || (n >= 99500 && n <= 99607)) return 'Medicine';
    return 'OTHER';
  }
  if (/^[A-Z]\d{4}$/.test(cpt)) return 'HCPCS';
  return 'OTHER';
}

/** Customer mapping first, else the built-in grouping. */
export function resolveCptGroup(cpt: string, mappings?: CptGroupMappings): string {
  return mappings?.get(cpt) ?? defaultCptGroup(cpt);
}
