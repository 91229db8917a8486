import type { Kysely, Selectable } from 'kysely';
import type { DB, IngestionTokensTable } from '../schema.ts';

/**
 * Ingestion tokens (ingestion spec §1.3, §6.1): customer id first; revoked tokens are kept
 * (revoked_at set) for the audit trail. `created_by_username` joins the creator for lists.
 */

export type IngestionTokenRecord = Selectable<IngestionTokensTable>;
export type IngestionTokenListItem = IngestionTokenRecord & { created_by_username: string | null };

export async function insertIngestionToken(
  db: Kysely<DB>,
  customerId: number,
  token: {
    name: string;
    prefix: string;
    tokenHash: string;
    createdBy: number | null;
    expiresAt: Date | null;
  },
): Promise<IngestionTokenRecord> {
  return db
    .insertInto('ingestion_tokens')
    .values({
      customer_id: customerId,
      name: token.name,
      prefix: token.prefix,
      token_hash: token.tokenHash,
      created_by: token.createdBy,
      expires_at: token.expiresAt,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

function withCreator(db: Kysely<DB>) {
  return db
    .selectFrom('ingestion_tokens as t')
    .leftJoin('users as u', 'u.id', 't.created_by')
    .selectAll('t')
    .select('u.username as created_by_username');
}

/** The customer's tokens, newest first (active and revoked). */
export async function listIngestionTokens(
  db: Kysely<DB>,
  customerId: number,
): Promise<IngestionTokenListItem[]> {
  return withCreator(db).where('t.customer_id', '=', customerId).orderBy('t.id', 'desc').execute();
}

export async function findIngestionToken(
  db: Kysely<DB>,
  customerId: number,
  id: number,
): Promise<IngestionTokenListItem | undefined> {
  return withCreator(db).where('t.customer_id', '=', customerId).where('t.id', '=', id).executeTakeFirst();
}

/** The token with this (customer, prefix), for authentication. */
export async function findIngestionTokenByPrefix(
  db: Kysely<DB>,
  customerId: number,
  prefix: string,
): Promise<IngestionTokenRecord | undefined> {
  return db
    .selectFrom('ingestion_tokens')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('prefix', '=', prefix)
    .executeTakeFirst();
}

/** Whether the customer already has a token with this prefix (creation retries another). */
export async function ingestionTokenPrefixTaken(
  db: Kysely<DB>,
  customerId: number,
  prefix: string,
): Promise<boolean> {
  return (await findIngestionTokenByPrefix(db, customerId, prefix)) !== undefined;
}

/** Sets revoked_at once; returns the row, or undefined when missing or already revoked. */
export async function revokeIngestionToken(
  db: Kysely<DB>,
  customerId: number,
  id: number,
  now: Date,
): Promise<IngestionTokenRecord | undefined> {
  return db
    .updateTable('ingestion_tokens')
    .set({ revoked_at: now })
    .where('customer_id', '=', customerId)
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
}

export async function touchIngestionToken(
  db: Kysely<DB>,
  customerId: number,
  id: number,
  now: Date,
): Promise<void> {
  await db
    .updateTable('ingestion_tokens')
    .set({ last_used_at: now })
    .where('customer_id', '=', customerId)
    .where('id', '=', id)
    .execute();
}
