import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AccountFixtures, createAccountFixtures, PASSWORD } from '../../../../test/accounts.ts';
import { createTestServices, type TestServices } from '../../../../test/services.ts';
import { findMembershipByUser } from '../../../db/repositories/memberships.repository.ts';
import { buildApp } from '../../app.ts';

let services: TestServices;
let app: FastifyInstance;
let fx: AccountFixtures;
const bearers: Record<string, string> = {};

beforeAll(async () => {
  services = await createTestServices({ env: { API_THROTTLE_ANON: '10000/hour', EMAIL_BACKEND: 'memory' } });
  app = await buildApp(services);
  fx = await createAccountFixtures(services.database.db, { productsA: ['driftwatch', 'delayguard'] });
});

afterAll(async () => {
  await app.close();
  await services.dispose();
});

async function auth(username: string): Promise<Record<string, string>> {
  if (!bearers[username]) {
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/token/',
      payload: { username, password: PASSWORD },
    });
    bearers[username] = (response.json() as { access: string }).access;
  }
  return { authorization: `Bearer ${bearers[username]}` };
}

async function membershipId(username: string): Promise<number> {
  return (await findMembershipByUser(services.database.db, fx.users[username] as number))!.id;
}

describe('customers API', () => {
  it("lists only the member's own customer (§8 #33) and 404s another's", async () => {
    const list = await app.inject({
      method: 'GET',
      url: '/api/v1/customers/',
      headers: await auth('viewer_a'),
    });
    expect(list.statusCode).toBe(200);
    const body = list.json() as { count: number; results: Array<Record<string, unknown>> };
    expect(body.count).toBe(1);
    expect(body.results[0]).toEqual({
      id: fx.customerA.id,
      name: 'A',
      is_active: true,
      enabled_products: ['driftwatch', 'delayguard'],
      created_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
    });
    const other = await app.inject({
      method: 'GET',
      url: `/api/v1/customers/${fx.customerB.id}/`,
      headers: await auth('viewer_a'),
    });
    expect(other.statusCode).toBe(404);
    expect(other.json()).toEqual({ detail: 'Not found.', code: 'not_found' });
    const staff = await app.inject({
      method: 'GET',
      url: '/api/v1/customers/',
      headers: await auth('operator1'),
    });
    expect((staff.json() as { count: number }).count).toBe(2);
  });

  it('lets staff create and edit customers; activation is superuser-only', async () => {
    const owner = await app.inject({
      method: 'POST',
      url: '/api/v1/customers/',
      headers: await auth('owner_a'),
      payload: { name: 'X' },
    });
    expect(owner.statusCode).toBe(403);
    const created = await app.inject({
      method: 'POST',
      url: '/api/v1/customers/',
      headers: await auth('operator1'),
      payload: { name: 'Gamma', enabled_products: ['denialscope'] },
    });
    expect(created.statusCode).toBe(201);
    const gamma = created.json() as { id: number; enabled_products: string[] };
    expect(gamma.enabled_products).toEqual(['denialscope']);
    const dup = await app.inject({
      method: 'POST',
      url: '/api/v1/customers/',
      headers: await auth('operator1'),
      payload: { name: 'gamma' },
    });
    expect(dup.statusCode).toBe(400);
    expect(dup.json()).toMatchObject({ errors: { name: ["A customer named 'gamma' already exists."] } });
    const patched = await app.inject({
      method: 'PATCH',
      url: `/api/v1/customers/${gamma.id}/`,
      headers: await auth('operator1'),
      payload: { enabled_products: ['driftwatch', 'denialscope', 'delayguard'] },
    });
    expect((patched.json() as { enabled_products: string[] }).enabled_products).toEqual([
      'driftwatch',
      'denialscope',
      'delayguard',
    ]);
    const deactivate = await app.inject({
      method: 'PATCH',
      url: `/api/v1/customers/${gamma.id}/`,
      headers: await auth('operator1'),
      payload: { is_active: false },
    });
    expect(deactivate.statusCode).toBe(403);
    const bySuperuser = await app.inject({
      method: 'PATCH',
      url: `/api/v1/customers/${gamma.id}/`,
      headers: await auth('admin'),
      payload: { is_active: false },
    });
    expect((bySuperuser.json() as { is_active: boolean }).is_active).toBe(false);
  });
});

describe('members API', () => {
  it('lists members of the caller’s customer with ordering', async () => {
    const response = await app.inject({
      method: 'GET',
      url: '/api/v1/members/?ordering=role',
      headers: await auth('viewer_a'),
    });
    const body = response.json() as { count: number; results: Array<{ username: string; role: string }> };
    expect(body.count).toBe(4);
    expect(body.results.map((m) => m.role)).toEqual(['owner', 'admin', 'analyst', 'viewer']);
    const bad = await app.inject({
      method: 'GET',
      url: '/api/v1/members/?ordering=password',
      headers: await auth('viewer_a'),
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual({ detail: 'Invalid ordering field: password', code: 'invalid_ordering' });
  });

  it('applies the team rules with their messages (§8 #19–22 via the API)', async () => {
    const viewer = await app.inject({
      method: 'PATCH',
      url: `/api/v1/members/${await membershipId('analyst_a')}/`,
      headers: await auth('viewer_a'),
      payload: { role: 'viewer' },
    });
    expect(viewer.statusCode).toBe(403);
    expect(viewer.json()).toEqual({
      detail: 'You do not have permission to manage users',
      code: 'permission_denied',
    });
    const lastOwner = await app.inject({
      method: 'PATCH',
      url: `/api/v1/members/${await membershipId('owner_a')}/`,
      headers: await auth('owner_a'),
      payload: { role: 'admin' },
    });
    expect(lastOwner.statusCode).toBe(400);
    expect(lastOwner.json()).toMatchObject({
      detail: 'Cannot remove the last owner. Promote another user to owner first.',
    });
    const adminPromote = await app.inject({
      method: 'PATCH',
      url: `/api/v1/members/${await membershipId('viewer_a')}/`,
      headers: await auth('admin_a'),
      payload: { role: 'owner' },
    });
    expect(adminPromote.json()).toMatchObject({ detail: 'Only owners can assign owner or admin roles' });
    const foreign = await app.inject({
      method: 'DELETE',
      url: `/api/v1/members/${await membershipId('viewer_b')}/`,
      headers: await auth('owner_a'),
    });
    expect(foreign.statusCode).toBe(404);
    const removeLast = await app.inject({
      method: 'DELETE',
      url: `/api/v1/members/${await membershipId('owner_a')}/`,
      headers: await auth('owner_a'),
    });
    expect(removeLast.json()).toMatchObject({
      detail: 'Cannot remove the last owner. Transfer ownership first.',
    });
  });

  it('adds, changes and removes members; staff must name the customer', async () => {
    const added = await app.inject({
      method: 'POST',
      url: '/api/v1/members/',
      headers: await auth('owner_a'),
      payload: { username: 'api_member', email: 'api_member@example.com', role: 'analyst' },
    });
    expect(added.statusCode).toBe(201);
    const member = added.json() as { id: number; role: string; username: string };
    expect(member).toMatchObject({ username: 'api_member', role: 'analyst' });
    expect(services.mailer.outbox.at(-1)?.subject).toBe('You have been invited to Payrixa');
    const changed = await app.inject({
      method: 'PATCH',
      url: `/api/v1/members/${member.id}/`,
      headers: await auth('admin_a'),
      payload: { role: 'viewer' },
    });
    expect((changed.json() as { role: string }).role).toBe('viewer');
    const staffNoCustomer = await app.inject({
      method: 'DELETE',
      url: `/api/v1/members/${member.id}/`,
      headers: await auth('operator1'),
    });
    expect(staffNoCustomer.statusCode).toBe(400);
    expect(staffNoCustomer.json()).toMatchObject({ code: 'customer_required' });
    const removed = await app.inject({
      method: 'DELETE',
      url: `/api/v1/members/${member.id}/?customer=${fx.customerA.id}`,
      headers: await auth('operator1'),
    });
    expect(removed.statusCode).toBe(204);
    const invalid = await app.inject({
      method: 'POST',
      url: '/api/v1/members/',
      headers: await auth('owner_a'),
      payload: { username: 'x y', email: 'nope', role: 'boss' },
    });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json()).toMatchObject({
      code: 'invalid',
      errors: { role: ['"boss" is not a valid choice.'] },
    });
  });
});
