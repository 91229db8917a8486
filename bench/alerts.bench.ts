/**
 * `npm run bench alerts` (issue 12 item 9): alert fatigue. How many alerts a week would a
 * billing team get, and how many does suppression hold back?
 *
 * 1. **The demo**: `seedDemo` as `npm run demo` runs it (13 months of generated claims with
 *    planted payer changes, one analysis per product, alerts evaluated and sent).
 * 2. **A generated year, week by week**: on the same claims, the scheduled Monday runs are
 *    replayed for every Monday whose windows are covered by the data (DriftWatch, DenialScope
 *    and DelayGuard as of that Monday), each followed by alert evaluation and sending with the
 *    clock set to that Monday 06:00 UTC, so the 4-hour cooldown and the 30-day noise memory
 *    see the time they would in production. The default rule only ("High severity findings",
 *    severity ≥ 0.70), no operator feedback (so noise memory never fires: an upper bound).
 *
 * Reported: alerts created per week (mean, median, max), how many were delivered and how many
 * suppressed, by product. Embedded PostgreSQL; a few minutes.
 */
import { evaluateAndSendAlertsNow } from '../src/commands/alert-runs-now.ts';
import { ANALYSIS_PRODUCTS, runAnalysis } from '../src/commands/run-analysis.ts';
import { seedDemo } from '../src/commands/seed-demo.ts';
import { createTestServices } from '../test/services.ts';
import type { Benchmark, BenchResult } from './run.ts';

const DAY = 86_400_000;

function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export const benchmark: Benchmark = {
  name: 'alerts',
  async run(): Promise<BenchResult> {
    const services = await createTestServices({ redis: false, env: { EMAIL_BACKEND: 'memory' } });
    try {
      const db = services.database.db;
      const seeded = await seedDemo(services, { log: () => {} });
      const customerId = seeded.customerId;
      const demo = seeded.alerts;

      // The replay starts from a clean slate of alerts (the demo's own were counted above).
      await db.deleteFrom('alert_events').where('customer_id', '=', customerId).execute();
      const span = await db
        .selectFrom('claims')
        .select((eb) => [eb.fn.min('decided_date').as('first'), eb.fn.max('decided_date').as('last')])
        .where('customer_id', '=', customerId)
        .executeTakeFirstOrThrow();
      const first = Date.parse(`${String(span.first)}T00:00:00Z`);
      const last = Date.parse(`${String(span.last)}T00:00:00Z`);
      // Windows reach back up to 104 days (analytics spec): start once they are covered.
      let monday = first + 105 * DAY;
      while (new Date(monday).getUTCDay() !== 1) monday += DAY;

      const now = { at: new Date(monday) };
      const clock = { now: () => new Date(now.at) };
      const weeks: Array<{ asOf: string; created: number; sent: number; suppressed: number }> = [];
      const byProduct: Record<string, number> = {};
      for (; monday <= last + DAY; monday += 7 * DAY) {
        const asOf = isoDay(monday);
        now.at = new Date(monday + 6 * 3_600_000);
        const runs = [];
        for (const product of ANALYSIS_PRODUCTS) {
          const result = await runAnalysis(
            { db, logger: services.logger },
            { customerId, product, asOf, runType: 'scheduled' },
          );
          if (result.status === 'success') runs.push(result.run);
        }
        const before = await db
          .selectFrom('alert_events')
          .select(['id', 'product'])
          .where('customer_id', '=', customerId)
          .execute();
        const known = new Set(before.map((row) => row.id));
        const outcome = await evaluateAndSendAlertsNow(
          { db, config: services.config, mailer: services.mailer, clock },
          customerId,
          runs,
        );
        const created = await db
          .selectFrom('alert_events')
          .select(['id', 'product'])
          .where('customer_id', '=', customerId)
          .execute();
        for (const row of created)
          if (!known.has(row.id)) byProduct[row.product] = (byProduct[row.product] ?? 0) + 1;
        weeks.push({ asOf, created: outcome.created, sent: outcome.sent, suppressed: outcome.suppressed });
      }

      const created = weeks.map((w) => w.created);
      const total = created.reduce((a, b) => a + b, 0);
      const sent = weeks.reduce((a, w) => a + w.sent, 0);
      const suppressed = weeks.reduce((a, w) => a + w.suppressed, 0);
      const lines = [
        `Demo (one run per product, as npm run demo): ${demo?.created ?? 0} alerts created, ${demo?.sent ?? 0} sent, ${demo?.suppressed ?? 0} suppressed.`,
        `Replay: ${weeks.length} Mondays (${weeks[0]?.asOf} … ${weeks.at(-1)?.asOf}), default rule only, no feedback.`,
        `Alerts per week: mean ${(total / Math.max(weeks.length, 1)).toFixed(2)}, median ${median(created)}, max ${Math.max(0, ...created)}; total ${total}, delivered ${sent}, suppressed ${suppressed} (${total ? ((100 * suppressed) / total).toFixed(1) : '0.0'} %).`,
        `By product: ${
          Object.entries(byProduct)
            .map(([p, n]) => `${p} ${n}`)
            .join(', ') || 'none'
        }.`,
        `Weeks with 0 / 1–3 / 4–6 / more alerts: ${created.filter((n) => n === 0).length} / ${created.filter((n) => n >= 1 && n <= 3).length} / ${created.filter((n) => n >= 4 && n <= 6).length} / ${created.filter((n) => n > 6).length}.`,
        `Per week (as_of: created/delivered/suppressed): ${weeks.map((w) => `${w.asOf} ${w.created}/${w.sent}/${w.suppressed}`).join('; ')}`,
      ];
      console.log(`\n${lines.join('\n')}`);
      return {
        name: 'alerts',
        metrics: {
          demo_alerts: demo?.created ?? 0,
          weeks: weeks.length,
          alerts_total: total,
          alerts_per_week_mean: Number((total / Math.max(weeks.length, 1)).toFixed(2)),
          alerts_per_week_max: Math.max(0, ...created),
          delivered: sent,
          suppressed,
        },
        notes: lines.join('\n'),
      };
    } finally {
      await services.dispose();
    }
  },
};
