import type { Kysely } from 'kysely';
import type { DB } from '../schema.ts';
import type {
  CptGroupMappingRecord,
  PayerAllowlistRecord,
  PayerMappingRecord,
} from './mappings.repository.ts';

/**
 * Look-ups the mappings page and API need beyond `mappings.repository.ts` (ingestion spec
 * §5.3): single rows by id, the allow-list with ids, allow-list deletes, and the latest
 * re-apply result. Customer id first; another customer's row is "not found".
 */

export async function findPayerMapping(
  db: Kysely<DB>,
  customerId: number,
  id: number,
): Promise<PayerMappingRecord | undefined> {
  return db
    .selectFrom('payer_mappings')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function findCptGroupMapping(
  db: Kysely<DB>,
  customerId: number,
  id: number,
): Promise<CptGroupMappingRecord | undefined> {
  return db
    .selectFrom('cpt_group_mappings')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function listPayerAllowlist(
  db: Kysely<DB>,
  customerId: number,
): Promise<PayerAllowlistRecord[]> {
  return db
    .selectFrom('payer_allowlist')
    .selectAll()
    .where('customer_id', '=', customerId)
    .orderBy('name_key')
    .execute();
}

export async function findPayerAllowlistEntry(
  db: Kysely<DB>,
  customerId: number,
  id: number,
): Promise<PayerAllowlistRecord | undefined> {
  return db
    .selectFrom('payer_allowlist')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function deletePayerAllowlistEntry(
  db: Kysely<DB>,
  customerId: number,
  id: number,
): Promise<boolean> {
  const result = await db
    .deleteFrom('payer_allowlist')
    .where('customer_id', '=', customerId)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** The payload and time of the customer's latest `mappings_reapplied` event, if any. */
export async function latestMappingsReapplied(
  db: Kysely<DB>,
  customerId: number,
): Promise<{ claimsUpdated: number; at: Date } | undefined> {
  const row = await db
    .selectFrom('system_events')
    .select(['payload', 'created_at'])
    .where('customer_id', '=', customerId)
    .where('event_type', '=', 'mappings_reapplied')
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!row) return undefined;
  const payload = row.payload as { claims_updated?: unknown };
  return { claimsUpdated: Number(payload.claims_updated ?? 0), at: new Date(row.created_at) };
}

// ---- column-mapping profiles (list: `listColumnMappingProfiles` in mappings.repository.ts)

export type RenameProfileResult = 'renamed' | 'not_found' | 'duplicate';

/** Renames a profile; 'duplicate' when another profile of the customer has the name. */
export async function renameColumnMappingProfile(
  db: Kysely<DB>,
  customerId: number,
  id: number,
  name: string,
): Promise<RenameProfileResult> {
  const clash = await db
    .selectFrom('column_mapping_profiles')
    .select('id')
    .where('customer_id', '=', customerId)
    .where('name', '=', name)
    .where('id', '<>', id)
    .executeTakeFirst();
  if (clash) return 'duplicate';
  const result = await db
    .updateTable('column_mapping_profiles')
    .set({ name, updated_at: new Date() })
    .where('customer_id', '=', customerId)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0 ? 'renamed' : 'not_found';
}

export async function deleteColumnMappingProfile(
  db: Kysely<DB>,
  customerId: number,
  id: number,
): Promise<boolean> {
  const result = await db
    .deleteFrom('column_mapping_profiles')
    .where('customer_id', '=', customerId)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
