import { describe, expect, it } from 'vitest';
import {
  fixed,
  formatDays,
  formatDaysDelta,
  formatMoney,
  formatPValue,
  formatRate,
  formatRateDelta,
  formatRelativeChange,
  formatSeverity,
  formatTimestampCard,
  formatTimestampTable,
} from './format.ts';
import {
  confidenceLabel,
  SEVERITY_LEVEL_SCORE,
  severityLabel,
  severityLabelTitle,
  severityLabelUpper,
} from './labels.ts';
import { divRoundHalfAwayFromZero, formatCentsDecimal, multiplyCents, parseCents } from './money.ts';

describe('labels (§9, A21)', () => {
  it('severity labels', () => {
    expect(severityLabel(0.9)).toBe('critical');
    expect(severityLabel(0.8999)).toBe('high');
    expect(severityLabel(0.7)).toBe('high');
    expect(severityLabel(0.4)).toBe('medium');
    expect(severityLabel(0.3999)).toBe('low');
    expect(severityLabel(SEVERITY_LEVEL_SCORE.high)).toBe('high');
    expect(severityLabel(SEVERITY_LEVEL_SCORE.critical)).toBe('critical');
    expect(severityLabelUpper('critical')).toBe('CRITICAL');
    expect(severityLabelTitle('medium')).toBe('Medium');
  });

  it('confidence labels', () => {
    expect(confidenceLabel(0.9)).toBe('Very High');
    expect(confidenceLabel(0.8333)).toBe('High');
    expect(confidenceLabel(0.6667)).toBe('Medium');
    expect(confidenceLabel(0.5)).toBe('Low');
  });
});

describe('display formats (§13.1)', () => {
  it('rates, deltas, days, relative change', () => {
    expect(formatRate(0.125)).toBe('12.5%');
    expect(formatRateDelta(0.4)).toBe('+40.0 pts');
    expect(formatRateDelta(-0.15)).toBe('-15.0 pts');
    expect(formatDays(15)).toBe('15.0 days');
    expect(formatDaysDelta(10)).toBe('+10.0 days');
    expect(formatRelativeChange(4)).toBe('+400.0%');
    expect(formatRelativeChange(0.7857142857)).toBe('+78.6%');
    expect(fixed(-0.04, 1)).toBe('0.0');
    expect(fixed(0.25, 1)).toBe('0.3'); // half away from zero
  });

  it('money', () => {
    expect(formatMoney('1234.56')).toBe('$1,234.56');
    expect(formatMoney(-90000n)).toBe('\u2212$900.00');
    expect(formatMoney('75000.00')).toBe('$75,000.00');
    expect(formatMoney('0.5')).toBe('$0.50');
  });

  it('severity, p / q, timestamps', () => {
    expect(formatSeverity(0.8, 'high')).toBe('High (0.80)');
    expect(formatPValue(0.0533)).toBe('0.0533');
    expect(formatPValue(0.5)).toBe('0.500');
    expect(formatPValue(0.00099)).toBe('< 0.001');
    expect(formatPValue(null)).toBe('-');
    const at = new Date(Date.UTC(2026, 2, 2, 6, 5));
    expect(formatTimestampTable(at)).toBe('2026-03-02 06:05');
    expect(formatTimestampCard(at)).toBe('Mar 02, 2026 06:05 UTC');
  });
});

describe('money (§1)', () => {
  it('parses and formats decimal strings exactly', () => {
    expect(parseCents('1200.00')).toBe(120000n);
    expect(parseCents('-3.5')).toBe(-350n);
    expect(parseCents('7')).toBe(700n);
    expect(parseCents('12345678901234.99')).toBe(1234567890123499n);
    expect(() => parseCents('1,000')).toThrow(RangeError);
    expect(formatCentsDecimal(-90000n)).toBe('-900.00');
    expect(formatCentsDecimal(5n)).toBe('0.05');
  });

  it('rounds half away from zero', () => {
    expect(divRoundHalfAwayFromZero(5n, 2n)).toBe(3n);
    expect(divRoundHalfAwayFromZero(-5n, 2n)).toBe(-3n);
    expect(divRoundHalfAwayFromZero(120000n, 21n)).toBe(5714n); // $57.14/day (A11)
    expect(multiplyCents(400000n, 0.09999999999999999 * 0.5)).toBe(20000n);
    expect(multiplyCents(-1n, 0.5)).toBe(-1n);
  });
});
