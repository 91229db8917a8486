import type { Kysely } from 'kysely';
import {
  type ColumnMappingProfileRecord,
  type CptGroupMappingRecord,
  listColumnMappingProfiles,
  listCptGroupMappings,
  listPayerMappings,
  type PayerAllowlistRecord,
  type PayerMappingRecord,
} from '../db/repositories/mappings.repository.ts';
import { latestMappingsReapplied, listPayerAllowlist } from '../db/repositories/mappings-admin.repository.ts';
import type { DB } from '../db/schema.ts';

/** What `/portal/mappings/` shows (web-api-ops §1.6 "Mappings"); presented by presenters/mappings-page.ts. */
export interface MappingsPageView {
  payerMappings: PayerMappingRecord[];
  cptMappings: CptGroupMappingRecord[];
  allowlist: PayerAllowlistRecord[];
  profiles: ColumnMappingProfileRecord[];
  lastReapply: Awaited<ReturnType<typeof latestMappingsReapplied>>;
}

/** The customer's mappings, allow-list, column profiles and last re-apply, read at once. */
export async function loadMappingsPage(db: Kysely<DB>, customerId: number): Promise<MappingsPageView> {
  const [payerMappings, cptMappings, allowlist, lastReapply, profiles] = await Promise.all([
    listPayerMappings(db, customerId),
    listCptGroupMappings(db, customerId),
    listPayerAllowlist(db, customerId),
    latestMappingsReapplied(db, customerId),
    listColumnMappingProfiles(db, customerId),
  ]);
  return { payerMappings, cptMappings, allowlist, profiles, lastReapply };
}
