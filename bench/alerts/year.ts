/**
 * A generated year for the alert-fatigue bench (issue 12 item 9): one customer's claims from
 * the detection bench's generator (`generateHistory`), with payer changes planted mid-year,
 * some persisting to year end and some reverting after a few weeks.
 *
 * The generator plants a change from its `from` date on and (except a new denial reason) never
 * reverts it, and every cell-level change of one seed lands on the same first cells of the
 * seed's cell order. Both are what the detection bench wants; a year wants more. Instead of
 * changing the generator, the year is composed from histories of one seed: the base history
 * (no change) and one history per planted change (that change alone). A seed's base world is
 * the same in all of them (every change draws from its own random stream, claim ids and
 * volumes do not depend on the changes), so claim i is the same claim everywhere and a change's
 * effect on it is the difference between its history and the base. The year takes, for every
 * claim, the base claim plus the effect of each change whose cells (or payer) it is in and
 * whose period [from, until) holds its timeline date. Cell-level changes get disjoint cells by
 * planting `offset + n` cells and keeping the last n of them (the generator's cell choice for k
 * cells is the first k of one shuffled order).
 */
import { addDays, toEpochDay } from '../../src/domain/analytics/dates.ts';
import {
  type CellRef,
  type GeneratedClaim,
  generateHistory,
  type History,
  type HistorySpec,
  type PlantedChange,
  type PlantedEffect,
  TYPICAL_DECISION_TIMES,
} from '../detection/generator.ts';
import { type Truth, truthOf } from '../detection/score.ts';

/** First Monday replayed; the year's runs are the 52 Mondays from here. */
export const YEAR_FIRST_MONDAY = '2026-01-05';
export const YEAR_WEEKS = 52;
/**
 * Claims are submitted from here: the first run's windows reach back 104 days, and claims take
 * a few weeks to be decided, so five months of history precede the first Monday.
 */
export const YEAR_FIRST_SUBMISSION = '2025-08-04';

/** A change of the year: the generator's change plus, for a reverting one, its end. */
export interface YearChange {
  /** Short label for the report. */
  readonly label: string;
  readonly change: PlantedChange;
  /** Exclusive end of the change (by its timeline date); null: persists to year end. */
  readonly until: string | null;
}

export interface CustomerProfile {
  readonly name: string;
  readonly seed: number;
  readonly payers: number;
  readonly groups: number;
  readonly claimsPerCellWeek: number;
  readonly changes: readonly YearChange[];
}

/** A planted change of the year as built: its effect (entities) and its truth. */
export interface YearPlant {
  readonly label: string;
  readonly from: string;
  readonly until: string | null;
  readonly effect: PlantedEffect;
  /** What the detectors should report for this change alone (and what is neutral). */
  readonly truth: Truth;
}

export interface YearHistory {
  readonly history: History;
  readonly plants: readonly YearPlant[];
  /** The replayed Mondays (run dates). */
  readonly mondays: readonly string[];
}

function spec(profile: CustomerProfile, changes: readonly PlantedChange[]): HistorySpec {
  return {
    seed: profile.seed,
    payers: profile.payers,
    groups: profile.groups,
    claimsPerCellWeek: profile.claimsPerCellWeek,
    firstSubmission: YEAR_FIRST_SUBMISSION,
    submissionsEnd: addDays(YEAR_FIRST_MONDAY, 7 * (YEAR_WEEKS - 1)),
    decisionTimes: TYPICAL_DECISION_TIMES,
    changes,
  };
}

function isCellChange(change: PlantedChange): change is Extract<PlantedChange, { cells: number }> {
  return change.kind === 'denial_rate' || change.kind === 'decision_delay' || change.kind === 'underpayment';
}

/** The day a change is judged by for a claim: submission or decision (base history). */
function timelineDay(change: PlantedChange, base: GeneratedClaim): number {
  return 'by' in change && change.by === 'submitted' ? base.submitted : base.decided;
}

/** Adds the effect of one change on a claim (changed − base) to the year's claim. */
function applyEffect(into: GeneratedClaim, base: GeneratedClaim, changed: GeneratedClaim): void {
  into.decided += changed.decided - base.decided;
  if (changed.outcome !== base.outcome) {
    into.outcome = changed.outcome;
    into.reason = changed.reason;
    into.allowedCents = changed.allowedCents;
  }
  if (changed.payment !== null && base.payment !== null && into.payment !== null) {
    into.payment += changed.payment - base.payment;
  }
  into.paidCents += changed.paidCents - base.paidCents;
  // A denied claim is never paid, whichever change denied it.
  if (into.outcome === 'DENIED') {
    into.payment = null;
    into.paidCents = 0;
  }
}

/** Builds the year of a customer (deterministic for a profile). */
export function generateYear(profile: CustomerProfile): YearHistory {
  const base = generateHistory(spec(profile, []));
  const claims: GeneratedClaim[] = base.claims.map((c) => ({ ...c }));
  const plants: YearPlant[] = [];
  const usedCells = new Set<string>();
  const cellName = (c: CellRef): string => `${c.payer}\u0000${c.cptGroup}`;
  let cellOffset = 0;
  for (const yearChange of profile.changes) {
    const planted = isCellChange(yearChange.change)
      ? { ...yearChange.change, cells: cellOffset + yearChange.change.cells }
      : yearChange.change;
    const alone = generateHistory(spec(profile, [planted]));
    const raw = alone.planted[0] as PlantedEffect;
    let effect: PlantedEffect = raw;
    let inScope: (claim: GeneratedClaim) => boolean = () => true;
    if ('cells' in raw) {
      const own = raw.cells.filter((c) => !usedCells.has(cellName(c)));
      for (const c of own) usedCells.add(cellName(c));
      cellOffset += own.length;
      const mine = new Set(own.map(cellName));
      const payers = base.payers.map((p) => p.name);
      const groups = base.groups.map((g) => g.name);
      inScope = (claim) =>
        mine.has(cellName({ payer: payers[claim.payer] as string, cptGroup: groups[claim.group] as string }));
      effect = { ...raw, cells: own, change: yearChange.change };
    }
    const until = yearChange.until === null ? Number.POSITIVE_INFINITY : toEpochDay(yearChange.until);
    let changedClaims = 0;
    for (let i = 0; i < claims.length; i++) {
      const b = base.claims[i] as GeneratedClaim;
      const c = alone.claims[i] as GeneratedClaim;
      if (!inScope(b) || timelineDay(yearChange.change, b) >= until) continue;
      if (
        c.decided === b.decided &&
        c.outcome === b.outcome &&
        c.payment === b.payment &&
        c.paidCents === b.paidCents
      )
        continue;
      applyEffect(claims[i] as GeneratedClaim, b, c);
      changedClaims++;
    }
    effect = { ...effect, claimsChanged: changedClaims };
    const history: History = { ...base, planted: [effect] };
    plants.push({
      label: yearChange.label,
      from: yearChange.change.from,
      until: yearChange.until,
      effect,
      truth: truthOf(history),
    });
  }
  const mondays = Array.from({ length: YEAR_WEEKS }, (_, w) => addDays(YEAR_FIRST_MONDAY, 7 * w));
  return {
    history: { ...base, claims, planted: plants.map((p) => p.effect) },
    plants,
    mondays,
  };
}

/** Entities of a plant, for the report (`payer | group`, `payer | reason` or a payer). */
export function plantEntities(effect: PlantedEffect): string[] {
  if ('cells' in effect) return effect.cells.map((c) => `${c.payer} | ${c.cptGroup}`);
  if ('payers' in effect) return [...effect.payers];
  return [`${effect.payer} | ${effect.reason}`];
}

/**
 * Three customers of different size, each with six changes at different times of the year:
 * a denial-rate doubling in some cells from March that persists, a payer's top denial reason
 * used three times as often from April on, a denial-rate jump in May that reverts after five
 * weeks, a payment slowdown of one payer from July that persists, a new denial reason used for
 * four weeks in August–September (10–15 a week: DenialScope needs 10 in a week to call a
 * reason new), and a decision slowdown from October that persists.
 * `scale` multiplies the claim volumes (1 = the sizes below).
 */
export function customerProfiles(scale = 1): CustomerProfile[] {
  const year = (cells: { persist: number; revert: number; slow: number }, newReasonClaims: number) =>
    [
      {
        label: 'denial rate x2 from 2026-03-09, persists',
        change: { kind: 'denial_rate', cells: cells.persist, factor: 2, from: '2026-03-09', by: 'decided' },
        until: null,
      },
      {
        label: 'denial rate x2.5 2026-05-04 to 2026-06-08 (5 weeks), reverts',
        change: { kind: 'denial_rate', cells: cells.revert, factor: 2.5, from: '2026-05-04', by: 'decided' },
        until: '2026-06-08',
      },
      {
        label: "a payer's top denial reason x3 from 2026-04-13, persists",
        change: { kind: 'reason_spike', factor: 3, from: '2026-04-13', payer: 'with_allowed' },
        until: null,
      },
      {
        label: 'payment lag +8 days (1 payer) from 2026-07-06, persists',
        change: { kind: 'payment_lag', payers: 1, days: 8, from: '2026-07-06' },
        until: null,
      },
      {
        label: `new denial reason CO-252 (${newReasonClaims} claims) 2026-08-17 to 2026-09-14, stops`,
        change: {
          kind: 'new_denial_reason',
          code: 'CO-252',
          claims: newReasonClaims,
          from: '2026-08-17',
          until: '2026-09-14',
        },
        until: '2026-09-14',
      },
      {
        label: 'decisions +6 days from 2026-10-05, persists',
        change: { kind: 'decision_delay', cells: cells.slow, days: 6, from: '2026-10-05', by: 'decided' },
        until: null,
      },
    ] satisfies YearChange[];
  const volume = (n: number): number => Math.max(1, Math.round(n * scale));
  return [
    {
      name: 'Small practice',
      seed: 101,
      payers: 3,
      groups: 4,
      claimsPerCellWeek: volume(30),
      changes: year({ persist: 1, revert: 1, slow: 1 }, Math.max(12, volume(40))),
    },
    {
      name: 'Mid-size group',
      seed: 202,
      payers: 5,
      groups: 8,
      claimsPerCellWeek: volume(40),
      changes: year({ persist: 2, revert: 2, slow: 2 }, Math.max(12, volume(60))),
    },
    {
      name: 'RCM firm',
      seed: 303,
      payers: 10,
      groups: 8,
      claimsPerCellWeek: volume(25),
      changes: year({ persist: 3, revert: 2, slow: 2 }, Math.max(12, volume(60))),
    },
  ];
}
