import type { Kysely } from 'kysely';
import type { DB, JsonObject } from '../schema.ts';

export interface SessionRow {
  userId: number | null;
  data: JsonObject;
  createdAt: Date;
  lastActivityAt: Date;
  expiresAt: Date;
}

/** The session stored under `hash` (SHA-256 of the cookie value), expired or not. */
export async function findSession(db: Kysely<DB>, hash: string): Promise<SessionRow | undefined> {
  const row = await db.selectFrom('sessions').selectAll().where('id', '=', hash).executeTakeFirst();
  if (!row) return undefined;
  return {
    userId: row.user_id === null ? null : Number(row.user_id),
    data: row.data,
    createdAt: new Date(row.created_at),
    lastActivityAt: new Date(row.last_activity_at),
    expiresAt: new Date(row.expires_at),
  };
}

export async function upsertSession(db: Kysely<DB>, hash: string, session: SessionRow): Promise<void> {
  const values = {
    user_id: session.userId,
    data: JSON.stringify(session.data),
    created_at: session.createdAt,
    last_activity_at: session.lastActivityAt,
    expires_at: session.expiresAt,
  };
  await db
    .insertInto('sessions')
    .values({ id: hash, ...values })
    .onConflict((oc) => oc.column('id').doUpdateSet(values))
    .execute();
}

export async function deleteSession(db: Kysely<DB>, hash: string): Promise<void> {
  await db.deleteFrom('sessions').where('id', '=', hash).execute();
}

/** Ends every session of a user, optionally keeping one (password change keeps the current). */
export async function deleteUserSessions(db: Kysely<DB>, userId: number, exceptHash?: string): Promise<void> {
  let query = db.deleteFrom('sessions').where('user_id', '=', userId);
  if (exceptHash) query = query.where('id', '<>', exceptHash);
  await query.execute();
}

export async function deleteExpiredSessions(db: Kysely<DB>, now: Date): Promise<number> {
  const result = await db.deleteFrom('sessions').where('expires_at', '<', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}
