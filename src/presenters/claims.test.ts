import { describe, expect, it } from 'vitest';
import { csvField } from '../reports/csv.ts';
import { claimCsvCell, money } from './claims.ts';

const csvCell = (column: string, value: unknown) => csvField(claimCsvCell(column, value));

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
    expect(csvCell('id', 7)).toBe('7');
    expect(csvCell('authorization_required', true)).toBe('true');
    expect(csvCell('created_at', '2024-01-02T03:04:05.678Z')).toBe('2024-01-02T03:04:05Z');
    // A money column holding something that is not a number stays guarded text.
    expect(csvCell('paid_amount', '=1+1')).toBe("'=1+1");
  });
});
