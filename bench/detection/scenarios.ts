/**
 * The named scenarios of the detection benchmark. Every scenario is one customer of P × G cells
 * (default 5 × 8) whose history is generated per seed; its scored runs are weekly, the first at
 * `BENCH_AS_OF` (a Monday). Change dates are relative to that first scored run.
 */
import { addDays } from '../../src/domain/analytics/dates.ts';
import {
  type DecisionTimeModel,
  HEAVY_PENDING_TAIL,
  type HistorySpec,
  type PlantedChange,
  TYPICAL_DECISION_TIMES,
} from './generator.ts';

/** First scored run of every scenario (a Monday, like the weekly schedule). */
export const BENCH_AS_OF = '2026-06-01';
/** Days of submissions before the first scored run: 104 + 60 days plus ~5 weeks of decision lag. */
export const HISTORY_DAYS = 200;

export interface Scenario {
  readonly name: string;
  /** One line for the report. */
  readonly description: string;
  /** The item it answers: a–g (h: extra). */
  readonly item: string;
  readonly claimsPerCellWeek: number;
  readonly decisionTimes: DecisionTimeModel;
  readonly historyDays: number;
  /** Weekly scored runs from BENCH_AS_OF (1 = only BENCH_AS_OF). */
  readonly scoredRuns: number;
  readonly changes: readonly PlantedChange[];
}

const T = BENCH_AS_OF;

/**
 * Control: denials decided as slowly as payments (both median 14 days, σ 0.45), so pending
 * claims do not change the mix of outcomes seen in recent windows.
 */
const EQUAL_DECISION_TIMES: DecisionTimeModel = {
  paidMedianDays: 14,
  paidSigma: 0.45,
  deniedMedianDays: 14,
  deniedSigma: 0.45,
};

function scenario(s: Partial<Scenario> & Pick<Scenario, 'name' | 'description' | 'item'>): Scenario {
  return {
    claimsPerCellWeek: 100,
    decisionTimes: TYPICAL_DECISION_TIMES,
    historyDays: HISTORY_DAYS,
    scoredRuns: 1,
    changes: [],
    ...s,
  };
}

const decisionDateDrift = (cells: number): PlantedChange => ({
  kind: 'denial_rate',
  cells,
  factor: 2,
  from: addDays(T, -14),
  by: 'decided',
});

export const SCENARIOS: readonly Scenario[] = [
  scenario({
    name: 'main',
    item: 'a',
    description: 'denial rate x2 in 8/40 cells for decisions in the last 14 days; 100 claims/cell/week',
    changes: [decisionDateDrift(8)],
  }),
  scenario({
    name: 'main-equal-times',
    item: 'a',
    description: 'as main, but denials take as long to decide as payments (control of the censoring bias)',
    decisionTimes: EQUAL_DECISION_TIMES,
    changes: [decisionDateDrift(8)],
  }),
  scenario({
    name: 'main-n50',
    item: 'a,e',
    description: 'as main, 50 claims/cell/week',
    claimsPerCellWeek: 50,
    changes: [decisionDateDrift(8)],
  }),
  scenario({
    name: 'main-n200',
    item: 'a',
    description: 'as main, 200 claims/cell/week',
    claimsPerCellWeek: 200,
    changes: [decisionDateDrift(8)],
  }),
  scenario({
    name: 'lowvol-n20',
    item: 'e',
    description: 'as main, 20 claims/cell/week',
    claimsPerCellWeek: 20,
    changes: [decisionDateDrift(8)],
  }),
  scenario({
    name: 'submission-drift',
    item: 'b',
    description:
      'denial rate x2 in 8/40 cells for claims submitted from 14 days before the first run on (persisting); runs at +0, +7, +14, +21 days',
    scoredRuns: 4,
    changes: [{ kind: 'denial_rate', cells: 8, factor: 2, from: addDays(T, -14), by: 'submitted' }],
  }),
  scenario({
    name: 'slowdown-decided',
    item: 'c',
    description:
      'decisions +5 days in 8/40 cells for decisions due from X on (X = 7 days before the first run); runs at X+7, X+14',
    scoredRuns: 2,
    changes: [{ kind: 'decision_delay', cells: 8, days: 5, from: addDays(T, -7), by: 'decided' }],
  }),
  scenario({
    name: 'slowdown-submitted',
    item: 'c',
    description:
      'claims submitted from X on take 5 days longer in 8/40 cells; runs at X+7 … X+35 (time to detection: the slowed claims must be decided first)',
    scoredRuns: 5,
    changes: [{ kind: 'decision_delay', cells: 8, days: 5, from: addDays(T, -7), by: 'submitted' }],
  }),
  scenario({
    name: 'stationary',
    item: 'd,g',
    description: 'nothing changes (typical decision times): every finding is a false alarm',
  }),
  scenario({
    name: 'stationary-equal-times',
    item: 'd',
    description:
      'nothing changes; denials take as long to decide as payments (control of the censoring bias)',
    decisionTimes: EQUAL_DECISION_TIMES,
  }),
  scenario({
    name: 'stationary-heavy-tail',
    item: 'd',
    description:
      'nothing changes; slow payers with long pending tails (PAID median 18 d, DENIED 12 d, sigma 0.8)',
    decisionTimes: HEAVY_PENDING_TAIL,
  }),
  scenario({
    name: 'stationary-short-history',
    item: 'd',
    description: 'nothing changes; the history starts only 110 days before the run',
    historyDays: 110,
  }),
  scenario({
    name: 'stationary-n20',
    item: 'd,e',
    description: 'nothing changes; 20 claims/cell/week',
    claimsPerCellWeek: 20,
  }),
  scenario({
    name: 'delayguard',
    item: 'f',
    description:
      'payment lag +8 days for 2 of 5 payers for claims decided from X on (X = 7 days before the first run); runs at X+7, X+14',
    scoredRuns: 2,
    changes: [{ kind: 'payment_lag', payers: 2, days: 8, from: addDays(T, -7) }],
  }),
  scenario({
    name: 'denialscope',
    item: 'g',
    description:
      'last 7 days: a new reason (20 denials) at one payer, a reason x3 at a payer with denial dollars and at the payer without',
    changes: [
      { kind: 'new_denial_reason', code: 'CO-252', claims: 20, from: addDays(T, -7), until: T },
      { kind: 'reason_spike', factor: 3, from: addDays(T, -7), payer: 'with_allowed' },
      { kind: 'reason_spike', factor: 3, from: addDays(T, -7), payer: 'without_allowed' },
    ],
  }),
  scenario({
    name: 'underpayment',
    item: 'h',
    description: 'PAID claims decided in the last 14 days paid 8 % of allowed less in 8/40 cells',
    changes: [{ kind: 'underpayment', cells: 8, extraRatio: 0.08, from: addDays(T, -14) }],
  }),
];

/** The run dates of a scenario: warm-up weeks (unscored) then the scored weekly runs. */
export function runDates(
  s: Scenario,
  warmupWeeks: number,
): { asOf: string; scored: boolean; index: number }[] {
  const out: { asOf: string; scored: boolean; index: number }[] = [];
  for (let w = warmupWeeks; w >= 1; w--) out.push({ asOf: addDays(T, -7 * w), scored: false, index: -w });
  for (let r = 0; r < s.scoredRuns; r++) out.push({ asOf: addDays(T, 7 * r), scored: true, index: r + 1 });
  return out;
}

/** The generator spec of a scenario for one seed (5 payers × 8 groups unless overridden). */
export function historySpec(
  s: Scenario,
  seed: number,
  shape: { payers: number; groups: number } = { payers: 5, groups: 8 },
): HistorySpec {
  return {
    seed,
    payers: shape.payers,
    groups: shape.groups,
    claimsPerCellWeek: s.claimsPerCellWeek,
    firstSubmission: addDays(T, -s.historyDays),
    submissionsEnd: addDays(T, 7 * (s.scoredRuns - 1)),
    decisionTimes: s.decisionTimes,
    changes: s.changes,
  };
}
