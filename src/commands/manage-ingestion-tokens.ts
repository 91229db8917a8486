import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { AppError, NotFoundError } from '../config/errors.ts';
import { findCustomerById } from '../db/repositories/customers.repository.ts';
import {
  findIngestionTokenByPrefix,
  type IngestionTokenRecord,
  ingestionTokenPrefixTaken,
  insertIngestionToken,
  revokeIngestionToken,
  touchIngestionToken,
} from '../db/repositories/ingestion-tokens.repository.ts';
import type { DB } from '../db/schema.ts';
import {
  formatIngestionToken,
  hashIngestionToken,
  ingestionTokenMatches,
  ingestionTokenState,
  parseIngestionToken,
} from '../domain/ingestion/tokens.ts';
import { auditedResult, type CustomerActor } from './customer-audit.ts';

/**
 * Ingestion tokens (ingestion spec §6.1; web-api-ops §4.6, §4.7): create (the whole token is
 * returned once and only its SHA-256 stored), revoke (kept, `revoked_at` set) and
 * authenticate the ingestion endpoint. Audit `ingestion_token_created` / `_revoked` (name and
 * prefix, never the token).
 */

export interface TokenDeps {
  db: Kysely<DB>;
  clock: { now(): Date };
}

/** Who creates or revokes a token (its audit event's actor). */
export type TokenActor = CustomerActor;

export const TOKEN_NAME_MAX = 100;
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;
export const TOKEN_SHOWN_ONCE_MESSAGE = 'Copy this token now. It will not be shown again.';

/** Validates a creation request: name 1–100 characters; expiry (date or date-time) in the future. */
export function validateTokenRequest(
  input: { name: unknown; expires_at?: unknown },
  now: Date,
): { ok: true; name: string; expiresAt: Date | null } | { ok: false; errors: Record<string, string[]> } {
  const errors: Record<string, string[]> = {};
  const name = typeof input.name === 'string' ? input.name.trim() : '';
  if (name === '') errors['name'] = ['This field is required.'];
  else if (CONTROL.test(name))
    errors['name'] = ['Control characters (such as NUL or line breaks) are not allowed.'];
  else if ([...name].length > TOKEN_NAME_MAX)
    errors['name'] = [`Ensure this field has no more than ${TOKEN_NAME_MAX} characters.`];
  let expiresAt: Date | null = null;
  const raw = input.expires_at;
  if (raw !== undefined && raw !== null && raw !== '') {
    const text = typeof raw === 'string' ? raw.trim() : '';
    // A date alone means "until the end of that day" (UTC).
    const date = /^\d{4}-\d{2}-\d{2}$/.test(text)
      ? new Date(`${text}T23:59:59.999Z`)
      : /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(text)
        ? new Date(text)
        : null;
    if (!date || Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== dayOf(text, date)) {
      errors['expires_at'] = ['Enter a valid date (YYYY-MM-DD) or ISO 8601 date-time.'];
    } else if (date.getTime() <= now.getTime()) {
      errors['expires_at'] = ['The expiry must be in the future.'];
    } else expiresAt = date;
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, name, expiresAt };
}

/** Calendar check for a date-only input (2026-02-30 would roll over). */
function dayOf(text: string, date: Date): string {
  return /^\d{4}-\d{2}-\d{2}$/.test(text) ? text : date.toISOString().slice(0, 10);
}

/** Creates a token; the result's `token` is the only time the secret exists outside the caller. */
export async function createIngestionToken(
  deps: TokenDeps,
  actor: TokenActor,
  input: { name: unknown; expires_at?: unknown },
): Promise<{ record: IngestionTokenRecord; token: string }> {
  const now = deps.clock.now();
  const valid = validateTokenRequest(input, now);
  if (!valid.ok) throw new AppError('invalid', 'Validation failed.', 400, valid.errors);
  return deps.db.transaction().execute(async (trx) => {
    // 32 bits of prefix: a clash within one customer is rare, but the unique key must hold.
    let made = formatIngestionToken(actor.customerId, randomBytes(4), randomBytes(32));
    while (await ingestionTokenPrefixTaken(trx, actor.customerId, made.prefix)) {
      made = formatIngestionToken(actor.customerId, randomBytes(4), randomBytes(32));
    }
    const record = await insertIngestionToken(trx, actor.customerId, {
      name: valid.name,
      prefix: made.prefix,
      tokenHash: hashIngestionToken(made.token),
      createdBy: actor.userId,
      expiresAt: valid.expiresAt,
    });
    return auditedResult(
      trx,
      actor,
      {
        action: 'ingestion_token_created',
        entityType: 'ingestion_token',
        entityId: record.id,
        metadata: {
          name: record.name,
          prefix: record.prefix,
          expires_at: record.expires_at ? record.expires_at.toISOString() : null,
        },
      },
      { record, token: made.token },
    );
  });
}

/** Revokes a token of the customer. NotFoundError when unknown, foreign or already revoked. */
export async function revokeCustomerIngestionToken(
  deps: TokenDeps,
  actor: TokenActor,
  tokenId: number,
): Promise<IngestionTokenRecord> {
  return deps.db.transaction().execute(async (trx) => {
    const record = await revokeIngestionToken(trx, actor.customerId, tokenId, deps.clock.now());
    if (!record) throw new NotFoundError();
    return auditedResult(
      trx,
      actor,
      {
        action: 'ingestion_token_revoked',
        entityType: 'ingestion_token',
        entityId: record.id,
        metadata: { name: record.name, prefix: record.prefix },
      },
      record,
    );
  });
}

export type TokenAuthentication =
  | { ok: true; token: IngestionTokenRecord }
  | { ok: false; code: 'not_authenticated' | 'token_not_valid' | 'token_expired' };

/** The token a request presents: `Authorization: Bearer …` first, else `X-Ingestion-Token`. */
export function presentedIngestionToken(headers: {
  authorization?: string | undefined;
  'x-ingestion-token'?: string | string[] | undefined;
}): string | null {
  const authorization = headers.authorization;
  if (typeof authorization === 'string' && /^bearer\s+\S/i.test(authorization)) {
    return authorization.replace(/^bearer\s+/i, '').trim();
  }
  const header = headers['x-ingestion-token'];
  if (typeof header === 'string' && header.trim() !== '') return header.trim();
  return null;
}

/**
 * Checks a presented token (§4.7): unknown, revoked, malformed or a JWT → token_not_valid;
 * past expires_at → token_expired; an inactive customer → token_not_valid. On success
 * `last_used_at` is set.
 */
export async function authenticateIngestionToken(
  deps: TokenDeps,
  presented: string | null,
): Promise<TokenAuthentication> {
  if (presented === null) return { ok: false, code: 'not_authenticated' };
  const parsed = parseIngestionToken(presented);
  if (!parsed) return { ok: false, code: 'token_not_valid' };
  const token = await findIngestionTokenByPrefix(deps.db, parsed.customerId, parsed.prefix);
  if (!token || !ingestionTokenMatches(presented, token.token_hash))
    return { ok: false, code: 'token_not_valid' };
  const now = deps.clock.now();
  const state = ingestionTokenState(token, now);
  if (state === 'revoked') return { ok: false, code: 'token_not_valid' };
  if (state === 'expired') return { ok: false, code: 'token_expired' };
  const customer = await findCustomerById(deps.db, token.customer_id);
  if (!customer?.is_active) return { ok: false, code: 'token_not_valid' };
  await touchIngestionToken(deps.db, token.customer_id, token.id, now);
  return { ok: true, token: { ...token, last_used_at: now } };
}
