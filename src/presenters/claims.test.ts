import { describe, expect, it } from 'vitest';
import { csvCell, money } from './claims.ts';

describe('claims presenters', () => {
  it('formats money as strings with exactly 2 decimals', () => {
    expect(money('100')).toBe('100.00');
    expect(money('150.5')).toBe('150.50');
    expect(money('-5')).toBe('-5.00');
    expect(money('.5')).toBe('0.50');
    expect(money('90.1666')).toBe('90.17');
    expect(money('0.995')).toBe('1.00');
    expect(money(null)).toBeNull();
    expect(money('')).toBeNull();
  });

  it('guards CSV cells against formula injection, except numeric money', () => {
    expect(csvCell('denial_reason_text', '=HYPERLINK("x")')).toBe('"\'=HYPERLINK(""x"")"');
    expect(csvCell('payer', '+1')).toBe("'+1");
    expect(csvCell('payer', '@x')).toBe("'@x");
    expect(csvCell('payer', '\tx')).toBe("'\tx");
    expect(csvCell('allowed_amount', '-5.00')).toBe('-5.00');
    expect(csvCell('payer', 'A, B')).toBe('"A, B"');
    expect(csvCell('payer', null)).toBe('');
  });
});
