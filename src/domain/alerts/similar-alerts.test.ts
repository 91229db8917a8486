import { describe, expect, it } from 'vitest';
import { similarAlertContext, similarAlertMessage } from './similar-alerts.ts';

describe('similarAlertContext', () => {
  it('B12: the newest judgment wins, with its recovered amount', () => {
    const context = similarAlertContext(
      [
        {
          id: 1,
          alertId: 10,
          verdict: 'noise',
          verdictAt: new Date('2026-03-04T15:00:00Z'),
          recoveredAmount: null,
        },
        {
          id: 2,
          alertId: 11,
          verdict: 'real',
          verdictAt: new Date('2026-03-10T09:30:00Z'),
          recoveredAmount: '1500.00',
        },
      ],
      '2026-03-16',
    );
    expect(context).toMatchObject({
      type: 'confirmed',
      daysAgo: 6,
      alertId: 11,
      recoveredAmount: '1500.00',
      message: 'Similar alert confirmed real 6 days ago ($1,500.00 recovered)',
    });
  });

  it('nothing without judgments', () => {
    expect(similarAlertContext([], '2026-03-16')).toBeNull();
  });

  it('the messages of the §11 table', () => {
    expect(similarAlertMessage('noise', 3, null)).toBe('Similar alert marked as noise 3 days ago');
    expect(similarAlertMessage('real', 2, null)).toBe('Similar alert confirmed real 2 days ago');
    expect(similarAlertMessage('needs_followup', 9, null)).toBe(
      'Similar alert flagged for follow-up 9 days ago (unresolved)',
    );
    const pending = similarAlertContext(
      [
        {
          id: 5,
          alertId: 1,
          verdict: 'needs_followup',
          verdictAt: new Date('2026-03-16T00:00:00Z'),
          recoveredAmount: null,
        },
      ],
      '2026-03-16',
    );
    expect(pending).toMatchObject({ type: 'pending', daysAgo: 0 });
  });

  it('a tie on verdict_at goes to the later judgment', () => {
    const at = new Date('2026-03-10T00:00:00Z');
    const context = similarAlertContext(
      [
        { id: 7, alertId: 1, verdict: 'noise', verdictAt: at, recoveredAmount: null },
        { id: 3, alertId: 2, verdict: 'real', verdictAt: at, recoveredAmount: null },
      ],
      '2026-03-11',
    );
    expect(context?.type).toBe('noise');
  });
});
