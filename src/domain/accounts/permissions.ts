/**
 * The one role policy of Payrixa (web-api-ops §2.2–§2.3): named permissions, the role
 * matrix, how staff and superusers acting on a customer are mapped onto it, and the
 * `/api/v1/me/` permission map. Portal pages, API endpoints and team rules all ask this
 * module; nothing else may hard-code "which role may do what".
 *
 * Pure: no I/O. Callers describe the user with an {@link Actor}.
 */

/** Membership roles, strongest first. */
export const ROLES = ['owner', 'admin', 'analyst', 'viewer'] as const;

/** A membership role. */
export type Role = (typeof ROLES)[number];

/** Role given to new memberships when none is chosen (§0). */
export const DEFAULT_ROLE: Role = 'viewer';

/** The named permissions of §2.2, in the order of the spec table (also the `/me/` key order). */
export const PERMISSIONS = [
  'view_reports',
  'upload_claims',
  'manage_mappings',
  'run_analysis',
  'triage_alerts',
  'manage_alerts',
  'manage_webhooks',
  'manage_users',
  'manage_configuration',
] as const;

/** A named permission. */
export type Permission = (typeof PERMISSIONS)[number];

/** Display labels used in badges and team messages ("Role for x changed from Viewer to Analyst."). */
export const ROLE_LABELS: Readonly<Record<Role, string>> = {
  owner: 'Owner',
  admin: 'Admin',
  analyst: 'Analyst',
  viewer: 'Viewer',
};

const ANALYST_SET: readonly Permission[] = [
  'view_reports',
  'upload_claims',
  'manage_mappings',
  'run_analysis',
  'triage_alerts',
];

/**
 * The role matrix of §2.2. Owner and admin share the same named permissions; the
 * difference between them lives in the team rules (an admin manages analysts and
 * viewers only), not here.
 */
export const ROLE_PERMISSIONS: Readonly<Record<Role, ReadonlySet<Permission>>> = {
  owner: new Set(PERMISSIONS),
  admin: new Set(PERMISSIONS),
  analyst: new Set(ANALYST_SET),
  // A viewer is read-only everywhere (§2.2): the only permission is reading.
  viewer: new Set<Permission>(['view_reports']),
};

/** A customer id (integers everywhere in Payrixa). */
export type CustomerId = number;

/** The membership linking a user to exactly one customer. */
export interface MembershipRef {
  customerId: CustomerId;
  role: Role;
}

/**
 * Everything the policy needs to know about the caller. Build it once per request from
 * the authenticated user, their membership (if any) and, for staff, the acting customer
 * (portal: the session's acting customer; API: the `customer` parameter).
 */
export interface Actor {
  userId: number;
  isActive: boolean;
  isStaff: boolean;
  isSuperuser: boolean;
  /** The user's membership, or null (staff and unlinked users have none). */
  membership: MembershipRef | null;
  /** Staff only: the customer they currently act on, or null. Ignored for non-staff. */
  actingCustomerId: CustomerId | null;
}

/** True when the string is one of the four roles (use to validate form/API input). */
export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** Parses a submitted role value (case-insensitive, trimmed); null when it is not a role. */
export function parseRole(value: unknown): Role | null {
  if (typeof value !== 'string') return null;
  const v = value.trim().toLowerCase();
  return isRole(v) ? v : null;
}

/** True when the string names a known permission. */
export function isPermission(value: unknown): value is Permission {
  return typeof value === 'string' && (PERMISSIONS as readonly string[]).includes(value);
}

/**
 * Platform staff (operator). A superuser is "staff with is_superuser=true" (§0), so the
 * staff flag is required for both; an inactive account is never staff.
 */
export function isStaffUser(actor: Actor | null | undefined): boolean {
  return !!actor && actor.isActive && actor.isStaff;
}

/** Active staff with the superuser flag: manages staff accounts and customer activation. */
export function isSuperuserUser(actor: Actor | null | undefined): boolean {
  return isStaffUser(actor) && actor!.isSuperuser;
}

/**
 * The customer whose data the actor is looking at: the membership's customer for
 * members, the acting customer for staff, otherwise null.
 */
export function contextCustomerId(actor: Actor | null | undefined): CustomerId | null {
  if (!actor?.isActive) return null;
  // Staff have no membership (§0); if a data error gave them one anyway, the staff
  // rules win so an operator never silently becomes a plain member.
  if (actor.isStaff) return actor.actingCustomerId;
  return actor.membership?.customerId ?? null;
}

/**
 * The role whose permission set applies to the actor on `customerId` (default: the
 * actor's context customer), or null when the actor has no standing there.
 * Staff acting on that customer get the admin set, superusers the owner set (§2.2).
 */
export function effectiveRole(actor: Actor | null | undefined, customerId?: CustomerId | null): Role | null {
  if (!actor?.isActive) return null;
  const target = customerId === undefined ? contextCustomerId(actor) : customerId;
  if (target === null) return null;
  if (actor.isStaff) {
    if (actor.actingCustomerId === null || actor.actingCustomerId !== target) return null;
    return actor.isSuperuser ? 'owner' : 'admin';
  }
  if (!actor.membership || actor.membership.customerId !== target) return null;
  return actor.membership.role;
}

/** True when `role` holds `permission`; unknown permission names are false. */
export function roleCan(role: Role | null | undefined, permission: string): boolean {
  if (!role || !isPermission(permission)) return false;
  return ROLE_PERMISSIONS[role].has(permission);
}

/**
 * The central check: may `actor` use `permission` on `customerId`? Omitting the customer
 * checks the actor's own context customer (membership or acting customer). Anonymous,
 * inactive, unlinked users and staff without an acting customer have no permission;
 * unknown permission names are false.
 */
export function can(
  actor: Actor | null | undefined,
  permission: string,
  customerId?: CustomerId | null,
): boolean {
  return roleCan(effectiveRole(actor, customerId), permission);
}

/** is_owner: the effective role is owner. */
export function isOwner(actor: Actor | null | undefined, customerId?: CustomerId | null): boolean {
  return roleIsOwner(effectiveRole(actor, customerId));
}

/** is_admin: owner or admin. */
export function isAdmin(actor: Actor | null | undefined, customerId?: CustomerId | null): boolean {
  return roleIsAdmin(effectiveRole(actor, customerId));
}

/** is_analyst: owner, admin or analyst. */
export function isAnalyst(actor: Actor | null | undefined, customerId?: CustomerId | null): boolean {
  return roleIsAnalyst(effectiveRole(actor, customerId));
}

/** Role-level is_owner predicate. */
export function roleIsOwner(role: Role | null | undefined): boolean {
  return role === 'owner';
}

/** Role-level is_admin predicate (owner or admin). */
export function roleIsAdmin(role: Role | null | undefined): boolean {
  return role === 'owner' || role === 'admin';
}

/** Role-level is_analyst predicate (owner, admin or analyst). */
export function roleIsAnalyst(role: Role | null | undefined): boolean {
  return role === 'owner' || role === 'admin' || role === 'analyst';
}

/**
 * Deleting an upload (removes its claims from analytics; docs/DECISIONS.md "Deleting an
 * upload"): owner or admin (staff acting on the customer hold the admin set). The spec's
 * permission table has no row for it; analysts upload, but deletion destroys data others rely
 * on, so it follows the "destructive configuration" line of manage_configuration rather than
 * upload_claims. Not a named permission, so the `/me/` map keeps the spec's keys.
 */
export function canDeleteUploads(actor: Actor | null | undefined, customerId?: CustomerId | null): boolean {
  return isAdmin(actor, customerId);
}

/** Operator console, audit log and metrics dashboard (§2.3): any active staff. */
export function canAccessOperatorConsole(actor: Actor | null | undefined): boolean {
  return isStaffUser(actor);
}

/** Creating customers and their first users (§2.3): any active staff. */
export function canCreateCustomers(actor: Actor | null | undefined): boolean {
  return isStaffUser(actor);
}

/** Staff accounts and customer (de)activation (§2.3, §2.5): superusers only. */
export function canManageStaffAndActivation(actor: Actor | null | undefined): boolean {
  return isSuperuserUser(actor);
}

/** The `/api/v1/me/` permission map: `can_<permission>` booleans plus role flags. */
export type MePermissions = { [K in Permission as `can_${K}`]: boolean } & {
  role: Role | null;
  is_owner: boolean;
  is_admin: boolean;
};

/**
 * Builds the `/api/v1/me/` permission map (§2.2). Without standing on a customer every
 * flag is false and `role` is null. Staff acting on a customer report the role whose set
 * they hold (admin, or owner for superusers), so the client sees what it may do.
 */
export function mePermissions(
  actor: Actor | null | undefined,
  customerId?: CustomerId | null,
): MePermissions {
  const role = effectiveRole(actor, customerId);
  const out: Record<string, boolean | Role | null> = {};
  for (const p of PERMISSIONS) out[`can_${p}`] = roleCan(role, p);
  out['role'] = role;
  out['is_owner'] = roleIsOwner(role);
  out['is_admin'] = roleIsAdmin(role);
  return out as MePermissions;
}
