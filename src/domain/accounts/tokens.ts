/**
 * Secrets that travel to clients and what the server keeps of them (web-api-ops §3.1,
 * §3.2, §3.5, §4.3): opaque random tokens and their SHA-256 storage hashes, session ids,
 * CSRF tokens derived from a per-session secret, and HS256 JWTs.
 *
 * Everything is deterministic given its inputs (keys, clock, randomness is only drawn
 * for new secrets), so the HTTP layer owns storage and this module owns the crypto.
 */
import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';

/** Bytes of entropy in reset/invitation tokens, session ids and CSRF secrets. */
export const TOKEN_BYTES = 32;

const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** 32 random bytes as base64url (43 chars): password-reset and invitation tokens (§3.5). */
export function generateToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

/** True when the string has the exact shape of {@link generateToken} output (cheap pre-check). */
export function isWellFormedToken(value: unknown): value is string {
  return typeof value === 'string' && TOKEN_SHAPE.test(value);
}

/** SHA-256 of a token as lowercase hex: what the database stores instead of the token. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * Constant-time string equality. Both sides are hashed first so neither the length
 * nor the position of the first difference leaks through timing.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a, 'utf8').digest();
  const hb = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(ha, hb);
}

/** True when `token` hashes to `storedHash` (constant-time). */
export function verifyTokenHash(token: string, storedHash: string): boolean {
  return constantTimeEqual(hashToken(token), storedHash);
}

/** A fresh session id and its storage hash: the cookie carries `id`, the store keeps `hash` (§3.1). */
export function generateSessionId(): { id: string; hash: string } {
  const id = randomBytes(TOKEN_BYTES).toString('base64url');
  return { id, hash: hashSessionId(id) };
}

/** SHA-256 (hex) of a session id as presented in the cookie. */
export function hashSessionId(id: string): string {
  return hashToken(id);
}

// ---------------------------------------------------------------------------------------
// CSRF (§3.2)

/** A fresh per-session CSRF secret (regenerated whenever the session id rotates). */
export function generateCsrfSecret(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

const CSRF_NONCE_BYTES = 16;
const CSRF_MAC_BYTES = 32;
const CSRF_TOKEN_LENGTH = Math.ceil(((CSRF_NONCE_BYTES + CSRF_MAC_BYTES) * 4) / 3);
const CSRF_CONTEXT = 'payrixa.csrf.v1';

function csrfMac(key: string, secret: string, nonce: Buffer): Buffer {
  // Length-prefix the secret so (secret, nonce) pairs cannot be re-split into a collision.
  return createHmac('sha256', key)
    .update(CSRF_CONTEXT)
    .update(String(secret.length))
    .update(':')
    .update(secret)
    .update(nonce)
    .digest();
}

/**
 * Derives a CSRF token from the session's secret: base64url(nonce ‖ HMAC(key, secret, nonce)).
 * A fresh random nonce per call makes every rendered token different (no fixed string
 * for compression side channels such as BREACH) while all stay valid for the session.
 * `key` is the application SECRET_KEY, so knowing a session secret alone forges nothing.
 */
export function createCsrfToken(sessionSecret: string, key: string, nonce?: Uint8Array): string {
  const n = nonce ? Buffer.from(nonce) : randomBytes(CSRF_NONCE_BYTES);
  if (n.length !== CSRF_NONCE_BYTES) throw new RangeError(`CSRF nonce must be ${CSRF_NONCE_BYTES} bytes`);
  return Buffer.concat([n, csrfMac(key, sessionSecret, n)]).toString('base64url');
}

/**
 * Checks a submitted CSRF token against the session's secret in constant time. `keys`
 * is the current SECRET_KEY followed by SECRET_KEY_FALLBACKS (rotation). A token minted
 * for another session, a malformed token or a missing one is false.
 */
export function verifyCsrfToken(
  token: string | null | undefined,
  sessionSecret: string | null | undefined,
  keys: readonly string[],
): boolean {
  if (typeof token !== 'string' || !sessionSecret || token.length !== CSRF_TOKEN_LENGTH) return false;
  if (!/^[A-Za-z0-9_-]+$/.test(token)) return false;
  const raw = Buffer.from(token, 'base64url');
  if (raw.length !== CSRF_NONCE_BYTES + CSRF_MAC_BYTES) return false;
  const nonce = raw.subarray(0, CSRF_NONCE_BYTES);
  const mac = raw.subarray(CSRF_NONCE_BYTES);
  let ok = false;
  // Check every key (no early exit) so timing does not reveal which key matched.
  for (const key of keys) {
    if (timingSafeEqual(mac, csrfMac(key, sessionSecret, nonce))) ok = true;
  }
  return ok;
}

// ---------------------------------------------------------------------------------------
// JWT (§4.3)

/** JWT `token_type` claim values. */
export type JwtTokenType = 'access' | 'refresh';

/** Claims carried by Payrixa JWTs. `fam` is present on refresh tokens only. */
export interface JwtClaims {
  token_type: JwtTokenType;
  user_id: number;
  jti: string;
  /** Issued-at, whole seconds since the epoch. */
  iat: number;
  /** Expiry, whole seconds since the epoch. */
  exp: number;
  fam?: string;
}

/**
 * Derives the default HS256 key from SECRET_KEY when JWT_SIGNING_KEY is unset, so a
 * leaked JWT key is not the session/CSRF key itself (domain-separated HMAC).
 */
export function deriveJwtSigningKey(secretKey: string): Uint8Array {
  return new Uint8Array(createHmac('sha256', secretKey).update('payrixa.jwt.v1').digest());
}

/** Encodes an explicitly configured JWT_SIGNING_KEY string as key bytes. */
export function jwtKeyFromString(key: string): Uint8Array {
  return new TextEncoder().encode(key);
}

/** A new refresh-token family id (one per login; rotation keeps it, reuse revokes it). */
export function newTokenFamily(): string {
  return randomUUID();
}

/** Input of {@link signJwt}. */
export interface SignJwtInput {
  tokenType: JwtTokenType;
  userId: number;
  key: Uint8Array;
  /** Lifetime in seconds (JWT_ACCESS_MINUTES / JWT_REFRESH_MINUTES × 60). */
  lifetimeSeconds: number;
  /** Clock; defaults to the current time. */
  now?: Date;
  /** Token id; random UUID by default. */
  jti?: string;
  /** Family id; required for refresh tokens, rejected for access tokens. */
  family?: string;
}

/** Result of signing: the compact token and the claims it carries (to record refresh tokens). */
export interface SignedJwt {
  token: string;
  claims: JwtClaims;
}

/** Signs an HS256 access or refresh token with the §4.3 claims. */
export async function signJwt(input: SignJwtInput): Promise<SignedJwt> {
  const { tokenType, userId, key, lifetimeSeconds } = input;
  if (!Number.isSafeInteger(userId) || userId <= 0) throw new RangeError('userId must be a positive integer');
  if (!(lifetimeSeconds > 0)) throw new RangeError('lifetimeSeconds must be positive');
  if (tokenType === 'refresh' && !input.family) throw new TypeError('refresh tokens need a family id');
  if (tokenType === 'access' && input.family) throw new TypeError('access tokens carry no family id');
  const iat = Math.floor((input.now ?? new Date()).getTime() / 1000);
  const claims: JwtClaims = {
    token_type: tokenType,
    user_id: userId,
    jti: input.jti ?? randomUUID(),
    iat,
    exp: iat + Math.floor(lifetimeSeconds),
    ...(tokenType === 'refresh' ? { fam: input.family! } : {}),
  };
  const token = await new SignJWT({ ...claims }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(key);
  return { token, claims };
}

/** Convenience wrapper: access token. */
export function signAccessToken(
  userId: number,
  key: Uint8Array,
  lifetimeSeconds: number,
  now?: Date,
): Promise<SignedJwt> {
  return signJwt({ tokenType: 'access', userId, key, lifetimeSeconds, ...(now ? { now } : {}) });
}

/** Convenience wrapper: refresh token of `family`. */
export function signRefreshToken(
  userId: number,
  family: string,
  key: Uint8Array,
  lifetimeSeconds: number,
  now?: Date,
): Promise<SignedJwt> {
  return signJwt({ tokenType: 'refresh', userId, family, key, lifetimeSeconds, ...(now ? { now } : {}) });
}

/** Why a JWT was refused. The API answers all of them with 401 `token_not_valid`. */
export type JwtFailure = 'malformed' | 'bad_signature' | 'expired' | 'wrong_type' | 'invalid_claims';

/** Result of {@link verifyJwt}. */
export type JwtVerifyResult = { ok: true; claims: JwtClaims } | { ok: false; reason: JwtFailure };

/** Options of {@link verifyJwt}. */
export interface VerifyJwtOptions {
  /** Current key first, then any fallbacks still accepted during rotation. */
  keys: readonly Uint8Array[];
  /** The expected `token_type`; a refresh token used as access (or vice versa) fails. */
  expectedType: JwtTokenType;
  /** Clock; defaults to the current time. */
  now?: Date;
}

/**
 * Verifies signature (HS256 only), expiry (no clock tolerance: a 31-minute-old access
 * token with a 30-minute lifetime fails) and the shape of every claim. Revocation
 * (refresh-token records, `tokens_valid_after`, inactive users) is the caller's job.
 */
export async function verifyJwt(token: string, options: VerifyJwtOptions): Promise<JwtVerifyResult> {
  if (typeof token !== 'string' || token.split('.').length !== 3) return { ok: false, reason: 'malformed' };
  let lastFailure: JwtFailure = 'bad_signature';
  for (const key of options.keys) {
    try {
      const { payload } = await jwtVerify(token, key, {
        algorithms: ['HS256'],
        currentDate: options.now ?? new Date(),
        requiredClaims: ['exp', 'iat', 'jti'],
      });
      const claims = toClaims(payload);
      if (!claims) return { ok: false, reason: 'invalid_claims' };
      if (claims.token_type !== options.expectedType) return { ok: false, reason: 'wrong_type' };
      return { ok: true, claims };
    } catch (err) {
      // Only a bad signature is worth retrying with the next key; anything else is final.
      if (err instanceof joseErrors.JWSSignatureVerificationFailed) continue;
      if (err instanceof joseErrors.JWTExpired) return { ok: false, reason: 'expired' };
      if (err instanceof joseErrors.JWTClaimValidationFailed) return { ok: false, reason: 'invalid_claims' };
      lastFailure = 'malformed';
      break;
    }
  }
  return { ok: false, reason: lastFailure };
}

function toClaims(p: Record<string, unknown>): JwtClaims | null {
  const { token_type, user_id, jti, iat, exp, fam } = p;
  if (token_type !== 'access' && token_type !== 'refresh') return null;
  if (typeof user_id !== 'number' || !Number.isSafeInteger(user_id) || user_id <= 0) return null;
  if (typeof jti !== 'string' || jti.length === 0) return null;
  if (typeof iat !== 'number' || typeof exp !== 'number') return null;
  if (token_type === 'refresh') {
    if (typeof fam !== 'string' || fam.length === 0) return null;
    return { token_type, user_id, jti, iat, exp, fam };
  }
  if (fam !== undefined) return null;
  return { token_type, user_id, jti, iat, exp };
}

/**
 * True when a token or session issued at `issuedAtSeconds` predates the user's
 * `tokens_valid_after` and is therefore void (§2.1, §4.3). JWT `iat` has whole-second
 * precision, so the cut-off is compared at second precision too: otherwise a login in
 * the same second right after a password reset would be rejected. The cost is that a
 * token issued in that same second just before the reset survives — an accepted ≤ 1 s gap.
 */
export function isIssuedBeforeCutoff(
  issuedAtSeconds: number,
  tokensValidAfter: Date | null | undefined,
): boolean {
  if (!tokensValidAfter) return false;
  return issuedAtSeconds < Math.floor(tokensValidAfter.getTime() / 1000);
}
