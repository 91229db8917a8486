import type { Kysely } from 'kysely';
import type { Config } from '../config/env.ts';
import { findCustomerById } from '../db/repositories/customers.repository.ts';
import {
  clearLoginFailures,
  loginFailuresSince,
  recordLoginFailure,
} from '../db/repositories/login-failures.repository.ts';
import { findMembershipByUser } from '../db/repositories/memberships.repository.ts';
import {
  findUserForLogin,
  setLastLogin,
  setPasswordHash,
  type UserRecord,
} from '../db/repositories/users.repository.ts';
import type { DB } from '../db/schema.ts';
import { hashPassword, needsRehash, usernameKey, verifyPassword } from '../domain/accounts/passwords.ts';
import {
  evaluateLoginThrottle,
  lockoutPurgeBefore,
  loginLockoutPolicies,
} from '../domain/accounts/throttle.ts';
import { hasControlCharacters, withoutControlCharacters } from '../domain/input/control-characters.ts';
import { recordAudit } from '../obs/audit.ts';
import { countLoginAttempt, countThrottled } from '../obs/metrics.ts';

export type LoginOutcome =
  | { kind: 'ok'; user: UserRecord }
  | { kind: 'invalid' }
  | { kind: 'locked'; retryAfterSeconds: number }
  | { kind: 'inactive_customer' };

export interface LoginInput {
  username: string;
  password: string;
  ip: string;
  requestId: string | null;
  /** Where the attempt came from (audit metadata). */
  channel: 'portal' | 'api';
}

/**
 * The username counter's key (§3.4, lower-cased): the ACCOUNT's username when the
 * identifier names an account, so the lockout holds whether its username or its e-mail is
 * typed; otherwise the typed identifier itself, so unknown names are throttled exactly like
 * known ones. Control characters are replaced so the key can always be stored.
 */
export function loginCounterKey(typed: string, account: Pick<UserRecord, 'username'> | undefined): string {
  const name = account ? account.username : withoutControlCharacters(typed);
  return usernameKey(name).slice(0, 255);
}

/** Longest identifier looked up (usernames are ≤ 150, e-mail addresses ≤ 254). */
const MAX_IDENTIFIER_LENGTH = 254;

/**
 * One login attempt with the lockout of web-api-ops §3.4: refused while the account (or the
 * typed unknown identifier) or the IP is locked (even with the right password, and without
 * counting), failures are counted per account ({@link loginCounterKey}) and per IP, a success
 * resets the account's counter, weak hashes are upgraded. Audits login_succeeded /
 * login_failed / login_locked.
 */
export async function authenticateUser(
  deps: { db: Kysely<DB>; config: Config; now: Date },
  input: LoginInput,
): Promise<LoginOutcome> {
  const { db, config, now } = deps;
  // The account is resolved first so that its counter is found whichever identifier is typed.
  // An identifier no account can have (too long, control characters) is never looked up.
  const lookupable =
    input.username !== '' &&
    input.username.length <= MAX_IDENTIFIER_LENGTH &&
    !hasControlCharacters(input.username);
  const user = lookupable ? await findUserForLogin(db, input.username) : undefined;
  const key = loginCounterKey(input.username, user);
  const settings = config.login;
  const policies = loginLockoutPolicies(settings);
  const since = new Date(lockoutPurgeBefore(now.getTime(), policies.username));
  const [usernameFailures, ipFailures] = await Promise.all([
    loginFailuresSince(db, 'username', key, since),
    loginFailuresSince(db, 'ip', input.ip, since),
  ]);
  const state = evaluateLoginThrottle({ usernameFailures, ipFailures, now: now.getTime(), settings });
  const metadata = {
    username: withoutControlCharacters(input.username.slice(0, 150)),
    ip: input.ip,
    channel: input.channel,
  };
  if (state.locked) {
    await recordAudit(db, {
      action: 'login_locked',
      userId: user?.id ?? null,
      requestId: input.requestId,
      ip: input.ip,
      metadata,
    });
    countLoginAttempt('locked');
    countThrottled('login');
    return { kind: 'locked', retryAfterSeconds: state.retryAfterSeconds };
  }

  const passwordOk = await verifyPassword(input.password, user?.password_hash);
  if (!user || !passwordOk || !user.is_active) {
    await recordLoginFailure(
      db,
      [
        { scope: 'username', key },
        { scope: 'ip', key: input.ip },
      ],
      now,
    );
    await recordAudit(db, {
      action: 'login_failed',
      userId: user?.id ?? null,
      requestId: input.requestId,
      ip: input.ip,
      metadata,
    });
    countLoginAttempt('failure');
    return { kind: 'invalid' };
  }

  if (!user.is_staff) {
    const membership = await findMembershipByUser(db, user.id);
    if (membership) {
      const customer = await findCustomerById(db, membership.customer_id);
      if (customer && !customer.is_active) {
        // Right password, but the login is refused: a failure for the metric.
        countLoginAttempt('failure');
        return { kind: 'inactive_customer' };
      }
    }
  }

  await clearLoginFailures(db, 'username', key);
  if (user.password_hash && needsRehash(user.password_hash)) {
    await setPasswordHash(db, user.id, await hashPassword(input.password));
  }
  await setLastLogin(db, user.id, now);
  await recordAudit(db, {
    action: 'login_succeeded',
    userId: user.id,
    requestId: input.requestId,
    ip: input.ip,
    metadata: { ip: input.ip, channel: input.channel },
  });
  countLoginAttempt('success');
  return { kind: 'ok', user };
}
