import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Ingestion tokens (ingestion spec §6.1, web-api-ops §4.6): `pxi_<customer_id>_<prefix>_<secret>`
 * with an 8-character lower-case hex prefix and a 43-character base64url secret (32 random
 * bytes). Only the SHA-256 of the whole token is stored; the secret is shown once.
 *
 * Pure apart from hashing: the random bytes are passed in by the caller.
 */

const TOKEN_PATTERN = /^pxi_([1-9]\d{0,14})_([0-9a-f]{8})_([A-Za-z0-9_-]{43})$/;

export interface ParsedIngestionToken {
  customerId: number;
  prefix: string;
}

/** Builds a token from 4 prefix bytes and 32 secret bytes. */
export function formatIngestionToken(
  customerId: number,
  prefixBytes: Uint8Array,
  secretBytes: Uint8Array,
): {
  token: string;
  prefix: string;
} {
  if (prefixBytes.length !== 4 || secretBytes.length !== 32)
    throw new Error('token needs 4 + 32 random bytes');
  const prefix = Buffer.from(prefixBytes).toString('hex');
  const secret = Buffer.from(secretBytes).toString('base64url');
  return { token: `pxi_${customerId}_${prefix}_${secret}`, prefix };
}

/** The customer and prefix of a well-formed token, else null (never throws). */
export function parseIngestionToken(value: string): ParsedIngestionToken | null {
  const match = TOKEN_PATTERN.exec(value);
  if (!match) return null;
  const customerId = Number(match[1]);
  if (!Number.isSafeInteger(customerId)) return null;
  return { customerId, prefix: match[2] as string };
}

/** SHA-256 (lower-case hex) of the whole token: what the table stores. */
export function hashIngestionToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Compares a presented token with a stored hash in constant time. */
export function ingestionTokenMatches(token: string, storedHash: string): boolean {
  const presented = Buffer.from(hashIngestionToken(token), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return stored.length === presented.length && timingSafeEqual(presented, stored);
}

export type TokenState = 'active' | 'revoked' | 'expired';

/** Status of a token at `now` (revocation wins over expiry). */
export function ingestionTokenState(
  token: { revoked_at: Date | null; expires_at: Date | null },
  now: Date,
): TokenState {
  if (token.revoked_at) return 'revoked';
  if (token.expires_at && token.expires_at.getTime() <= now.getTime()) return 'expired';
  return 'active';
}
