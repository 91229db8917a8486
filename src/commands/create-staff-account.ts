import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.ts';
import { recordAudit } from '../obs/audit.ts';
import { createAccount } from './create-account.ts';
import { issueResetToken } from './password-reset.ts';

/**
 * A platform staff account created by a superuser from the operator console (§2.5): the user
 * without a password, `staff_created` audited, and an invitation token — in one transaction,
 * so a refused name or e-mail leaves nothing behind. The caller sends the invitation e-mail.
 */
export async function createStaffAccount(
  db: Kysely<DB>,
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
  return db.transaction().execute(async (trx) => {
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
}
