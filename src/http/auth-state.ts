import type { Kysely } from 'kysely';
import {
  type CustomerRecord,
  enabledProducts,
  findCustomerById,
} from '../db/repositories/customers.repository.ts';
import { findMembershipByUser, type MembershipRecord } from '../db/repositories/memberships.repository.ts';
import { findUserById, type UserRecord } from '../db/repositories/users.repository.ts';
import type { DB } from '../db/schema.ts';
import { type Actor, effectiveRole, isStaffUser, type Role } from '../domain/accounts/permissions.ts';
import type { ProductSlugName } from '../domain/accounts/products.ts';

/** Who is making the request, resolved once per request by the auth plugin. */
export interface AuthState {
  user: UserRecord | null;
  via: 'session' | 'jwt' | null;
  membership: MembershipRecord | null;
  /** The context customer: the member's customer, or the staff user's acting customer. */
  customer: CustomerRecord | null;
  /** Products enabled for the context customer, in nav order. */
  products: ProductSlugName[];
  actor: Actor | null;
  /** The effective role on the context customer (staff acting: admin/owner set). */
  role: Role | null;
}

export const ANONYMOUS: AuthState = {
  user: null,
  via: null,
  membership: null,
  customer: null,
  products: [],
  actor: null,
  role: null,
};

export type AuthLoadResult =
  | { ok: true; state: AuthState; actingCleared: boolean }
  | { ok: false; reason: 'no_user' | 'inactive_user' | 'inactive_customer' };

/**
 * Loads user, membership and context customer. A member of a deactivated customer is
 * refused (their session ends, §1.4); staff whose acting customer vanished lose it.
 */
export async function loadAuthState(
  db: Kysely<DB>,
  userId: number,
  via: 'session' | 'jwt',
  actingCustomerId: number | null,
): Promise<AuthLoadResult> {
  const user = await findUserById(db, userId);
  if (!user) return { ok: false, reason: 'no_user' };
  if (!user.is_active) return { ok: false, reason: 'inactive_user' };
  const membership = user.is_staff ? null : ((await findMembershipByUser(db, user.id)) ?? null);
  let customer: CustomerRecord | null = null;
  let actingCleared = false;
  let acting: number | null = null;
  if (user.is_staff) {
    if (actingCustomerId !== null) {
      customer = (await findCustomerById(db, actingCustomerId)) ?? null;
      if (customer) acting = customer.id;
      else actingCleared = true;
    }
  } else if (membership) {
    customer = (await findCustomerById(db, membership.customer_id)) ?? null;
    if (customer && !customer.is_active) return { ok: false, reason: 'inactive_customer' };
  }
  const actor: Actor = {
    userId: user.id,
    isActive: user.is_active,
    isStaff: user.is_staff,
    isSuperuser: user.is_superuser,
    membership: membership ? { customerId: membership.customer_id, role: membership.role } : null,
    actingCustomerId: acting,
  };
  const products = customer ? await enabledProducts(db, customer.id) : [];
  return {
    ok: true,
    actingCleared,
    state: { user, via, membership, customer, products, actor, role: effectiveRole(actor) },
  };
}

/** True when the staff user is acting (audit metadata `acting_as_operator`). */
export function actingAsOperator(state: AuthState): boolean {
  return isStaffUser(state.actor) && state.customer !== null;
}
