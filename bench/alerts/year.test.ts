import { describe, expect, it } from 'vitest';
import { toEpochDay } from '../../src/domain/analytics/dates.ts';
import { type GeneratedClaim, generateHistory } from '../detection/generator.ts';
import { longestStreak, percentile } from './report.ts';
import { type CustomerProfile, generateYear, YEAR_FIRST_SUBMISSION } from './year.ts';

/** A small customer: two cell-level changes (one reverting), a payer slowdown, nothing else. */
const PROFILE: CustomerProfile = {
  name: 'Test practice',
  seed: 7,
  payers: 3,
  groups: 4,
  claimsPerCellWeek: 30,
  changes: [
    {
      label: 'persisting',
      change: { kind: 'denial_rate', cells: 2, factor: 3, from: '2026-03-09', by: 'decided' },
      until: null,
    },
    {
      label: 'reverting',
      change: { kind: 'denial_rate', cells: 2, factor: 3, from: '2026-05-04', by: 'decided' },
      until: '2026-06-08',
    },
    {
      label: 'slower payments',
      change: { kind: 'payment_lag', payers: 1, days: 8, from: '2026-07-06' },
      until: null,
    },
  ],
};

function cellOf(year: ReturnType<typeof generateYear>, claim: GeneratedClaim): string {
  const h = year.history;
  return `${h.payers[claim.payer]?.name} | ${h.groups[claim.group]?.name}`;
}

describe('generateYear', () => {
  const year = generateYear(PROFILE);
  const base = generateHistory({
    seed: PROFILE.seed,
    payers: PROFILE.payers,
    groups: PROFILE.groups,
    claimsPerCellWeek: PROFILE.claimsPerCellWeek,
    firstSubmission: YEAR_FIRST_SUBMISSION,
    submissionsEnd: year.mondays.at(-1) as string,
    decisionTimes: year.history.spec.decisionTimes,
    changes: [],
  });
  const [persisting, reverting, slower] = year.plants;

  it('keeps the base world: same claims, same ids, 52 Mondays', () => {
    expect(year.history.claims.length).toBe(base.claims.length);
    expect(year.history.claims.map((c) => c.id)).toEqual(base.claims.map((c) => c.id));
    expect(year.mondays).toHaveLength(52);
    expect(year.mondays[0]).toBe('2026-01-05');
  });

  it('plants cell-level changes on disjoint cells', () => {
    const a = persisting?.effect && 'cells' in persisting.effect ? persisting.effect.cells : [];
    const b = reverting?.effect && 'cells' in reverting.effect ? reverting.effect.cells : [];
    expect(a).toHaveLength(2);
    expect(b).toHaveLength(2);
    const names = new Set(a.map((c) => `${c.payer} | ${c.cptGroup}`));
    for (const c of b) expect(names.has(`${c.payer} | ${c.cptGroup}`)).toBe(false);
  });

  it('changes claims only in the cells and periods of their changes', () => {
    const persistingCells = new Set(
      persisting
        ? ['cells' in persisting.effect ? persisting.effect.cells : []]
            .flat()
            .map((c) => `${c.payer} | ${c.cptGroup}`)
        : [],
    );
    const revertingCells = new Set(
      reverting
        ? ['cells' in reverting.effect ? reverting.effect.cells : []]
            .flat()
            .map((c) => `${c.payer} | ${c.cptGroup}`)
        : [],
    );
    const slowPayer = slower && 'payers' in slower.effect ? slower.effect.payers[0] : undefined;
    const start = toEpochDay('2026-03-09');
    const revertFrom = toEpochDay('2026-05-04');
    const revertUntil = toEpochDay('2026-06-08');
    const denied = { persisting: 0, reverting: 0, afterRevert: 0 };
    for (let i = 0; i < base.claims.length; i++) {
      const b = base.claims[i] as GeneratedClaim;
      const y = year.history.claims[i] as GeneratedClaim;
      const cell = cellOf(year, b);
      const flipped = b.outcome === 'PAID' && y.outcome === 'DENIED';
      if (flipped) {
        if (persistingCells.has(cell)) {
          expect(b.decided).toBeGreaterThanOrEqual(start);
          denied.persisting++;
        } else {
          expect(revertingCells.has(cell)).toBe(true);
          expect(b.decided).toBeGreaterThanOrEqual(revertFrom);
          expect(b.decided).toBeLessThan(revertUntil);
          denied.reverting++;
        }
      }
      if (revertingCells.has(cell) && b.decided >= revertUntil && y.outcome !== b.outcome)
        denied.afterRevert++;
      // Decisions never move (no decision change planted); payments move only for the slow payer.
      expect(y.decided).toBe(b.decided);
      if (y.outcome === 'PAID' && y.payment !== b.payment) {
        expect(year.history.payers[b.payer]?.name).toBe(slowPayer);
        expect((y.payment as number) - (b.payment as number)).toBe(8);
      }
      if (y.outcome === 'DENIED') expect(y.payment).toBeNull();
    }
    expect(denied.persisting).toBeGreaterThan(0);
    expect(denied.reverting).toBeGreaterThan(0);
    expect(denied.afterRevert).toBe(0);
    expect(persisting?.effect.claimsChanged).toBe(denied.persisting);
    expect(reverting?.effect.claimsChanged).toBe(denied.reverting);
  });

  it('gives each plant the truth of that change alone', () => {
    expect(persisting?.truth.expected.map((e) => e.signal)).toEqual(['DENIAL_RATE', 'DENIAL_RATE']);
    expect(slower?.truth.expected).toEqual([
      {
        product: 'delayguard',
        signal: 'payment_delay_drift',
        entity: expect.any(String),
        direction: 'degrading',
      },
    ]);
  });
});

describe('report helpers', () => {
  it('takes nearest-rank percentiles and the longest weekly streak', () => {
    expect(percentile([0, 0, 0, 0, 0, 0, 0, 0, 1, 5], 90)).toBe(1);
    expect(percentile([], 90)).toBe(0);
    expect(longestStreak([3, 4, 5, 9, 10])).toBe(3);
    expect(longestStreak([])).toBe(0);
  });
});
