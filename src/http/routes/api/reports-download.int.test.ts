import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AccountFixtures, createAccountFixtures } from '../../../../test/accounts.ts';
import { insertFinding, insertRun } from '../../../../test/alert-fixtures.ts';
import { ApiClient } from '../../../../test/api-client.ts';
import { createTestServices, type TestServices } from '../../../../test/services.ts';
import type { ReportArtifactKind } from '../../../db/schema.ts';
import { sha256Hex } from '../../../reports/artifact-store.ts';
import { REPORT_BUILDERS, type ReportBuilder, type ReportBuilders } from '../../../reports/builders.ts';
import { buildApp } from '../../app.ts';

/**
 * `GET /api/v1/reports/{id}/download/?format=` and the run detail's `artifacts` (web-api-ops
 * §4.5–§4.6, alerts-reports §13.2), with fake builders that echo what they were asked for.
 */

let services: TestServices;
let app: FastifyInstance;
let fx: AccountFixtures;
let api: ApiClient;
let dataDir: string;
const saved: ReportBuilders = { ...REPORT_BUILDERS };

function fake(kind: ReportArtifactKind): ReportBuilder {
  return async ({ run, filters }) => ({
    bytes: Buffer.from(`${kind}|run ${run.id}|${filters.minSeverity ?? ''}|${filters.payer ?? ''}`),
    recordCount: 3,
  });
}

let driftRun: number;
let denialRun: number;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'payrixa-reports-api-'));
  services = await createTestServices({ env: { DATA_DIR: dataDir } });
  app = await buildApp(services);
  api = new ApiClient(app);
  const db = services.database.db;
  fx = await createAccountFixtures(db);
  Object.assign(REPORT_BUILDERS, {
    weekly_drift_summary: fake('weekly_drift_summary'),
    drift_workbook: fake('drift_workbook'),
    findings_csv: fake('findings_csv'),
  });
  driftRun = await insertRun(db, fx.customerA.id, { asOf: '2026-03-02' });
  await insertFinding(db, fx.customerA.id, driftRun);
  denialRun = await insertRun(db, fx.customerA.id, { product: 'denialscope', asOf: '2026-03-02' });
});

afterAll(async () => {
  for (const kind of Object.keys(REPORT_BUILDERS) as ReportArtifactKind[]) delete REPORT_BUILDERS[kind];
  Object.assign(REPORT_BUILDERS, saved);
  await app?.close();
  await services?.dispose();
  await rm(dataDir, { recursive: true, force: true });
});

describe('GET /api/v1/reports/{id}/download/ (§13.2)', () => {
  it('answers the file with its type and attachment name, audits it, and the run detail lists the artifact', async () => {
    const response = await api.call('viewer_a', 'GET', `/api/v1/reports/${driftRun}/download/?format=pdf`);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/pdf');
    expect(response.headers['content-disposition']).toBe(
      'attachment; filename="payrixa_weekly_drift_a_2026-03-02.pdf"',
    );
    expect(response.body).toBe(`weekly_drift_summary|run ${driftRun}||`);
    const audit = await services.database.db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'report_exported')
      .executeTakeFirstOrThrow();
    expect(audit).toMatchObject({
      customer_id: fx.customerA.id,
      user_id: fx.users['viewer_a'],
      entity_id: String(driftRun),
    });
    expect(audit.metadata).toEqual({
      export_type: 'weekly_drift_summary',
      format: 'pdf',
      record_count: 3,
      via: 'api',
      filters: [],
    });

    const detail = await api.call('viewer_a', 'GET', `/api/v1/reports/${driftRun}/`);
    expect(detail.statusCode).toBe(200);
    expect((detail.json() as { artifacts: unknown[] }).artifacts).toEqual([
      {
        kind: 'weekly_drift_summary',
        format: 'pdf',
        size_bytes: response.rawPayload.length,
        sha256: sha256Hex(response.rawPayload),
        download_url: `/api/v1/reports/${driftRun}/download/?format=pdf`,
      },
    ]);
  });

  it('filters by min_severity and payer (fresh, uncached file)', async () => {
    const response = await api.call(
      'analyst_a',
      'GET',
      `/api/v1/reports/${driftRun}/download/?format=xlsx&min_severity=0.4&payer=Aet`,
    );
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-disposition']).toBe(
      'attachment; filename="payrixa_drift_a_2026-03-02.xlsx"',
    );
    expect(response.body).toBe(`drift_workbook|run ${driftRun}|0.4|Aet`);
    const stored = await services.database.db
      .selectFrom('report_artifacts')
      .select('kind')
      .where('run_id', '=', driftRun)
      .execute();
    expect(stored.map((s) => s.kind)).toEqual(['weekly_drift_summary']);
  });

  it('a DenialScope run has the CSV only', async () => {
    const csv = await api.call('viewer_a', 'GET', `/api/v1/reports/${denialRun}/download/?format=csv`);
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.headers['content-disposition']).toBe(
      'attachment; filename="payrixa_denialscope_findings_a_2026-03-02.csv"',
    );
    const pdf = await api.call('viewer_a', 'GET', `/api/v1/reports/${denialRun}/download/?format=pdf`);
    expect(pdf.statusCode).toBe(404);
    expect(pdf.json()).toMatchObject({ code: 'not_found' });
  });

  it("another tenant's run is 404; a bad format or min_severity is 400; anonymous is 401", async () => {
    const foreign = await api.call('viewer_b', 'GET', `/api/v1/reports/${driftRun}/download/?format=pdf`);
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json()).toMatchObject({ code: 'not_found' });
    const badFormat = await api.call('viewer_a', 'GET', `/api/v1/reports/${driftRun}/download/?format=docx`);
    expect(badFormat.statusCode).toBe(400);
    expect(badFormat.json()).toMatchObject({
      code: 'invalid',
      errors: { format: ['"docx" is not a valid choice.'] },
    });
    const missing = await api.call('viewer_a', 'GET', `/api/v1/reports/${driftRun}/download/`);
    expect(missing.statusCode).toBe(400);
    const badSeverity = await api.call(
      'viewer_a',
      'GET',
      `/api/v1/reports/${driftRun}/download/?format=csv&min_severity=high`,
    );
    expect(badSeverity.statusCode).toBe(400);
    expect(badSeverity.json()).toMatchObject({ errors: { min_severity: ['A valid number is required.'] } });
    const anonymous = await api.call(null, 'GET', `/api/v1/reports/${driftRun}/download/?format=pdf`);
    expect(anonymous.statusCode).toBe(401);
  });

  it('is documented in the OpenAPI document with the file media types', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/api/v1/schema/' })).json() as {
      paths: Record<string, { get?: { responses: Record<string, { content?: Record<string, unknown> }> } }>;
    };
    const operation = doc.paths['/api/v1/reports/{id}/download/']?.get;
    expect(operation).toBeDefined();
    expect(Object.keys(operation?.responses['200']?.content ?? {}).sort()).toEqual([
      'application/pdf',
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      'text/csv',
    ]);
    expect(operation?.responses['404']).toBeDefined();
  });
});
