import type { Kysely } from 'kysely';
import { AppError } from '../config/errors.ts';
import {
  type CustomerRecord,
  findCustomerByName,
  insertCustomer,
} from '../db/repositories/customers.repository.ts';
import type { DB } from '../db/schema.ts';
import type { ProductSlugName } from '../domain/accounts/products.ts';
import { recordAudit } from '../obs/audit.ts';

/** "A customer named '<name>' already exists." (§2.5, §4.6, §7.1) */
export function duplicateCustomerMessage(name: string): string {
  return `A customer named '${name}' already exists.`;
}

export function validateCustomerName(name: string): string | null {
  const trimmed = name.trim();
  if (trimmed.length < 1) return 'This field is required.';
  if (trimmed.length > 255) return 'Ensure this value has at most 255 characters.';
  return null;
}

export interface CreateCustomerInput {
  name: string;
  products: readonly ProductSlugName[];
  toEmail?: string;
  actorUserId: number | null;
  requestId?: string | null;
  ip?: string | null;
  via?: string;
}

/**
 * Creates a customer with its settings and product rows (§2.1, §2.6) and audits
 * `customer_created`. Run it inside a transaction (callers that create more in the same
 * transaction); `createCustomerAlone` opens one.
 */
export async function createCustomer(db: Kysely<DB>, input: CreateCustomerInput): Promise<CustomerRecord> {
  const name = input.name.trim();
  const problem = validateCustomerName(name);
  if (problem) throw new AppError('invalid', problem, 400, { name: [problem] });
  if (await findCustomerByName(db, name)) {
    const message = duplicateCustomerMessage(name);
    throw new AppError('invalid', message, 400, { name: [message] });
  }
  const customer = await insertCustomer(db, {
    name,
    products: input.products,
    ...(input.toEmail ? { toEmail: input.toEmail } : {}),
  });
  await recordAudit(db, {
    action: 'customer_created',
    customerId: customer.id,
    userId: input.actorUserId,
    entityType: 'customer',
    entityId: customer.id,
    requestId: input.requestId ?? null,
    ip: input.ip ?? null,
    metadata: { name, products: [...input.products], ...(input.via ? { via: input.via } : {}) },
  });
  return customer;
}

/** `createCustomer` in its own transaction: the customer, its rows and the audit, or nothing. */
export function createCustomerAlone(db: Kysely<DB>, input: CreateCustomerInput): Promise<CustomerRecord> {
  return db.transaction().execute((trx) => createCustomer(trx, input));
}
