import { describe, expect, it } from 'vitest';
import { addDays } from '../../src/domain/analytics/dates.ts';
import { generateHistory, TYPICAL_DECISION_TIMES } from './generator.ts';
import { aggregate } from './report.ts';
import type { SeedResult } from './runner.ts';
import { BENCH_AS_OF } from './scenarios.ts';
import { type Detection, falseAlarmRate, precision, recall, scoreRun, type Truth, truthOf } from './score.ts';

const truth: Truth = {
  expected: [
    { product: 'driftwatch', signal: 'DENIAL_RATE', entity: 'A | X', direction: 'degrading' },
    { product: 'driftwatch', signal: 'DENIAL_RATE', entity: 'B | X', direction: 'degrading' },
  ],
  neutral: [{ product: 'denialscope', signals: '*', entity: 'A | CO-16' }],
  universe: {
    driftwatch: ['A | X', 'A | Y', 'B | X', 'B | Y'],
    denialscope: ['A | CO-16', 'B | CO-16'],
    delayguard: ['A', 'B'],
  },
};

const d = (
  product: Detection['product'],
  signal: string,
  entity: string,
  direction: Detection['direction'],
): Detection => ({
  product,
  signal,
  entity,
  direction,
});

describe('detection benchmark scoring', () => {
  it('counts a planted change found in its direction as TP, anything else as FP, neutral entities apart', () => {
    const score = scoreRun(truth, [
      d('driftwatch', 'DENIAL_RATE', 'A | X', 'degrading'), // TP
      d('driftwatch', 'DENIAL_RATE', 'A | X', 'degrading'), // duplicate, ignored
      d('driftwatch', 'DENIAL_RATE', 'B | X', 'improving'), // wrong direction: FP, B | X stays FN
      d('driftwatch', 'DENIAL_RATE', 'A | Y', 'degrading'), // FP
      d('driftwatch', 'DECISION_TIME', 'A | X', 'improving'), // FP of another signal on a planted cell
      d('denialscope', 'denial_rate_spike', 'A | CO-16', 'degrading'), // neutral
      d('denialscope', 'denial_rate_spike', 'B | CO-16', 'degrading'), // FP
    ]);
    expect(score.signals['driftwatch/DENIAL_RATE']?.counts).toEqual({
      truth: 2,
      tp: 1,
      fp: 2,
      fn: 1,
      neutral: 0,
      unchanged: 2,
    });
    expect(score.signals['driftwatch/DENIAL_RATE']?.found).toEqual(['A | X']);
    expect(score.signals['driftwatch/DECISION_TIME']?.counts).toMatchObject({
      truth: 0,
      fp: 1,
      unchanged: 4,
    });
    expect(score.signals['denialscope/denial_rate_spike']?.counts).toMatchObject({
      fp: 1,
      neutral: 1,
      unchanged: 1,
    });
    // Product totals: sums over the signals; unchanged counts (entity, signal) pairs: 2 + 4 + 4.
    expect(score.products['driftwatch']).toMatchObject({ truth: 2, tp: 1, fp: 3, fn: 1, unchanged: 10 });
    expect(score.detections.map((x) => x.verdict)).toEqual([
      'tp',
      'duplicate',
      'fp',
      'fp',
      'fp',
      'neutral',
      'fp',
    ]);
    const c = score.signals['driftwatch/DENIAL_RATE']?.counts;
    if (!c) throw new Error('missing');
    expect(precision(c)).toBeCloseTo(1 / 3);
    expect(recall(c)).toBe(0.5);
    expect(falseAlarmRate(c)).toBe(1);
  });

  it('accepts a detection without a direction (emerging lists may not carry one)', () => {
    const score = scoreRun(truth, [d('driftwatch', 'DENIAL_RATE', 'B | X', null)]);
    expect(score.signals['driftwatch/DENIAL_RATE']?.counts).toMatchObject({ tp: 1, fp: 0, fn: 1 });
  });

  it('derives the truth from the planted effects of a history', () => {
    const from = addDays(BENCH_AS_OF, -14);
    const h = generateHistory({
      seed: 5,
      payers: 5,
      groups: 8,
      claimsPerCellWeek: 20,
      firstSubmission: addDays(BENCH_AS_OF, -120),
      submissionsEnd: BENCH_AS_OF,
      decisionTimes: TYPICAL_DECISION_TIMES,
      changes: [
        { kind: 'denial_rate', cells: 8, factor: 2, from, by: 'decided' },
        { kind: 'reason_spike', factor: 3, from, payer: 'without_allowed' },
      ],
    });
    const t = truthOf(h);
    expect(t.universe.driftwatch).toHaveLength(40);
    expect(t.universe.denialscope).toHaveLength(25);
    expect(t.universe.delayguard).toHaveLength(5);
    expect(t.expected.filter((e) => e.signal === 'DENIAL_RATE')).toHaveLength(8);
    const spike = h.planted[1];
    if (spike?.kind !== 'reason_spike') throw new Error('expected a spike');
    // A count spike (the payer reports no allowed amount on denials): rate and volume spikes.
    expect(t.expected.filter((e) => e.product === 'denialscope').map((e) => e.signal)).toEqual([
      'denial_rate_spike',
      'denial_volume_spike',
    ]);
    // Its payer's cells are neutral for DENIAL_RATE; the drifted cells' payers' keys for DenialScope.
    expect(t.neutral.filter((n) => n.product === 'driftwatch')).toHaveLength(8);
  });

  it('pools seeds and counts planted entities found in some run so far', () => {
    const found = (entities: string[]) => ({
      findings: scoreRun(
        truth,
        entities.map((e) => d('driftwatch', 'DENIAL_RATE', e, 'degrading')),
      ),
      emerging: null,
    });
    const seed = (n: number, runs: string[][]): SeedResult => ({
      scenario: 's',
      seed: n,
      claims: 100,
      planted: [],
      truth,
      millis: { generate: 0, load: 0, copy: 0, rollups: 0, analyse: 0 },
      runs: runs.map((entities, i) => ({
        index: i + 1,
        asOf: addDays(BENCH_AS_OF, 7 * i),
        modes: { strict: found(entities), reference: found([]) },
      })),
    });
    const agg = aggregate('s', [seed(1, [['A | X'], ['B | X']]), seed(2, [[], ['A | Y']])]);
    expect(agg.runs).toHaveLength(2);
    expect(agg.runs[0]?.findings.strict.signals['driftwatch/DENIAL_RATE']).toMatchObject({
      truth: 4,
      tp: 1,
      fp: 0,
    });
    expect(agg.runs[1]?.findings.strict.signals['driftwatch/DENIAL_RATE']).toMatchObject({
      truth: 4,
      tp: 1,
      fp: 1,
    });
    // Seed 1 found A | X in run 1 and B | X in run 2: 2 of its 2 by run 2; seed 2 none.
    expect(agg.runs[1]?.foundSoFar.strict['driftwatch/DENIAL_RATE']).toBe(2);
    expect(agg.runs[0]?.foundSoFar.reference['driftwatch/DENIAL_RATE']).toBe(0);
  });
});
