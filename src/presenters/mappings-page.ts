import type {
  ColumnMappingProfileRecord,
  CptGroupMappingRecord,
  PayerAllowlistRecord,
  PayerMappingRecord,
} from '../db/repositories/mappings.repository.ts';

/**
 * View data of the mappings page (web-api-ops §1.6 "Mappings"): payer and CPT-group mappings,
 * the allow-list, column-mapping profiles and the last re-apply. Pure.
 */
export function presentMappingsPage(input: {
  payerMappings: readonly Pick<PayerMappingRecord, 'id' | 'raw_name' | 'normalized_name'>[];
  cptMappings: readonly Pick<CptGroupMappingRecord, 'id' | 'cpt_code' | 'cpt_group'>[];
  allowlist: readonly Pick<PayerAllowlistRecord, 'id' | 'name'>[];
  profiles: readonly Pick<
    ColumnMappingProfileRecord,
    'id' | 'name' | 'mapping' | 'use_count' | 'last_used_at'
  >[];
  lastReapply: { claimsUpdated: number; at: Date } | undefined;
}) {
  return {
    payerMappings: input.payerMappings.map((m) => ({
      id: m.id,
      raw: m.raw_name,
      normalized: m.normalized_name,
    })),
    cptMappings: input.cptMappings.map((m) => ({ id: m.id, code: m.cpt_code, group: m.cpt_group })),
    allowlist: input.allowlist.map((a) => ({ id: a.id, name: a.name })),
    profiles: input.profiles.map((p) => ({
      id: p.id,
      name: p.name,
      fields: Object.keys(p.mapping).length,
      useCount: p.use_count,
      lastUsed: p.last_used_at ? new Date(p.last_used_at).toISOString().slice(0, 10) : '-',
    })),
    lastReapply: input.lastReapply
      ? {
          claimsUpdated: input.lastReapply.claimsUpdated,
          at: input.lastReapply.at.toISOString().slice(0, 16).replace('T', ' '),
        }
      : null,
  };
}
