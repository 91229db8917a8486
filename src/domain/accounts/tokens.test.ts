import { createHash } from 'node:crypto';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  constantTimeEqual,
  createCsrfToken,
  deriveJwtSigningKey,
  generateCsrfSecret,
  generateSessionId,
  generateToken,
  hashSessionId,
  hashToken,
  isIssuedBeforeCutoff,
  isWellFormedToken,
  newTokenFamily,
  signAccessToken,
  signJwt,
  signRefreshToken,
  verifyCsrfToken,
  verifyJwt,
  verifyTokenHash,
} from './tokens.ts';

describe('opaque tokens and session ids', () => {
  it('32 random bytes as base64url, stored as SHA-256 hex', () => {
    const t = generateToken();
    expect(t).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(t, 'base64url')).toHaveLength(32);
    expect(isWellFormedToken(t)).toBe(true);
    expect(isWellFormedToken(`${t}=`)).toBe(false);
    expect(hashToken(t)).toBe(createHash('sha256').update(t).digest('hex'));
    expect(verifyTokenHash(t, hashToken(t))).toBe(true);
    expect(verifyTokenHash(generateToken(), hashToken(t))).toBe(false);
    expect(generateToken()).not.toBe(t);
  });

  it('session id is 256-bit base64url with its SHA-256', () => {
    const s = generateSessionId();
    expect(Buffer.from(s.id, 'base64url')).toHaveLength(32);
    expect(s.hash).toBe(hashSessionId(s.id));
    expect(s.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('constantTimeEqual handles different lengths', () => {
    expect(constantTimeEqual('abc', 'abc')).toBe(true);
    expect(constantTimeEqual('abc', 'abcd')).toBe(false);
    expect(constantTimeEqual('', '')).toBe(true);
  });
});

describe('CSRF tokens (§3.2)', () => {
  const KEY = 'secret-key-for-tests';

  it('verifies for its own session, fails for another session', () => {
    const s1 = generateCsrfSecret();
    const s2 = generateCsrfSecret();
    const t1 = createCsrfToken(s1, KEY);
    expect(t1).toMatch(/^[A-Za-z0-9_-]{64}$/);
    expect(verifyCsrfToken(t1, s1, [KEY])).toBe(true);
    expect(verifyCsrfToken(t1, s2, [KEY])).toBe(false);
    expect(verifyCsrfToken(createCsrfToken(s2, KEY), s1, [KEY])).toBe(false);
  });

  it('every rendered token differs but all are valid', () => {
    const s = generateCsrfSecret();
    const a = createCsrfToken(s, KEY);
    const b = createCsrfToken(s, KEY);
    expect(a).not.toBe(b);
    expect(verifyCsrfToken(a, s, [KEY]) && verifyCsrfToken(b, s, [KEY])).toBe(true);
  });

  it('deterministic with an injected nonce', () => {
    const nonce = new Uint8Array(16).fill(1);
    expect(createCsrfToken('s', KEY, nonce)).toBe(createCsrfToken('s', KEY, nonce));
    expect(() => createCsrfToken('s', KEY, new Uint8Array(3))).toThrow(RangeError);
  });

  it('depends on the server key; fallback keys are accepted during rotation', () => {
    const s = generateCsrfSecret();
    const old = createCsrfToken(s, 'old-key');
    expect(verifyCsrfToken(old, s, [KEY])).toBe(false);
    expect(verifyCsrfToken(old, s, [KEY, 'old-key'])).toBe(true);
    expect(verifyCsrfToken(old, s, [])).toBe(false);
  });

  it('rejects missing, malformed and tampered tokens', () => {
    const s = generateCsrfSecret();
    const t = createCsrfToken(s, KEY);
    expect(verifyCsrfToken(undefined, s, [KEY])).toBe(false);
    expect(verifyCsrfToken('', s, [KEY])).toBe(false);
    expect(verifyCsrfToken(t, null, [KEY])).toBe(false);
    expect(verifyCsrfToken(t, '', [KEY])).toBe(false);
    expect(verifyCsrfToken(`${t.slice(0, 63)}${t[63] === 'A' ? 'B' : 'A'}`, s, [KEY])).toBe(false);
    expect(verifyCsrfToken(t.slice(1), s, [KEY])).toBe(false);
    expect(verifyCsrfToken(`${t.slice(0, 63)}+`, s, [KEY])).toBe(false);
  });
});

describe('JWT (§4.3)', () => {
  const key = deriveJwtSigningKey('x'.repeat(50));
  const t0 = new Date('2026-01-24T08:00:00.000Z');
  const at = (minutes: number) => new Date(t0.getTime() + minutes * 60_000);

  it('access token: claims, expiry with injected clock (30 min lifetime, 31 min old fails)', async () => {
    const { token, claims } = await signAccessToken(7, key, 30 * 60, t0);
    expect(claims).toMatchObject({
      token_type: 'access',
      user_id: 7,
      iat: t0.getTime() / 1000,
      exp: t0.getTime() / 1000 + 1800,
    });
    expect(claims.fam).toBeUndefined();
    const ok = await verifyJwt(token, { keys: [key], expectedType: 'access', now: at(29) });
    expect(ok).toEqual({ ok: true, claims });
    expect(await verifyJwt(token, { keys: [key], expectedType: 'access', now: at(30) })).toEqual({
      ok: false,
      reason: 'expired',
    });
    expect(await verifyJwt(token, { keys: [key], expectedType: 'access', now: at(31) })).toEqual({
      ok: false,
      reason: 'expired',
    });
  });

  it('refresh token carries fam; types are not interchangeable', async () => {
    const fam = newTokenFamily();
    const refresh = await signRefreshToken(7, fam, key, 1440 * 60, t0);
    expect(refresh.claims.fam).toBe(fam);
    expect(
      await verifyJwt(refresh.token, { keys: [key], expectedType: 'refresh', now: at(60) }),
    ).toMatchObject({
      ok: true,
      claims: { token_type: 'refresh', fam },
    });
    expect(await verifyJwt(refresh.token, { keys: [key], expectedType: 'access', now: at(1) })).toEqual({
      ok: false,
      reason: 'wrong_type',
    });
    const access = await signAccessToken(7, key, 1800, t0);
    expect(await verifyJwt(access.token, { keys: [key], expectedType: 'refresh', now: at(1) })).toEqual({
      ok: false,
      reason: 'wrong_type',
    });
  });

  it('unique jti per token', async () => {
    const a = await signAccessToken(1, key, 60, t0);
    const b = await signAccessToken(1, key, 60, t0);
    expect(a.claims.jti).not.toBe(b.claims.jti);
  });

  it('rejects wrong key, garbage, alg none and claim-less tokens', async () => {
    const { token } = await signAccessToken(7, key, 1800, t0);
    const other = deriveJwtSigningKey('y'.repeat(50));
    const opts = { keys: [other], expectedType: 'access' as const, now: at(1) };
    expect(await verifyJwt(token, opts)).toEqual({ ok: false, reason: 'bad_signature' });
    // Rotation: the old key as a fallback still verifies.
    expect((await verifyJwt(token, { ...opts, keys: [other, key] })).ok).toBe(true);
    expect(await verifyJwt('invalid-token', opts)).toEqual({ ok: false, reason: 'malformed' });
    expect((await verifyJwt('a.b.c', opts)).ok).toBe(false);

    const [, payload] = token.split('.');
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${payload}.`;
    expect((await verifyJwt(none, { ...opts, keys: [key] })).ok).toBe(false);

    const noJti = await new SignJWT({ token_type: 'access', user_id: 7 })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt(t0.getTime() / 1000)
      .setExpirationTime(t0.getTime() / 1000 + 3600)
      .sign(key);
    expect((await verifyJwt(noJti, { ...opts, keys: [key] })).ok).toBe(false);

    const badUser = await new SignJWT({ token_type: 'access', user_id: '7' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt(t0.getTime() / 1000)
      .setExpirationTime(t0.getTime() / 1000 + 3600)
      .setJti('j')
      .sign(key);
    expect(await verifyJwt(badUser, { ...opts, keys: [key] })).toEqual({
      ok: false,
      reason: 'invalid_claims',
    });
  });

  it('refuses inconsistent sign inputs', async () => {
    await expect(signJwt({ tokenType: 'refresh', userId: 1, key, lifetimeSeconds: 60 })).rejects.toThrow();
    await expect(
      signJwt({ tokenType: 'access', userId: 1, key, lifetimeSeconds: 60, family: 'f' }),
    ).rejects.toThrow();
    await expect(signJwt({ tokenType: 'access', userId: 0, key, lifetimeSeconds: 60 })).rejects.toThrow();
  });

  it('tokens_valid_after cut-off at second precision', () => {
    const cutoff = new Date('2026-01-24T08:00:00.500Z');
    const sec = Date.parse('2026-01-24T08:00:00.000Z') / 1000;
    expect(isIssuedBeforeCutoff(sec - 1, cutoff)).toBe(true);
    expect(isIssuedBeforeCutoff(sec, cutoff)).toBe(false);
    expect(isIssuedBeforeCutoff(sec - 1000, null)).toBe(false);
  });
});
