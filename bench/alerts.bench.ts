/**
 * `npm run bench alerts` (issue 12 item 9): alert fatigue. How many alerts a week would a
 * billing team get when payers change mid-year, how many are reminders of a change already
 * alerted, and how much does suppression (alerts-reports §6, unchanged) hold back?
 *
 * Three generated customers (a small practice, a mid-size group, an RCM firm with ten payers;
 * bench/alerts/year.ts) with the detection bench's generator and loader: a year of claims with
 * six payer changes planted at different times (four persist to year end, two stop after
 * four or five weeks) on top of the generator's stationary noise. For each customer the 52
 * scheduled Monday runs of 2026 are replayed (bench/alerts/replay.ts): data as of that Monday,
 * DriftWatch, DenialScope and DelayGuard, then alert evaluation and sending with the clock at
 * Monday 06:00 UTC, default rule only. A second pass over the same runs adds an operator who
 * judges every delivered alert through the real feedback command (noise when it matches no
 * planted change, real otherwise).
 *
 * BENCH_ALERTS_SCALE multiplies the claim volumes (default 1; 0.5 halves the runtime roughly).
 * Embedded PostgreSQL; a few minutes on 2 cores.
 */
import { createTestServices } from '../test/services.ts';
import { type CustomerResult, replayCustomer } from './alerts/replay.ts';
import { customerLines, summarisePass, summarisePlants } from './alerts/report.ts';
import { customerProfiles } from './alerts/year.ts';
import type { Benchmark, BenchResult } from './run.ts';

export const benchmark: Benchmark = {
  name: 'alerts',
  async run(): Promise<BenchResult> {
    const scale = Number(process.env['BENCH_ALERTS_SCALE'] ?? '1');
    if (!(scale > 0)) throw new Error('BENCH_ALERTS_SCALE must be a positive number');
    const services = await createTestServices({ redis: false, env: { EMAIL_BACKEND: 'memory' } });
    const t0 = performance.now();
    const results: CustomerResult[] = [];
    try {
      for (const profile of customerProfiles(scale)) results.push(await replayCustomer(services, profile));
    } finally {
      await services.dispose();
    }
    const lines = [
      `Alert fatigue: ${results.length} generated customers, 52 Mondays of 2026 each, default rule only (scale ${scale}); ${((performance.now() - t0) / 1000).toFixed(0)} s.`,
      ...results.flatMap(customerLines),
    ];
    console.log(`\n${lines.join('\n')}`);
    const metrics: Record<string, number> = {};
    for (const result of results) {
      const slug = result.profile.name.toLowerCase().replace(/[^a-z0-9]+/g, '_');
      const plain = summarisePass(result.noFeedback);
      const judged = summarisePass(result.withFeedback);
      const plants = summarisePlants(result, result.noFeedback);
      metrics[`${slug}_alerts_per_week_mean`] = Number(plain.mean.toFixed(2));
      metrics[`${slug}_alerts_per_week_p90`] = plain.p90;
      metrics[`${slug}_alerts_per_week_max`] = plain.max;
      metrics[`${slug}_reminders`] = plain.reminders;
      metrics[`${slug}_false_alarms`] = plain.falseAlarm;
      metrics[`${slug}_changes_alerted`] = plants.filter((p) => p.firstAlert !== null).length;
      metrics[`${slug}_feedback_delivered`] = judged.delivered;
      metrics[`${slug}_feedback_noise_memory`] = judged.noiseMemory;
    }
    return { name: 'alerts', metrics, notes: lines.join('\n'), summaryLine: 'report above' };
  },
};
