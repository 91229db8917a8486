import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccountFixtures } from '../../test/accounts.ts';
import { insertAlert, insertFinding, insertRun } from '../../test/alert-fixtures.ts';
import { createTestDatabase, type TestDatabase } from '../../test/db.ts';
import { runDownload } from '../commands/report-artifact.ts';
import type { FindingRecord } from '../db/repositories/findings.repository.ts';
import { createArtifactStore } from './artifact-store.ts';
import { REPORT_BUILDERS } from './index.ts';

/**
 * The Excel and CSV builders against a database (alerts-reports §13.2, §13.3, B18): what the
 * files contain, read back with exceljs and as text.
 */

type Cell = ExcelJS.CellValue;

function sheetValues(sheet: ExcelJS.Worksheet): Cell[][] {
  const rows: Cell[][] = [];
  sheet.eachRow({ includeEmpty: true }, (row) => {
    const values = row.values as Cell[];
    rows.push(values.slice(1));
  });
  return rows;
}

async function readWorkbook(bytes: Buffer): Promise<ExcelJS.Workbook> {
  const workbook = new ExcelJS.Workbook();
  // exceljs's load() is typed for its own Buffer; Node's Buffer is the same bytes.
  await workbook.xlsx.load(bytes as unknown as ArrayBuffer);
  return workbook;
}

function pairs(sheet: ExcelJS.Worksheet): Record<string, Cell> {
  const out: Record<string, Cell> = {};
  sheet.eachRow((row) => {
    const label = row.getCell(1).value;
    if (typeof label === 'string') out[label] = row.getCell(2).value;
  });
  return out;
}

describe('Excel and CSV exports (alerts-reports §13.2, §13.3)', () => {
  let handle: TestDatabase | undefined;
  let b18: Awaited<ReturnType<typeof setUpB18>>;

  // One database for the file: the tests read it, and what they add (an empty run, a
  // DenialScope run) is of other runs.
  beforeAll(async () => {
    b18 = await setUpB18();
  }, 180_000);

  afterAll(async () => {
    await handle?.close();
  });

  /** B18's run: 5 findings (0.95, 0.80, 0.60, 0.50, 0.30; P1, P2, P2, P3, P4), alerts at ≥ 0.7. */
  async function setUpB18() {
    handle = await createTestDatabase();
    const db = handle.database.db;
    const fixtures = await createAccountFixtures(db);
    const customerId = fixtures.customerA.id;
    const runId = await insertRun(db, customerId, { asOf: '2026-03-02' });
    await db
      .updateTable('analysis_runs')
      .set({
        summary_json: JSON.stringify({
          baseline_start: '2025-11-18',
          baseline_end: '2026-02-16',
          current_start: '2026-02-16',
          current_end: '2026-03-02',
        }),
        parameters: JSON.stringify({ sensitivity: 'strict' }),
      })
      .where('id', '=', runId)
      .execute();
    const spec: Array<[number, FindingRecord['severity_label'], string, Partial<FindingRecord>]> = [
      [0.95, 'critical', 'P1', { estimated_impact: '2000.00' }],
      [0.8, 'high', 'P2', { estimated_impact: '-900.00', direction: 'improving' }],
      [0.6, 'medium', 'P2', { signal_type: 'DECISION_TIME', unit: 'days', cpt_group: 'Imaging' }],
      [0.5, 'medium', 'P3', { estimated_impact: '150.50' }],
      // P4 is named like a formula, with a negative delta and a tiny p: the CSV guard cases.
      [
        0.3,
        'low',
        '=HYPERLINK("http://x")',
        { estimated_impact: null, delta_value: -0.15, p_value: 5.96e-8 },
      ],
    ];
    const findings: FindingRecord[] = [];
    for (const [severity, label, payer, extra] of spec) {
      findings.push(
        await insertFinding(db, customerId, runId, {
          severity,
          severity_label: label,
          payer,
          as_of: '2026-03-02',
          baseline_start: '2025-11-18',
          baseline_end: '2026-02-16',
          current_start: '2026-02-16',
          current_end: '2026-03-02',
          ...extra,
        }),
      );
    }
    // What the rule `severity gte 0.7` raised: the first two findings.
    await insertAlert(db, customerId, findings[0] as FindingRecord, {
      triggeredAt: new Date('2026-03-02T06:00:00Z'),
    });
    await insertAlert(db, customerId, findings[1] as FindingRecord, {
      triggeredAt: new Date('2026-03-02T06:05:00Z'),
      status: 'failed',
    });
    // Customer B: its own run, findings and alert, never in A's files.
    const runB = await insertRun(db, fixtures.customerB.id, { asOf: '2026-03-02' });
    const findingB = await insertFinding(db, fixtures.customerB.id, runB, {
      payer: 'B Secret Payer',
      severity: 0.99,
      severity_label: 'critical',
    });
    await insertAlert(db, fixtures.customerB.id, findingB);
    const run = await db
      .selectFrom('analysis_runs')
      .selectAll()
      .where('id', '=', runId)
      .executeTakeFirstOrThrow();
    const input = { db, customerId, customerName: 'Acme Family Practice', run, filters: {} };
    return { db, fixtures, run, runB, input };
  }

  it('B18: the workbook has Summary, Drift Events and Alert Events with the counts of the run', async () => {
    const { input } = b18;
    const built = await REPORT_BUILDERS.drift_workbook!(input);
    expect(built.recordCount).toBe(5);
    const workbook = await readWorkbook(built.bytes);
    expect(workbook.worksheets.map((s) => s.name)).toEqual(['Summary', 'Drift Events', 'Alert Events']);
    expect(workbook.created.toISOString()).toBe('2026-03-02T00:00:00.000Z');
    expect(workbook.modified.toISOString()).toBe('2026-03-02T00:00:00.000Z');

    const summary = workbook.getWorksheet('Summary')!;
    expect(summary.getCell('A1').value).toBe('Weekly Drift Report Summary');
    expect(pairs(summary)).toMatchObject({
      Customer: 'Acme Family Practice',
      'As Of': '2026-03-02',
      'Baseline Period': '2025-11-18 to 2026-02-15',
      'Current Period': '2026-02-16 to 2026-03-01',
      Sensitivity: 'strict',
      'Total Drift Findings': 5,
      'Critical (>= 0.9)': 1,
      'High (0.7–0.9)': 1,
      'Medium (0.4–0.7)': 2,
      'Low (< 0.4)': 1,
      'Unique Payers Affected': 4,
      'Alert Events': 2,
      // Positive impacts of degrading findings: 2000.00 + 150.50 + the default 1250.00 of the
      // DECISION_TIME row; the improving −900.00 is a saving, not revenue at risk.
      'Estimated Weekly Revenue Impact': 3400.5,
    });

    const drift = sheetValues(workbook.getWorksheet('Drift Events')!);
    expect(drift).toHaveLength(1 + 5);
    expect(drift[0]).toEqual([
      'Payer',
      'CPT Group',
      'Drift Type',
      'Direction',
      'Baseline Value',
      'Current Value',
      'Delta',
      'Unit',
      'Baseline Count',
      'Current Count',
      'Severity',
      'Severity Label',
      'Confidence',
      'P Value',
      'Q Value',
      'Est. Weekly Impact (USD)',
      'Baseline Start',
      'Baseline End',
      'Current Start',
      'Current End',
    ]);
    // Ordered as the PDF: severity desc.
    expect(drift.slice(1).map((r) => r[10])).toEqual([0.95, 0.8, 0.6, 0.5, 0.3]);
    expect(drift[1]?.slice(16)).toEqual(['2025-11-18', '2026-02-15', '2026-02-16', '2026-03-01']);

    const alerts = sheetValues(workbook.getWorksheet('Alert Events')!);
    expect(alerts).toHaveLength(1 + 2);
    expect(alerts[0]).toEqual([
      'Alert ID',
      'Triggered At',
      'Alert Rule',
      'Product',
      'Signal Type',
      'Payer',
      'CPT Group / Reason',
      'Severity',
      'Severity Label',
      'Status',
      'Suppressed',
      'Latest Verdict',
      'Recovered Amount',
      'Error Message',
    ]);
    // Newest first.
    expect(alerts[1]?.slice(1, 4)).toEqual(['2026-03-02 06:05:00', 'High severity findings', 'DriftWatch']);
    expect(alerts[1]?.[9]).toBe('Failed');
    expect(alerts[2]?.[5]).toBe('P1');
    expect(JSON.stringify([drift, alerts])).not.toContain('B Secret Payer');
  });

  it('B18: cells are typed with the formats of §13.2, headers styled, frozen and filtered', async () => {
    const { input } = b18;
    const workbook = await readWorkbook((await REPORT_BUILDERS.drift_workbook!(input)).bytes);
    const drift = workbook.getWorksheet('Drift Events')!;
    const header = drift.getCell('A1');
    expect(header.fill).toMatchObject({ type: 'pattern', pattern: 'solid', fgColor: { argb: 'FF366092' } });
    expect(header.font).toMatchObject({ bold: true, color: { argb: 'FFFFFFFF' } });
    expect(header.alignment).toMatchObject({ horizontal: 'center' });
    expect(drift.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    expect(drift.autoFilter).toBeTruthy();
    // Row 2 is the DENIAL_RATE finding (rate), row 4 the DECISION_TIME one (days).
    const rate = drift.getRow(2);
    expect(rate.getCell(5).numFmt).toBe('0.0%');
    expect(typeof rate.getCell(5).value).toBe('number');
    expect(rate.getCell(9).numFmt).toBe('0');
    expect(rate.getCell(11).numFmt).toBe('0.00');
    expect(rate.getCell(13).numFmt).toBe('0.00');
    expect(rate.getCell(14).numFmt).toBe('0.00E+00');
    expect(rate.getCell(15).numFmt).toBe('0.00E+00');
    expect(rate.getCell(16).numFmt).toBe('$#,##0.00');
    expect(rate.getCell(16).value).toBe(2000);
    expect(drift.getRow(4).getCell(5).numFmt).toBe('0.0');
    expect(drift.getRow(4).getCell(8).value).toBe('days');
    // Dates are ISO text, never spreadsheet dates.
    expect(rate.getCell(17).value).toBe('2025-11-18');
    // Width min(longest + 2, 50): "Est. Weekly Impact (USD)" is the longest in its column.
    expect(drift.getColumn(16).width).toBe('Est. Weekly Impact (USD)'.length + 2);
    const alerts = workbook.getWorksheet('Alert Events')!;
    expect(alerts.getRow(2).getCell(1).numFmt).toBe('0');
    expect(alerts.getRow(2).getCell(8).numFmt).toBe('0.00');
  });

  it('B18: min_severity keeps findings at or above it, and their alerts; payer filters by contains', async () => {
    const { input } = b18;
    const filtered = await REPORT_BUILDERS.drift_workbook!({ ...input, filters: { minSeverity: 0.7 } });
    expect(filtered.recordCount).toBe(2);
    const workbook = await readWorkbook(filtered.bytes);
    expect(sheetValues(workbook.getWorksheet('Drift Events')!)).toHaveLength(1 + 2);
    expect(sheetValues(workbook.getWorksheet('Alert Events')!)).toHaveLength(1 + 2);
    expect(pairs(workbook.getWorksheet('Summary')!)['Total Drift Findings']).toBe(2);

    const byPayer = await REPORT_BUILDERS.drift_workbook!({ ...input, filters: { payer: 'p2' } });
    const payerBook = await readWorkbook(byPayer.bytes);
    const rows = sheetValues(payerBook.getWorksheet('Drift Events')!).slice(1);
    expect(rows.map((r) => r[0])).toEqual(['P2', 'P2']);
    expect(sheetValues(payerBook.getWorksheet('Alert Events')!)).toHaveLength(1 + 1);
  });

  it("B18: an empty run has header rows only and Total 0; another customer's id finds nothing", async () => {
    const { db, fixtures, input } = b18;
    const emptyRunId = await insertRun(db, fixtures.customerA.id, { asOf: '2026-03-09' });
    const emptyRun = await db
      .selectFrom('analysis_runs')
      .selectAll()
      .where('id', '=', emptyRunId)
      .executeTakeFirstOrThrow();
    const empty = await readWorkbook(
      (await REPORT_BUILDERS.drift_workbook!({ ...input, run: emptyRun })).bytes,
    );
    expect(sheetValues(empty.getWorksheet('Drift Events')!)).toHaveLength(1);
    expect(sheetValues(empty.getWorksheet('Alert Events')!)).toHaveLength(1);
    expect(pairs(empty.getWorksheet('Summary')!)).toMatchObject({
      'Total Drift Findings': 0,
      'Alert Events': 0,
    });

    // Customer B asking with A's run: B's scope holds none of its findings or alerts.
    const foreign = await REPORT_BUILDERS.drift_workbook!({ ...input, customerId: fixtures.customerB.id });
    expect(foreign.recordCount).toBe(0);
    const foreignBook = await readWorkbook(foreign.bytes);
    expect(sheetValues(foreignBook.getWorksheet('Alert Events')!)).toHaveLength(1);
  });

  it('findings CSV of a DriftWatch run: §13.3 columns, PDF order, formats and guard', async () => {
    const { input } = b18;
    const built = await REPORT_BUILDERS.findings_csv!(input);
    expect(built.recordCount).toBe(5);
    const text = built.bytes.toString('utf8');
    expect(text.startsWith('\uFEFFpayer,cpt_group,drift_type,')).toBe(true);
    const lines = text.slice(1).split('\r\n');
    expect(lines.at(-1)).toBe('');
    expect(lines[0]).toBe(
      'payer,cpt_group,drift_type,baseline_value,current_value,delta_value,severity,confidence,' +
        'baseline_start,baseline_end,current_start,current_end,direction,unit,baseline_count,' +
        'current_count,severity_label,p_value,q_value,estimated_weekly_impact,fingerprint',
    );
    expect(lines.slice(1, 6).map((l) => l.split(',')[0])).toEqual([
      'P1',
      'P2',
      'P2',
      'P3',
      `"'=HYPERLINK(""http://x"")"`,
    ]);
    const first = lines[1]?.split(',') ?? [];
    expect(first.slice(0, 3)).toEqual(['P1', 'E&M', 'DENIAL_RATE']);
    expect(first.slice(8, 12)).toEqual(['2025-11-18', '2026-02-15', '2026-02-16', '2026-03-01']);
    expect(first[16]).toBe('CRITICAL');
    expect(first[19]).toBe('2000.00');
    expect(lines[2]?.split(',')[19]).toBe('-900.00');
    // The guarded payer holds a comma-free quoted cell, so splitting on "," stays aligned.
    const last = lines[5]?.split(',') ?? [];
    expect(last[5]).toBe('-0.15');
    expect(last[17]).toBe('0.0000000596');
    expect(last[19]).toBe('');
    expect(text).not.toContain('B Secret Payer');

    const filtered = await REPORT_BUILDERS.findings_csv!({
      ...input,
      filters: { minSeverity: 0.7, payer: 'P' },
    });
    expect(filtered.recordCount).toBe(2);
  });

  it('findings CSV of a DenialScope run: drift_type is the signal, cpt_group the reason', async () => {
    const { db, fixtures } = b18;
    const runId = await insertRun(db, fixtures.customerA.id, { product: 'denialscope', asOf: '2026-03-02' });
    await insertFinding(db, fixtures.customerA.id, runId, {
      product: 'denialscope',
      signal_type: 'new_denial_reason',
      payer: 'Cigna',
      cpt_group: null,
      denial_reason: 'CO-197',
      unit: 'count',
      baseline_value: 0,
      current_value: 12,
      delta_value: 12,
      severity: 0.75,
      severity_label: 'high',
      estimated_impact: '2160.00',
      impact_kind: 'recent_denied_dollars',
    });
    await insertFinding(db, fixtures.customerA.id, runId, {
      product: 'denialscope',
      signal_type: 'denial_rate_spike',
      payer: 'Aetna',
      cpt_group: null,
      denial_reason: null,
      severity: 0.5,
      severity_label: 'medium',
      estimated_impact: null,
    });
    const run = await db
      .selectFrom('analysis_runs')
      .selectAll()
      .where('id', '=', runId)
      .executeTakeFirstOrThrow();
    const built = await REPORT_BUILDERS.findings_csv!({
      db,
      customerId: fixtures.customerA.id,
      customerName: 'A',
      run,
      filters: {},
    });
    const lines = built.bytes.toString('utf8').slice(1).split('\r\n');
    expect(lines).toHaveLength(1 + 2 + 1);
    const cigna = lines[1]?.split(',') ?? [];
    expect(cigna.slice(0, 6)).toEqual(['Cigna', 'CO-197', 'new_denial_reason', '0', '12', '12']);
    expect(cigna[13]).toBe('count');
    expect(cigna[16]).toBe('HIGH');
    expect(cigna[19]).toBe('2160.00');
    const aetna = lines[2]?.split(',') ?? [];
    expect(aetna.slice(0, 3)).toEqual(['Aetna', '', 'denial_rate_spike']);
    expect(aetna[19]).toBe('');
  });

  it('downloads of a run go through the registered builders and are cached (xlsx, csv)', async () => {
    const { db, fixtures, run } = b18;
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'payrixa-exports-'));
    try {
      const deps = {
        db,
        clock: { now: () => new Date('2026-03-02T07:00:00Z') },
        store: createArtifactStore(dataDir),
      };
      const input = { customerId: fixtures.customerA.id, runId: run.id };
      const xlsx = await runDownload(deps, { ...input, format: 'xlsx' });
      expect(xlsx.filename).toBe('payrixa_drift_a_2026-03-02.xlsx');
      expect(xlsx.recordCount).toBe(5);
      expect(xlsx.artifact?.kind).toBe('drift_workbook');
      const csv = await runDownload(deps, { ...input, format: 'csv' });
      expect(csv.filename).toBe('payrixa_driftwatch_findings_a_2026-03-02.csv');
      expect(csv.artifact?.kind).toBe('findings_csv');
      const again = await runDownload(deps, { ...input, format: 'csv' });
      expect(again.artifact?.id).toBe(csv.artifact?.id);
      expect(again.bytes.equals(csv.bytes)).toBe(true);
      const filtered = await runDownload(deps, { ...input, format: 'csv', filters: { minSeverity: 0.9 } });
      expect(filtered.artifact).toBeNull();
      expect(filtered.recordCount).toBe(1);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
