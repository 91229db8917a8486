/**
 * `npm run bench report-exports` (issue 14): how long the Excel and CSV exports take for 50,000
 * rows, and what they weigh.
 *
 * - Pure (no database): 50,000 findings → the drift workbook (Summary + Drift Events + Alert
 *   Events) through the streaming writer; 50,000 alert events → the "Alert Events" sheet; the
 *   same 50,000 findings → the findings CSV. For comparison, the same Drift Events sheet through
 *   exceljs's in-memory `Workbook` (the writer the exports do not use).
 * - End to end: 50,000 findings of one run stored in the test database (PGlite in memory, or
 *   PostgreSQL with TEST_DATABASE_URL), then the `drift_workbook` and `findings_csv` builders
 *   (query + sort + file).
 *
 * Peak RSS is sampled every 20 ms during each step; the goal is under 5 s per 50,000-row file.
 */
import { performance } from 'node:perf_hooks';
import ExcelJS from 'exceljs';
import type { FindingRecord } from '../src/db/repositories/findings.repository.ts';
import {
  ALERT_EVENT_COLUMNS,
  DRIFT_EVENT_COLUMNS,
  driftEventRow,
  sortFindingsForReport,
} from '../src/presenters/report-rows.ts';
import type { AlertExportRow } from '../src/queries/report-exports.ts';
import { alertEventsSheet } from '../src/reports/alert-events-sheet.ts';
import { buildDriftWorkbook } from '../src/reports/drift-workbook.ts';
import { buildFindingsCsv } from '../src/reports/findings-csv.ts';
import { writeWorkbook } from '../src/reports/xlsx.ts';
import { createAccountFixtures } from '../test/accounts.ts';
import { insertRun } from '../test/alert-fixtures.ts';
import { findingRecord } from '../test/analytics-records.ts';
import { createTestDatabase } from '../test/db.ts';
import type { Benchmark, BenchResult } from './run.ts';

const ROWS = 50_000;
const PAYERS = [
  'Aetna',
  'Cigna',
  'UnitedHealthcare',
  'Humana',
  'Blue Cross Blue Shield of Somewhere',
  'Medicare',
];
const GROUPS = ['E&M', 'Imaging', 'Surgery', 'Lab', 'Behavioral Health'];
const SIGNALS = ['DENIAL_RATE', 'DECISION_TIME', 'PAYMENT_RATE', 'UNDERPAYMENT'];

function syntheticFindings(n: number): FindingRecord[] {
  return Array.from({ length: n }, (_, i) => {
    const severity = ((i * 7919) % 100) / 100;
    return findingRecord({
      id: i + 1,
      fingerprint: i.toString(16).padStart(32, '0'),
      payer: `${PAYERS[i % PAYERS.length]} ${i % 997}`,
      cpt_group: GROUPS[i % GROUPS.length] as string,
      signal_type: SIGNALS[i % SIGNALS.length] as string,
      unit: i % 2 === 0 ? 'rate' : 'days',
      baseline_value: 0.1 + (i % 50) / 1000,
      current_value: 0.2 + (i % 70) / 1000,
      delta_value: 0.1 - (i % 30) / 1000,
      severity,
      severity_label:
        severity >= 0.9 ? 'critical' : severity >= 0.7 ? 'high' : severity >= 0.4 ? 'medium' : 'low',
      p_value: 1e-6 * ((i % 900) + 1),
      q_value: 1e-5 * ((i % 900) + 1),
      estimated_impact: `${(i % 5000) + 10}.${String(i % 100).padStart(2, '0')}`,
    });
  });
}

function syntheticAlerts(n: number): AlertExportRow[] {
  return Array.from({ length: n }, (_, i) => ({
    id: n - i,
    triggered_at: new Date(Date.UTC(2026, 2, 2, 6) - i * 60_000),
    rule_name: 'High severity findings',
    product: 'driftwatch',
    signal_type: SIGNALS[i % SIGNALS.length] as string,
    payer: `${PAYERS[i % PAYERS.length]} ${i % 997}`,
    payload: { cpt_group: GROUPS[i % GROUPS.length] },
    severity: 0.7 + (i % 30) / 100,
    severity_label: 'high',
    status: i % 3 === 0 ? 'sent' : 'acknowledged',
    suppressed: i % 11 === 0,
    latest_verdict: i % 3 === 0 ? null : 'real',
    recovered_amount: i % 3 === 0 ? null : '125.00',
    error_message: null,
  }));
}

/** Runs `fn`, returning its result, the elapsed ms and the peak RSS (MB) seen meanwhile. */
async function measured<T>(fn: () => Promise<T>): Promise<{ result: T; ms: number; peakRssMb: number }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  const start = performance.now();
  try {
    const result = await fn();
    const ms = performance.now() - start;
    peak = Math.max(peak, process.memoryUsage().rss);
    return { result, ms, peakRssMb: peak / 1024 ** 2 };
  } finally {
    clearInterval(timer);
  }
}

/** The exports' Drift Events sheet through exceljs's in-memory Workbook, for comparison only. */
async function inMemoryWorkbook(findings: readonly FindingRecord[]): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('Drift Events', { views: [{ state: 'frozen', ySplit: 1 }] });
  sheet.addRow(DRIFT_EVENT_COLUMNS.map((c) => c.header));
  for (const finding of findings) {
    const row = sheet.addRow([]);
    driftEventRow(finding).forEach((cell, i) => {
      if (cell.value === null) return;
      const target = row.getCell(i + 1);
      target.value = cell.value;
      if (cell.numFmt) target.numFmt = cell.numFmt;
    });
  }
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

const round = (x: number, d = 0) => Number(x.toFixed(d));

async function run(): Promise<BenchResult> {
  const metrics: Record<string, number> = {};
  const findings = syntheticFindings(ROWS);
  const alerts = syntheticAlerts(ROWS);
  const asOf = new Date('2026-03-02T00:00:00Z');

  const workbook = await measured(() =>
    writeWorkbook(
      [
        {
          kind: 'table',
          name: 'Drift Events',
          columns: DRIFT_EVENT_COLUMNS,
          rows: sortFindingsForReport(findings).map(driftEventRow),
        },
        alertEventsSheet([]),
      ],
      { createdAt: asOf },
    ),
  );
  metrics['xlsx_drift_events_50k_ms'] = round(workbook.ms);
  metrics['xlsx_drift_events_50k_mb'] = round(workbook.result.length / 1024 ** 2, 1);
  metrics['xlsx_drift_events_50k_peak_rss_mb'] = round(workbook.peakRssMb);

  const alertSheet = await measured(() => writeWorkbook([alertEventsSheet(alerts)], { createdAt: asOf }));
  metrics['xlsx_alert_events_50k_ms'] = round(alertSheet.ms);
  metrics['xlsx_alert_events_50k_mb'] = round(alertSheet.result.length / 1024 ** 2, 1);
  metrics['xlsx_alert_events_50k_peak_rss_mb'] = round(alertSheet.peakRssMb);
  if (ALERT_EVENT_COLUMNS.length !== 14) throw new Error('unexpected Alert Events columns');

  const inMemory = await measured(() => inMemoryWorkbook(findings));
  metrics['xlsx_in_memory_writer_50k_ms'] = round(inMemory.ms);
  metrics['xlsx_in_memory_writer_50k_peak_rss_mb'] = round(inMemory.peakRssMb);

  // End to end: store the findings of one run, then run the builders.
  const handle = await createTestDatabase();
  try {
    const db = handle.database.db;
    const fixtures = await createAccountFixtures(db);
    const customerId = fixtures.customerA.id;
    const runId = await insertRun(db, customerId, { asOf: '2026-03-02' });
    const insertStart = performance.now();
    for (let i = 0; i < findings.length; i += 1000) {
      await db
        .insertInto('findings')
        .values(
          findings.slice(i, i + 1000).map(({ id: _id, ...f }) => ({
            ...f,
            customer_id: customerId,
            run_id: runId,
            details: JSON.stringify(f.details),
          })),
        )
        .execute();
    }
    metrics['db_insert_50k_findings_ms'] = round(performance.now() - insertStart);
    const runRow = await db
      .selectFrom('analysis_runs')
      .selectAll()
      .where('id', '=', runId)
      .executeTakeFirstOrThrow();
    const input = { db, customerId, customerName: 'Bench Clinic', run: runRow, filters: {} };

    const csv = await measured(() => buildFindingsCsv(input));
    metrics['csv_findings_50k_end_to_end_ms'] = round(csv.ms);
    metrics['csv_findings_50k_mb'] = round(csv.result.bytes.length / 1024 ** 2, 1);
    metrics['csv_findings_50k_peak_rss_mb'] = round(csv.peakRssMb);

    const xlsx = await measured(() => buildDriftWorkbook(input));
    metrics['xlsx_drift_workbook_50k_end_to_end_ms'] = round(xlsx.ms);
    metrics['xlsx_drift_workbook_50k_peak_rss_mb'] = round(xlsx.peakRssMb);
    if (xlsx.result.recordCount !== ROWS || csv.result.recordCount !== ROWS) {
      throw new Error('the builders did not see every finding');
    }
  } finally {
    await handle.close();
  }
  return {
    name: 'report-exports',
    metrics,
    notes:
      'Streaming exceljs WorkbookWriter (inline strings) for every workbook; in-memory Workbook measured for comparison only.',
  };
}

export const benchmark: Benchmark = { name: 'report-exports', run };
