import { describe, expect, it } from 'vitest';
import {
  decideSuppression,
  type FindingSeverityLabel,
  type KeyHistoryAlert,
  type KeyJudgment,
  suppressionEntityKey,
} from './suppression.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function at(iso: string): Date {
  return new Date(iso);
}

function notified(
  id: number,
  when: Date | null,
  options: { label?: FindingSeverityLabel; suppressed?: boolean; fingerprint?: string } = {},
): KeyHistoryAlert {
  return {
    id,
    finding_fingerprint: options.fingerprint ?? `fp-${id}`,
    severity_label: options.label ?? 'high',
    suppressed: options.suppressed ?? false,
    notification_sent_at: when,
  };
}

function judged(
  alertId: number,
  fingerprint: string,
  verdict: KeyJudgment['verdict'],
  when: Date,
): KeyJudgment {
  return { alert_event_id: alertId, finding_fingerprint: fingerprint, verdict, verdict_at: when };
}

const NEW = { id: 100, severity_label: 'high' as const };

describe('suppression key (§6)', () => {
  it('is the lower-cased payer|subkey', () => {
    expect(suppressionEntityKey('Blue Cross Blue Shield', 'E&M')).toBe('blue cross blue shield|e&m');
    expect(suppressionEntityKey('Aetna', null)).toBe('aetna|');
  });
});

describe('cooldown (B4)', () => {
  it('2 h ago suppresses, 5 h ago delivers', () => {
    const now = at('2026-03-20T12:00:00Z');
    expect(
      decideSuppression({
        now,
        alert: NEW,
        history: [notified(1, new Date(now.getTime() - 2 * HOUR))],
        judgments: [],
      }),
    ).toEqual({ suppressed: true, reason: 'cooldown' });
    expect(
      decideSuppression({
        now,
        alert: NEW,
        history: [notified(1, new Date(now.getTime() - 5 * HOUR))],
        judgments: [],
      }),
    ).toEqual({ suppressed: false, escalation: false });
  });

  it('rolls: suppressed alerts restart the window', () => {
    const history: KeyHistoryAlert[] = [notified(1, at('2026-03-20T09:00:00Z'))];
    const steps: Array<[string, boolean]> = [
      ['2026-03-20T10:00:00Z', true],
      ['2026-03-20T13:00:00Z', true],
      ['2026-03-20T16:30:00Z', true],
      ['2026-03-20T20:31:00Z', false],
    ];
    let id = 2;
    for (const [when, suppressed] of steps) {
      const now = at(when);
      const decision = decideSuppression({
        now,
        alert: { id, severity_label: 'high' },
        history,
        judgments: [],
      });
      expect(decision.suppressed, when).toBe(suppressed);
      // A suppressed alert is stamped with its suppression time; a delivered one with its delivery.
      history.push(notified(id, now, { suppressed }));
      id += 1;
    }
  });
});

describe('noise memory (B5, now 2026-03-20 12:00)', () => {
  const now = at('2026-03-20T12:00:00Z');
  const old10 = notified(1, new Date(now.getTime() - 10 * DAY), { fingerprint: 'f1' });
  const old20 = notified(2, new Date(now.getTime() - 20 * DAY), { fingerprint: 'f2' });

  it('(a) no history → delivered', () => {
    expect(decideSuppression({ now, alert: NEW, history: [], judgments: [] }).suppressed).toBe(false);
  });

  it('(b) one finding judged noise → delivered', () => {
    expect(
      decideSuppression({ now, alert: NEW, history: [old10], judgments: [judged(1, 'f1', 'noise', now)] })
        .suppressed,
    ).toBe(false);
  });

  it('(c) two distinct findings judged noise within 30 days → noise_memory', () => {
    expect(
      decideSuppression({
        now,
        alert: NEW,
        history: [old10, old20],
        judgments: [judged(1, 'f1', 'noise', now), judged(2, 'f2', 'noise', now)],
      }),
    ).toEqual({ suppressed: true, reason: 'noise_memory' });
  });

  it('(d) judged 35 and 40 days ago → delivered', () => {
    expect(
      decideSuppression({
        now,
        alert: NEW,
        history: [],
        judgments: [
          judged(1, 'f1', 'noise', new Date(now.getTime() - 35 * DAY)),
          judged(2, 'f2', 'noise', new Date(now.getTime() - 40 * DAY)),
        ],
      }).suppressed,
    ).toBe(false);
  });

  it('(e) two judged real (or needs_followup) → delivered', () => {
    expect(
      decideSuppression({
        now,
        alert: NEW,
        history: [old10, old20],
        judgments: [judged(1, 'f1', 'real', now), judged(2, 'f2', 'needs_followup', now)],
      }).suppressed,
    ).toBe(false);
  });

  it('(h) one finding alerted by two rules counts once → delivered', () => {
    expect(
      decideSuppression({
        now,
        alert: NEW,
        history: [old10, notified(3, old10.notification_sent_at, { fingerprint: 'f1' })],
        judgments: [judged(1, 'f1', 'noise', now), judged(3, 'f1', 'noise', now)],
      }).suppressed,
    ).toBe(false);
  });

  it('(f, g) other keys and customers are never in the input (the repository reads by key): an empty history delivers', () => {
    // The key separation itself is asserted in send-alert.int.test.ts against the database.
    expect(decideSuppression({ now, alert: NEW, history: [], judgments: [] })).toEqual({
      suppressed: false,
      escalation: false,
    });
  });
});

describe('escalation is never suppressed (B6)', () => {
  it('a higher label than the last delivered alert is delivered despite the cooldown', () => {
    const history: KeyHistoryAlert[] = [notified(1, at('2026-03-20T08:00:00Z'), { label: 'high' })];
    const critical = decideSuppression({
      now: at('2026-03-20T09:00:00Z'),
      alert: { id: 2, severity_label: 'critical' },
      history,
      judgments: [],
    });
    expect(critical).toEqual({ suppressed: false, escalation: true });
    history.push(notified(2, at('2026-03-20T09:00:00Z'), { label: 'critical' }));
    expect(
      decideSuppression({
        now: at('2026-03-20T10:00:00Z'),
        alert: { id: 3, severity_label: 'high' },
        history,
        judgments: [],
      }),
    ).toEqual({ suppressed: true, reason: 'cooldown' });
  });

  it('beats noise memory: B5(c) history delivered as Medium, a new Critical is delivered', () => {
    const now = at('2026-03-20T12:00:00Z');
    const decision = decideSuppression({
      now,
      alert: { id: 9, severity_label: 'critical' },
      history: [
        notified(1, new Date(now.getTime() - 10 * DAY), { label: 'medium', fingerprint: 'f1' }),
        notified(2, new Date(now.getTime() - 20 * DAY), { label: 'medium', fingerprint: 'f2' }),
      ],
      judgments: [judged(1, 'f1', 'noise', now), judged(2, 'f2', 'noise', now)],
    });
    expect(decision).toEqual({ suppressed: false, escalation: true });
  });

  it('a suppressed alert is not "delivered": escalation compares with the last real delivery', () => {
    const decision = decideSuppression({
      now: at('2026-03-20T12:00:00Z'),
      alert: { id: 9, severity_label: 'high' },
      history: [
        notified(1, at('2026-03-20T09:00:00Z'), { label: 'medium' }),
        notified(2, at('2026-03-20T10:00:00Z'), { label: 'critical', suppressed: true }),
      ],
      judgments: [],
    });
    expect(decision).toEqual({ suppressed: false, escalation: true });
  });
});
