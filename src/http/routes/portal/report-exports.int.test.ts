import ExcelJS from 'exceljs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AccountFixtures, createAccountFixtures, loggedInClient } from '../../../../test/accounts.ts';
import { insertAlert, insertFinding, insertJudgmentRow, insertRun } from '../../../../test/alert-fixtures.ts';
import { createTestServices, type TestServices } from '../../../../test/services.ts';
import { buildApp } from '../../app.ts';

/**
 * `/portal/reports/alerts.xlsx` (alerts-reports §13.2): the alerts list with its filters as one
 * "Alert Events" sheet; every member downloads it; only the caller's customer's alerts appear;
 * `report_exported` is audited.
 */

let services: TestServices;
let app: FastifyInstance;
let fx: AccountFixtures;

const NOW = new Date('2026-03-20T12:00:00Z');

beforeAll(async () => {
  services = await createTestServices({ env: { PORTAL_RATE_LIMIT: '10000/minute' } });
  services.clock = { now: () => new Date(NOW) };
  app = await buildApp(services);
  const db = services.database.db;
  fx = await createAccountFixtures(db);
  const runA = await insertRun(db, fx.customerA.id, { asOf: '2026-03-02' });
  const aetna = await insertFinding(db, fx.customerA.id, runA, { payer: 'Aetna', severity: 0.8 });
  const cigna = await insertFinding(db, fx.customerA.id, runA, {
    payer: '=Cigna',
    severity: 0.95,
    severity_label: 'critical',
  });
  const aetnaAlert = await insertAlert(db, fx.customerA.id, aetna, {
    status: 'sent',
    triggeredAt: new Date('2026-03-02T06:00:00Z'),
  });
  await insertJudgmentRow(db, fx.customerA.id, aetnaAlert.id, {
    operatorId: fx.users['analyst_a'] as number,
    verdictAt: new Date('2026-03-10T09:00:00Z'),
    verdict: 'real',
    recoveredAmount: '1200.50',
    recoveredDate: '2026-03-10',
  });
  await insertAlert(db, fx.customerA.id, cigna, {
    status: 'failed',
    triggeredAt: new Date('2026-03-02T07:00:00Z'),
  });
  const runB = await insertRun(db, fx.customerB.id, { asOf: '2026-03-02' });
  const other = await insertFinding(db, fx.customerB.id, runB, { payer: 'Tenant B Payer', severity: 0.9 });
  await insertAlert(db, fx.customerB.id, other, { status: 'sent' });
}, 180_000);

afterAll(async () => {
  await app?.close();
  await services?.dispose();
});

async function sheetRows(bytes: Buffer): Promise<{ names: string[]; rows: unknown[][] }> {
  const workbook = new ExcelJS.Workbook();
  // exceljs's load() is typed for its own Buffer; Node's Buffer is the same bytes.
  await workbook.xlsx.load(bytes as unknown as ArrayBuffer);
  const rows: unknown[][] = [];
  workbook.worksheets[0]?.eachRow((row) => rows.push((row.values as unknown[]).slice(1)));
  return { names: workbook.worksheets.map((s) => s.name), rows };
}

describe('/portal/reports/alerts.xlsx', () => {
  it("a viewer downloads the customer's alerts, newest first, and the export is audited", async () => {
    const c = await loggedInClient(app, 'viewer_a');
    const response = await c.get('/portal/reports/alerts.xlsx');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe(
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    );
    expect(response.headers['content-disposition']).toBe(
      'attachment; filename="payrixa_alerts_a_2026-03-20.xlsx"',
    );
    const { names, rows } = await sheetRows(response.rawPayload);
    expect(names).toEqual(['Alert Events']);
    expect(rows[0]?.[0]).toBe('Alert ID');
    expect(rows).toHaveLength(1 + 2);
    // Newest first; a payer starting with "=" stays text (exceljs never writes it as a formula).
    expect(rows[1]?.slice(1, 6)).toEqual([
      '2026-03-02 07:00:00',
      'High severity findings',
      'DriftWatch',
      'DENIAL_RATE',
      '=Cigna',
    ]);
    expect(rows[1]?.[9]).toBe('Failed');
    expect(rows[2]?.slice(9, 13)).toEqual(['Sent', 'No', 'Real', 1200.5]);
    expect(JSON.stringify(rows)).not.toContain('Tenant B Payer');

    const audit = await services.database.db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'report_exported')
      .execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      customer_id: fx.customerA.id,
      user_id: fx.users['viewer_a'],
      entity_type: 'alerts',
      metadata: { export_type: 'alerts', format: 'xlsx', record_count: 2, filters: [] },
    });
  });

  it('applies the list filters (status, product, severity, payer case-insensitively)', async () => {
    const c = await loggedInClient(app, 'analyst_a');
    const byStatus = await sheetRows((await c.get('/portal/reports/alerts.xlsx?status=failed')).rawPayload);
    expect(byStatus.rows.slice(1).map((r) => r[5])).toEqual(['=Cigna']);
    const bySeverity = await sheetRows((await c.get('/portal/reports/alerts.xlsx?severity=high')).rawPayload);
    expect(bySeverity.rows.slice(1).map((r) => r[5])).toEqual(['Aetna']);
    const byPayer = await sheetRows(
      (await c.get('/portal/reports/alerts.xlsx?payer=AETNA&product=driftwatch&status=')).rawPayload,
    );
    expect(byPayer.rows.slice(1).map((r) => r[5])).toEqual(['Aetna']);
    const none = await sheetRows((await c.get('/portal/reports/alerts.xlsx?product=delayguard')).rawPayload);
    expect(none.rows).toHaveLength(1);
  });

  it("customer B's viewer sees only B's alerts; an invalid filter is a 400; anonymous goes to login", async () => {
    const b = await loggedInClient(app, 'viewer_b');
    const { rows } = await sheetRows((await b.get('/portal/reports/alerts.xlsx')).rawPayload);
    expect(rows.slice(1).map((r) => r[5])).toEqual(['Tenant B Payer']);
    expect((await b.get('/portal/reports/alerts.xlsx?status=bogus')).statusCode).toBe(400);
    const anonymous = await app.inject({ method: 'GET', url: '/portal/reports/alerts.xlsx' });
    expect(anonymous.statusCode).toBe(302);
    expect(anonymous.headers.location).toContain('/portal/login/');
  });
});
