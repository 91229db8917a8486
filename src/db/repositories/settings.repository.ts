import type { Kysely, Selectable } from 'kysely';
import type { SettingsValues } from '../../domain/accounts/settings.ts';
import type { CustomerSettingsTable, DB, JsonObject } from '../schema.ts';

/**
 * Customer settings rows (web-api-ops §4.6 `settings`; one per customer, created with it).
 * Customer id first; `null` (staff listing across customers) is the only unscoped read.
 */

export type SettingsRecord = Selectable<CustomerSettingsTable>;

/** The customer's settings row. */
export async function findSettingsOfCustomer(
  db: Kysely<DB>,
  customerId: number,
): Promise<SettingsRecord | undefined> {
  return db
    .selectFrom('customer_settings')
    .selectAll()
    .where('customer_id', '=', customerId)
    .executeTakeFirst();
}

/** A settings row by id within the customer (another customer's id: undefined). */
export async function findSettingsById(
  db: Kysely<DB>,
  customerId: number,
  id: number,
): Promise<SettingsRecord | undefined> {
  return db
    .selectFrom('customer_settings')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('id', '=', id)
    .executeTakeFirst();
}

/** Settings rows of one customer, or of every customer (staff list without `customer`), by id. */
export async function listSettings(db: Kysely<DB>, customerId: number | null): Promise<SettingsRecord[]> {
  let query = db.selectFrom('customer_settings').selectAll().orderBy('id');
  if (customerId !== null) query = query.where('customer_id', '=', customerId);
  return query.execute();
}

/** Locks and reads the customer's row (the update's transaction). */
export async function lockSettingsById(
  db: Kysely<DB>,
  customerId: number,
  id: number,
): Promise<SettingsRecord | undefined> {
  return db
    .selectFrom('customer_settings')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();
}

export async function updateSettings(
  db: Kysely<DB>,
  customerId: number,
  id: number,
  values: SettingsValues,
  now: Date,
): Promise<SettingsRecord> {
  return db
    .updateTable('customer_settings')
    .set({ ...values, updated_at: now })
    .where('customer_id', '=', customerId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Staff reading across customers (no `customer` parameter): a row by id, whoever owns it. */
export async function findSettingsByIdForStaff(
  db: Kysely<DB>,
  id: number,
): Promise<SettingsRecord | undefined> {
  return db.selectFrom('customer_settings').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The customer's stored retention overrides (`{}` when none, or when it has no settings row). */
export async function findRetentionOverrides(db: Kysely<DB>, customerId: number): Promise<JsonObject> {
  const row = await db
    .selectFrom('customer_settings')
    .select('retention_days')
    .where('customer_id', '=', customerId)
    .executeTakeFirst();
  return row?.retention_days ?? {};
}

/**
 * Replaces the customer's retention overrides. Every customer gets its settings row when it is
 * created; a customer made some other way (imports, tests) gets one with the defaults here.
 */
export async function saveRetentionOverrides(
  db: Kysely<DB>,
  customerId: number,
  overrides: JsonObject,
  now: Date,
): Promise<void> {
  const retention = JSON.stringify(overrides);
  await db
    .insertInto('customer_settings')
    .values({ customer_id: customerId, retention_days: retention, updated_at: now })
    .onConflict((conflict) =>
      conflict.column('customer_id').doUpdateSet({ retention_days: retention, updated_at: now }),
    )
    .execute();
}
