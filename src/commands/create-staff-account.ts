import type { Kysely } from 'kysely';
import type { SessionStore } from '../cache/session-store.ts';
import { NotFoundError } from '../config/errors.ts';
import { findUserById, listStaffUsers, setUserActive } from '../db/repositories/users.repository.ts';
import type { DB } from '../db/schema.ts';
import type { Actor } from '../domain/accounts/permissions.ts';
import { checkStaffAccountChange } from '../domain/accounts/team-rules.ts';
import { recordAudit } from '../obs/audit.ts';
import { type AddMemberDeps, sendInvitation } from './add-member.ts';
import { createAccount } from './create-account.ts';
import { throwRule } from './manage-team.ts';
import { endUserSessions, issueResetToken } from './password-reset.ts';

/**
 * Staff accounts of the operator console (web-api-ops §2.5), managed by superusers (the
 * route's guard). Creating one: the user without a password, `staff_created` audited and an
 * invitation token in one transaction (a refused name or e-mail leaves nothing behind), then
 * the invitation e-mail — the same invitation as a new member's (add-member.ts).
 */
export async function createStaffAccount(
  deps: Pick<AddMemberDeps, 'db' | 'config' | 'mailer' | 'logger'>,
  input: {
    username: string;
    email: string;
    superuser: boolean;
    actorUserId: number;
    requestId: string;
    ip: string;
    now: Date;
  },
) {
  const created = await deps.db.transaction().execute(async (trx) => {
    const user = await createAccount(trx, {
      username: input.username,
      email: input.email,
      password: null,
      isStaff: true,
      isSuperuser: input.superuser,
    });
    await recordAudit(trx, {
      action: 'staff_created',
      userId: input.actorUserId,
      entityType: 'user',
      entityId: user.id,
      requestId: input.requestId,
      ip: input.ip,
      metadata: { username: user.username, superuser: input.superuser },
    });
    return { user, token: await issueResetToken(trx, user.id, 'invite', input.now) };
  });
  await sendInvitation(deps, created.user, created.token);
  return created;
}

/**
 * Deactivates a staff account (§2.5 rules: not the last active superuser, not oneself): the
 * flag and `user_deactivated` audited together, then the account's sessions and tokens end.
 * A user id that is not a staff account is a 404; a broken rule a 400 (403 for a caller who
 * is not a superuser, should the guard be missing).
 */
export async function deactivateStaffAccount(
  deps: { db: Kysely<DB>; sessions: SessionStore; now: Date },
  actor: Actor,
  input: { userId: number; requestId: string; ip: string },
) {
  const target = await deps.db.transaction().execute(async (trx) => {
    const found = await findUserById(trx, input.userId);
    if (!found?.is_staff) throw new NotFoundError();
    const superusers = (await listStaffUsers(trx)).filter((u) => u.is_active && u.is_superuser).length;
    const rule = checkStaffAccountChange({
      actor,
      target: { userId: found.id, isActive: found.is_active, isSuperuser: found.is_superuser },
      change: 'deactivate',
      activeSuperuserCount: superusers,
    });
    if (!rule.ok) throwRule(rule);
    await setUserActive(trx, found.id, false);
    await recordAudit(trx, {
      action: 'user_deactivated',
      userId: actor.userId,
      entityType: 'user',
      entityId: found.id,
      requestId: input.requestId,
      ip: input.ip,
      metadata: { username: found.username },
    });
    return found;
  });
  await endUserSessions({ db: deps.db, sessions: deps.sessions, now: deps.now }, target.id);
  return target;
}
