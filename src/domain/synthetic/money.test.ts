import { describe, expect, it } from 'vitest';
import { centsToDisplay, centsToPlain, roundCents } from './money.ts';

describe('money', () => {
  it('writes cents as exact decimal strings', () => {
    expect(centsToPlain(0)).toBe('0.00');
    expect(centsToPlain(5)).toBe('0.05');
    expect(centsToPlain(123450)).toBe('1234.50');
    expect(centsToDisplay(123450)).toBe('$1,234.50');
    expect(centsToDisplay(123456789)).toBe('$1,234,567.89');
    expect(centsToDisplay(99)).toBe('$0.99');
    expect(roundCents(10.5)).toBe(11);
    expect(roundCents(-3)).toBe(0);
  });
});
