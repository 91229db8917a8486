import type { Kysely } from 'kysely';
import type { RateLimitStore } from '../cache/rate-limit-store.ts';
import type { SessionStore } from '../cache/session-store.ts';
import type { Config } from '../config/env.ts';
import {
  findUsableResetToken,
  insertResetToken,
  markResetTokenUsed,
  revokeUserRefreshTokens,
} from '../db/repositories/auth-tokens.repository.ts';
import {
  findActiveUserByEmail,
  findUserById,
  setPasswordHash,
  setTokensValidAfter,
  type UserRecord,
} from '../db/repositories/users.repository.ts';
import type { DB } from '../db/schema.ts';
import { hashPassword, validatePassword } from '../domain/accounts/passwords.ts';
import { generateToken, hashToken, isWellFormedToken } from '../domain/accounts/tokens.ts';
import type { Mailer } from '../notify/mail.ts';
import { recordAudit } from '../obs/audit.ts';

export const RESET_VALID_MINUTES = 60;
export const INVITE_VALID_HOURS = 72;

export type TokenPurpose = 'reset' | 'invite';

/** Issues a single-use token (older ones of the user are voided) and returns the raw token. */
export async function issueResetToken(
  db: Kysely<DB>,
  userId: number,
  purpose: TokenPurpose,
  now: Date,
): Promise<string> {
  const token = generateToken();
  const validMs = purpose === 'reset' ? RESET_VALID_MINUTES * 60_000 : INVITE_VALID_HOURS * 3_600_000;
  await insertResetToken(db, {
    userId,
    tokenHash: hashToken(token),
    purpose,
    now,
    expiresAt: new Date(now.getTime() + validMs),
  });
  return token;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The reset or invitation email (§3.5). */
export function resetEmail(
  config: Config,
  user: Pick<UserRecord, 'username' | 'email'>,
  token: string,
  purpose: TokenPurpose,
) {
  const link = `${config.portalBaseUrl}/portal/password-reset/${token}/`;
  const invite = purpose === 'invite';
  const subject = invite ? 'You have been invited to Payrixa' : 'Reset your Payrixa password';
  const validity = invite
    ? `This link expires in ${INVITE_VALID_HOURS} hours and can be used once.`
    : `This link expires in ${RESET_VALID_MINUTES} minutes and can be used once.`;
  const intro = invite
    ? `An account has been created for you on Payrixa (username: ${user.username}). Choose your password here:`
    : `We received a request to reset the password of your Payrixa account (${user.username}). Choose a new password here:`;
  const text = `Hello,\n\n${intro}\n\n${link}\n\n${validity}\n\nIf you did not expect this email, you can ignore it.\n\nPayrixa`;
  const html = `<p>Hello,</p><p>${escapeHtml(intro)}</p><p><a href="${escapeHtml(link)}">${escapeHtml(link)}</a></p><p>${escapeHtml(validity)}</p><p>If you did not expect this email, you can ignore it.</p><p>Payrixa</p>`;
  return { to: user.email, subject, text, html };
}

export interface ResetDeps {
  db: Kysely<DB>;
  config: Config;
  mailer: Mailer;
  rateLimits: RateLimitStore;
  sessions: SessionStore;
  now: Date;
  logger?: { error(obj: object, msg: string): void };
}

/**
 * Handles a reset request without revealing whether the email exists (§3.5): limits of
 * 5 per email and 20 per IP per hour drop extra requests silently.
 */
export async function requestPasswordReset(
  deps: ResetDeps,
  input: { email: string; ip: string; requestId: string | null },
): Promise<void> {
  const email = input.email.trim().toLowerCase();
  if (!email || email.length > 254) return;
  const hour = { limit: 5, unit: 'hour' as const, periodMs: 3_600_000 };
  const t = deps.now.getTime();
  const byIp = await deps.rateLimits.hit(`pwreset-ip:${input.ip}`, { ...hour, limit: 20 }, t);
  if (!byIp.allowed) return;
  const byEmail = await deps.rateLimits.hit(`pwreset-email:${email}`, hour, t);
  if (!byEmail.allowed) return;
  const user = await findActiveUserByEmail(deps.db, email);
  if (!user) return;
  const token = await issueResetToken(deps.db, user.id, 'reset', deps.now);
  await recordAudit(deps.db, {
    action: 'password_reset_requested',
    userId: user.id,
    entityType: 'user',
    entityId: user.id,
    requestId: input.requestId,
    ip: input.ip,
  });
  try {
    await deps.mailer.send(resetEmail(deps.config, user, token, 'reset'));
  } catch (error) {
    deps.logger?.error({ err: error, user_id: user.id }, 'password reset email failed');
  }
}

/** The user a (usable) token belongs to, or null for invalid/used/expired tokens. */
export async function userForResetToken(
  db: Kysely<DB>,
  token: string,
  now: Date,
): Promise<{ user: UserRecord; tokenId: number; purpose: TokenPurpose } | null> {
  if (!isWellFormedToken(token)) return null;
  const record = await findUsableResetToken(db, hashToken(token), now);
  if (!record) return null;
  const user = await findUserById(db, record.user_id);
  if (!user?.is_active) return null;
  return { user, tokenId: record.id, purpose: record.purpose };
}

/** Ends every session and refresh token of a user and voids older JWTs (§3.1). */
export async function endUserSessions(
  deps: { db: Kysely<DB>; sessions: SessionStore; now: Date },
  userId: number,
  exceptSessionHash?: string,
): Promise<void> {
  await setTokensValidAfter(deps.db, userId, deps.now);
  await revokeUserRefreshTokens(deps.db, userId, deps.now);
  await deps.sessions.destroyUser(userId, exceptSessionHash);
}

export type ResetOutcome =
  | { ok: true; user: UserRecord }
  | { ok: false; invalidToken: true }
  | { ok: false; errors: string[] };

/**
 * Sets a new password from a reset/invite token: policy-checked, token used once, all
 * sessions and refresh tokens revoked, audit `password_reset_completed`.
 */
export async function completePasswordReset(
  deps: ResetDeps,
  input: { token: string; password: string; confirm: string; ip: string; requestId: string | null },
): Promise<ResetOutcome> {
  const found = await userForResetToken(deps.db, input.token, deps.now);
  if (!found) return { ok: false, invalidToken: true };
  const { user } = found;
  if (input.password !== input.confirm)
    return { ok: false, errors: ["The two password fields didn't match."] };
  const problems = validatePassword(input.password, {
    username: user.username,
    email: user.email,
    firstName: user.first_name,
    lastName: user.last_name,
  });
  if (problems.length > 0) return { ok: false, errors: problems };
  const hash = await hashPassword(input.password);
  const used = await deps.db.transaction().execute(async (trx) => {
    if (!(await markResetTokenUsed(trx, found.tokenId, deps.now))) return false;
    await setPasswordHash(trx, user.id, hash);
    await recordAudit(trx, {
      action: 'password_reset_completed',
      userId: user.id,
      entityType: 'user',
      entityId: user.id,
      requestId: input.requestId,
      ip: input.ip,
      metadata: { purpose: found.purpose },
    });
    return true;
  });
  if (!used) return { ok: false, invalidToken: true };
  await endUserSessions(deps, user.id);
  return { ok: true, user };
}
