import { describe, expect, it } from 'vitest';
import {
  fieldsWithControlCharacters,
  hasControlCharacters,
  withoutControlCharacters,
} from './control-characters.ts';

describe('control characters', () => {
  it('flags C0 controls and DEL but not tab, line feed or carriage return', () => {
    expect(hasControlCharacters('a\u0000b')).toBe(true);
    expect(hasControlCharacters('a\u001Bb')).toBe(true);
    expect(hasControlCharacters('a\u007Fb')).toBe(true);
    expect(hasControlCharacters('a\tb\r\nc')).toBe(false);
    expect(hasControlCharacters('Ünïcødé – ok')).toBe(false);
    expect(withoutControlCharacters('a\u0000b\u0001')).toBe('a\uFFFDb\uFFFD');
  });

  it('names the top-level fields whose text holds one, at any depth, keys included', () => {
    expect(
      fieldsWithControlCharacters({ ok: 'x', bad: 'a\u0000', nested: { deep: ['y', 'z\u0000'] } }),
    ).toEqual(['bad', 'nested']);
    expect(fieldsWithControlCharacters({ list: [{ ['k\u0000']: 1 }] })).toEqual(['list']);
    expect(fieldsWithControlCharacters({ ['na\u0000me']: 'v' })).toEqual(['na\uFFFDme']);
    expect(fieldsWithControlCharacters('a\u0000')).toEqual(['']);
    expect(fieldsWithControlCharacters(null)).toEqual([]);
    expect(fieldsWithControlCharacters({ n: 1, b: true, z: null })).toEqual([]);
    expect(fieldsWithControlCharacters({ raw: Buffer.from([0]) })).toEqual([]);
  });

  it('walks deeply nested values without exhausting the stack', () => {
    let value: unknown = 'end\u0000';
    for (let i = 0; i < 200_000; i += 1) value = [value];
    expect(fieldsWithControlCharacters({ deep: value })).toEqual(['deep']);
  });
});
