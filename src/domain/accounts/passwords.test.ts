import { hash as argonHash } from '@node-rs/argon2';
import { describe, expect, it } from 'vitest';
import {
  commonPasswordSet,
  emailLocalPart,
  hashPassword,
  isCommonPassword,
  isUsablePasswordHash,
  makeUnusablePassword,
  needsRehash,
  PASSWORD_MESSAGES,
  usernameKey,
  validatePassword,
  validateUsername,
  verifyPassword,
} from './passwords.ts';

const GOOD = 'Correct-horse-42!';

describe('password policy (§3.3)', () => {
  it('accepts the fixture password', () => {
    expect(validatePassword(GOOD, { username: 'owner_a', email: 'owner_a@example.com' })).toEqual([]);
  });

  it('length bounds: 12 and 128 characters inclusive', () => {
    expect(validatePassword('Xk9#mQ2$vL7!')).toEqual([]);
    expect(validatePassword('Xk9#mQ2$vL7')).toEqual([
      'This password is too short. It must contain at least 12 characters.',
    ]);
    const long = 'Xk9#mQ2$vL7!'.repeat(11); // 132
    expect(validatePassword(long.slice(0, 128))).toEqual([]);
    expect(validatePassword(long.slice(0, 129))).toEqual([
      'This password is too long. It must contain at most 128 characters.',
    ]);
  });

  it('counts characters, not UTF-16 units', () => {
    // 11 emoji = 22 UTF-16 units but 11 characters.
    expect(validatePassword('🔒'.repeat(11))).toContain(PASSWORD_MESSAGES.tooShort);
    expect(validatePassword('🔒'.repeat(12))).toEqual([]);
  });

  it('bundles at least 20,000 common passwords', () => {
    expect(commonPasswordSet().size).toBeGreaterThanOrEqual(20_000);
  });

  it('too common, case-insensitive', () => {
    expect(isCommonPassword('qwertyuiop')).toBe(true);
    expect(isCommonPassword('QwErTy123456')).toBe(true);
    expect(validatePassword('QWERTY123456')).toEqual(['This password is too common.']);
    expect(validatePassword('administrator')).toEqual(['This password is too common.']);
    expect(isCommonPassword(GOOD)).toBe(false);
  });

  it('entirely numeric (and short/common when applicable, in spec order)', () => {
    expect(validatePassword('193570356033')).toEqual([
      'This password is too common.',
      'This password is entirely numeric.',
    ]);
    expect(validatePassword('4829105736291847')).toEqual(['This password is entirely numeric.']);
    expect(validatePassword('12345')).toEqual([
      'This password is too short. It must contain at least 12 characters.',
      'This password is too common.',
      'This password is entirely numeric.',
    ]);
  });

  it('too similar to username, email local part, first and last name', () => {
    const user = {
      username: 'jdoe_x',
      email: 'maryann@clinic.example',
      firstName: 'Alexandra',
      lastName: 'Whitfield',
    };
    expect(validatePassword('xx-JDOE_X-2026-zz', user)).toEqual([
      'The password is too similar to the username.',
    ]);
    expect(validatePassword('xx-MaryAnn-2026-zz', user)).toEqual([
      'The password is too similar to the email address.',
    ]);
    expect(validatePassword('xx-alexandra-2026', user)).toEqual([
      'The password is too similar to the first name.',
    ]);
    expect(validatePassword('xx-whitfield-2026', user)).toEqual([
      'The password is too similar to the last name.',
    ]);
  });

  it('ignores attributes shorter than 4 characters and the email domain', () => {
    const user = { username: 'bob', email: 'al@clinic.example', firstName: 'Ann', lastName: 'Li' };
    expect(validatePassword('bob-al-ann-li-2026!', user)).toEqual([]);
    expect(validatePassword('my-clinic.example-pw', { email: 'abcd@clinic.example' })).toEqual([]);
    // Exactly 4 characters is checked.
    expect(validatePassword('zz-anna-2026-qq', { firstName: 'Anna' })).toEqual([
      'The password is too similar to the first name.',
    ]);
  });

  it('emailLocalPart splits at the last @', () => {
    expect(emailLocalPart('"a@b"@example.com')).toBe('"a@b"');
    expect(emailLocalPart('plain')).toBe('plain');
  });
});

describe('argon2id hashing', () => {
  it('round trip with the exact parameters in PHC format', async () => {
    const h = await hashPassword(GOOD);
    expect(h).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(await verifyPassword(GOOD, h)).toBe(true);
    expect(await verifyPassword('Correct-horse-43!', h)).toBe(false);
    expect(needsRehash(h)).toBe(false);
    // Fresh salt each time.
    expect(await hashPassword(GOOD)).not.toBe(h);
  });

  it('needsRehash for weaker parameters or another algorithm', async () => {
    const weaker = [
      { memoryCost: 4096, timeCost: 2, parallelism: 1 },
      { memoryCost: 19456, timeCost: 1, parallelism: 1 },
      { memoryCost: 19456, timeCost: 2, parallelism: 1, outputLen: 16 },
      { memoryCost: 19456, timeCost: 2, parallelism: 1, salt: new Uint8Array(8).fill(7) },
      { memoryCost: 19456, timeCost: 2, parallelism: 1, algorithm: 1 as never }, // argon2i
    ];
    for (const opts of weaker) {
      const h = await argonHash(GOOD, opts);
      expect(await verifyPassword(GOOD, h)).toBe(true);
      expect(needsRehash(h)).toBe(true);
    }
    // Stronger settings are kept.
    expect(needsRehash(await argonHash(GOOD, { memoryCost: 32768, timeCost: 3, parallelism: 1 }))).toBe(
      false,
    );
  });

  it('unusable, missing and malformed hashes never verify', async () => {
    const unusable = makeUnusablePassword();
    expect(isUsablePasswordHash(unusable)).toBe(false);
    expect(await verifyPassword(GOOD, unusable)).toBe(false);
    expect(await verifyPassword(GOOD, null)).toBe(false);
    expect(await verifyPassword(GOOD, '$argon2id$garbage')).toBe(false);
    expect(needsRehash('pbkdf2_sha256$1000$x$y')).toBe(true);
  });
});

describe('usernames (§2.1)', () => {
  it('3–150 letters, digits and @ . + - _', () => {
    expect(validateUsername('owner_a')).toBeNull();
    expect(validateUsername('a.b+c-d@e_f')).toBeNull();
    expect(validateUsername('Zoë')).toBeNull();
    expect(validateUsername('ab')).toMatch(/at least 3/);
    expect(validateUsername('a'.repeat(150))).toBeNull();
    expect(validateUsername('a'.repeat(151))).toMatch(/at most 150/);
    for (const bad of ['with space', 'semi;colon', 'slash/x', 'tab\tx', 'quote"x']) {
      expect(validateUsername(bad)).toMatch(/^Enter a valid username/);
    }
  });

  it('usernameKey is NFKC, trimmed and lower-cased', () => {
    expect(usernameKey('  Owner_A ')).toBe('owner_a');
    expect(usernameKey('ｏｗｎｅｒ')).toBe('owner');
  });
});
