import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AccountFixtures, createAccountFixtures, loggedInClient } from '../../../../test/accounts.ts';
import { insertFinding, insertRun } from '../../../../test/alert-fixtures.ts';
import { createTestServices, type TestServices } from '../../../../test/services.ts';
import type { ReportArtifactKind } from '../../../db/schema.ts';
import { REPORT_ARTIFACT_JOB } from '../../../jobs/definitions/reports.ts';
import { sha256Hex } from '../../../reports/artifact-store.ts';
import { REPORT_BUILDERS, type ReportBuilder, type ReportBuilders } from '../../../reports/builders.ts';
import { buildApp } from '../../app.ts';

/**
 * The reports page (alerts-reports §13.4) and its downloads (§13.2) through the portal, with
 * fake builders (the real PDF, Excel and CSV builders are tested on their own): what the file
 * is built from is echoed in its bytes, so the test sees which run and filters it got.
 */

let services: TestServices;
let app: FastifyInstance;
let fx: AccountFixtures;
let dataDir: string;
const saved: ReportBuilders = { ...REPORT_BUILDERS };
const builds: Array<{ kind: ReportArtifactKind; runId: number; minSeverity?: number; payer?: string }> = [];

function fake(kind: ReportArtifactKind): ReportBuilder {
  return async ({ run, customerName, filters }) => {
    builds.push({ kind, runId: run.id, ...filters });
    return {
      bytes: Buffer.from(
        `${kind}|${customerName}|run ${run.id}|${filters.minSeverity ?? ''}|${filters.payer ?? ''}`,
      ),
      recordCount: filters.payer ? 1 : 2,
    };
  };
}

let driftRun: number;
let denialRun: number;
let failedRun: number;
let backtestRun: number;
let foreignRun: number;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'payrixa-reports-page-'));
  services = await createTestServices({
    env: { PORTAL_RATE_LIMIT: '10000/minute', DATA_DIR: dataDir },
    // The PDF job's definition belongs to the PDF builder's module; a stand-in when absent.
    registerJobs: (registry) => {
      if (!registry.get(REPORT_ARTIFACT_JOB))
        registry.register({ kind: REPORT_ARTIFACT_JOB, queue: 'reports', handler: async () => ({}) });
    },
  });
  app = await buildApp(services);
  const db = services.database.db;
  fx = await createAccountFixtures(db);
  Object.assign(REPORT_BUILDERS, {
    weekly_drift_summary: fake('weekly_drift_summary'),
    drift_workbook: fake('drift_workbook'),
    findings_csv: fake('findings_csv'),
  });
  driftRun = await insertRun(db, fx.customerA.id, { asOf: '2026-03-02' });
  await db
    .updateTable('analysis_runs')
    .set({
      summary_json: JSON.stringify({
        baseline_start: '2025-12-01',
        baseline_end: '2026-02-02',
        current_start: '2026-02-02',
        current_end: '2026-03-02',
      }),
    })
    .where('id', '=', driftRun)
    .execute();
  await insertFinding(db, fx.customerA.id, driftRun);
  await insertFinding(db, fx.customerA.id, driftRun, {
    payer: 'Cigna',
    severity: 0.5,
    severity_label: 'medium',
  });
  denialRun = await insertRun(db, fx.customerA.id, { product: 'denialscope', asOf: '2026-03-02' });
  failedRun = await insertRun(db, fx.customerA.id, { product: 'delayguard', asOf: '2026-03-02' });
  await db
    .updateTable('analysis_runs')
    .set({ status: 'failed', error_message: 'Not enough claims in the current window.' })
    .where('id', '=', failedRun)
    .execute();
  backtestRun = await insertRun(db, fx.customerA.id, { asOf: '2026-02-23' });
  await db.updateTable('analysis_runs').set({ run_type: 'backtest' }).where('id', '=', backtestRun).execute();
  foreignRun = await insertRun(db, fx.customerB.id, { asOf: '2026-03-02' });
});

afterAll(async () => {
  for (const kind of Object.keys(REPORT_BUILDERS) as ReportArtifactKind[]) delete REPORT_BUILDERS[kind];
  Object.assign(REPORT_BUILDERS, saved);
  await app?.close();
  await services?.dispose();
  await rm(dataDir, { recursive: true, force: true });
});

async function exportsOf(customerId: number) {
  return services.database.db
    .selectFrom('audit_events')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('action', '=', 'report_exported')
    .orderBy('id')
    .execute();
}

describe('portal downloads (§13.2)', () => {
  it('serves the PDF as an attachment, stores it once and audits report_exported', async () => {
    const viewer = await loggedInClient(app, 'viewer_a');
    const before = (await exportsOf(fx.customerA.id)).length;
    const response = await viewer.get(`/portal/reports/${driftRun}/download/pdf/`);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/pdf');
    expect(response.headers['content-disposition']).toBe(
      'attachment; filename="payrixa_weekly_drift_a_2026-03-02.pdf"',
    );
    expect(response.body).toBe(`weekly_drift_summary|A|run ${driftRun}||`);
    const artifact = await services.database.db
      .selectFrom('report_artifacts')
      .selectAll()
      .where('run_id', '=', driftRun)
      .executeTakeFirstOrThrow();
    expect(artifact).toMatchObject({ kind: 'weekly_drift_summary', sha256: sha256Hex(response.rawPayload) });

    const again = await viewer.get(`/portal/reports/${driftRun}/download/pdf/`);
    expect(again.rawPayload.equals(response.rawPayload)).toBe(true);
    expect(builds.filter((b) => b.runId === driftRun && b.kind === 'weekly_drift_summary')).toHaveLength(1);

    const audits = (await exportsOf(fx.customerA.id)).slice(before);
    expect(audits).toHaveLength(2);
    expect(audits[0]).toMatchObject({
      user_id: fx.users['viewer_a'],
      entity_type: 'analysis_run',
      entity_id: String(driftRun),
    });
    expect(audits[0]?.metadata).toEqual({
      export_type: 'weekly_drift_summary',
      format: 'pdf',
      record_count: 2,
      via: 'portal',
      filters: [],
    });
  });

  it('Excel and CSV of a DriftWatch run; filters build a fresh file and name only the filters in the audit', async () => {
    const analyst = await loggedInClient(app, 'analyst_a');
    const xlsx = await analyst.get(`/portal/reports/${driftRun}/download/xlsx/`);
    expect(xlsx.statusCode).toBe(200);
    expect(xlsx.headers['content-type']).toBe(
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    );
    expect(xlsx.headers['content-disposition']).toBe(
      'attachment; filename="payrixa_drift_a_2026-03-02.xlsx"',
    );

    const csv = await analyst.get(`/portal/reports/${driftRun}/download/csv/?min_severity=0.7&payer=aet`);
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.headers['content-disposition']).toBe(
      'attachment; filename="payrixa_driftwatch_findings_a_2026-03-02.csv"',
    );
    expect(csv.body).toBe(`findings_csv|A|run ${driftRun}|0.7|aet`);
    const stored = await services.database.db
      .selectFrom('report_artifacts')
      .select('kind')
      .where('run_id', '=', driftRun)
      .execute();
    expect(stored.map((s) => s.kind).sort()).toEqual(['drift_workbook', 'weekly_drift_summary']);
    const [last] = (await exportsOf(fx.customerA.id)).slice(-1);
    expect(last?.metadata).toEqual({
      export_type: 'findings_csv',
      format: 'csv',
      record_count: 1,
      via: 'portal',
      filters: ['minSeverity', 'payer'],
    });
  });

  it('a DenialScope run has the CSV only; failed and backtest runs have none (404 page)', async () => {
    const viewer = await loggedInClient(app, 'viewer_a');
    const csv = await viewer.get(`/portal/reports/${denialRun}/download/csv/`);
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-disposition']).toBe(
      'attachment; filename="payrixa_denialscope_findings_a_2026-03-02.csv"',
    );
    for (const url of [
      `/portal/reports/${denialRun}/download/pdf/`,
      `/portal/reports/${denialRun}/download/xlsx/`,
      `/portal/reports/${failedRun}/download/csv/`,
      `/portal/reports/${backtestRun}/download/pdf/`,
    ]) {
      const response = await viewer.get(url);
      expect(response.statusCode, url).toBe(404);
      expect(response.headers['content-type']).toMatch(/^text\/html/);
    }
  });

  it("another tenant's run, an unknown run and a format that does not exist are the 404 page; a bad filter is 400", async () => {
    const viewerB = await loggedInClient(app, 'viewer_b');
    const foreign = await viewerB.get(`/portal/reports/${driftRun}/download/pdf/`);
    expect(foreign.statusCode).toBe(404);
    expect(foreign.body).not.toContain('weekly_drift_summary|');
    const viewer = await loggedInClient(app, 'viewer_a');
    expect((await viewer.get(`/portal/reports/${foreignRun}/download/csv/`)).statusCode).toBe(404);
    expect((await viewer.get('/portal/reports/987654/download/csv/')).statusCode).toBe(404);
    expect((await viewer.get(`/portal/reports/${driftRun}/download/docx/`)).statusCode).toBe(404);
    const bad = await viewer.get(`/portal/reports/${driftRun}/download/csv/?min_severity=2`);
    expect(bad.statusCode).toBe(400);
    expect(builds.some((b) => b.runId === foreignRun)).toBe(false);
  });

  it('needs a login', async () => {
    const response = await app.inject({ method: 'GET', url: `/portal/reports/${driftRun}/download/pdf/` });
    expect(response.statusCode).toBe(302);
    expect(response.headers.location).toMatch(/^\/portal\/login\//);
  });
});

describe('reports page (§13.4)', () => {
  it('shows the Downloads the run offers, the window, the error of a failed run and "Generate now" for analysts', async () => {
    const analyst = await loggedInClient(app, 'analyst_a');
    const page = await analyst.get('/portal/reports/');
    expect(page.statusCode).toBe(200);
    const body = page.body;
    const row = (id: number) => {
      const start = body.indexOf(`<tr id="run-${id}">`);
      return body.slice(start, body.indexOf('</tr>', start));
    };
    expect(row(driftRun)).toContain(`href="/portal/reports/${driftRun}/download/pdf/"`);
    expect(row(driftRun)).toContain(`href="/portal/reports/${driftRun}/download/xlsx/"`);
    expect(row(driftRun)).toContain(`href="/portal/reports/${driftRun}/download/csv/"`);
    expect(row(driftRun)).toContain(`action="/portal/reports/${driftRun}/generate/"`);
    expect(row(driftRun)).toContain('baseline 2025-12-01 – 2026-02-01<br>current 2026-02-02 – 2026-03-01');
    expect(row(denialRun)).toContain(`href="/portal/reports/${denialRun}/download/csv/"`);
    expect(row(denialRun)).not.toContain('/download/pdf/');
    expect(row(denialRun)).not.toContain('Generate now');
    expect(row(failedRun)).toContain('Not enough claims in the current window.');
    expect(row(failedRun)).toContain('<details class="run-error">');
    expect(row(failedRun)).not.toContain('/download/');
    expect(row(backtestRun)).not.toContain('/download/');
    expect(body).not.toContain(`run-${foreignRun}"`);

    const viewer = await loggedInClient(app, 'viewer_a');
    const viewerPage = await viewer.get('/portal/reports/');
    expect(viewerPage.body).toContain(`/portal/reports/${driftRun}/download/pdf/`);
    expect(viewerPage.body).not.toContain('Generate now');
    expect(viewerPage.body).not.toContain('Run analysis now');
  });

  it('pages 25 runs at a time, newest started first', async () => {
    const db = services.database.db;
    const runs: number[] = [];
    // The set-up's run of customer B has not started: it sorts after every started one.
    await db.updateTable('analysis_runs').set({ started_at: null }).where('id', '=', foreignRun).execute();
    // Customer B gets 30 runs (started one day apart) so customer A's page stays as it is.
    for (let i = 0; i < 30; i += 1) {
      const day = String(1 + (i % 28)).padStart(2, '0');
      const month = i < 28 ? '01' : '02';
      const id = await insertRun(db, fx.customerB.id, {
        product: 'denialscope',
        asOf: `2025-${month}-${day}`,
      });
      await db
        .updateTable('analysis_runs')
        .set({ started_at: new Date(Date.UTC(2025, 0, 1 + i, 6)) })
        .where('id', '=', id)
        .execute();
      runs.push(id);
    }
    const viewerB = await loggedInClient(app, 'viewer_b');
    const first = await viewerB.get('/portal/reports/');
    const ids = (html: string) => [...html.matchAll(/<tr id="run-(\d+)">/g)].map((m) => Number(m[1]));
    const firstIds = ids(first.body);
    expect(firstIds).toHaveLength(25);
    expect(firstIds[0]).toBe(runs[29]);
    expect(first.body).toContain('href="/portal/reports/?page=2"');
    const second = await viewerB.get('/portal/reports/?page=2');
    const secondIds = ids(second.body);
    // 30 runs of this loop plus customer B's run from the set-up (not started → last).
    expect(secondIds).toHaveLength(6);
    expect(secondIds.at(-2)).toBe(runs[0]);
    expect(secondIds.at(-1)).toBe(foreignRun);
    expect((await viewerB.get('/portal/reports/?page=3')).statusCode).toBe(404);
    expect((await viewerB.get('/portal/reports/?page=0')).statusCode).toBe(404);
  });

  it('shows the empty state for a customer without runs', async () => {
    const db = services.database.db;
    await db.deleteFrom('analysis_runs').where('customer_id', '=', fx.customerB.id).execute();
    const viewerB = await loggedInClient(app, 'viewer_b');
    const page = await viewerB.get('/portal/reports/');
    expect(page.body).toContain('No reports generated yet');
    expect(page.body).toContain('Upload claims data and generate reports to see analysis');
  });
});

describe('"Generate now" (issue 14)', () => {
  it('queues the run’s PDF job for analysts with a message; viewers are refused; other runs are not queued', async () => {
    const db = services.database.db;
    const analyst = await loggedInClient(app, 'analyst_a');
    const response = await analyst.post(`/portal/reports/${driftRun}/generate/`);
    expect(response.statusCode).toBe(302);
    expect(response.headers.location).toBe('/portal/reports/');
    const page = await analyst.get('/portal/reports/');
    expect(page.body).toContain(`PDF generation queued for the run of 2026-03-02 (#${driftRun}).`);
    const jobs = await db.selectFrom('jobs').selectAll().where('kind', '=', REPORT_ARTIFACT_JOB).execute();
    expect(jobs).toHaveLength(1);
    expect(jobs[0]?.payload).toEqual({ customer_id: fx.customerA.id, run_id: driftRun });
    expect(jobs[0]?.customer_id).toBe(fx.customerA.id);

    const viewer = await loggedInClient(app, 'viewer_a');
    expect((await viewer.post(`/portal/reports/${driftRun}/generate/`)).statusCode).toBe(403);
    const denial = await analyst.post(`/portal/reports/${denialRun}/generate/`);
    expect(denial.statusCode).toBe(302);
    expect((await analyst.get('/portal/reports/')).body).toContain('has no PDF report.');
    expect((await analyst.post(`/portal/reports/${foreignRun}/generate/`)).statusCode).toBe(404);
    expect(
      (await analyst.post(`/portal/reports/${driftRun}/generate/`, {}, { csrf: false })).statusCode,
    ).toBe(403);
    const after = await db.selectFrom('jobs').selectAll().where('kind', '=', REPORT_ARTIFACT_JOB).execute();
    expect(after).toHaveLength(1);
  });
});
