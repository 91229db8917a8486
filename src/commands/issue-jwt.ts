import type { Kysely } from 'kysely';
import type { Config } from '../config/env.ts';
import {
  findRefreshToken,
  insertRefreshToken,
  markRefreshTokenUsed,
  revokeRefreshFamily,
} from '../db/repositories/auth-tokens.repository.ts';
import type { DB } from '../db/schema.ts';
import {
  isIssuedBeforeCutoff,
  jwtKeyFromString,
  newTokenFamily,
  signAccessToken,
  signRefreshToken,
  verifyJwt,
} from '../domain/accounts/tokens.ts';
import { loadAuthState } from '../http/auth-state.ts';
import { recordAudit } from '../obs/audit.ts';

export interface JwtDeps {
  db: Kysely<DB>;
  config: Config;
  now: Date;
}

export interface TokenPair {
  refresh: string;
  access: string;
}

/** The signing keys: JWT_SIGNING_KEY (default derived from SECRET_KEY). */
export function jwtKeys(config: Config): Uint8Array[] {
  return [jwtKeyFromString(config.jwtSigningKey)];
}

/** Issues an access token and a refresh token of `family` (a new family at login), recording the refresh. */
export async function issueTokenPair(
  deps: JwtDeps,
  userId: number,
  family = newTokenFamily(),
): Promise<TokenPair> {
  const [key] = jwtKeys(deps.config) as [Uint8Array];
  const refresh = await signRefreshToken(userId, family, key, deps.config.jwt.refreshMinutes * 60, deps.now);
  const access = await signAccessToken(userId, key, deps.config.jwt.accessMinutes * 60, deps.now);
  await insertRefreshToken(deps.db, {
    jti: refresh.claims.jti,
    family,
    userId,
    createdAt: deps.now,
    expiresAt: new Date(refresh.claims.exp * 1000),
  });
  return { refresh: refresh.token, access: access.token };
}

/** True when the user may still hold tokens issued at `iat` (active, customer active, not revoked). */
async function userAccepts(deps: JwtDeps, userId: number, iat: number): Promise<boolean> {
  const loaded = await loadAuthState(deps.db, userId, 'jwt', null);
  return loaded.ok && !isIssuedBeforeCutoff(iat, loaded.state.user?.tokens_valid_after);
}

/**
 * Rotation with reuse detection (§4.3): a valid unused refresh token is marked used and
 * replaced by a new pair of the same family; presenting a used one revokes the whole
 * family and records `jwt_refresh_reuse_detected`.
 */
export async function refreshTokenPair(
  deps: JwtDeps,
  token: string,
  context: { ip: string; requestId: string | null },
): Promise<TokenPair | null> {
  const verified = await verifyJwt(token, {
    keys: jwtKeys(deps.config),
    expectedType: 'refresh',
    now: deps.now,
  });
  if (!verified.ok) return null;
  const claims = verified.claims;
  const record = await findRefreshToken(deps.db, claims.jti);
  if (!record || record.revoked_at || new Date(record.expires_at) <= deps.now) return null;
  const reuse = async () => {
    await revokeRefreshFamily(deps.db, record.family, deps.now);
    await recordAudit(deps.db, {
      action: 'jwt_refresh_reuse_detected',
      userId: record.user_id,
      entityType: 'refresh_token_family',
      entityId: record.family,
      requestId: context.requestId,
      ip: context.ip,
      metadata: { user_id: record.user_id, family: record.family, ip: context.ip },
    });
    return null;
  };
  if (record.used_at) return reuse();
  if (!(await userAccepts(deps, record.user_id, claims.iat))) return null;
  if (!(await markRefreshTokenUsed(deps.db, claims.jti, deps.now))) return reuse();
  return issueTokenPair(deps, record.user_id, record.family);
}

/** `verify/`: any valid, unexpired access or refresh token of a user who still accepts it. */
export async function verifyAnyToken(deps: JwtDeps, token: string): Promise<boolean> {
  for (const expectedType of ['access', 'refresh'] as const) {
    const verified = await verifyJwt(token, { keys: jwtKeys(deps.config), expectedType, now: deps.now });
    if (!verified.ok) {
      if (verified.reason === 'wrong_type') continue;
      return false;
    }
    if (expectedType === 'refresh') {
      const record = await findRefreshToken(deps.db, verified.claims.jti);
      if (!record || record.revoked_at) return false;
    }
    return userAccepts(deps, verified.claims.user_id, verified.claims.iat);
  }
  return false;
}

/** `revoke/`: revokes the family of a valid refresh token. */
export async function revokeRefreshToken(deps: JwtDeps, token: string): Promise<boolean> {
  const verified = await verifyJwt(token, {
    keys: jwtKeys(deps.config),
    expectedType: 'refresh',
    now: deps.now,
  });
  if (!verified.ok) return false;
  const record = await findRefreshToken(deps.db, verified.claims.jti);
  if (!record || record.revoked_at) return false;
  await revokeRefreshFamily(deps.db, record.family, deps.now);
  return true;
}
