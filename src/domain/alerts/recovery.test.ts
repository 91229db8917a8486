import { describe, expect, it } from 'vitest';
import { type Recovery, recoveryLedger } from './recovery.ts';

function recovery(judgmentId: number, amount: string, recoveredDate: string): Recovery {
  return {
    judgmentId,
    alertId: judgmentId * 10,
    payer: 'Aetna',
    product: 'driftwatch',
    amount,
    recoveredDate,
  };
}

describe('recoveryLedger', () => {
  it('B11: this month, last 30 days, all time and the recent list (today 2026-03-20)', () => {
    const ledger = recoveryLedger(
      [
        recovery(1, '4000.00', '2026-01-10'),
        recovery(2, '25000.50', '2026-03-05'),
        recovery(3, '1200.00', '2026-02-25'),
      ],
      '2026-03-20',
    );
    expect(ledger.thisMonth).toEqual({ total: '25000.50', count: 1, since: '2026-03-01' });
    expect(ledger.last30Days).toEqual({ total: '26200.50', count: 2, since: '2026-02-18' });
    expect(ledger.allTime).toEqual({ total: '30200.50', count: 3, since: null });
    expect(ledger.recent.map((r) => r.recoveredDate)).toEqual(['2026-03-05', '2026-02-25', '2026-01-10']);
  });

  it('missing sums are 0.00 and the sums are exact in cents', () => {
    expect(recoveryLedger([], '2026-03-20').allTime).toEqual({ total: '0.00', count: 0, since: null });
    const many = Array.from({ length: 10 }, (_, i) => recovery(i + 1, '0.10', '2026-03-01'));
    const ledger = recoveryLedger(many, '2026-03-20');
    // 10 × 0.10 is 1.00 exactly (a float sum would give 0.9999999999999999).
    expect(ledger.thisMonth.total).toBe('1.00');
    expect(ledger.recent).toHaveLength(5);
    expect(ledger.recent.map((r) => r.judgmentId)).toEqual([10, 9, 8, 7, 6]);
  });

  it('sums beyond 2^53 cents stay exact', () => {
    const big = Array.from({ length: 1000 }, (_, i) => recovery(i + 1, '9999999999.99', '2026-03-01'));
    expect(recoveryLedger(big, '2026-03-20').allTime.total).toBe('9999999999990.00');
  });
});
