import type { MemberRow } from '../db/repositories/memberships.repository.ts';
import { inListOrder, type ProductSlugName } from '../domain/accounts/products.ts';

/** ISO 8601 UTC with milliseconds, or null (web-api-ops §4.1). */
export function isoOrNull(value: Date | string | null | undefined): string | null {
  return value ? new Date(value).toISOString() : null;
}

/** `customers` resource (§4.6). */
export function presentCustomer(
  customer: { id: number; name: string; is_active: boolean; created_at: Date },
  products: readonly ProductSlugName[],
) {
  return {
    id: customer.id,
    name: customer.name,
    is_active: customer.is_active,
    enabled_products: inListOrder(products),
    created_at: isoOrNull(customer.created_at),
  };
}

/** `members` resource (§4.6): `id` is the membership id. */
export function presentMember(member: MemberRow) {
  return {
    id: member.id,
    user_id: member.user_id,
    username: member.username,
    email: member.email,
    first_name: member.first_name,
    last_name: member.last_name,
    role: member.role,
    last_login: isoOrNull(member.last_login),
    created_at: isoOrNull(member.created_at),
  };
}
