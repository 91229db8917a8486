import type { Kysely } from 'kysely';
import type { SessionStore } from '../cache/session-store.ts';
import type { Config } from '../config/env.ts';
import {
  countOwners,
  deleteMembership,
  findMember,
  type MemberRow,
  updateMembershipRole,
} from '../db/repositories/memberships.repository.ts';
import {
  findActiveUserByEmail,
  findUserByUsername,
  setUserActive,
} from '../db/repositories/users.repository.ts';
import type { DB } from '../db/schema.ts';
import { normalizeUsername } from '../domain/accounts/passwords.ts';
import { type Actor, isStaffUser, type Role } from '../domain/accounts/permissions.ts';
import {
  checkAddMember,
  checkRemoveMember,
  checkRoleChange,
  memberAddedMessage,
  memberRemovedMessage,
  type RuleResult,
  roleChangedMessage,
} from '../domain/accounts/team-rules.ts';
import type { Mailer } from '../notify/mail.ts';
import { recordAudit } from '../obs/audit.ts';
import { createAccount, validateNewAccount } from './create-account.ts';
import { endUserSessions, issueResetToken, resetEmail } from './password-reset.ts';

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

/** Outcome of a team operation: success message, a rule failure, field errors, or not found. */
export type TeamOutcome =
  | { ok: true; message: string }
  | { ok: false; kind: 'rule'; status: 400 | 403; message: string }
  | { ok: false; kind: 'invalid'; message: string; errors: Record<string, string[]> }
  | { ok: false; kind: 'not_found' };

function ruleFailure(result: Exclude<RuleResult, { ok: true }>): TeamOutcome {
  return { ok: false, kind: 'rule', status: result.status, message: result.message };
}

function auditMetadata(actor: Actor | null, extra: Record<string, string | number | boolean | null>) {
  return { ...extra, ...(isStaffUser(actor) ? { acting_as_operator: true } : {}) };
}

/**
 * Adds a member (§2.4): rule checks, a user without a usable password, the membership,
 * and an invitation email with a 72-hour set-password link. Audit `member_added`.
 */
export async function addMember(
  deps: TeamDeps,
  actor: Actor | null,
  customerId: number,
  input: { username: string; email: string; firstName: string; lastName: string; role: Role },
): Promise<TeamOutcome> {
  const username = normalizeUsername(input.username);
  const rule = checkAddMember({
    actor,
    customerId,
    role: input.role,
    usernameTaken: username !== '' && (await findUserByUsername(deps.db, username)) !== undefined,
    emailTaken:
      input.email.trim() !== '' && (await findActiveUserByEmail(deps.db, input.email.trim())) !== undefined,
  });
  if (!rule.ok) return ruleFailure(rule);
  const account = {
    username,
    email: input.email,
    firstName: input.firstName,
    lastName: input.lastName,
    password: null,
    membership: { customerId, role: input.role },
  };
  const errors = await validateNewAccount(deps.db, account);
  if (Object.keys(errors).length > 0) {
    return {
      ok: false,
      kind: 'invalid',
      message: Object.values(errors)[0]?.[0] ?? 'Validation failed.',
      errors,
    };
  }
  const { user, token } = await deps.db.transaction().execute(async (trx) => {
    const created = await createAccount(trx, account);
    const invite = await issueResetToken(trx, created.id, 'invite', deps.now);
    await recordAudit(trx, {
      action: 'member_added',
      customerId,
      userId: actor?.userId ?? null,
      entityType: 'user',
      entityId: created.id,
      requestId: deps.requestId,
      ip: deps.ip,
      metadata: auditMetadata(actor, { username: created.username, role: input.role }),
    });
    return { user: created, token: invite };
  });
  try {
    await deps.mailer.send(resetEmail(deps.config, user, token, 'invite'));
  } catch (error) {
    deps.logger?.error({ err: error, user_id: user.id }, 'invitation email failed');
  }
  return { ok: true, message: memberAddedMessage(user.username, input.role) };
}

/** Changes a member's role (§2.4 checks, last-owner rule under a row lock). Audit `role_changed`. */
export async function changeMemberRole(
  deps: TeamDeps,
  actor: Actor | null,
  customerId: number,
  membershipId: number,
  newRole: Role,
): Promise<TeamOutcome> {
  return deps.db.transaction().execute(async (trx) => {
    const ownerCount = await countOwners(trx, customerId, true);
    const target = await findMember(trx, customerId, membershipId);
    if (!target) return { ok: false, kind: 'not_found' } as const;
    const rule = checkRoleChange({
      actor,
      customerId,
      target: { userId: target.user_id, role: target.role },
      newRole,
      ownerCount,
    });
    if (!rule.ok) return ruleFailure(rule);
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
    return { ok: true, message: roleChangedMessage(target.username, target.role, newRole) } as const;
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
): Promise<TeamOutcome> {
  let removed: MemberRow | null = null;
  const outcome = await deps.db.transaction().execute(async (trx) => {
    const ownerCount = await countOwners(trx, customerId, true);
    const target = await findMember(trx, customerId, membershipId);
    if (!target) return { ok: false, kind: 'not_found' } as const;
    const rule = checkRemoveMember({
      actor,
      customerId,
      target: { userId: target.user_id, role: target.role },
      ownerCount,
    });
    if (!rule.ok) return ruleFailure(rule);
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
    removed = target;
    return { ok: true, message: memberRemovedMessage(target.username) } as const;
  });
  const target = removed as MemberRow | null;
  if (target) await endUserSessions(deps, target.user_id);
  return outcome;
}
