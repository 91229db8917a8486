import { type Kysely, type Selectable, sql } from 'kysely';
import {
  type ColumnMappingProfile,
  cptMappingKey,
  payerKey,
  payerMappingKey,
} from '../../domain/claims/index.ts';
import type {
  ColumnMappingProfilesTable,
  CptGroupMappingsTable,
  DB,
  PayerAllowlistTable,
  PayerMappingsTable,
} from '../schema.ts';

/**
 * Normalisation tables (ingestion spec §5) and column-mapping profiles (§2.5). Customer id
 * first; the ingest job reads each once per upload.
 */

export type PayerMappingRecord = Selectable<PayerMappingsTable>;
export type CptGroupMappingRecord = Selectable<CptGroupMappingsTable>;
export type PayerAllowlistRecord = Selectable<PayerAllowlistTable>;
export type ColumnMappingProfileRecord = Selectable<ColumnMappingProfilesTable>;

// ---- payer mappings

/** raw_key → normalized_name, as the row pipeline wants it. */
export async function loadPayerMappings(db: Kysely<DB>, customerId: number): Promise<Map<string, string>> {
  const rows = await db
    .selectFrom('payer_mappings')
    .select(['raw_key', 'normalized_name'])
    .where('customer_id', '=', customerId)
    .execute();
  return new Map(rows.map((row) => [row.raw_key, row.normalized_name]));
}

export async function listPayerMappings(db: Kysely<DB>, customerId: number): Promise<PayerMappingRecord[]> {
  return db
    .selectFrom('payer_mappings')
    .selectAll()
    .where('customer_id', '=', customerId)
    .orderBy('raw_key')
    .execute();
}

/** Adds a mapping; undefined when one with the same key exists ("Mapping for … already exists"). */
export async function insertPayerMapping(
  db: Kysely<DB>,
  customerId: number,
  mapping: { rawName: string; normalizedName: string; createdBy?: number | null },
): Promise<PayerMappingRecord | undefined> {
  return db
    .insertInto('payer_mappings')
    .values({
      customer_id: customerId,
      raw_name: mapping.rawName.trim(),
      raw_key: payerMappingKey(mapping.rawName),
      normalized_name: mapping.normalizedName.trim(),
      created_by: mapping.createdBy ?? null,
    })
    .onConflict((oc) => oc.columns(['customer_id', 'raw_key']).doNothing())
    .returningAll()
    .executeTakeFirst();
}

export async function deletePayerMapping(db: Kysely<DB>, customerId: number, id: number): Promise<boolean> {
  const result = await db
    .deleteFrom('payer_mappings')
    .where('customer_id', '=', customerId)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

// ---- CPT group mappings

/** cpt_code → cpt_group. */
export async function loadCptGroupMappings(db: Kysely<DB>, customerId: number): Promise<Map<string, string>> {
  const rows = await db
    .selectFrom('cpt_group_mappings')
    .select(['cpt_code', 'cpt_group'])
    .where('customer_id', '=', customerId)
    .execute();
  return new Map(rows.map((row) => [row.cpt_code, row.cpt_group]));
}

export async function listCptGroupMappings(
  db: Kysely<DB>,
  customerId: number,
): Promise<CptGroupMappingRecord[]> {
  return db
    .selectFrom('cpt_group_mappings')
    .selectAll()
    .where('customer_id', '=', customerId)
    .orderBy('cpt_code')
    .execute();
}

export async function insertCptGroupMapping(
  db: Kysely<DB>,
  customerId: number,
  mapping: { cptCode: string; cptGroup: string; createdBy?: number | null },
): Promise<CptGroupMappingRecord | undefined> {
  return db
    .insertInto('cpt_group_mappings')
    .values({
      customer_id: customerId,
      cpt_code: cptMappingKey(mapping.cptCode),
      cpt_group: mapping.cptGroup.trim(),
      created_by: mapping.createdBy ?? null,
    })
    .onConflict((oc) => oc.columns(['customer_id', 'cpt_code']).doNothing())
    .returningAll()
    .executeTakeFirst();
}

export async function deleteCptGroupMapping(
  db: Kysely<DB>,
  customerId: number,
  id: number,
): Promise<boolean> {
  const result = await db
    .deleteFrom('cpt_group_mappings')
    .where('customer_id', '=', customerId)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

// ---- payer allow-list

/** The customer's allow-list names (built-ins are added by the domain's PayerAllowList). */
export async function loadPayerAllowlist(db: Kysely<DB>, customerId: number): Promise<string[]> {
  const rows = await db
    .selectFrom('payer_allowlist')
    .select('name')
    .where('customer_id', '=', customerId)
    .execute();
  return rows.map((row) => row.name);
}

export async function insertPayerAllowlistEntry(
  db: Kysely<DB>,
  customerId: number,
  entry: { name: string; createdBy?: number | null },
): Promise<PayerAllowlistRecord | undefined> {
  return db
    .insertInto('payer_allowlist')
    .values({
      customer_id: customerId,
      name: entry.name.trim(),
      name_key: payerKey(entry.name),
      created_by: entry.createdBy ?? null,
    })
    .onConflict((oc) => oc.columns(['customer_id', 'name_key']).doNothing())
    .returningAll()
    .executeTakeFirst();
}

// ---- column-mapping profiles

function toDomainProfile(row: ColumnMappingProfileRecord): ColumnMappingProfile {
  return { id: row.id, name: row.name, mapping: row.mapping, lastUsedAt: row.last_used_at };
}

/** The customer's profiles as the header resolver wants them. */
export async function loadColumnMappingProfiles(
  db: Kysely<DB>,
  customerId: number,
): Promise<ColumnMappingProfile[]> {
  const rows = await db
    .selectFrom('column_mapping_profiles')
    .selectAll()
    .where('customer_id', '=', customerId)
    .orderBy('id')
    .execute();
  return rows.map(toDomainProfile);
}

export async function findColumnMappingProfile(
  db: Kysely<DB>,
  customerId: number,
  id: number,
): Promise<ColumnMappingProfileRecord | undefined> {
  return db
    .selectFrom('column_mapping_profiles')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export function columnMappingProfileForResolver(row: ColumnMappingProfileRecord): ColumnMappingProfile {
  return toDomainProfile(row);
}

export async function listColumnMappingProfiles(
  db: Kysely<DB>,
  customerId: number,
): Promise<ColumnMappingProfileRecord[]> {
  return db
    .selectFrom('column_mapping_profiles')
    .selectAll()
    .where('customer_id', '=', customerId)
    .orderBy('name')
    .execute();
}

/**
 * Saves a profile (mapping: canonical field → source header, stored normalized per §2.5).
 * Undefined when the name is taken ("A profile named '<name>' already exists"). A profile
 * saved in the mapping step counts its first use (use_count 1).
 */
export async function insertColumnMappingProfile(
  db: Kysely<DB>,
  customerId: number,
  profile: { name: string; mapping: Record<string, string>; createdBy?: number | null; used?: boolean },
): Promise<ColumnMappingProfileRecord | undefined> {
  const normalized = Object.fromEntries(
    Object.entries(profile.mapping)
      .filter(([, header]) => header.trim() !== '')
      .map(([field, header]) => [field, header.trim().toLowerCase().replace(/\s+/g, ' ')]),
  );
  return db
    .insertInto('column_mapping_profiles')
    .values({
      customer_id: customerId,
      name: profile.name.trim(),
      mapping: JSON.stringify(normalized),
      created_by: profile.createdBy ?? null,
      ...(profile.used && { last_used_at: sql`now()`, use_count: 1 }),
    })
    .onConflict((oc) => oc.columns(['customer_id', 'name']).doNothing())
    .returningAll()
    .executeTakeFirst();
}

/** Records that a profile filled columns of an upload (§2.5). */
export async function markColumnMappingProfileUsed(
  db: Kysely<DB>,
  customerId: number,
  id: number,
): Promise<void> {
  await db
    .updateTable('column_mapping_profiles')
    .set({ last_used_at: sql`now()`, use_count: sql`use_count + 1` })
    .where('customer_id', '=', customerId)
    .where('id', '=', id)
    .execute();
}
