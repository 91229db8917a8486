import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loggedInClient, type PortalClient } from '../../../../test/accounts.ts';
import { type ClaimsFixtures, createClaimsFixtures } from '../../../../test/claims.ts';
import { buildApp } from '../../app.ts';

let fixtures: ClaimsFixtures;
let app: FastifyInstance;

beforeAll(async () => {
  fixtures = await createClaimsFixtures();
  app = await buildApp(fixtures.services);
}, 180_000);

afterAll(async () => {
  await app?.close();
  await fixtures?.services.dispose();
});

const client = (username: string): Promise<PortalClient> => loggedInClient(app, username);

function tbody(html: string, cls: string): string {
  return new RegExp(`<table class="table ${cls}">[\\s\\S]*?</table>`).exec(html)?.[0] ?? '';
}

describe('/portal/claims/', () => {
  it('uploads succeeded', () => {
    expect(fixtures.uploadA.status).toBe('success');
    expect(fixtures.uploadB.status).toBe('success');
  });

  it('lists the customer claims with last4 only, payer summary and export link (viewer)', async () => {
    const c = await client('viewer_a');
    const response = await c.get('/portal/claims/');
    expect(response.statusCode).toBe(200);
    const table = tbody(response.body, 'claims-table');
    expect((table.match(/<tr><td><a href="\/portal\/claims\/\d+\/">/g) ?? []).length).toBe(8);
    expect(table).toContain('…1001');
    expect(response.body).not.toContain('CLM-1001');
    expect(response.body).not.toContain('PayerB');
    const summary = tbody(response.body, 'claims-summary');
    expect(summary).toContain(
      '<tr><td>PayerOne</td><td class="num">5</td><td class="num">3</td><td class="num">2</td><td class="num">0</td><td class="num">40.00%</td><td class="num">90.17</td></tr>',
    );
    expect(summary).toContain('<td>PayerTwo</td><td class="num">3</td>');
    expect(response.body).toContain('href="/portal/claims/export.csv"');
    expect(response.body).toContain('/static/css/claims.css');
  });

  it('filters by payer, outcome, date range and denial reason; keeps filters in the export link', async () => {
    const c = await client('analyst_a');
    const r1 = await c.get('/portal/claims/?payer=payerone&outcome=denied');
    const t1 = tbody(r1.body, 'claims-table');
    expect((t1.match(/<tr><td>/g) ?? []).length).toBe(2);
    expect(r1.body).toContain('href="/portal/claims/export.csv?payer=payerone&amp;outcome=denied"');
    const r2 = await c.get('/portal/claims/?submitted_start=2024-02-01&submitted_end=2024-02-02');
    expect((tbody(r2.body, 'claims-table').match(/<tr><td>/g) ?? []).length).toBe(2);
    const r3 = await c.get('/portal/claims/?denial_reason_code=co-197');
    expect((tbody(r3.body, 'claims-table').match(/<tr><td>/g) ?? []).length).toBe(3);
    const r4 = await c.get(`/portal/claims/?upload=${fixtures.uploadB.id}`);
    expect(r4.body).toContain('No claims yet');
  });

  it('rejects malformed filters with 400 and sorts by allowed amount', async () => {
    const c = await client('owner_a');
    const bad = await c.get('/portal/claims/?start_date=2024-13-01&ordering=bogus');
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Date has wrong format');
    expect(bad.body).toContain('Invalid ordering field: bogus');
    const sorted = await c.get('/portal/claims/?ordering=-allowed_amount');
    const cells = [
      ...tbody(sorted.body, 'claims-table').matchAll(/<td class="num">([^<]*)<\/td><td class="num">/g),
    ].map((m) => m[1]);
    expect(cells.slice(0, 4)).toEqual(['200.00', '150.50', '100.00', '20.00']);
  });

  it('shows the decrypted claim number on the detail page; another customer claim is 404', async () => {
    const c = await client('viewer_a');
    const list = await c.get('/portal/claims/?ordering=submitted_date');
    const id = /href="\/portal\/claims\/(\d+)\/"/.exec(tbody(list.body, 'claims-table'))?.[1];
    const detail = await c.get(`/portal/claims/${id}/`);
    expect(detail.statusCode).toBe(200);
    expect(detail.body).toContain('CLM-1001');
    const other = await client('viewer_b');
    expect((await other.get(`/portal/claims/${id}/`)).statusCode).toBe(404);
    const listB = await other.get('/portal/claims/');
    expect(listB.body).not.toContain('PayerOne');
    expect(listB.body).toContain('PayerB');
  });

  it('exports the filtered set as CSV with formula guard and audits data_exported', async () => {
    const c = await client('viewer_a');
    const response = await c.get('/portal/claims/export.csv?payer=PayerTwo&ordering=submitted_date');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/csv');
    // The shared writer (alerts-reports §13.3): UTF-8 BOM, then the header row.
    expect(response.body.startsWith('\uFEFFid,claim_id,payer,cpt,cpt_group,outcome,submitted_date')).toBe(
      true,
    );
    const lines = response.body.trim().split('\r\n');
    expect(lines[0]?.startsWith('id,claim_id,payer,cpt,cpt_group,outcome,submitted_date')).toBe(true);
    expect(lines).toHaveLength(4);
    expect(lines[1]).toContain(',CLM-2001,PayerTwo,99215,');
    expect(lines[1]).toContain(',200.00,');
    expect(lines[1]).toContain(",'-Auth missing,");
    const audit = await fixtures.services.database.db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'data_exported')
      .execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ customer_id: fixtures.fx.customerA.id });
    expect(JSON.stringify(audit[0]?.metadata)).not.toContain('PayerTwo');
  });

  it('refuses a NUL or an over-long filter before the export starts: back to the list with the reason, nothing audited', async () => {
    const db = fixtures.services.database.db;
    const audited = async () =>
      (await db.selectFrom('audit_events').select('id').where('action', '=', 'data_exported').execute())
        .length;
    const before = await audited();
    const c = await client('viewer_a');
    // A NUL never reaches the route: the input safety net answers the 400 page first.
    const nul = await c.get('/portal/claims/export.csv?payer=a%00b');
    expect(nul.statusCode).toBe(400);
    expect(nul.headers['content-type'] ?? '').toContain('text/html');
    for (const query of [`cpt=${'9'.repeat(201)}`, 'denial_reason_code=CO%0A197']) {
      const response = await c.get(`/portal/claims/export.csv?${query}`);
      expect(response.statusCode, query).toBe(302);
      expect(response.headers.location).toBe('/portal/claims/');
      expect(response.headers['content-type'] ?? '').not.toContain('text/csv');
    }
    const list = await c.get('/portal/claims/');
    expect(list.body).toContain('Control characters are not allowed.');
    expect(await audited()).toBe(before);
  });

  it('shows the empty state and sends staff without a customer to the console', async () => {
    const staff = await client('operator1');
    const r = await staff.get('/portal/claims/');
    expect(r.statusCode).toBe(302);
    expect(r.headers.location).toBe('/portal/admin/customers/');
    const c = await client('nomember');
    expect((await c.get('/portal/claims/')).statusCode).toBe(403);
    const viewer = await client('viewer_a');
    const empty = await viewer.get('/portal/claims/?payer=Nobody');
    expect(empty.body).toContain('No claims yet');
  });
});
