/**
 * Team-management rules (web-api-ops §2.4) and the staff-account rules of the operator
 * console (§2.5). Each check runs in the exact order of the spec and returns the first
 * failing message verbatim, so portal and API say the same thing. No exceptions: callers
 * map {@link RuleResult} to a flash message or an API error.
 */
import {
  type Actor,
  type CustomerId,
  can,
  effectiveRole,
  isStaffUser,
  isSuperuserUser,
  ROLE_LABELS,
  type Role,
  roleIsAdmin,
} from './permissions.ts';

/** Exact rule messages of §2.4/§2.5 (tests and templates import these rather than retyping). */
export const TEAM_MESSAGES = {
  notAuthenticated: 'Not authenticated',
  noManageUsers: 'You do not have permission to manage users',
  onlyOwnersAssign: 'Only owners can assign owner or admin roles',
  cannotModifyOwnerAdmin: 'You cannot modify owner or admin roles',
  lastOwnerRoleChange: 'Cannot remove the last owner. Promote another user to owner first.',
  lastOwnerRemove: 'Cannot remove the last owner. Transfer ownership first.',
  cannotRemoveOwnerAdmin: 'You cannot remove owners or admins',
  usernameTaken: 'A user with that username already exists.',
  emailTaken: 'A user with that email already exists.',
  lastActiveSuperuser: 'Cannot deactivate the last active superuser.',
  // Not worded by the spec (§2.5 only states the rule); kept short and neutral.
  cannotDeactivateSelf: 'You cannot deactivate your own account.',
  notSuperuser: 'You do not have permission to perform this action.',
} as const;

/**
 * Outcome of a rule check. `status` is the suggested HTTP status: 403 for "who may do
 * this" failures, 400 for business-rule/validation failures (last owner, duplicates).
 * `code` is the matching API error code (§4.2).
 */
export type RuleResult =
  | { ok: true }
  | { ok: false; message: string; status: 403 | 400; code: 'permission_denied' | 'invalid' };

const OK: RuleResult = { ok: true };

function deny(message: string): RuleResult {
  return { ok: false, message, status: 403, code: 'permission_denied' };
}

function invalid(message: string): RuleResult {
  return { ok: false, message, status: 400, code: 'invalid' };
}

/** The membership being managed. */
export interface TargetMember {
  userId: number;
  role: Role;
}

/**
 * How the actor stands on the customer for team purposes. Staff acting on the customer
 * (portal acting customer, console, API `customer`) may assign any role and manage
 * owners/admins (§2.4: "Staff acting via the console may assign any role"), so they are
 * treated like an owner for the owner/admin checks; the last-owner checks still apply.
 */
function standing(actor: Actor | null | undefined, customerId: CustomerId) {
  const role = effectiveRole(actor, customerId);
  const staff = role !== null && isStaffUser(actor);
  return { role, ownerLike: staff || role === 'owner' };
}

/** "A customer's last owner is the only membership with role owner." */
function isLastOwner(target: TargetMember, ownerCount: number): boolean {
  return target.role === 'owner' && ownerCount <= 1;
}

/** Input of {@link checkRoleChange}. */
export interface RoleChangeInput {
  actor: Actor | null | undefined;
  customerId: CustomerId;
  target: TargetMember;
  newRole: Role;
  /** Number of memberships with role owner in the customer (before the change). */
  ownerCount: number;
}

/**
 * Role change, checked in the order of §2.4: no standing → "Not authenticated";
 * lacks manage_users; non-owner assigning owner/admin; non-owner touching an
 * owner/admin; demoting the last owner. Where checks 3 and 4 both apply, 4 wins
 * (acceptance example 20, see inline note).
 */
export function checkRoleChange(input: RoleChangeInput): RuleResult {
  const { actor, customerId, target, newRole, ownerCount } = input;
  const { role, ownerLike } = standing(actor, customerId);
  if (role === null) return deny(TEAM_MESSAGES.notAuthenticated);
  if (!can(actor, 'manage_users', customerId)) return deny(TEAM_MESSAGES.noManageUsers);
  // Checks 3 and 4 only overlap when a non-owner sets an owner/admin target to owner or
  // admin. §2.4 lists 3 first, but acceptance example 20 ("admin_a changes owner_a to
  // admin" → "You cannot modify owner or admin roles") requires 4 to win there, so check 3
  // is applied to analyst/viewer targets only; every other case keeps the listed order.
  if (!ownerLike && roleIsAdmin(newRole) && !roleIsAdmin(target.role)) {
    return deny(TEAM_MESSAGES.onlyOwnersAssign);
  }
  if (!ownerLike && roleIsAdmin(target.role)) return deny(TEAM_MESSAGES.cannotModifyOwnerAdmin);
  if (isLastOwner(target, ownerCount) && newRole !== 'owner')
    return invalid(TEAM_MESSAGES.lastOwnerRoleChange);
  return OK;
}

/** Input of {@link checkRemoveMember}. */
export interface RemoveMemberInput {
  actor: Actor | null | undefined;
  customerId: CustomerId;
  target: TargetMember;
  /** Number of memberships with role owner in the customer. */
  ownerCount: number;
}

/**
 * Member removal, in the order of §2.4. The last-owner check comes before the
 * owner/admin check on purpose: an admin trying to remove the only owner is told about
 * the ownership rule, as the spec orders it.
 */
export function checkRemoveMember(input: RemoveMemberInput): RuleResult {
  const { actor, customerId, target, ownerCount } = input;
  const { role, ownerLike } = standing(actor, customerId);
  if (role === null) return deny(TEAM_MESSAGES.notAuthenticated);
  if (!can(actor, 'manage_users', customerId)) return deny(TEAM_MESSAGES.noManageUsers);
  if (isLastOwner(target, ownerCount)) return invalid(TEAM_MESSAGES.lastOwnerRemove);
  if (!ownerLike && roleIsAdmin(target.role)) return deny(TEAM_MESSAGES.cannotRemoveOwnerAdmin);
  return OK;
}

/** Input of {@link checkAddMember}. Uniqueness is looked up by the caller (case-insensitive). */
export interface AddMemberInput {
  actor: Actor | null | undefined;
  customerId: CustomerId;
  role: Role;
  /** A user with this username (case-insensitive) already exists. */
  usernameTaken: boolean;
  /** An active user with this email (case-insensitive) already exists. */
  emailTaken: boolean;
}

/**
 * Adding a member (§2.4): standing, manage_users, admins add only analyst/viewer, then
 * username and email uniqueness (in that order). Field-format validation (username
 * syntax, email syntax) is the form's job and runs after these checks.
 */
export function checkAddMember(input: AddMemberInput): RuleResult {
  const { actor, customerId, role: newRole, usernameTaken, emailTaken } = input;
  const { role, ownerLike } = standing(actor, customerId);
  if (role === null) return deny(TEAM_MESSAGES.notAuthenticated);
  if (!can(actor, 'manage_users', customerId)) return deny(TEAM_MESSAGES.noManageUsers);
  if (!ownerLike && roleIsAdmin(newRole)) return deny(TEAM_MESSAGES.onlyOwnersAssign);
  if (usernameTaken) return invalid(TEAM_MESSAGES.usernameTaken);
  if (emailTaken) return invalid(TEAM_MESSAGES.emailTaken);
  return OK;
}

/** Display label of a role ("Owner", "Admin", …). */
export function roleLabel(role: Role): string {
  return ROLE_LABELS[role];
}

/** "Member <username> added as <Role>. An invitation email has been sent." */
export function memberAddedMessage(username: string, role: Role): string {
  return `Member ${username} added as ${roleLabel(role)}. An invitation email has been sent.`;
}

/** "Role for <username> changed from <Old> to <New>." */
export function roleChangedMessage(username: string, oldRole: Role, newRole: Role): string {
  return `Role for ${username} changed from ${roleLabel(oldRole)} to ${roleLabel(newRole)}.`;
}

/** "Member <username> removed." */
export function memberRemovedMessage(username: string): string {
  return `Member ${username} removed.`;
}

/** The staff account being changed in the operator console. */
export interface StaffTarget {
  userId: number;
  isActive: boolean;
  isSuperuser: boolean;
}

/** Input of {@link checkStaffAccountChange}. */
export interface StaffAccountChangeInput {
  actor: Actor | null | undefined;
  target: StaffTarget;
  /** The change: deactivate the account, or remove its superuser flag. */
  change: 'deactivate' | 'demote';
  /** Number of active superusers (including the target when it is one). */
  activeSuperuserCount: number;
}

/**
 * Staff-account rule of §2.5: only superusers manage staff; the last active superuser
 * can be neither deactivated nor demoted; a superuser cannot deactivate themselves.
 * The last-superuser check runs first so a lone superuser deactivating their own
 * account gets the spec's message.
 */
export function checkStaffAccountChange(input: StaffAccountChangeInput): RuleResult {
  const { actor, target, change, activeSuperuserCount } = input;
  if (!isSuperuserUser(actor)) return deny(TEAM_MESSAGES.notSuperuser);
  const targetIsActiveSuperuser = target.isActive && target.isSuperuser;
  if (targetIsActiveSuperuser && activeSuperuserCount <= 1) return invalid(TEAM_MESSAGES.lastActiveSuperuser);
  if (change === 'deactivate' && actor!.userId === target.userId) {
    return invalid(TEAM_MESSAGES.cannotDeactivateSelf);
  }
  return OK;
}
