import { describe, expect, it } from 'vitest';
import {
  apiLockoutDetail,
  evaluateLockout,
  evaluateLoginThrottle,
  evaluateRateLimit,
  formatRate,
  lockoutPurgeBefore,
  loginLockoutPolicies,
  parseRate,
  portalLockoutMessage,
  type Rate,
  throttledDetail,
} from './throttle.ts';

const MIN = 60_000;
const T = Date.parse('2026-01-24T08:00:00.000Z');
const { username: USER, ip: IP } = loginLockoutPolicies();

describe('login lockout (§3.4)', () => {
  it('4 failures: not locked; the 5th locks for 15 minutes from that failure', () => {
    const four = [0, 1, 2, 3].map((i) => T + i * MIN);
    expect(evaluateLockout(four, T + 4 * MIN, USER)).toMatchObject({
      locked: false,
      retryAfterSeconds: 0,
      failuresInWindow: 4,
    });
    const five = [...four, T + 4 * MIN];
    // Example 7: the 6th attempt right after is refused, Retry-After ≤ 900.
    const s = evaluateLockout(five, T + 4 * MIN + 1000, USER);
    expect(s.locked).toBe(true);
    expect(s.retryAfterSeconds).toBe(899);
    expect(s.lockedUntil).toBe(T + 19 * MIN);
  });

  it('lock edges: locked 1 ms before the end, free exactly at the end', () => {
    const five = [0, 1, 2, 3, 4].map((i) => T + i * MIN);
    expect(evaluateLockout(five, T + 19 * MIN - 1, USER)).toMatchObject({
      locked: true,
      retryAfterSeconds: 1,
    });
    expect(evaluateLockout(five, T + 19 * MIN, USER)).toMatchObject({ locked: false, lockedUntil: null });
  });

  it('window edge: 5 failures spanning exactly 15 minutes do not lock; just under does', () => {
    const spread = [0, 5, 10, 12, 15].map((m) => T + m * MIN);
    expect(evaluateLockout(spread, T + 15 * MIN, USER).locked).toBe(false);
    const tight = [...spread.slice(0, 4), T + 15 * MIN - 1];
    expect(evaluateLockout(tight, T + 15 * MIN, USER).locked).toBe(true);
  });

  it('old failures outside the window do not count', () => {
    const stale = [T - 40 * MIN, T - 35 * MIN, T - 31 * MIN, T - 1 * MIN, T];
    expect(evaluateLockout(stale, T + 1000, USER)).toMatchObject({ locked: false, failuresInWindow: 2 });
  });

  it('failures stamped in the future are ignored; input order does not matter', () => {
    const shuffled = [4, 0, 3, 1, 2].map((i) => T + i * MIN);
    expect(evaluateLockout(shuffled, T + 5 * MIN, USER).locked).toBe(true);
    expect(evaluateLockout(shuffled, T + 2 * MIN, USER).locked).toBe(false);
  });

  it('IP counter needs 20; the longer lock wins and reports its scope', () => {
    const ipFails = Array.from({ length: 20 }, (_, i) => T + i * 10_000);
    const now = T + 200_000;
    expect(evaluateLockout(ipFails.slice(0, 19), now, IP).locked).toBe(false);
    expect(evaluateLoginThrottle({ usernameFailures: [], ipFailures: ipFails, now })).toMatchObject({
      locked: true,
      scope: 'ip',
    });
    expect(evaluateLoginThrottle({ usernameFailures: [], ipFailures: [], now })).toEqual({
      locked: false,
      retryAfterSeconds: 0,
      scope: null,
    });
    const userFails = [0, 1, 2, 3, 4].map((i) => now - 1000 + i);
    expect(evaluateLoginThrottle({ usernameFailures: userFails, ipFailures: ipFails, now }).scope).toBe(
      'username',
    );
  });

  it('settings are honoured', () => {
    const s = { maxFailures: 3, ipMaxFailures: 10, lockoutMinutes: 5 };
    const three = [T, T + 1, T + 2];
    expect(
      evaluateLoginThrottle({ usernameFailures: three, ipFailures: [], now: T + 3, settings: s }),
    ).toMatchObject({
      locked: true,
      retryAfterSeconds: 300,
    });
    expect(lockoutPurgeBefore(T, loginLockoutPolicies(s).username)).toBe(T - 20 * MIN);
  });

  it('messages round minutes up', () => {
    expect(portalLockoutMessage(899)).toBe('Too many failed login attempts. Please try again in 15 minutes.');
    expect(portalLockoutMessage(1)).toBe('Too many failed login attempts. Please try again in 1 minutes.');
    expect(apiLockoutDetail(61)).toBe('Too many failed login attempts. Try again in 2 minutes.');
  });
});

describe('rate strings (§3.8)', () => {
  it.each([
    ['300/minute', 300, 60_000],
    ['100/hour', 100, 3_600_000],
    ['1000/hour', 1000, 3_600_000],
    ['20/hour', 20, 3_600_000],
    ['5/second', 5, 1000],
    ['2/day', 2, 86_400_000],
    [' 10/Minute ', 10, 60_000],
  ])('%s', (text, limit, periodMs) => {
    expect(parseRate(text)).toMatchObject({ ok: true, rate: { limit, periodMs } });
  });

  it('off disables', () => {
    expect(parseRate('off')).toEqual({ ok: true, rate: null });
    expect(parseRate('OFF')).toEqual({ ok: true, rate: null });
    expect(formatRate(null)).toBe('off');
  });

  it.each([
    '',
    '0/hour',
    '-1/hour',
    '1.5/hour',
    '100/hours',
    '100/h',
    '100',
    'hour',
    '100 / hour',
    '/hour',
    '01/hour',
  ])('rejects %j', (text) => {
    const r = parseRate(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain('<n>/<second|minute|hour|day>');
  });

  it('formats back', () => {
    const r = parseRate('100/hour');
    expect(r.ok && formatRate(r.rate)).toBe('100/hour');
  });
});

describe('sliding-window rate limit', () => {
  const rate: Rate = { limit: 3, unit: 'minute', periodMs: MIN };

  it('allows up to the limit, then gives whole seconds until the oldest hit leaves', () => {
    expect(evaluateRateLimit([], T, rate)).toEqual({ allowed: true, remaining: 2, retryAfterSeconds: 0 });
    const hits = [T, T + 10_000, T + 20_000];
    expect(evaluateRateLimit(hits.slice(0, 2), T + 20_000, rate)).toMatchObject({
      allowed: true,
      remaining: 0,
    });
    expect(evaluateRateLimit(hits, T + 30_000, rate)).toEqual({
      allowed: false,
      remaining: 0,
      retryAfterSeconds: 30,
    });
    expect(evaluateRateLimit(hits, T + 59_999, rate)).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
    // The oldest hit leaves the window exactly one period later.
    expect(evaluateRateLimit(hits, T + MIN, rate)).toMatchObject({ allowed: true, remaining: 0 });
  });

  it('with more hits than the limit (limit lowered), waits for enough to expire', () => {
    const hits = [T, T + 1000, T + 2000, T + 3000, T + 4000];
    // 5 in window, limit 3: the slot frees when the 3rd oldest (T+2000) leaves.
    expect(evaluateRateLimit(hits, T + 5000, rate)).toMatchObject({ allowed: false, retryAfterSeconds: 57 });
  });

  it('Retry-After is at least 1 and rounds up', () => {
    const one: Rate = { limit: 1, unit: 'second', periodMs: 1000 };
    expect(evaluateRateLimit([T], T + 999, one)).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
    expect(evaluateRateLimit([T], T + 1, one)).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
    expect(throttledDetail(42)).toBe('Request was throttled. Expected available in 42 seconds.');
  });
});
