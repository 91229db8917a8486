import type { Kysely, Selectable } from 'kysely';
import type { SettingsValues } from '../../domain/accounts/settings.ts';
import type { CustomerSettingsTable, DB } from '../schema.ts';

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
