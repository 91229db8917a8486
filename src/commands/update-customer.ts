import type { Kysely } from 'kysely';
import type { SessionStore } from '../cache/session-store.ts';
import { NotFoundError, ValidationError } from '../config/errors.ts';
import {
  findCustomerById,
  findCustomerByName,
  renameCustomer,
  setCustomerActive,
  setProductEnabled,
} from '../db/repositories/customers.repository.ts';
import { memberUserIds } from '../db/repositories/memberships.repository.ts';
import type { DB } from '../db/schema.ts';
import { PRODUCT_SLUGS, type ProductSlugName } from '../domain/accounts/products.ts';
import { recordAudit } from '../obs/audit.ts';
import { duplicateCustomerMessage, validateCustomerName } from './create-customer.ts';
import { endUserSessions } from './password-reset.ts';

export interface CustomerChanges {
  name?: string;
  products?: readonly ProductSlugName[];
  isActive?: boolean;
}

export interface UpdateCustomerDeps {
  db: Kysely<DB>;
  sessions: SessionStore;
  now: Date;
}

export interface UpdateCustomerActor {
  userId: number;
  requestId?: string | null;
  ip?: string | null;
}

/**
 * An operator's change to a customer (web-api-ops §2.5, §4.6): rename (unique, case-
 * insensitive), products on/off, activation. Validates first, then applies every change in
 * one transaction with its audit events (`customer_updated`, `product_enabled`/`_disabled`,
 * `customer_deactivated`/`_reactivated`); deactivation then ends the members' sessions and
 * tokens. Who may change what is the caller's policy (staff; activation: superuser).
 */
export async function updateCustomer(
  deps: UpdateCustomerDeps,
  actor: UpdateCustomerActor,
  customerId: number,
  changes: CustomerChanges,
): Promise<void> {
  const customer = await findCustomerById(deps.db, customerId);
  if (!customer) throw new NotFoundError();
  const name = changes.name?.trim();
  if (name !== undefined) {
    const problem = validateCustomerName(name);
    if (problem) throw ValidationError.field('name', problem);
    const existing = await findCustomerByName(deps.db, name);
    if (existing && existing.id !== customer.id)
      throw ValidationError.field('name', duplicateCustomerMessage(name));
  }
  const deactivated = changes.isActive === false && customer.is_active;
  await deps.db.transaction().execute(async (trx) => {
    const audit = (action: string, metadata: Record<string, string | boolean> = {}) =>
      recordAudit(trx, {
        action,
        customerId: customer.id,
        userId: actor.userId,
        entityType: 'customer',
        entityId: customer.id,
        requestId: actor.requestId ?? null,
        ip: actor.ip ?? null,
        metadata: { ...metadata, acting_as_operator: true },
      });
    if (name !== undefined && name !== customer.name) {
      await renameCustomer(trx, customer.id, name);
      await audit('customer_updated', { name });
    }
    if (changes.products) {
      for (const slug of PRODUCT_SLUGS) {
        const on = changes.products.includes(slug);
        if (await setProductEnabled(trx, customer.id, slug, on))
          await audit(on ? 'product_enabled' : 'product_disabled', { product: slug });
      }
    }
    if (changes.isActive !== undefined && changes.isActive !== customer.is_active) {
      await setCustomerActive(trx, customer.id, changes.isActive);
      await audit(changes.isActive ? 'customer_reactivated' : 'customer_deactivated');
    }
  });
  if (deactivated) {
    for (const userId of await memberUserIds(deps.db, customer.id)) {
      await endUserSessions({ db: deps.db, sessions: deps.sessions, now: deps.now }, userId);
    }
  }
}
