/**
 * Password policy, argon2id hashing and username rules (web-api-ops §2.1, §3.3).
 *
 * The common-password list is the zxcvbn-ts "passwords-common" dictionary (MIT, ~49k
 * entries, a superset of the 20,000 the spec requires), loaded lazily on first use so
 * importing this module stays cheap.
 */
import { randomBytes } from 'node:crypto';
import type { Algorithm, Options as ArgonOptions, Version } from '@node-rs/argon2';
import { hash as argonHash, verify as argonVerify, parseOptions } from '@node-rs/argon2';
import { dictionary } from '@zxcvbn-ts/language-common';

/** Minimum password length in characters (code points). */
export const PASSWORD_MIN_LENGTH = 12;
/** Maximum password length in characters (code points). */
export const PASSWORD_MAX_LENGTH = 128;
/** Attributes shorter than this are not checked for similarity (§3.3). */
export const SIMILARITY_MIN_LENGTH = 4;

/** Exact policy messages of §3.3. */
export const PASSWORD_MESSAGES = {
  tooShort: `This password is too short. It must contain at least ${PASSWORD_MIN_LENGTH} characters.`,
  tooLong: `This password is too long. It must contain at most ${PASSWORD_MAX_LENGTH} characters.`,
  tooCommon: 'This password is too common.',
  entirelyNumeric: 'This password is entirely numeric.',
  currentIncorrect: 'Your current password was entered incorrectly.',
} as const;

/** "The password is too similar to the <field>." */
export function tooSimilarMessage(field: string): string {
  return `The password is too similar to the ${field}.`;
}

/**
 * Field labels used in the similarity message, in the order they are checked (§3.3
 * order). The wording follows the conventional user-model labels ("email address",
 * "first name") since the spec leaves `<field>` unnamed.
 */
export const SIMILARITY_FIELDS = {
  username: 'username',
  email: 'email address',
  firstName: 'first name',
  lastName: 'last name',
} as const;

/** The user the password is being set for; all fields optional (e.g. during sign-up). */
export interface PasswordUserContext {
  username?: string | null;
  email?: string | null;
  firstName?: string | null;
  lastName?: string | null;
}

let commonPasswords: ReadonlySet<string> | undefined;

/** The bundled common-password set, lower-cased. Built once on first use. */
export function commonPasswordSet(): ReadonlySet<string> {
  if (!commonPasswords) {
    const set = new Set<string>();
    for (const p of dictionary['passwords-common']) set.add(p.toLowerCase());
    commonPasswords = set;
  }
  return commonPasswords;
}

/** True when the password (trimmed, case-insensitive) is in the common-password list. */
export function isCommonPassword(password: string): boolean {
  return commonPasswordSet().has(password.trim().toLowerCase());
}

/** Length in code points, so an emoji counts as one character, not two UTF-16 units. */
function charLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** The part of an email before its last `@` (the whole string when there is none). */
export function emailLocalPart(email: string): string {
  const at = email.lastIndexOf('@');
  return at < 0 ? email : email.slice(0, at);
}

/**
 * Validates a password against the §3.3 policy and returns every applicable message in
 * spec order (length, common, numeric, similarity); an empty array means acceptable.
 * Similarity reports the first matching attribute only, which is enough to act on.
 */
export function validatePassword(password: string, user: PasswordUserContext = {}): string[] {
  const errors: string[] = [];
  const len = charLength(password);
  if (len < PASSWORD_MIN_LENGTH) errors.push(PASSWORD_MESSAGES.tooShort);
  if (len > PASSWORD_MAX_LENGTH) errors.push(PASSWORD_MESSAGES.tooLong);
  if (isCommonPassword(password)) errors.push(PASSWORD_MESSAGES.tooCommon);
  // Any Unicode decimal digits count: "١٢٣…" is as guessable as "123…".
  if (/^\p{Nd}+$/u.test(password)) errors.push(PASSWORD_MESSAGES.entirelyNumeric);
  const similar = similarField(password, user);
  if (similar) errors.push(tooSimilarMessage(similar));
  return errors;
}

function similarField(password: string, user: PasswordUserContext): string | null {
  const lower = password.toLowerCase();
  const candidates: Array<[string | null | undefined, string]> = [
    [user.username, SIMILARITY_FIELDS.username],
    [user.email ? emailLocalPart(user.email) : null, SIMILARITY_FIELDS.email],
    [user.firstName, SIMILARITY_FIELDS.firstName],
    [user.lastName, SIMILARITY_FIELDS.lastName],
  ];
  for (const [value, label] of candidates) {
    const v = value?.trim().toLowerCase();
    if (v && charLength(v) >= SIMILARITY_MIN_LENGTH && lower.includes(v)) return label;
  }
  return null;
}

// ---------------------------------------------------------------------------------------
// argon2id

/** The hashing parameters of §3.3 (OWASP's argon2id baseline). */
export const ARGON2_PARAMS = {
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
  outputLen: 32,
  saltLength: 16,
} as const;

// @node-rs/argon2 exposes these as ambient const enums, which isolatedModules cannot
// inline; the numeric values are part of its stable API (Argon2id = 2, V0x13 = 1).
const ARGON2ID = 2 as Algorithm;
const VERSION_0X13 = 1 as Version;

function argonOptions(): ArgonOptions {
  return {
    algorithm: ARGON2ID,
    version: VERSION_0X13,
    memoryCost: ARGON2_PARAMS.memoryCost,
    timeCost: ARGON2_PARAMS.timeCost,
    parallelism: ARGON2_PARAMS.parallelism,
    outputLen: ARGON2_PARAMS.outputLen,
    // Explicit salt so the 16-byte size is ours, not a library default.
    salt: randomBytes(ARGON2_PARAMS.saltLength),
  };
}

/** Hashes a password with argon2id; returns the PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`). */
export function hashPassword(password: string): Promise<string> {
  return argonHash(password, argonOptions());
}

/** Prefix marking a stored value that can never match (invited users, §2.4). */
export const UNUSABLE_PASSWORD_PREFIX = '!';

/** A stored password value that no password verifies against (random so rows differ). */
export function makeUnusablePassword(): string {
  return UNUSABLE_PASSWORD_PREFIX + randomBytes(24).toString('base64url');
}

/** True when the stored value is a real argon2 PHC hash rather than an unusable marker. */
export function isUsablePasswordHash(stored: string | null | undefined): boolean {
  return typeof stored === 'string' && stored.startsWith('$argon2');
}

let dummyHash: Promise<string> | undefined;

/**
 * Verifies a password against a stored hash. Returns false (never throws) for unusable,
 * missing or malformed hashes — but still spends one argon2 verification on a dummy hash
 * so that unknown users and users without a password take as long as a wrong password,
 * which keeps login timing from revealing which usernames exist.
 */
export async function verifyPassword(password: string, stored: string | null | undefined): Promise<boolean> {
  if (!isUsablePasswordHash(stored)) {
    try {
      dummyHash ??= hashPassword('payrixa-timing-equaliser');
      await argonVerify(await dummyHash, password);
    } catch {
      dummyHash = undefined; // retry next time rather than caching a failure
    }
    return false;
  }
  try {
    return await argonVerify(stored!, password);
  } catch {
    return false;
  }
}

/**
 * True when a (successfully verified) hash was made with weaker settings than
 * {@link ARGON2_PARAMS} — another algorithm or version, less memory, fewer passes,
 * a shorter output or salt — so the login should store a fresh hash (§3.3).
 * Stronger settings are left alone; unparseable values report true.
 */
export function needsRehash(stored: string): boolean {
  if (!isUsablePasswordHash(stored)) return true;
  try {
    const o = parseOptions(stored);
    return (
      o.algorithm !== ARGON2ID ||
      o.version !== VERSION_0X13 ||
      o.memoryCost < ARGON2_PARAMS.memoryCost ||
      o.timeCost < ARGON2_PARAMS.timeCost ||
      o.outputLen < ARGON2_PARAMS.outputLen ||
      o.saltLen < ARGON2_PARAMS.saltLength
    );
  } catch {
    return true;
  }
}

// ---------------------------------------------------------------------------------------
// usernames

/** Username length bounds (§2.1). */
export const USERNAME_MIN_LENGTH = 3;
export const USERNAME_MAX_LENGTH = 150;

/** Messages for username validation (not worded by the spec; conventional phrasing). */
export const USERNAME_MESSAGES = {
  invalid: 'Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.',
  tooShort: (n: number) => `Ensure this value has at least ${USERNAME_MIN_LENGTH} characters (it has ${n}).`,
  tooLong: (n: number) => `Ensure this value has at most ${USERNAME_MAX_LENGTH} characters (it has ${n}).`,
} as const;

/**
 * NFKC-normalises and trims a username so that look-alike compatibility forms
 * ("ｏｗｎｅｒ" vs "owner") cannot register as distinct accounts.
 */
export function normalizeUsername(username: string): string {
  return username.normalize('NFKC').trim();
}

/** The case-insensitive key used for uniqueness and login throttling (§3.4: lower-cased). */
export function usernameKey(username: string): string {
  return normalizeUsername(username).toLowerCase();
}

const USERNAME_CHARS = /^[\p{L}\p{N}@.+\-_]+$/u;

/**
 * Validates a (normalised) username: 3–150 characters of letters, digits and `@ . + - _`.
 * Returns the first problem, or null when valid.
 */
export function validateUsername(username: string): string | null {
  const len = charLength(username);
  if (len < USERNAME_MIN_LENGTH) return USERNAME_MESSAGES.tooShort(len);
  if (len > USERNAME_MAX_LENGTH) return USERNAME_MESSAGES.tooLong(len);
  if (!USERNAME_CHARS.test(username)) return USERNAME_MESSAGES.invalid;
  return null;
}
