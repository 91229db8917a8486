import { describe, expect, it } from 'vitest';
import { testConfig } from '../../test/config.ts';
import { openSecret, sealSecret, secretLast4 } from './secrets.ts';

describe('notification secrets', () => {
  it('seals with a fresh nonce, opens with the same key, refuses another key', () => {
    const config = testConfig();
    const url = 'https://hooks.slack.com/services/T000/B000/XXXXabcd';
    const one = sealSecret(config, url);
    const two = sealSecret(config, url);
    expect(one.equals(two)).toBe(false);
    expect(one.includes(Buffer.from(url))).toBe(false);
    expect(openSecret(config, one)).toBe(url);
    const other = testConfig({ FIELD_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64') });
    expect(() => openSecret(other, one)).toThrow();
    expect(secretLast4(url)).toBe('abcd');
    expect(secretLast4('ab')).toBe('ab');
  });
});
