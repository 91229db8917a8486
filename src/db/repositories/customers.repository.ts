import { type Kysely, type Selectable, sql } from 'kysely';
import { PRODUCT_SLUGS, type ProductSlugName } from '../../domain/accounts/products.ts';
import type { CustomersTable, DB } from '../schema.ts';
import { insertDefaultAlertRule } from './alert-rules.repository.ts';

export type CustomerRecord = Selectable<CustomersTable>;

/** Case-insensitive name lookup (customer names are unique ignoring case). */
export async function findCustomerByName(db: Kysely<DB>, name: string): Promise<CustomerRecord | undefined> {
  return db
    .selectFrom('customers')
    .selectAll()
    .where(sql<string>`lower(name)`, '=', name.trim().toLowerCase())
    .executeTakeFirst();
}

export async function findCustomerById(
  db: Kysely<DB>,
  customerId: number,
): Promise<CustomerRecord | undefined> {
  return db.selectFrom('customers').selectAll().where('id', '=', customerId).executeTakeFirst();
}

/**
 * Creates a customer with its settings row and one product-config row per product
 * (enabled for those in `products`) and the default alert rule, in the caller's transaction.
 */
export async function insertCustomer(
  db: Kysely<DB>,
  input: { name: string; products: readonly ProductSlugName[]; toEmail?: string },
): Promise<CustomerRecord> {
  const customer = await db
    .insertInto('customers')
    .values({ name: input.name.trim() })
    .returningAll()
    .executeTakeFirstOrThrow();
  await db
    .insertInto('customer_settings')
    .values({ customer_id: customer.id, to_email: input.toEmail ?? '' })
    .execute();
  await db
    .insertInto('product_configs')
    .values(
      PRODUCT_SLUGS.map((slug) => ({
        customer_id: customer.id,
        product_slug: slug,
        enabled: input.products.includes(slug),
      })),
    )
    .execute();
  await insertDefaultAlertRule(db, customer.id);
  return customer;
}

export async function renameCustomer(db: Kysely<DB>, customerId: number, name: string): Promise<void> {
  await db.updateTable('customers').set({ name: name.trim() }).where('id', '=', customerId).execute();
}

export async function setCustomerActive(db: Kysely<DB>, customerId: number, active: boolean): Promise<void> {
  await db.updateTable('customers').set({ is_active: active }).where('id', '=', customerId).execute();
}

/** Enabled products of a customer, in nav order; a missing row means disabled (§2.6). */
export async function enabledProducts(db: Kysely<DB>, customerId: number): Promise<ProductSlugName[]> {
  const rows = await db
    .selectFrom('product_configs')
    .select('product_slug')
    .where('customer_id', '=', customerId)
    .where('enabled', '=', true)
    .execute();
  const slugs = new Set(rows.map((row) => row.product_slug));
  return PRODUCT_SLUGS.filter((slug) => slugs.has(slug));
}

/** Upserts one product switch; returns true when the stored value changed. */
export async function setProductEnabled(
  db: Kysely<DB>,
  customerId: number,
  slug: ProductSlugName,
  enabled: boolean,
): Promise<boolean> {
  const before = await db
    .selectFrom('product_configs')
    .select('enabled')
    .where('customer_id', '=', customerId)
    .where('product_slug', '=', slug)
    .executeTakeFirst();
  if ((before?.enabled ?? false) === enabled) return false;
  await db
    .insertInto('product_configs')
    .values({ customer_id: customerId, product_slug: slug, enabled })
    .onConflict((oc) =>
      oc.columns(['customer_id', 'product_slug']).doUpdateSet({ enabled, updated_at: sql`now()` }),
    )
    .execute();
  return true;
}

export interface CustomerSummary {
  id: number;
  name: string;
  is_active: boolean;
  created_at: Date;
  products: ProductSlugName[];
  members: number;
}

/** Every customer with enabled products and member counts, by name (operator console, CLI). */
export async function listCustomerSummaries(db: Kysely<DB>): Promise<CustomerSummary[]> {
  const customers = await db.selectFrom('customers').selectAll().orderBy(sql`lower(name)`).execute();
  const products = await db
    .selectFrom('product_configs')
    .select(['customer_id', 'product_slug'])
    .where('enabled', '=', true)
    .execute();
  const members = await db
    .selectFrom('memberships')
    .select(['customer_id', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('customer_id')
    .execute();
  const memberCount = new Map(members.map((row) => [Number(row.customer_id), Number(row.n)]));
  return customers.map((customer) => {
    const enabled = new Set(products.filter((p) => p.customer_id === customer.id).map((p) => p.product_slug));
    return {
      ...customer,
      products: PRODUCT_SLUGS.filter((slug) => enabled.has(slug)),
      members: memberCount.get(customer.id) ?? 0,
    };
  });
}

/** Id and name of every customer, by name: the staff customer switcher and audit-log filter. */
export async function listCustomerNames(db: Kysely<DB>): Promise<Array<{ id: number; name: string }>> {
  return db.selectFrom('customers').select(['id', 'name']).orderBy('name').execute();
}

/** Ids of every customer, ascending: staff reads that walk all tenants one at a time. */
export async function listCustomerIds(db: Kysely<DB>): Promise<number[]> {
  return (await db.selectFrom('customers').select('id').orderBy('id').execute()).map((c) => c.id);
}
