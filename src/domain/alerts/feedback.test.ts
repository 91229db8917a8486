import { describe, expect, it } from 'vitest';
import { FEEDBACK_MESSAGES, VERDICT_STATUS, validateFeedback } from './feedback.ts';

const TODAY = '2026-03-20';

function errorsOf(body: Record<string, unknown>) {
  const result = validateFeedback(body, TODAY);
  if (result.ok) throw new Error('expected errors');
  return result.errors;
}

describe('validateFeedback', () => {
  it('accepts the B10 bodies and normalises them', () => {
    expect(
      validateFeedback(
        {
          verdict: 'noise',
          reason_codes: ['false_positive', 'data_entry_error'],
          notes: 'Payer portal glitch',
        },
        TODAY,
      ),
    ).toEqual({
      ok: true,
      value: {
        verdict: 'noise',
        reasonCodes: ['false_positive', 'data_entry_error'],
        recoveredAmount: null,
        recoveredDate: null,
        notes: 'Payer portal glitch',
      },
    });
    expect(
      validateFeedback(
        { verdict: 'real', recovered_amount: '25000.50', recovered_date: '2026-03-05' },
        TODAY,
      ),
    ).toEqual({
      ok: true,
      value: {
        verdict: 'real',
        reasonCodes: [],
        recoveredAmount: '25000.50',
        recoveredDate: '2026-03-05',
        notes: '',
      },
    });
  });

  it('refuses a verdict outside the choices with the exact message, and a missing one', () => {
    expect(errorsOf({ verdict: 'maybe' })).toEqual({ verdict: ['"maybe" is not a valid choice.'] });
    expect(errorsOf({})).toEqual({ verdict: [FEEDBACK_MESSAGES.required] });
    expect(errorsOf({ verdict: '' })).toEqual({ verdict: [FEEDBACK_MESSAGES.required] });
  });

  it('reads amounts as decimal strings or numbers, exactly', () => {
    const amount = (value: unknown) => {
      const result = validateFeedback({ verdict: 'real', recovered_amount: value }, TODAY);
      return result.ok ? result.value.recoveredAmount : result.errors;
    };
    expect(amount('25000.5')).toBe('25000.50');
    expect(amount(1200)).toBe('1200.00');
    expect(amount(0.1)).toBe('0.10');
    expect(amount('0')).toBe('0.00');
    expect(amount('.5')).toBe('0.50');
    expect(amount('9999999999.99')).toBe('9999999999.99');
    expect(amount(null)).toBeNull();
    expect(amount('')).toBeNull();
    expect(amount('12.345')).toEqual({ recovered_amount: [FEEDBACK_MESSAGES.decimals] });
    expect(amount(12.345)).toEqual({ recovered_amount: [FEEDBACK_MESSAGES.decimals] });
    expect(amount('-1')).toEqual({ recovered_amount: [FEEDBACK_MESSAGES.negative] });
    expect(amount('1234567890123')).toEqual({ recovered_amount: [FEEDBACK_MESSAGES.digits] });
    expect(amount('12345678901.5')).toEqual({ recovered_amount: [FEEDBACK_MESSAGES.wholeDigits] });
    expect(amount('abc')).toEqual({ recovered_amount: [FEEDBACK_MESSAGES.number] });
    expect(amount('1e5')).toEqual({ recovered_amount: [FEEDBACK_MESSAGES.number] });
    expect(amount(Number.NaN)).toEqual({ recovered_amount: [FEEDBACK_MESSAGES.number] });
    expect(amount(true)).toEqual({ recovered_amount: [FEEDBACK_MESSAGES.number] });
  });

  it('defaults the date to today when an amount is given; a date needs an amount; no future dates', () => {
    const ok = validateFeedback({ verdict: 'real', recovered_amount: '10' }, TODAY);
    expect(ok.ok && ok.value.recoveredDate).toBe(TODAY);
    expect(errorsOf({ verdict: 'real', recovered_date: '2026-03-01' })).toEqual({
      recovered_date: [FEEDBACK_MESSAGES.dateWithoutAmount],
    });
    expect(errorsOf({ verdict: 'real', recovered_amount: '1', recovered_date: '2026-03-21' })).toEqual({
      recovered_date: [FEEDBACK_MESSAGES.futureDate],
    });
    expect(errorsOf({ verdict: 'real', recovered_amount: '1', recovered_date: '2026-02-30' })).toEqual({
      recovered_date: [FEEDBACK_MESSAGES.date],
    });
    const todayOk = validateFeedback(
      { verdict: 'real', recovered_amount: '1', recovered_date: TODAY },
      TODAY,
    );
    expect(todayOk.ok).toBe(true);
  });

  it('bounds reason codes and notes', () => {
    expect(errorsOf({ verdict: 'noise', reason_codes: Array.from({ length: 11 }, () => 'x') })).toEqual({
      reason_codes: [FEEDBACK_MESSAGES.tooManyCodes],
    });
    expect(errorsOf({ verdict: 'noise', reason_codes: ['x'.repeat(51)] })).toEqual({
      reason_codes: [FEEDBACK_MESSAGES.codeLength],
    });
    expect(errorsOf({ verdict: 'noise', reason_codes: [''] })).toEqual({
      reason_codes: [FEEDBACK_MESSAGES.codeLength],
    });
    expect(errorsOf({ verdict: 'noise', reason_codes: { a: 1 } })).toEqual({
      reason_codes: [FEEDBACK_MESSAGES.notAList],
    });
    const single = validateFeedback({ verdict: 'noise', reason_codes: 'other' }, TODAY);
    expect(single.ok && single.value.reasonCodes).toEqual(['other']);
    expect(errorsOf({ verdict: 'noise', notes: 'n'.repeat(5001) })).toEqual({
      notes: [FEEDBACK_MESSAGES.notes],
    });
    expect(validateFeedback({ verdict: 'noise', notes: 'n'.repeat(5000) }, TODAY).ok).toBe(true);
  });

  it('reports every bad field at once', () => {
    expect(Object.keys(errorsOf({ verdict: 'maybe', recovered_amount: '12.345' })).sort()).toEqual([
      'recovered_amount',
      'verdict',
    ]);
  });

  it('maps verdicts to alert statuses (§4)', () => {
    expect(VERDICT_STATUS).toEqual({
      noise: 'resolved',
      real: 'acknowledged',
      needs_followup: 'needs_followup',
    });
  });
});
