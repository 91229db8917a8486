import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD } from '../../../../test/accounts.ts';
import { type ClaimsFixtures, createClaimsFixtures } from '../../../../test/claims.ts';
import { insertColumnMappingProfile } from '../../../db/repositories/mappings.repository.ts';
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

async function call(username: string, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) {
  if (!bearers[username]) {
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/token/',
      payload: { username, password: PASSWORD },
    });
    bearers[username] = (response.json() as { access: string }).access;
  }
  return app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${bearers[username]}` },
    ...(payload ? { payload } : {}),
  });
}

describe('mappings API', () => {
  it('creates, lists, orders, reads and deletes payer mappings; duplicates → 400', async () => {
    const a = await call('analyst_a', 'POST', '/api/v1/payer-mappings/', {
      raw_name: 'BCBS',
      normalized_name: 'Blue Cross',
    });
    expect(a.statusCode).toBe(201);
    const created = a.json() as { id: number };
    expect(created).toEqual({
      id: expect.any(Number),
      customer: fixtures.fx.customerA.id,
      raw_name: 'BCBS',
      normalized_name: 'Blue Cross',
    });
    await call('analyst_a', 'POST', '/api/v1/payer-mappings/', {
      raw_name: 'Aetna Inc',
      normalized_name: 'Aetna',
    });
    const dup = await call('analyst_a', 'POST', '/api/v1/payer-mappings/', {
      raw_name: ' bcbs ',
      normalized_name: 'X',
    });
    expect(dup.statusCode).toBe(400);
    expect(dup.json()).toEqual({
      detail: 'Validation failed.',
      code: 'invalid',
      errors: { raw_name: ["Mapping for 'bcbs' already exists"] },
    });
    const missing = await call('analyst_a', 'POST', '/api/v1/payer-mappings/', { raw_name: 'X' });
    expect(missing.statusCode).toBe(400);
    expect((missing.json() as { errors: object }).errors).toEqual({
      normalized_name: ['This field is required.'],
    });

    const list = (await call('viewer_a', 'GET', '/api/v1/payer-mappings/?ordering=-raw_name')).json() as {
      count: number;
      results: Array<{ raw_name: string }>;
    };
    expect(list.count).toBe(2);
    expect(list.results.map((r) => r.raw_name)).toEqual(['BCBS', 'Aetna Inc']);
    const badOrder = await call('viewer_a', 'GET', '/api/v1/payer-mappings/?ordering=normalized_name');
    expect(badOrder.statusCode).toBe(400);
    expect((badOrder.json() as { code: string }).code).toBe('invalid_ordering');

    expect((await call('viewer_a', 'GET', `/api/v1/payer-mappings/${created.id}/`)).statusCode).toBe(200);
    expect((await call('viewer_b', 'GET', `/api/v1/payer-mappings/${created.id}/`)).statusCode).toBe(404);
    expect((await call('viewer_a', 'DELETE', `/api/v1/payer-mappings/${created.id}/`)).statusCode).toBe(403);
    expect(
      (await call('viewer_a', 'POST', '/api/v1/payer-mappings/', { raw_name: 'A', normalized_name: 'B' }))
        .statusCode,
    ).toBe(403);
    expect((await call('admin_a', 'DELETE', `/api/v1/payer-mappings/${created.id}/`)).statusCode).toBe(204);
    expect((await call('admin_a', 'DELETE', `/api/v1/payer-mappings/${created.id}/`)).statusCode).toBe(404);

    const actions = (
      await fixtures.services.database.db
        .selectFrom('audit_events')
        .select('action')
        .where('customer_id', '=', fixtures.fx.customerA.id)
        .execute()
    ).map((r) => r.action);
    expect(actions.filter((x) => x === 'payer_mapping_created')).toHaveLength(2);
    expect(actions.filter((x) => x === 'payer_mapping_deleted')).toHaveLength(1);
  });

  it('manages CPT group mappings', async () => {
    const created = await call('owner_a', 'POST', '/api/v1/cpt-mappings/', {
      cpt_code: '99213-25',
      cpt_group: 'Office',
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ cpt_code: '99213', cpt_group: 'Office' });
    const dup = await call('owner_a', 'POST', '/api/v1/cpt-mappings/', {
      cpt_code: '99213',
      cpt_group: 'Office',
    });
    expect(dup.json()).toMatchObject({
      errors: { cpt_code: ["Mapping for CPT code '99213' already exists"] },
    });
    const list = (await call('viewer_a', 'GET', '/api/v1/cpt-mappings/')).json() as { count: number };
    expect(list.count).toBe(1);
    expect(((await call('viewer_b', 'GET', '/api/v1/cpt-mappings/')).json() as { count: number }).count).toBe(
      0,
    );
  });

  it('restricts the allow-list: reads manage_mappings, writes owner/admin', async () => {
    expect((await call('viewer_a', 'GET', '/api/v1/payer-allowlist/')).statusCode).toBe(403);
    expect((await call('analyst_a', 'GET', '/api/v1/payer-allowlist/')).statusCode).toBe(200);
    expect(
      (await call('analyst_a', 'POST', '/api/v1/payer-allowlist/', { name: 'Ann Taylor' })).statusCode,
    ).toBe(403);
    const created = await call('admin_a', 'POST', '/api/v1/payer-allowlist/', { name: 'Ann Taylor' });
    expect(created.statusCode).toBe(201);
    expect(
      (await call('admin_a', 'POST', '/api/v1/payer-allowlist/', { name: 'ann  taylor' })).statusCode,
    ).toBe(400);
    const id = (created.json() as { id: number }).id;
    expect((await call('owner_a', 'DELETE', `/api/v1/payer-allowlist/${id}/`)).statusCode).toBe(204);
  });

  it('lists and deletes column profiles (manage_mappings)', async () => {
    const profile = await insertColumnMappingProfile(
      fixtures.services.database.db,
      fixtures.fx.customerA.id,
      {
        name: 'Export',
        mapping: { payer: 'Insurance' },
      },
    );
    const list = await call('analyst_a', 'GET', '/api/v1/column-profiles/');
    expect(list.statusCode).toBe(200);
    expect((list.json() as { results: unknown[] }).results).toEqual([
      expect.objectContaining({ id: profile!.id, name: 'Export', mapping: { payer: 'insurance' } }),
    ]);
    expect((await call('viewer_a', 'GET', '/api/v1/column-profiles/')).statusCode).toBe(403);
    expect((await call('viewer_a', 'DELETE', `/api/v1/column-profiles/${profile!.id}/`)).statusCode).toBe(
      403,
    );
    expect((await call('viewer_b', 'GET', `/api/v1/column-profiles/${profile!.id}/`)).statusCode).toBe(403);
    expect((await call('analyst_a', 'DELETE', `/api/v1/column-profiles/${profile!.id}/`)).statusCode).toBe(
      204,
    );
    expect((await call('analyst_a', 'GET', `/api/v1/column-profiles/${profile!.id}/`)).statusCode).toBe(404);
  });

  it('queues a re-apply (202 with job status URL); viewers and staff without customer are refused', async () => {
    const response = await call('analyst_a', 'POST', '/api/v1/mappings/reapply/');
    expect(response.statusCode).toBe(202);
    const body = response.json() as { job_id: number; status_url: string };
    expect(body.status_url).toMatch(new RegExp(`/api/v1/jobs/${body.job_id}/$`));
    expect(response.headers.location).toBe(body.status_url);
    expect((await call('viewer_a', 'POST', '/api/v1/mappings/reapply/')).statusCode).toBe(403);
    const staff = await call('operator1', 'POST', '/api/v1/mappings/reapply/');
    expect(staff.statusCode).toBe(400);
    expect((staff.json() as { code: string }).code).toBe('customer_required');
    const acting = await call(
      'operator1',
      'POST',
      `/api/v1/payer-mappings/?customer=${fixtures.fx.customerB.id}`,
      {
        raw_name: 'PayerB',
        normalized_name: 'Payer B Inc',
      },
    );
    expect(acting.statusCode).toBe(201);
    const audit = await fixtures.services.database.db
      .selectFrom('audit_events')
      .select('metadata')
      .where('customer_id', '=', fixtures.fx.customerB.id)
      .where('action', '=', 'payer_mapping_created')
      .executeTakeFirstOrThrow();
    expect(audit.metadata).toMatchObject({ acting_as_operator: true });
  });
});
