/**
 * Pure sliding-window arithmetic for login lockout (web-api-ops §3.4) and request rate
 * limits (§3.8). Stores (Redis sorted sets, in-process maps, a table) keep timestamps;
 * these functions decide. All times are epoch milliseconds.
 */

/** A lockout rule: `maxFailures` within `windowMs` locks the key for `lockoutMs`. */
export interface LockoutPolicy {
  maxFailures: number;
  windowMs: number;
  lockoutMs: number;
}

/** The counting window of §3.4 ("within 15 min"), independent of the lockout length. */
export const LOGIN_FAILURE_WINDOW_MS = 15 * 60_000;

/** Login throttling settings (LOGIN_MAX_FAILURES, LOGIN_IP_MAX_FAILURES, LOGIN_LOCKOUT_MINUTES). */
export interface LoginThrottleSettings {
  maxFailures: number;
  ipMaxFailures: number;
  lockoutMinutes: number;
}

/** Spec defaults: 5 per username, 20 per IP, 15-minute lockout. */
export const DEFAULT_LOGIN_THROTTLE: LoginThrottleSettings = {
  maxFailures: 5,
  ipMaxFailures: 20,
  lockoutMinutes: 15,
};

/** The username and IP policies for the given settings. */
export function loginLockoutPolicies(settings: LoginThrottleSettings = DEFAULT_LOGIN_THROTTLE): {
  username: LockoutPolicy;
  ip: LockoutPolicy;
} {
  const lockoutMs = settings.lockoutMinutes * 60_000;
  return {
    username: { maxFailures: settings.maxFailures, windowMs: LOGIN_FAILURE_WINDOW_MS, lockoutMs },
    ip: { maxFailures: settings.ipMaxFailures, windowMs: LOGIN_FAILURE_WINDOW_MS, lockoutMs },
  };
}

/** Lock state of one key. */
export interface LockoutState {
  locked: boolean;
  /** Whole seconds until the lock ends (≥ 1 while locked, 0 otherwise): the `Retry-After` value. */
  retryAfterSeconds: number;
  /** When the lock ends (epoch ms), or null when not locked. */
  lockedUntil: number | null;
  /** Failures inside the counting window ending now. */
  failuresInWindow: number;
}

/**
 * Decides whether a key is locked. A lock starts at the failure that completes
 * `maxFailures` failures inside one window (each within `windowMs` of the first) and lasts
 * `lockoutMs` from that failure; it ends exactly at that instant. Failures stamped after
 * `now` are ignored. Callers should not record attempts refused while locked, so a
 * locked-out user cannot extend their own lock by retrying.
 */
export function evaluateLockout(
  failures: readonly number[],
  now: number,
  policy: LockoutPolicy,
): LockoutState {
  const max = Math.max(1, Math.floor(policy.maxFailures));
  // Only failures that could still hold a lock or count in the window matter.
  const horizon = now - policy.windowMs - policy.lockoutMs;
  const ts = failures.filter((t) => t <= now && t > horizon).sort((a, b) => a - b);
  let lockedUntil: number | null = null;
  for (let j = max - 1; j < ts.length; j++) {
    const first = ts[j - max + 1]!;
    const last = ts[j]!;
    if (last - first < policy.windowMs) {
      const end = last + policy.lockoutMs;
      if (end > now && (lockedUntil === null || end > lockedUntil)) lockedUntil = end;
    }
  }
  const windowStart = now - policy.windowMs;
  const failuresInWindow = ts.filter((t) => t > windowStart).length;
  if (lockedUntil === null)
    return { locked: false, retryAfterSeconds: 0, lockedUntil: null, failuresInWindow };
  return {
    locked: true,
    retryAfterSeconds: Math.max(1, Math.ceil((lockedUntil - now) / 1000)),
    lockedUntil,
    failuresInWindow,
  };
}

/** Timestamps older than this (epoch ms) can never affect a lock again and may be purged. */
export function lockoutPurgeBefore(now: number, policy: LockoutPolicy): number {
  return now - policy.windowMs - policy.lockoutMs;
}

/** Combined login decision over the username and client-IP counters. */
export interface LoginThrottleState {
  locked: boolean;
  retryAfterSeconds: number;
  /** Which counter locked (the longer lock when both do), or null. */
  scope: 'username' | 'ip' | null;
}

/** Evaluates both §3.4 counters; the longer remaining lock wins. */
export function evaluateLoginThrottle(input: {
  usernameFailures: readonly number[];
  ipFailures: readonly number[];
  now: number;
  settings?: LoginThrottleSettings;
}): LoginThrottleState {
  const policies = loginLockoutPolicies(input.settings);
  const u = evaluateLockout(input.usernameFailures, input.now, policies.username);
  const ip = evaluateLockout(input.ipFailures, input.now, policies.ip);
  if (!u.locked && !ip.locked) return { locked: false, retryAfterSeconds: 0, scope: null };
  if (u.retryAfterSeconds >= ip.retryAfterSeconds) {
    return { locked: true, retryAfterSeconds: u.retryAfterSeconds, scope: 'username' };
  }
  return { locked: true, retryAfterSeconds: ip.retryAfterSeconds, scope: 'ip' };
}

/** Whole minutes shown in lockout messages (rounded up so "0 minutes" never appears). */
export function retryAfterMinutes(retryAfterSeconds: number): number {
  return Math.max(1, Math.ceil(retryAfterSeconds / 60));
}

/** Portal lockout text (§1.6). */
export function portalLockoutMessage(retryAfterSeconds: number): string {
  return `Too many failed login attempts. Please try again in ${retryAfterMinutes(retryAfterSeconds)} minutes.`;
}

/** API lockout `detail` (§3.4, code `login_locked`). */
export function apiLockoutDetail(retryAfterSeconds: number): string {
  return `Too many failed login attempts. Try again in ${retryAfterMinutes(retryAfterSeconds)} minutes.`;
}

// ---------------------------------------------------------------------------------------
// Rate limits (§3.8)

/** Units accepted in rate strings. */
export const RATE_UNITS = { second: 1, minute: 60, hour: 3600, day: 86_400 } as const;

/** A rate unit name. */
export type RateUnit = keyof typeof RATE_UNITS;

/** A parsed rate: at most `limit` requests per `periodMs`. */
export interface Rate {
  limit: number;
  unit: RateUnit;
  periodMs: number;
}

/** Result of {@link parseRate}: `rate` is null for `off`. */
export type RateParseResult = { ok: true; rate: Rate | null } | { ok: false; error: string };

const RATE_PATTERN = /^([1-9][0-9]{0,8})\/(second|minute|hour|day)$/;

/**
 * Parses `"<n>/<second|minute|hour|day>"` or `off` (surrounding whitespace and letter
 * case ignored). `n` must be a positive integer; anything else is an error the config
 * loader reports, rather than silently disabling a limit.
 */
export function parseRate(text: string): RateParseResult {
  const t = text.trim().toLowerCase();
  if (t === 'off') return { ok: true, rate: null };
  const m = RATE_PATTERN.exec(t);
  if (!m)
    return { ok: false, error: `invalid rate "${text}": expected "<n>/<second|minute|hour|day>" or "off"` };
  const unit = m[2] as RateUnit;
  return { ok: true, rate: { limit: Number(m[1]), unit, periodMs: RATE_UNITS[unit] * 1000 } };
}

/** Formats a rate back to its canonical text (`100/hour`, or `off` for null). */
export function formatRate(rate: Rate | null): string {
  return rate ? `${rate.limit}/${rate.unit}` : 'off';
}

/** Sliding-window decision for one request. */
export interface RateDecision {
  allowed: boolean;
  /** Requests still allowed in the window after this one (0 when refused). */
  remaining: number;
  /** Whole seconds until a slot frees (≥ 1) when refused; 0 when allowed. */
  retryAfterSeconds: number;
}

/**
 * Sliding-window limiter: `hits` are the earlier accepted requests of the key. A request
 * is allowed when fewer than `limit` of them fall within the last period; when refused,
 * `Retry-After` is the time until enough old hits leave the window. The caller records
 * `now` only for allowed requests, so refused requests do not prolong the block.
 */
export function evaluateRateLimit(hits: readonly number[], now: number, rate: Rate): RateDecision {
  const windowStart = now - rate.periodMs;
  const inWindow = hits.filter((t) => t > windowStart && t <= now).sort((a, b) => a - b);
  if (inWindow.length < rate.limit) {
    return { allowed: true, remaining: rate.limit - inWindow.length - 1, retryAfterSeconds: 0 };
  }
  // The slot frees when the hit at this index drops out; after that fewer than `limit` remain.
  const freeing = inWindow[inWindow.length - rate.limit]!;
  const waitMs = freeing + rate.periodMs - now;
  return { allowed: false, remaining: 0, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
}

/** API throttle `detail` (§3.8, code `throttled`). */
export function throttledDetail(retryAfterSeconds: number): string {
  return `Request was throttled. Expected available in ${retryAfterSeconds} seconds.`;
}
