/**
 * `npm run bench report-pdf` (issue 14): the weekly drift PDF of a DriftWatch run with 200
 * findings (alerts-reports §13.1), built as the `report_artifact` job builds it — read model
 * (two queries), view model, pdfkit layout with DejaVu Sans embedded — on an embedded PGlite
 * database. Reports the first build in the process (it also reads and parses the two fonts), the
 * median of later builds, the whole `generateRunArtifact` (build + atomic write under DATA_DIR +
 * artifact row), the file size and the page count. Goal: under 1 s.
 */
import { performance } from 'node:perf_hooks';
import { generateRunArtifact } from '../src/commands/report-artifact.ts';
import { findRun } from '../src/db/repositories/analysis-runs.repository.ts';
import { createArtifactStore, sha256Hex } from '../src/reports/artifact-store.ts';
import { buildWeeklyDriftPdf } from '../src/reports/weekly-pdf.ts';
import { insertRun } from '../test/alert-fixtures.ts';
import { createAnalyticsCustomer } from '../test/analytics.ts';
import { findingRecord } from '../test/analytics-records.ts';
import { createTestDatabase } from '../test/db.ts';
import '../src/reports/index.ts';
import type { Benchmark, BenchResult } from './run.ts';

const FINDINGS = 200;
const ROUNDS = 9;
const PAYERS = [
  'UnitedHealthcare',
  'Aetna',
  'Cigna',
  'Humana',
  'Blue Cross Blue Shield of Texas',
  'Medicare',
];
const GROUPS = ['EVAL', 'IMAGING', 'LAB', 'SURGERY', 'DME'];
const SIGNALS = [
  { signal_type: 'DENIAL_RATE', unit: 'rate', baseline_value: 0.12, current_value: 0.31 },
  { signal_type: 'DECISION_TIME', unit: 'days', baseline_value: 14.2, current_value: 23.9 },
  { signal_type: 'PAYMENT_AMOUNT', unit: 'usd_per_day', baseline_value: 1840.5, current_value: 1502.25 },
] as const;

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

export const benchmark: Benchmark = {
  name: 'report-pdf',
  async run(): Promise<BenchResult> {
    const handle = await createTestDatabase();
    try {
      const db = handle.database.db;
      await createAnalyticsCustomer(db, { id: 42, name: 'Acme Family Practice', products: ['driftwatch'] });
      const runId = await insertRun(db, 42, { asOf: '2026-03-02' });
      const rows = Array.from({ length: FINDINGS }, (_, i) => {
        const signal = SIGNALS[i % SIGNALS.length] as (typeof SIGNALS)[number];
        const severity = Math.round((0.98 - (i * 0.6) / FINDINGS) * 10_000) / 10_000;
        const { id: _id, ...finding } = findingRecord({
          ...signal,
          delta_value: signal.current_value - signal.baseline_value,
          payer: PAYERS[i % PAYERS.length] as string,
          cpt_group: GROUPS[i % GROUPS.length] as string,
          fingerprint: `bench-${String(i).padStart(4, '0')}`,
          as_of: '2026-03-02',
          severity,
          severity_label:
            severity >= 0.9 ? 'critical' : severity >= 0.7 ? 'high' : severity >= 0.4 ? 'medium' : 'low',
          estimated_impact: `${(1000 + i * 37.25).toFixed(2)}`,
        });
        return { ...finding, customer_id: 42, run_id: runId, details: JSON.stringify(finding.details) };
      });
      await db.insertInto('findings').values(rows).execute();
      const run = await findRun(db, 42, runId);
      if (!run) throw new Error('bench run missing');
      const input = { db, customerId: 42, customerName: 'Acme Family Practice', run, filters: {} };

      let start = performance.now();
      const first = await buildWeeklyDriftPdf(input);
      const firstMs = performance.now() - start;
      const warm: number[] = [];
      for (let i = 0; i < ROUNDS; i += 1) {
        start = performance.now();
        const again = await buildWeeklyDriftPdf(input);
        warm.push(performance.now() - start);
        if (sha256Hex(again.bytes) !== sha256Hex(first.bytes))
          throw new Error('PDF bytes differ between builds');
      }
      const store = createArtifactStore(handle.config.dataDir);
      const artifactMs: number[] = [];
      for (let i = 0; i < 3; i += 1) {
        start = performance.now();
        await generateRunArtifact(
          { db, clock: { now: () => new Date() }, store },
          { customerId: 42, runId, kind: 'weekly_drift_summary' },
        );
        artifactMs.push(performance.now() - start);
      }
      const pages = (first.bytes.toString('latin1').match(/\/Type \/Page\b/g) ?? []).length;
      return {
        name: 'report-pdf',
        metrics: {
          findings: FINDINGS,
          first_build_ms: Math.round(firstMs),
          build_median_ms: Math.round(median(warm)),
          generate_artifact_median_ms: Math.round(median(artifactMs)),
          pdf_bytes: first.bytes.length,
          pages,
        },
        notes: 'weekly drift PDF of a 200-finding DriftWatch run; same SHA-256 on every build',
      };
    } finally {
      await handle.close();
    }
  },
};
