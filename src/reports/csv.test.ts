import { describe, expect, it } from 'vitest';
import { csvDecimal, csvDocument, csvField, csvMoney, csvRow, plainNumber } from './csv.ts';

describe('CSV writer (alerts-reports §13.3)', () => {
  it('B16: guards text cells that a spreadsheet would run, never numbers the exporter writes', () => {
    expect(csvField('=HYPERLINK("http://x")')).toBe(`"'=HYPERLINK(""http://x"")"`);
    expect(csvField('+1 Health')).toBe("'+1 Health");
    expect(csvField('@Risk Mutual')).toBe("'@Risk Mutual");
    expect(csvField('-Minus Payer')).toBe("'-Minus Payer");
    expect(csvField('\tTabbed')).toBe("'\tTabbed");
    expect(csvField(-0.15)).toBe('-0.15');
    expect(csvField('Aetna')).toBe('Aetna');
    expect(csvField('Smith, Jones & Co')).toBe('"Smith, Jones & Co"');
  });

  it('guards a leading carriage return and quotes it (it is a line break)', () => {
    expect(csvField('\rX')).toBe(`"'\rX"`);
  });

  it('quotes fields with comma, quote, CR or LF and doubles quotes', () => {
    expect(csvField('a"b')).toBe('"a""b"');
    expect(csvField('line\nbreak')).toBe('"line\nbreak"');
    expect(csvField('plain text')).toBe('plain text');
  });

  it('writes numbers plainly: dot decimal, no exponent, no thousands separator', () => {
    expect(plainNumber(1234567.5)).toBe('1234567.5');
    expect(plainNumber(5.96e-8)).toBe('0.0000000596');
    expect(plainNumber(1e-7)).toBe('0.0000001');
    expect(plainNumber(-2.5e-10)).toBe('-0.00000000025');
    expect(plainNumber(1.5e21)).toBe('1500000000000000000000');
    expect(plainNumber(-0)).toBe('0');
    expect(plainNumber(Number.NaN)).toBe('');
    expect(csvField(12)).toBe('12');
  });

  it('money has 2 decimals from the exact string and is never guarded, even when negative', () => {
    expect(csvField(csvMoney('-900'))).toBe('-900.00');
    expect(csvField(csvMoney('2000.5'))).toBe('2000.50');
    expect(csvField(csvMoney('-5.00'))).toBe('-5.00');
    expect(csvField(csvMoney(null))).toBe('');
    // Not a decimal: stays text, so the guard still applies.
    expect(csvField(csvMoney('-1+1'))).toBe("'-1+1");
    expect(csvField(csvDecimal('=1'))).toBe("'=1");
  });

  it('timestamps are YYYY-MM-DDTHH:MM:SSZ, empty for null, booleans as words', () => {
    expect(csvField(new Date('2026-03-02T06:00:00.789Z'))).toBe('2026-03-02T06:00:00Z');
    expect(csvField(null)).toBe('');
    expect(csvField(undefined)).toBe('');
    expect(csvField(true)).toBe('true');
  });

  it('a document is UTF-8 with BOM, CRLF records and always a header', () => {
    const empty = csvDocument(['a', 'b'], []);
    expect(empty.toString('utf8')).toBe('\uFEFFa,b\r\n');
    expect([...empty.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const file = csvDocument(['payer', 'delta'], [['Zürich Re', -0.15]]).toString('utf8');
    expect(file).toBe('\uFEFFpayer,delta\r\nZürich Re,-0.15\r\n');
    expect(csvRow(['x', 1])).toBe('x,1\r\n');
  });
});
