import { describe, expect, it } from 'vitest';
import { nextAttemptAfterFailure } from './retry.ts';

describe('delivery retry schedule (§5, B7, B15)', () => {
  it('retries at +2, +6, +14, +30 minutes and stops after the 5th attempt', () => {
    let at = new Date('2026-03-02T06:00:00Z');
    const attempts = [at.toISOString()];
    for (let n = 1; ; n += 1) {
      const next = nextAttemptAfterFailure(n, at);
      if (!next) break;
      at = next;
      attempts.push(at.toISOString());
    }
    expect(attempts).toEqual([
      '2026-03-02T06:00:00.000Z',
      '2026-03-02T06:02:00.000Z',
      '2026-03-02T06:06:00.000Z',
      '2026-03-02T06:14:00.000Z',
      '2026-03-02T06:30:00.000Z',
    ]);
  });

  it('a one-attempt delivery (test event) never retries; bad attempt numbers throw', () => {
    expect(nextAttemptAfterFailure(1, new Date(0), 1)).toBeNull();
    expect(() => nextAttemptAfterFailure(0, new Date(0))).toThrow(RangeError);
  });
});
