import { describe, expect, it } from 'vitest';
import { addDays, toEpochDay } from '../../src/domain/analytics/dates.ts';
import {
  type GeneratedClaim,
  generateHistory,
  type History,
  type HistorySpec,
  type PlantedChange,
  TYPICAL_DECISION_TIMES,
  visibleAt,
} from './generator.ts';
import { BENCH_AS_OF, historySpec, SCENARIOS } from './scenarios.ts';

const T = BENCH_AS_OF;
const t = toEpochDay(T);

function spec(changes: readonly PlantedChange[], overrides: Partial<HistorySpec> = {}): HistorySpec {
  return {
    seed: 11,
    payers: 5,
    groups: 8,
    claimsPerCellWeek: 100,
    firstSubmission: addDays(T, -200),
    submissionsEnd: T,
    decisionTimes: TYPICAL_DECISION_TIMES,
    changes,
    ...overrides,
  };
}

const stationary = generateHistory(spec([]));

function cellOf(h: History, c: GeneratedClaim): string {
  return `${h.payers[c.payer]?.name} | ${h.groups[c.group]?.name}`;
}

function plantedCells(h: History): Set<string> {
  const effect = h.planted[0];
  if (!effect || !('cells' in effect)) throw new Error('no planted cells');
  return new Set(effect.cells.map((c) => `${c.payer} | ${c.cptGroup}`));
}

/** Denied share among claims matching `where`. */
function deniedShare(claims: readonly GeneratedClaim[], where: (c: GeneratedClaim) => boolean): number {
  const selected = claims.filter(where);
  return selected.filter((c) => c.outcome === 'DENIED').length / selected.length;
}

describe('detection benchmark generator', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const small = spec([{ kind: 'denial_rate', cells: 3, factor: 2, from: addDays(T, -14), by: 'decided' }], {
      payers: 3,
      groups: 4,
      claimsPerCellWeek: 30,
    });
    const a = generateHistory(small);
    const b = generateHistory(small);
    expect(b.claims).toEqual(a.claims);
    expect(b.planted).toEqual(a.planted);
    const other = generateHistory({ ...small, seed: 12 });
    expect(other.claims.length).not.toBe(a.claims.length);
  });

  it('has realistic volumes, dates, amounts and reasons', () => {
    const h = stationary;
    const days = 200;
    // Poisson volume: 100 claims per cell per week over 200 days and 40 cells.
    expect(h.claims.length / (40 * days) / (100 / 7)).toBeGreaterThan(0.97);
    expect(h.claims.length / (40 * days) / (100 / 7)).toBeLessThan(1.03);
    const paidDays = h.claims.filter((c) => c.outcome === 'PAID').map((c) => c.decided - c.submitted);
    const deniedDays = h.claims.filter((c) => c.outcome === 'DENIED').map((c) => c.decided - c.submitted);
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
    expect(median(paidDays)).toBe(14);
    expect(median(deniedDays)).toBe(9);
    const denied = h.claims.filter((c) => c.outcome === 'DENIED').length / h.claims.length;
    expect(denied).toBeGreaterThan(0.07);
    expect(denied).toBeLessThan(0.13);
    // Checked claim by claim without expect() (a hundred thousand calls are slow); the first
    // offending claim is reported.
    const broken = h.claims.find((c) => {
      if (!(c.decided > c.submitted && c.submitted < t)) return true;
      const payer = h.payers[c.payer];
      if (c.outcome === 'PAID') {
        const lag = (c.payment ?? Number.NaN) - c.decided;
        return !(lag >= 0 && lag <= 5 && c.paidCents <= (c.allowedCents ?? -1) && c.reason === null);
      }
      return !(
        c.payment === null &&
        c.paidCents === 0 &&
        payer?.reasons.some((r) => r.code === c.reason) &&
        (c.allowedCents === null) === !payer.allowedOnDenials
      );
    });
    expect(broken).toBeUndefined();
    // Most PAID claims are paid in full; some are underpaid.
    const paid = h.claims.filter((c) => c.outcome === 'PAID');
    const underpaid = paid.filter((c) => c.paidCents < (c.allowedCents as number)).length / paid.length;
    expect(underpaid).toBeGreaterThan(0.1);
    expect(underpaid).toBeLessThan(0.2);
    // Exactly one payer (the last) reports no allowed amount on denials.
    expect(h.payers.map((p) => p.allowedOnDenials)).toEqual([true, true, true, true, false]);
  });

  it('shows at a run date only claims decided before it, and payment dates before it', () => {
    for (const asOf of [addDays(T, -30), addDays(T, -7), T]) {
      const visible = visibleAt(stationary, asOf);
      const limit = toEpochDay(asOf);
      expect(visible.length).toBeGreaterThan(0);
      const leaked = visible.find(
        (v) =>
          v.claim.decided >= limit ||
          (v.payment !== null && (v.payment >= limit || v.payment !== v.claim.payment)) ||
          (v.payment === null && v.claim.payment !== null && v.claim.payment < limit),
      );
      expect(leaked).toBeUndefined();
      // Every claim decided before the run date is there.
      expect(visible.length).toBe(stationary.claims.filter((c) => c.decided < limit).length);
      // Right-censoring is real: recent submissions are mostly absent, and some paid claims pending.
      const lastWeek = stationary.claims.filter((c) => c.submitted >= limit - 7 && c.submitted < limit);
      const lastWeekVisible = visible.filter((v) => v.claim.submitted >= limit - 7);
      expect(lastWeekVisible.length).toBeLessThan(lastWeek.length * 0.1);
      expect(visible.some((v) => v.claim.outcome === 'PAID' && v.payment === null)).toBe(true);
    }
  });

  it('every scenario generates (a scenario never asks for more than the world has)', () => {
    for (const s of SCENARIOS) {
      const h = generateHistory(historySpec(s, 3, { payers: 5, groups: 8 }));
      expect(h.claims.length).toBeGreaterThan(0);
      for (const effect of h.planted) expect(effect.claimsChanged).toBeGreaterThan(0);
    }
  });

  it('denial-rate drift by decision date: only planted cells change, their denial rate doubles', () => {
    const from = addDays(T, -14);
    const h = generateHistory(spec([{ kind: 'denial_rate', cells: 8, factor: 2, from, by: 'decided' }]));
    const cells = plantedCells(h);
    expect(cells.size).toBe(8);
    const f = toEpochDay(from);
    expect(h.claims.length).toBe(stationary.claims.length);
    let flipped = 0;
    const wrong = h.claims.filter((c, i) => {
      const base = stationary.claims[i] as GeneratedClaim;
      if (c.decided !== base.decided) return true;
      if (c.outcome === base.outcome) return false;
      flipped++;
      // Only PAID → DENIED, only in planted cells, only for decisions on/after the change.
      return !(base.outcome === 'PAID' && cells.has(cellOf(h, c)) && c.decided >= f);
    });
    expect(wrong).toEqual([]);
    expect(flipped).toBe(h.planted[0]?.claimsChanged);
    const inWindow = (c: GeneratedClaim) => c.decided >= f && c.decided < t;
    const earlier = (c: GeneratedClaim) => c.decided >= f - 90 && c.decided < f;
    const planted = (c: GeneratedClaim) => cells.has(cellOf(h, c));
    const ratio =
      deniedShare(h.claims, (c) => planted(c) && inWindow(c)) /
      deniedShare(h.claims, (c) => planted(c) && earlier(c));
    expect(ratio).toBeGreaterThan(1.7);
    expect(ratio).toBeLessThan(2.3);
    const control =
      deniedShare(h.claims, (c) => !planted(c) && inWindow(c)) /
      deniedShare(h.claims, (c) => !planted(c) && earlier(c));
    expect(control).toBeGreaterThan(0.85);
    expect(control).toBeLessThan(1.15);
  });

  it('denial-rate drift by submission date flips only claims submitted on/after the change', () => {
    const from = addDays(T, -14);
    const h = generateHistory(spec([{ kind: 'denial_rate', cells: 8, factor: 2, from, by: 'submitted' }]));
    const cells = plantedCells(h);
    const wrong = h.claims.filter((c, i) => {
      const base = stationary.claims[i] as GeneratedClaim;
      return c.outcome !== base.outcome && !(cells.has(cellOf(h, c)) && c.submitted >= toEpochDay(from));
    });
    expect(wrong).toEqual([]);
    expect(h.planted[0]?.claimsChanged).toBeGreaterThan(50);
  });

  it('decision slowdown: planted cells decide (and pay) 5 days later from the change on', () => {
    const from = addDays(T, -7);
    const f = toEpochDay(from);
    for (const by of ['decided', 'submitted'] as const) {
      const h = generateHistory(spec([{ kind: 'decision_delay', cells: 8, days: 5, from, by }]));
      const cells = plantedCells(h);
      let delayed = 0;
      const wrong = h.claims.filter((c, i) => {
        const base = stationary.claims[i] as GeneratedClaim;
        if (c.outcome !== base.outcome) return true;
        const due = by === 'decided' ? base.decided >= f : base.submitted >= f;
        const shift = cells.has(cellOf(h, c)) && due ? 5 : 0;
        if (shift > 0) delayed++;
        return (
          c.decided !== base.decided + shift ||
          c.payment !== (base.payment === null ? null : base.payment + shift)
        );
      });
      expect(wrong).toEqual([]);
      expect(delayed).toBe(h.planted[0]?.claimsChanged);
      expect(delayed).toBeGreaterThan(100);
    }
  });

  it('payment lag: the planted payers are paid 8 days later for decisions from the change on', () => {
    const from = addDays(T, -7);
    const h = generateHistory(spec([{ kind: 'payment_lag', payers: 2, days: 8, from }]));
    const effect = h.planted[0];
    if (effect?.kind !== 'payment_lag') throw new Error('expected a payment lag');
    expect(effect.payers).toHaveLength(2);
    const wrong = h.claims.filter((c, i) => {
      const base = stationary.claims[i] as GeneratedClaim;
      const lagged =
        effect.payers.includes(h.payers[c.payer]?.name as string) &&
        c.outcome === 'PAID' &&
        c.decided >= toEpochDay(from);
      return (
        c.decided !== base.decided || c.payment !== (lagged ? (base.payment as number) + 8 : base.payment)
      );
    });
    expect(wrong).toEqual([]);
    expect(effect.claimsChanged).toBeGreaterThan(100);
  });

  it('underpayment: PAID claims of planted cells lose 8 % of allowed from the change on', () => {
    const from = addDays(T, -14);
    const h = generateHistory(spec([{ kind: 'underpayment', cells: 8, extraRatio: 0.08, from }]));
    const cells = plantedCells(h);
    const wrong = h.claims.filter((c, i) => {
      const base = stationary.claims[i] as GeneratedClaim;
      if (c.outcome === 'PAID' && cells.has(cellOf(h, c)) && c.decided >= toEpochDay(from)) {
        // Within a cent of rounding: paid = allowed × (1 − r − 0.08).
        return Math.abs(base.paidCents - c.paidCents - 0.08 * (c.allowedCents as number)) > 1;
      }
      return c.paidCents !== base.paidCents;
    });
    expect(wrong).toEqual([]);
    expect(h.planted[0]?.claimsChanged).toBeGreaterThan(100);
  });

  it('DenialScope plants: a new reason (exactly 20 denials in the last 7 days) and reasons used 3x as often', () => {
    const from = addDays(T, -7);
    const h = generateHistory(
      spec([
        { kind: 'new_denial_reason', code: 'CO-252', claims: 20, from, until: T },
        { kind: 'reason_spike', factor: 3, from, payer: 'with_allowed' },
        { kind: 'reason_spike', factor: 3, from, payer: 'without_allowed' },
      ]),
    );
    const [fresh, dollars, counts] = h.planted;
    if (
      fresh?.kind !== 'new_denial_reason' ||
      dollars?.kind !== 'reason_spike' ||
      counts?.kind !== 'reason_spike'
    )
      throw new Error('unexpected plants');
    // Three different payers; the count spike is on the payer without allowed amounts on denials.
    expect(new Set([fresh.payer, dollars.payer, counts.payer]).size).toBe(3);
    expect(dollars.allowedOnDenials).toBe(true);
    expect(counts.allowedOnDenials).toBe(false);
    const f = toEpochDay(from);
    const withNew = h.claims.filter((c) => c.reason === 'CO-252');
    expect(withNew).toHaveLength(20);
    for (const c of withNew) {
      expect(h.payers[c.payer]?.name).toBe(fresh.payer);
      expect(c.decided).toBeGreaterThanOrEqual(f);
      expect(c.decided).toBeLessThan(t);
    }
    expect(h.payers.find((p) => p.name === fresh.payer)?.reasons.map((r) => r.code)).not.toContain('CO-252');
    for (const spike of [dollars, counts]) {
      const of = (c: GeneratedClaim) =>
        h.payers[c.payer]?.name === spike.payer && c.reason === spike.reason && c.outcome === 'DENIED';
      const recent = h.claims.filter((c) => of(c) && c.decided >= f && c.decided < t).length;
      const weeklyBefore = h.claims.filter((c) => of(c) && c.decided >= f - 63 && c.decided < f).length / 9;
      expect(recent / weeklyBefore).toBeGreaterThan(2.2);
      expect(recent / weeklyBefore).toBeLessThan(4);
      expect(recent).toBeGreaterThanOrEqual(15);
    }
  });
});
