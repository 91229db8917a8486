import type { Kysely } from 'kysely';
import type { SessionStore } from '../cache/session-store.ts';
import type { Config } from '../config/env.ts';
import { NotFoundError, PermissionDeniedError, ValidationError } from '../config/errors.ts';
import {
  countOwners,
  deleteMembership,
  findMember,
  updateMembershipRole,
} from '../db/repositories/memberships.repository.ts';
import { setUserActive } from '../db/repositories/users.repository.ts';
import type { DB } from '../db/schema.ts';
import { type Actor, isStaffUser, type Role } from '../domain/accounts/permissions.ts';
import {
  checkRemoveMember,
  checkRoleChange,
  memberRemovedMessage,
  type RuleResult,
  roleChangedMessage,
} from '../domain/accounts/team-rules.ts';
import type { Mailer } from '../notify/mail.ts';
import { recordAudit } from '../obs/audit.ts';
import { endUserSessions } from './password-reset.ts';

/**
 * Team changes of §2.4 (role change, removal; additions are commands/add-member.ts). Each
 * returns its success message or throws the typed error of the rule that failed
 * (src/config/errors.ts): 404 for a membership of another customer or none, 403 for "who may
 * do this", 400 for the last-owner rules.
 */

export interface TeamDeps {
  db: Kysely<DB>;
  config: Config;
  mailer: Mailer;
  sessions: SessionStore;
  now: Date;
  requestId: string | null;
  ip: string | null;
  logger?: { error(obj: object, msg: string): void };
}

/**
 * A failed §2.4 rule as the typed error it stands for: "who may do this" → 403
 * PermissionDeniedError, the last-owner rules → 400 ValidationError (`non_field_errors`, the
 * rule's message as the detail). The one error path renders either; the team page and the
 * console show the 400s as a flash message. Shared with the staff-account rules.
 */
export function throwRule(result: Exclude<RuleResult, { ok: true }>): never {
  if (result.status === 403) throw new PermissionDeniedError(result.message);
  throw new ValidationError({ non_field_errors: [result.message] }, result.message);
}

function auditMetadata(actor: Actor | null, extra: Record<string, string | number | boolean | null>) {
  return { ...extra, ...(isStaffUser(actor) ? { acting_as_operator: true } : {}) };
}

/** Changes a member's role (§2.4 checks, last-owner rule under a row lock). Audit `role_changed`. */
export async function changeMemberRole(
  deps: TeamDeps,
  actor: Actor | null,
  customerId: number,
  membershipId: number,
  newRole: Role,
): Promise<string> {
  return deps.db.transaction().execute(async (trx) => {
    const ownerCount = await countOwners(trx, customerId, true);
    const target = await findMember(trx, customerId, membershipId);
    if (!target) throw new NotFoundError();
    const rule = checkRoleChange({
      actor,
      customerId,
      target: { userId: target.user_id, role: target.role },
      newRole,
      ownerCount,
    });
    if (!rule.ok) throwRule(rule);
    if (target.role !== newRole) {
      await updateMembershipRole(trx, customerId, membershipId, newRole);
      await recordAudit(trx, {
        action: 'role_changed',
        customerId,
        userId: actor?.userId ?? null,
        entityType: 'membership',
        entityId: membershipId,
        requestId: deps.requestId,
        ip: deps.ip,
        metadata: auditMetadata(actor, {
          username: target.username,
          old_role: target.role,
          new_role: newRole,
        }),
      });
    }
    return roleChangedMessage(target.username, target.role, newRole);
  });
}

/**
 * Removes a member: deletes the membership, deactivates the user, ends their sessions
 * and refresh tokens (§2.4). Audit `member_removed`.
 */
export async function removeMember(
  deps: TeamDeps,
  actor: Actor | null,
  customerId: number,
  membershipId: number,
): Promise<string> {
  const removed = await deps.db.transaction().execute(async (trx) => {
    const ownerCount = await countOwners(trx, customerId, true);
    const target = await findMember(trx, customerId, membershipId);
    if (!target) throw new NotFoundError();
    const rule = checkRemoveMember({
      actor,
      customerId,
      target: { userId: target.user_id, role: target.role },
      ownerCount,
    });
    if (!rule.ok) throwRule(rule);
    await deleteMembership(trx, customerId, membershipId);
    await setUserActive(trx, target.user_id, false);
    await recordAudit(trx, {
      action: 'member_removed',
      customerId,
      userId: actor?.userId ?? null,
      entityType: 'user',
      entityId: target.user_id,
      requestId: deps.requestId,
      ip: deps.ip,
      metadata: auditMetadata(actor, { username: target.username, role: target.role }),
    });
    return target;
  });
  // After the commit: the removed user's sessions and refresh tokens end (§2.4).
  await endUserSessions(deps, removed.user_id);
  return memberRemovedMessage(removed.username);
}
