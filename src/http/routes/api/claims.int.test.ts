import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD } from '../../../../test/accounts.ts';
import { type ClaimsFixtures, createClaimsFixtures } from '../../../../test/claims.ts';
import { buildApp } from '../../app.ts';

let fixtures: ClaimsFixtures;
let app: FastifyInstance;
const bearers: Record<string, string> = {};

beforeAll(async () => {
  fixtures = await createClaimsFixtures();
  app = await buildApp(fixtures.services);
}, 180_000);

afterAll(async () => {
  await app?.close();
  await fixtures?.services.dispose();
});

async function get(username: string, url: string) {
  if (!bearers[username]) {
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/token/',
      payload: { username, password: PASSWORD },
    });
    bearers[username] = (response.json() as { access: string }).access;
  }
  return app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${bearers[username]}` } });
}

interface Page {
  count: number;
  next: string | null;
  previous: string | null;
  results: Array<Record<string, unknown>>;
}

describe('claims API', () => {
  it('lists claims in the envelope, default -decided_date, money as 2-decimal strings', async () => {
    const response = await get('viewer_a', '/api/v1/claims/');
    expect(response.statusCode).toBe(200);
    const body = response.json() as Page;
    expect(body.count).toBe(8);
    expect(body.next).toBeNull();
    expect(body.previous).toBeNull();
    expect(body.results[0]).toEqual({
      id: expect.any(Number),
      claim_id: 'CLM-2003',
      payer: 'PayerTwo',
      cpt: '36415',
      cpt_group: 'Surgery',
      outcome: 'DENIED',
      submitted_date: '2024-02-03',
      decided_date: '2024-02-12',
      allowed_amount: null,
      paid_amount: null,
    });
    const paid = body.results.find((r) => r['claim_id'] === 'CLM-1002');
    expect(paid).toMatchObject({ allowed_amount: '150.50', paid_amount: '120.00' });
  });

  it('paginates with absolute next/previous links and 404s an invalid page', async () => {
    const first = (
      await get('viewer_a', '/api/v1/claims/?page_size=3&ordering=submitted_date')
    ).json() as Page;
    expect(first.count).toBe(8);
    expect(first.results.map((r) => r['claim_id'])).toEqual(['CLM-1001', 'CLM-1002', 'CLM-1003']);
    expect(first.next).toMatch(
      /^http:\/\/[^/]+\/api\/v1\/claims\/\?page_size=3&ordering=submitted_date&page=2$/,
    );
    const third = (
      await get('viewer_a', '/api/v1/claims/?page_size=3&ordering=submitted_date&page=3')
    ).json() as Page;
    expect(third.results).toHaveLength(2);
    expect(third.next).toBeNull();
    expect(third.previous).toContain('page=2');
    const beyond = await get('viewer_a', '/api/v1/claims/?page=9');
    expect(beyond.statusCode).toBe(404);
    expect(beyond.json()).toEqual({ detail: 'Invalid page.', code: 'not_found' });
  });

  it('orders by the listed fields and rejects others with invalid_ordering', async () => {
    const body = (await get('viewer_a', '/api/v1/claims/?ordering=-allowed_amount,payer')).json() as Page;
    expect(body.results.slice(0, 4).map((r) => r['allowed_amount'])).toEqual([
      '200.00',
      '150.50',
      '100.00',
      '20.00',
    ]);
    const bad = await get('viewer_a', '/api/v1/claims/?ordering=claim_id_hash');
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual({ detail: 'Invalid ordering field: claim_id_hash', code: 'invalid_ordering' });
  });

  it('filters (payer case-insensitive, outcome, dates, claim_id, denial reason) and 400s malformed values', async () => {
    const count = async (query: string) =>
      ((await get('analyst_a', `/api/v1/claims/?${query}`)).json() as Page).count;
    expect(await count('payer=PAYERONE')).toBe(5);
    expect(await count('outcome=denied')).toBe(5);
    expect(await count('start_date=2024-01-12&end_date=2024-01-13')).toBe(2);
    expect(await count('submitted_start=2024-02-01')).toBe(3);
    expect(await count('claim_id=CLM-1004')).toBe(1);
    expect(await count('denial_reason_code=co-197')).toBe(3);
    expect(await count('cpt_group=E%26M')).toBe(6);
    expect(await count(`upload=${fixtures.uploadA.id}`)).toBe(8);
    expect(await count('unknown_param=1')).toBe(8);
    const bad = await get('analyst_a', '/api/v1/claims/?start_date=yesterday&outcome=maybe&upload=x');
    expect(bad.statusCode).toBe(400);
    const body = bad.json() as { code: string; errors: Record<string, string[]> };
    expect(body.code).toBe('invalid');
    expect(Object.keys(body.errors).sort()).toEqual(['outcome', 'start_date', 'upload']);
  });

  it('returns the detail with the decrypted claim number; another customer claim is 404', async () => {
    const list = (await get('viewer_a', '/api/v1/claims/?claim_id=CLM-2001')).json() as Page;
    const id = list.results[0]?.['id'] as number;
    const detail = await get('viewer_a', `/api/v1/claims/${id}/`);
    expect(detail.statusCode).toBe(200);
    expect(detail.json()).toMatchObject({
      id,
      claim_id: 'CLM-2001',
      customer: fixtures.fx.customerA.id,
      upload: fixtures.uploadA.id,
      allowed_amount: '200.00',
      billed_amount: null,
      denial_reason_code: 'CO-197',
      denial_reason_text: '-Auth missing',
    });
    expect(Object.keys(detail.json() as object)).not.toContain('claim_id_hash');
    expect((await get('viewer_b', `/api/v1/claims/${id}/`)).statusCode).toBe(404);
    expect(((await get('viewer_b', '/api/v1/claims/')).json() as Page).count).toBe(1);
  });

  it('summarises per payer (§8 #43)', async () => {
    const response = await get('viewer_a', '/api/v1/claims/payer_summary/');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual([
      {
        payer: 'PayerOne',
        total_claims: 5,
        paid_count: 3,
        denied_count: 2,
        other_count: 0,
        denial_rate: 40,
        avg_allowed_amount: '90.17',
      },
      {
        payer: 'PayerTwo',
        total_claims: 3,
        paid_count: 0,
        denied_count: 3,
        other_count: 0,
        denial_rate: 100,
        avg_allowed_amount: '200.00',
      },
    ]);
    const filtered = (
      await get('viewer_a', '/api/v1/claims/payer_summary/?outcome=PAID')
    ).json() as unknown[];
    expect(filtered).toHaveLength(1);
  });

  it('exports CSV and records data_exported', async () => {
    const response = await get('viewer_a', '/api/v1/claims/export/?outcome=PAID&ordering=submitted_date');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/csv');
    const lines = response.body.trim().split('\r\n');
    expect(lines).toHaveLength(4);
    expect(lines[1]).toContain(',CLM-1001,PayerOne,99213,E&M,PAID,2024-01-02,2024-01-10,100.00,80.00,');
    const audit = await fixtures.services.database.db
      .selectFrom('audit_events')
      .select(['action', 'customer_id', 'metadata'])
      .where('action', '=', 'data_exported')
      .execute();
    expect(audit).toEqual([
      {
        action: 'data_exported',
        customer_id: fixtures.fx.customerA.id,
        metadata: expect.objectContaining({ via: 'api' }),
      },
    ]);
  });

  it('requires a customer for staff, 403s users without membership, 401s anonymous', async () => {
    const staff = await get('operator1', '/api/v1/claims/');
    expect(staff.statusCode).toBe(200);
    expect((staff.json() as Page).count).toBe(9);
    const search = await get('operator1', '/api/v1/claims/?claim_id=CLM-1001');
    expect(search.statusCode).toBe(400);
    expect((search.json() as { code: string }).code).toBe('customer_required');
    const summary = await get('operator1', '/api/v1/claims/payer_summary/');
    expect((summary.json() as { code: string }).code).toBe('customer_required');
    const acting = (
      await get('operator1', `/api/v1/claims/?customer=${fixtures.fx.customerB.id}`)
    ).json() as Page;
    expect(acting.count).toBe(1);
    expect((await get('nomember', '/api/v1/claims/')).statusCode).toBe(403);
    expect((await app.inject({ method: 'GET', url: '/api/v1/claims/' })).statusCode).toBe(401);
  });
});

describe('claims API on schemas (issue 11 item 7)', () => {
  it('answers 400 with field errors, never a 200 with only the header line, for hostile export filters', async () => {
    const db = fixtures.services.database.db;
    const audited = async () =>
      (await db.selectFrom('audit_events').select('id').where('action', '=', 'data_exported').execute())
        .length;
    const before = await audited();
    for (const [query, field] of [
      ['payer=a%00b', 'payer'],
      ['cpt_group=E%26M%01', 'cpt_group'],
      [`claim_id=${'C'.repeat(201)}`, 'claim_id'],
      ['payer=a&payer=b', 'payer'],
      ['outcome=PAID%00', 'outcome'],
    ] as const) {
      const response = await get('viewer_a', `/api/v1/claims/export/?${query}`);
      expect(response.statusCode, query).toBe(400);
      expect(response.headers['content-type']).toContain('application/json');
      const body = response.json() as { code: string; errors: Record<string, string[]> };
      expect(body.code).toBe('invalid');
      expect(Object.keys(body.errors), query).toEqual([field]);
    }
    expect(await audited()).toBe(before);
    // The list and the payer summary refuse the same values.
    expect((await get('viewer_a', '/api/v1/claims/?payer=a%00b')).statusCode).toBe(400);
    expect((await get('viewer_a', '/api/v1/claims/payer_summary/?payer=a%00b')).statusCode).toBe(400);
  });

  it('exports every filtered row after the header, and the body ends complete', async () => {
    const response = await get('viewer_a', '/api/v1/claims/export/?outcome=denied&ordering=submitted_date');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/csv');
    const lines = response.body.trim().split('\r\n');
    expect(lines).toHaveLength(1 + 5);
    expect(lines.slice(1).every((line) => line.includes(',DENIED,'))).toBe(true);
  });

  it('declares every field of a claim detail and of a payer summary row', async () => {
    const list = (await get('viewer_a', '/api/v1/claims/?page_size=1')).json() as Page;
    expect(Object.keys(list.results[0] ?? {}).sort()).toEqual(
      [
        'allowed_amount',
        'claim_id',
        'cpt',
        'cpt_group',
        'decided_date',
        'id',
        'outcome',
        'paid_amount',
        'payer',
        'submitted_date',
      ].sort(),
    );
    const detail = (
      await get('viewer_a', `/api/v1/claims/${String(list.results[0]?.['id'])}/`)
    ).json() as object;
    expect(Object.keys(detail)).toHaveLength(10 + 12);
    const summary = (await get('viewer_a', '/api/v1/claims/payer_summary/')).json() as Array<
      Record<string, unknown>
    >;
    expect(Object.keys(summary[0] ?? {}).sort()).toEqual(
      [
        'avg_allowed_amount',
        'denial_rate',
        'denied_count',
        'other_count',
        'paid_count',
        'payer',
        'total_claims',
      ].sort(),
    );
    expect((await get('viewer_a', '/api/v1/claims/?page_size=500')).statusCode).toBe(400);
  });
});
