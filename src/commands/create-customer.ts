import type { Kysely } from 'kysely';
import { AppError } from '../config/errors.ts';
import {
  type CustomerRecord,
  findCustomerByName,
  insertCustomer,
} from '../db/repositories/customers.repository.ts';
import type { DB } from '../db/schema.ts';
import type { Actor, Role } from '../domain/accounts/permissions.ts';
import type { ProductSlugName } from '../domain/accounts/products.ts';
import { recordAudit } from '../obs/audit.ts';
import {
  type AddMemberDeps,
  checkNewMember,
  consoleActorFor,
  insertMember,
  sendInvitation,
} from './add-member.ts';

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

export interface FirstUserInput {
  username: string;
  email: string;
  role: Role;
  /** Set this password instead of sending an invitation. */
  password?: string | null;
}

/**
 * The operator console's "new customer" (web-api-ops §2.5): the customer (as
 * {@link createCustomer}) and, when asked for, its first user — the same member rules and rows
 * as every other addition (add-member.ts), audited `user_created` — in ONE transaction, so a
 * refused user leaves no customer behind. The invitation e-mail goes out after the commit.
 */
export async function createCustomerWithFirstUser(
  deps: AddMemberDeps,
  actor: Actor,
  input: Omit<CreateCustomerInput, 'actorUserId' | 'requestId' | 'ip'>,
  firstUser: FirstUserInput | null,
): Promise<CustomerRecord> {
  const { customer, inserted } = await deps.db.transaction().execute(async (trx) => {
    const created = await createCustomer(trx, {
      ...input,
      actorUserId: actor.userId,
      requestId: deps.requestId,
      ip: deps.ip,
    });
    if (!firstUser) return { customer: created, inserted: null };
    const onCustomer = consoleActorFor(actor, created.id);
    const member = { ...firstUser, customerId: created.id };
    await checkNewMember(trx, onCustomer, created.id, member);
    return { customer: created, inserted: await insertMember(trx, deps, onCustomer, member, 'user_created') };
  });
  if (inserted?.inviteToken) await sendInvitation(deps, inserted.user, inserted.inviteToken);
  return customer;
}
