import type { Kysely, Selectable } from 'kysely';
import type { DB, PasswordResetTokensTable, RefreshTokensTable } from '../schema.ts';

export type ResetTokenRecord = Selectable<PasswordResetTokensTable>;
export type RefreshTokenRecord = Selectable<RefreshTokensTable>;

/** Stores a new reset/invite token hash and voids the user's older unused ones (§3.5). */
export async function insertResetToken(
  db: Kysely<DB>,
  input: { userId: number; tokenHash: string; purpose: 'reset' | 'invite'; now: Date; expiresAt: Date },
): Promise<void> {
  await db
    .updateTable('password_reset_tokens')
    .set({ used_at: input.now })
    .where('user_id', '=', input.userId)
    .where('used_at', 'is', null)
    .execute();
  await db
    .insertInto('password_reset_tokens')
    .values({
      user_id: input.userId,
      token_hash: input.tokenHash,
      purpose: input.purpose,
      created_at: input.now,
      expires_at: input.expiresAt,
    })
    .execute();
}

/** The unused, unexpired token with this hash, or undefined. */
export async function findUsableResetToken(
  db: Kysely<DB>,
  tokenHash: string,
  now: Date,
): Promise<ResetTokenRecord | undefined> {
  return db
    .selectFrom('password_reset_tokens')
    .selectAll()
    .where('token_hash', '=', tokenHash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
}

/** Marks a token used; false when it was already used (lost a race). */
export async function markResetTokenUsed(db: Kysely<DB>, id: number, now: Date): Promise<boolean> {
  const result = await db
    .updateTable('password_reset_tokens')
    .set({ used_at: now })
    .where('id', '=', id)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function insertRefreshToken(
  db: Kysely<DB>,
  input: { jti: string; family: string; userId: number; createdAt: Date; expiresAt: Date },
): Promise<void> {
  await db
    .insertInto('refresh_tokens')
    .values({
      jti: input.jti,
      family: input.family,
      user_id: input.userId,
      created_at: input.createdAt,
      expires_at: input.expiresAt,
    })
    .execute();
}

export async function findRefreshToken(db: Kysely<DB>, jti: string): Promise<RefreshTokenRecord | undefined> {
  return db.selectFrom('refresh_tokens').selectAll().where('jti', '=', jti).executeTakeFirst();
}

/** Marks a refresh token used (rotation); false when it already was (reuse). */
export async function markRefreshTokenUsed(db: Kysely<DB>, jti: string, now: Date): Promise<boolean> {
  const result = await db
    .updateTable('refresh_tokens')
    .set({ used_at: now })
    .where('jti', '=', jti)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function revokeRefreshFamily(db: Kysely<DB>, family: string, now: Date): Promise<void> {
  await db
    .updateTable('refresh_tokens')
    .set({ revoked_at: now })
    .where('family', '=', family)
    .where('revoked_at', 'is', null)
    .execute();
}

export async function revokeUserRefreshTokens(db: Kysely<DB>, userId: number, now: Date): Promise<void> {
  await db
    .updateTable('refresh_tokens')
    .set({ revoked_at: now })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .execute();
}

/** Housekeeping: expired reset and refresh tokens. */
export async function deleteExpiredAuthTokens(db: Kysely<DB>, now: Date): Promise<number> {
  const a = await db.deleteFrom('password_reset_tokens').where('expires_at', '<', now).executeTakeFirst();
  const b = await db.deleteFrom('refresh_tokens').where('expires_at', '<', now).executeTakeFirst();
  return Number(a.numDeletedRows) + Number(b.numDeletedRows);
}
