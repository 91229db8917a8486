import type { Kysely } from 'kysely';
import type { DB } from '../schema.ts';

/** Failure timestamps (epoch ms) of one counter since `since` (§3.4). */
export async function loginFailuresSince(
  db: Kysely<DB>,
  scope: 'username' | 'ip',
  key: string,
  since: Date,
): Promise<number[]> {
  const rows = await db
    .selectFrom('login_failures')
    .select('failed_at')
    .where('scope', '=', scope)
    .where('key', '=', key)
    .where('failed_at', '>', since)
    .execute();
  return rows.map((row) => new Date(row.failed_at).getTime());
}

export async function recordLoginFailure(
  db: Kysely<DB>,
  entries: ReadonlyArray<{ scope: 'username' | 'ip'; key: string }>,
  at: Date,
): Promise<void> {
  if (entries.length === 0) return;
  await db
    .insertInto('login_failures')
    .values(entries.map((entry) => ({ scope: entry.scope, key: entry.key.slice(0, 255), failed_at: at })))
    .execute();
}

/** A successful login resets the username counter (§3.4). */
export async function clearLoginFailures(
  db: Kysely<DB>,
  scope: 'username' | 'ip',
  key: string,
): Promise<void> {
  await db.deleteFrom('login_failures').where('scope', '=', scope).where('key', '=', key).execute();
}

export async function purgeLoginFailures(db: Kysely<DB>, before: Date): Promise<number> {
  const result = await db.deleteFrom('login_failures').where('failed_at', '<', before).executeTakeFirst();
  return Number(result.numDeletedRows);
}
