import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertFinding, insertRun } from '../../test/alert-fixtures.ts';
import { createAnalyticsCustomer } from '../../test/analytics.ts';
import { createTestDatabase, type TestDatabase } from '../../test/db.ts';
import { readPdf } from '../../test/pdf-text.ts';
import { produceWeeklyPdfsNow } from '../commands/alert-runs-now.ts';
import { runDownload } from '../commands/report-artifact.ts';
import { produceWeeklyDriftPdf } from '../commands/weekly-drift-pdf.ts';
import type { FindingRecord } from '../db/repositories/findings.repository.ts';
import { loadWeeklyReport } from '../queries/weekly-report.ts';
import { createArtifactStore, sha256Hex } from './artifact-store.ts';
import { REPORT_BUILDERS } from './index.ts';

/**
 * The weekly drift PDF against the database (alerts-reports §13.1, acceptance B17): the read
 * model's order and figures, the PDF's text, and byte-identical rebuilds (next day, re-run over
 * unchanged data) recorded in one artifact row.
 */

const AS_OF = '2026-03-02';
let handle: TestDatabase;

/** B17: 8 findings on 5 payers — 1 Critical, 3 High, 4 Medium, 0 Low. */
const B17: Array<Partial<FindingRecord>> = [
  { payer: 'UnitedHealthcare', cpt_group: 'EVAL', severity: 0.95, severity_label: 'critical' },
  { payer: 'Aetna', cpt_group: 'EVAL', severity: 0.8, severity_label: 'high' },
  { payer: 'Cigna', cpt_group: 'IMAGING', severity: 0.8, severity_label: 'high' },
  { payer: 'Humana', cpt_group: 'LAB', severity: 0.72, severity_label: 'high' },
  { payer: 'Medicare', cpt_group: 'EVAL', severity: 0.6, severity_label: 'medium' },
  { payer: 'Aetna', cpt_group: 'LAB', severity: 0.5, severity_label: 'medium' },
  { payer: 'Cigna', cpt_group: 'EVAL', severity: 0.45, severity_label: 'medium' },
  { payer: 'UnitedHealthcare', cpt_group: 'LAB', severity: 0.41, severity_label: 'medium' },
];

const WINDOWS = {
  baseline_start: '2025-12-01',
  baseline_end: '2026-02-02',
  current_start: '2026-02-02',
  current_end: '2026-03-02',
};

async function insertB17Findings(customerId: number, runId: number): Promise<void> {
  for (const [i, f] of B17.entries()) {
    await insertFinding(handle.database.db, customerId, runId, {
      ...f,
      as_of: AS_OF,
      fingerprint: `b17-${i}`,
      estimated_impact: `${(i + 1) * 100}.00`,
    });
  }
}

beforeAll(async () => {
  handle = await createTestDatabase();
  const db = handle.database.db;
  await createAnalyticsCustomer(db, { id: 42, name: 'Acme Family Practice', products: ['driftwatch'] });
  await createAnalyticsCustomer(db, { id: 43, name: 'Other Clinic', products: ['driftwatch'] });
});

afterAll(async () => {
  await handle?.close();
});

function deps(now: string) {
  return {
    db: handle.database.db,
    config: handle.config,
    clock: { now: () => new Date(now) },
    store: createArtifactStore(handle.config.dataDir),
  };
}

describe('weekly drift PDF of a run (B17)', () => {
  it('distribution 13/38/50/0 %, the footer counts, and one artifact with the same SHA-256 after a rebuild the next day and a re-run over unchanged data', async () => {
    const db = handle.database.db;
    const runId = await insertRun(db, 42, { asOf: AS_OF });
    await db
      .updateTable('analysis_runs')
      .set({ summary_json: JSON.stringify(WINDOWS), parameters: JSON.stringify({ sensitivity: 'strict' }) })
      .where('id', '=', runId)
      .execute();
    await insertB17Findings(42, runId);

    const first = await produceWeeklyDriftPdf(deps('2026-03-02T07:00:00Z'), {
      customerId: 42,
      runId,
      requestId: 'req-b17',
    });
    const stored = await createArtifactStore(handle.config.dataDir).read(first.artifact.storage_key);
    expect(stored).not.toBeNull();
    const bytes = stored as Buffer;
    expect(first.artifact).toMatchObject({
      customer_id: 42,
      run_id: runId,
      kind: 'weekly_drift_summary',
      format: 'pdf',
      storage_key: `reports/42/weekly_drift_${runId}.pdf`,
      size_bytes: bytes.length,
      sha256: sha256Hex(bytes),
    });

    const pdf = await readPdf(bytes);
    const text = pdf.pages.flat();
    expect(text).toEqual(
      expect.arrayContaining([
        'Customer: Acme Family Practice',
        'Data as of: 2026-03-02',
        'Baseline Period: 2025-12-01 to 2026-02-01',
        'Current Period: 2026-02-02 to 2026-03-01',
        'Total Findings: 8',
        'Critical 1 (13%)',
        'High 3 (38%)',
        'Medium 4 (50%)',
        'Low 0 (0%)',
        'This report contains 8 drift findings across 5 unique payers',
        'Page 1 of 1',
      ]),
    );
    // Table order: severity desc, then payer, CPT group, signal, fingerprint.
    const payers = text.flatMap(
      (line) => line.match(/^(UnitedHealthcare|Aetna|Cigna|Humana|Medicare) (EVAL|IMAGING|LAB)/)?.[0] ?? [],
    );
    expect(payers).toEqual([
      'UnitedHealthcare EVAL',
      'Aetna EVAL',
      'Cigna IMAGING',
      'Humana LAB',
      'Medicare EVAL',
      'Aetna LAB',
      'Cigna EVAL',
      'UnitedHealthcare LAB',
    ]);
    expect(text).toContain(
      'UnitedHealthcare EVAL Denial rate 10.0% 20.0% +10.0 pts Degrading Critical 0.95 0.95 0.00400 $100.00',
    );
    const event = await db
      .selectFrom('system_events')
      .select(['event_type', 'payload', 'request_id'])
      .where('customer_id', '=', 42)
      .where('event_type', '=', 'report_generated')
      .executeTakeFirstOrThrow();
    expect(event.request_id).toBe('req-b17');
    expect(event.payload).toMatchObject({
      run_id: runId,
      artifact_id: first.artifact.id,
      kind: 'weekly_drift_summary',
      format: 'pdf',
      sha256: first.artifact.sha256,
      size_bytes: bytes.length,
      as_of: AS_OF,
    });

    // The next day: same bytes, same row.
    const nextDay = await produceWeeklyDriftPdf(deps('2026-03-03T09:30:00Z'), { customerId: 42, runId });
    expect(nextDay.artifact.id).toBe(first.artifact.id);
    expect(nextDay.artifact.sha256).toBe(first.artifact.sha256);

    // A re-run over unchanged data replaces the findings (new rows, new ids and timestamps).
    await db.deleteFrom('findings').where('run_id', '=', runId).execute();
    await db
      .updateTable('analysis_runs')
      .set({ finished_at: new Date('2026-03-04T10:00:00Z'), updated_at: new Date('2026-03-04T10:00:00Z') })
      .where('id', '=', runId)
      .execute();
    await insertB17Findings(42, runId);
    const rerun = await produceWeeklyDriftPdf(deps('2026-03-04T10:05:00Z'), { customerId: 42, runId });
    expect(rerun.artifact.id).toBe(first.artifact.id);
    expect(rerun.artifact.sha256).toBe(first.artifact.sha256);
    const rows = await db.selectFrom('report_artifacts').selectAll().where('customer_id', '=', 42).execute();
    expect(rows).toHaveLength(1);

    // Different data → a different hash.
    await db
      .updateTable('findings')
      .set({ current_value: 0.25 })
      .where('run_id', '=', runId)
      .where('fingerprint', '=', 'b17-0')
      .execute();
    const changed = await produceWeeklyDriftPdf(deps('2026-03-04T11:00:00Z'), { customerId: 42, runId });
    expect(changed.artifact.id).toBe(first.artifact.id);
    expect(changed.artifact.sha256).not.toBe(first.artifact.sha256);

    // The download serves the stored file under the spec's name; another tenant gets a 404.
    const download = await runDownload(deps('2026-03-05T08:00:00Z'), {
      customerId: 42,
      runId,
      format: 'pdf',
    });
    expect(download.filename).toBe('payrixa_weekly_drift_acme_family_practice_2026-03-02.pdf');
    expect(sha256Hex(download.bytes)).toBe(changed.artifact.sha256);
    await expect(
      produceWeeklyDriftPdf(deps('2026-03-05T08:00:00Z'), { customerId: 43, runId }),
    ).rejects.toThrow(`Run ${runId} not found`);
  });

  it('the read model orders by bytes (same on every database collation) and filters with the same WHERE as its figures', async () => {
    const db = handle.database.db;
    const runId = await insertRun(db, 43, { asOf: '2026-02-23' });
    const rows: Array<Partial<FindingRecord>> = [
      {
        payer: 'aetna',
        cpt_group: 'EVAL',
        severity: 0.8,
        severity_label: 'high',
        signal_type: 'DENIAL_RATE',
      },
      {
        payer: 'Cigna',
        cpt_group: 'EVAL',
        severity: 0.8,
        severity_label: 'high',
        signal_type: 'DENIAL_RATE',
      },
      { payer: 'Cigna', cpt_group: null, severity: 0.8, severity_label: 'high', signal_type: 'DENIAL_RATE' },
      {
        payer: 'Cigna',
        cpt_group: 'EVAL',
        severity: 0.8,
        severity_label: 'high',
        signal_type: 'DECISION_TIME',
      },
      {
        payer: '50% Mutual',
        cpt_group: 'LAB',
        severity: 0.3,
        severity_label: 'low',
        signal_type: 'DENIAL_RATE',
      },
    ];
    for (const [i, f] of rows.entries()) {
      await insertFinding(db, 43, runId, { ...f, fingerprint: `ord-${i}` });
    }
    const all = await loadWeeklyReport(db, 43, runId);
    expect(all.findings.map((f) => `${f.payer}/${f.cpt_group ?? ''}/${f.signal_type}`)).toEqual([
      'Cigna//DENIAL_RATE',
      'Cigna/EVAL/DECISION_TIME',
      'Cigna/EVAL/DENIAL_RATE',
      'aetna/EVAL/DENIAL_RATE',
      '50% Mutual/LAB/DENIAL_RATE',
    ]);
    expect(all.figures).toEqual({
      total: 5,
      uniquePayers: 3,
      bySeverity: { critical: 0, high: 4, medium: 0, low: 1 },
    });

    const severe = await loadWeeklyReport(db, 43, runId, { minSeverity: 0.7 });
    expect(severe.findings).toHaveLength(4);
    expect(severe.figures.total).toBe(4);
    const cigna = await loadWeeklyReport(db, 43, runId, { payer: 'CIG' });
    expect(cigna.findings.map((f) => f.payer)).toEqual(['Cigna', 'Cigna', 'Cigna']);
    expect(cigna.figures.uniquePayers).toBe(1);
    // LIKE wildcards in the filter are literal: "%" matches only a "%".
    expect((await loadWeeklyReport(db, 43, runId, { payer: '0%' })).findings).toHaveLength(1);
    expect((await loadWeeklyReport(db, 43, runId, { payer: '%' })).findings).toHaveLength(1);
    // Another customer's run reads nothing.
    expect((await loadWeeklyReport(db, 42, runId)).figures.total).toBe(0);

    // A filtered download of the builder lists only the matching rows.
    const built = await REPORT_BUILDERS.weekly_drift_summary?.({
      db,
      customerId: 43,
      customerName: 'Other Clinic',
      run: await db.selectFrom('analysis_runs').selectAll().where('id', '=', runId).executeTakeFirstOrThrow(),
      filters: { minSeverity: 0.7 },
    });
    expect(built?.recordCount).toBe(4);
    expect((await readPdf(built?.bytes as Buffer)).pages.flat()).toContain('Total Findings: 4');
  });

  it('backtests, DenialScope runs and failed runs get no PDF; `payrixa analyze` makes one only for its DriftWatch run', async () => {
    const db = handle.database.db;
    const driftwatch = await insertRun(db, 43, { asOf: '2026-02-16' });
    const denialscope = await insertRun(db, 43, { product: 'denialscope', asOf: '2026-02-16' });
    const backtest = await insertRun(db, 43, { asOf: '2026-02-09' });
    await db.updateTable('analysis_runs').set({ run_type: 'backtest' }).where('id', '=', backtest).execute();
    const failed = await insertRun(db, 43, { asOf: '2026-02-02' });
    await db.updateTable('analysis_runs').set({ status: 'failed' }).where('id', '=', failed).execute();

    for (const runId of [denialscope, backtest, failed]) {
      await expect(
        produceWeeklyDriftPdf(deps('2026-02-16T08:00:00Z'), { customerId: 43, runId }),
      ).rejects.toThrow(`Run ${runId} has no PDF download.`);
    }
    const runs = await db
      .selectFrom('analysis_runs')
      .selectAll()
      .where('id', 'in', [driftwatch, denialscope, backtest, failed])
      .execute();
    const made = await produceWeeklyPdfsNow(
      { db, config: handle.config, clock: { now: () => new Date('2026-02-16T08:00:00Z') } },
      43,
      runs,
    );
    expect(made.map((m) => m.runId)).toEqual([driftwatch]);
    const artifacts = await db
      .selectFrom('report_artifacts')
      .select('run_id')
      .where('run_id', 'in', [driftwatch, denialscope, backtest, failed])
      .execute();
    expect(artifacts).toEqual([{ run_id: driftwatch }]);
  });
});
