import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccountFixtures, FakeClock, PASSWORD, PortalClient } from '../../test/accounts.ts';
import { createTestServices, type TestServices } from '../../test/services.ts';
import { buildApp } from './app.ts';

/**
 * Issue 11 item 8: the login lockout holds for the ACCOUNT whichever identifier is typed
 * (web-api-ops §3.4), and the client IP is taken from X-Real-IP / X-Forwarded-For only when
 * the peer is a trusted proxy (§3.6).
 */

let services: TestServices;
let app: FastifyInstance;
const clock = new FakeClock();

beforeAll(async () => {
  services = await createTestServices({
    env: { PORTAL_RATE_LIMIT: '10000/minute', API_THROTTLE_ANON: '10000/hour', TRUST_PROXY: 'loopback' },
  });
  services.clock = clock;
  app = await buildApp(services, {
    extraRoutes: (instance) => {
      instance.get('/api/v1/test-ip/', { config: { auth: 'none' } }, async (request) => ({ ip: request.ip }));
    },
  });
  await createAccountFixtures(services.database.db);
});

afterAll(async () => {
  await app.close();
  await services.dispose();
});

async function tokenLogin(username: string, password: string, remoteAddress = '10.9.0.1') {
  return app.inject({
    method: 'POST',
    url: '/api/v1/auth/token/',
    remoteAddress,
    payload: { username, password },
  });
}

async function auditRows(action: string) {
  return services.database.db
    .selectFrom('audit_events')
    .select(['action', 'user_id', 'ip', 'metadata'])
    .where('action', '=', action)
    .orderBy('id')
    .execute();
}

describe('lockout per account, whichever identifier is typed (§3.4)', () => {
  it('six wrong passwords by username lock the e-mail login on the portal and the token endpoint', async () => {
    // Distinct IPs per attempt so only the account counter can be what locks.
    for (let i = 0; i < 6; i += 1) {
      const response = await new PortalClient(app, `10.1.0.${i + 1}`).login('owner_a', 'wrong-password-1');
      expect([200, 429]).toContain(response.statusCode);
    }
    const portal = await new PortalClient(app, '10.1.1.1').login('owner_a@example.com');
    expect(portal.statusCode).toBe(429);
    expect(portal.body).toContain('Too many failed login attempts');
    expect(Number(portal.headers['retry-after'])).toBeGreaterThan(0);

    const api = await tokenLogin('OWNER_A@example.com', PASSWORD, '10.1.1.2');
    expect(api.statusCode).toBe(429);
    expect(api.json()).toMatchObject({ code: 'login_locked' });
    expect(Number(api.headers['retry-after'])).toBeGreaterThan(0);

    const locked = await auditRows('login_locked');
    expect(locked.length).toBeGreaterThanOrEqual(2);
    expect(locked.at(-1)?.user_id).toBe(
      (
        await services.database.db
          .selectFrom('users')
          .select('id')
          .where('username', '=', 'owner_a')
          .executeTakeFirstOrThrow()
      ).id,
    );

    // The lock ends after LOGIN_LOCKOUT_MINUTES; a success then works by e-mail.
    clock.advance(15 * 60_000 + 1000);
    expect((await tokenLogin('owner_a@example.com', PASSWORD, '10.1.1.3')).statusCode).toBe(200);
  });

  it('failures typed as the e-mail count against the username too, on the token endpoint', async () => {
    for (let i = 0; i < 5; i += 1) {
      expect(
        (await tokenLogin('admin_a@example.com', 'wrong-password-2', `10.2.0.${i + 1}`)).statusCode,
      ).toBe(401);
    }
    const byName = await tokenLogin('admin_a', PASSWORD, '10.2.1.1');
    expect(byName.statusCode).toBe(429);
    const portal = await new PortalClient(app, '10.2.1.2').login('Admin_A');
    expect(portal.statusCode).toBe(429);
    clock.advance(15 * 60_000 + 1000);
  });

  it('a success through either identifier resets the account counter', async () => {
    for (let i = 0; i < 4; i += 1) await tokenLogin('analyst_a', 'wrong-password-3', `10.3.0.${i + 1}`);
    expect((await tokenLogin('analyst_a@example.com', PASSWORD, '10.3.1.1')).statusCode).toBe(200);
    // Four more failures after the reset do not lock (the counter restarted at zero).
    for (let i = 0; i < 4; i += 1) await tokenLogin('analyst_a', 'wrong-password-3', `10.3.2.${i + 1}`);
    expect((await tokenLogin('analyst_a', PASSWORD, '10.3.3.1')).statusCode).toBe(200);
  });

  it('unknown identifiers are throttled like known ones, without revealing whether an account exists', async () => {
    const unknown: number[] = [];
    const known: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      unknown.push(
        (await tokenLogin('nobody@example.com', 'wrong-password-4', `10.4.0.${i + 1}`)).statusCode,
      );
      known.push(
        (await tokenLogin('viewer_a@example.com', 'wrong-password-4', `10.4.1.${i + 1}`)).statusCode,
      );
    }
    expect(unknown).toEqual(known);
    expect(unknown).toEqual([401, 401, 401, 401, 401, 429]);
    const failed = await auditRows('login_failed');
    expect(
      failed.some((row) => (row.metadata as { username?: string }).username === 'nobody@example.com'),
    ).toBe(true);
    clock.advance(15 * 60_000 + 1000);
  });
});

describe('client IP (§3.6)', () => {
  async function ipSeen(remoteAddress: string, headers: Record<string, string>) {
    const response = await app.inject({ method: 'GET', url: '/api/v1/test-ip/', remoteAddress, headers });
    return (response.json() as { ip: string }).ip;
  }

  it('believes X-Real-IP first, then the LAST X-Forwarded-For entry, from a trusted (loopback) peer', async () => {
    expect(await ipSeen('127.0.0.1', { 'x-real-ip': '203.0.113.7', 'x-forwarded-for': '198.51.100.1' })).toBe(
      '203.0.113.7',
    );
    expect(await ipSeen('127.0.0.1', { 'x-forwarded-for': '6.6.6.6, 198.51.100.9' })).toBe('198.51.100.9');
    expect(await ipSeen('::1', { 'x-forwarded-for': '198.51.100.10' })).toBe('198.51.100.10');
    expect(await ipSeen('127.0.0.1', {})).toBe('127.0.0.1');
    // Garbage in the headers is not an address: the socket address stands.
    expect(await ipSeen('127.0.0.1', { 'x-real-ip': 'not-an-ip', 'x-forwarded-for': 'junk' })).toBe(
      '127.0.0.1',
    );
  });

  it('ignores both headers from an untrusted peer', async () => {
    expect(
      await ipSeen('192.0.2.50', { 'x-real-ip': '203.0.113.7', 'x-forwarded-for': '198.51.100.1' }),
    ).toBe('192.0.2.50');
  });

  it('is what the lockout, the audit and the rate limits key on', async () => {
    // Through the trusted proxy, twenty failures from one client IP lock that IP (§3.4) but
    // not a different client behind the same proxy.
    for (let i = 0; i < 20; i += 1) {
      await app.inject({
        method: 'POST',
        url: '/api/v1/auth/token/',
        remoteAddress: '127.0.0.1',
        headers: { 'x-real-ip': '203.0.113.99' },
        payload: { username: `someone${i}`, password: 'wrong-password-5' },
      });
    }
    const sameClient = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/token/',
      remoteAddress: '127.0.0.1',
      headers: { 'x-real-ip': '203.0.113.99' },
      payload: { username: 'viewer_b', password: PASSWORD },
    });
    expect(sameClient.statusCode).toBe(429);
    const otherClient = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/token/',
      remoteAddress: '127.0.0.1',
      headers: { 'x-real-ip': '203.0.113.100' },
      payload: { username: 'viewer_b', password: PASSWORD },
    });
    expect(otherClient.statusCode).toBe(200);
    const succeeded = await auditRows('login_succeeded');
    expect(succeeded.at(-1)?.ip).toBe('203.0.113.100');
    // A spoofed X-Real-IP from an untrusted peer is not believed: the audit has the peer.
    await app.inject({
      method: 'POST',
      url: '/api/v1/auth/token/',
      remoteAddress: '192.0.2.60',
      headers: { 'x-real-ip': '203.0.113.101' },
      payload: { username: 'viewer_b', password: 'wrong-password-6' },
    });
    expect((await auditRows('login_failed')).at(-1)?.ip).toBe('192.0.2.60');
  });
});

describe('order of checks when a denial has two reasons (§4.2: 403 before 404 for roles that may never write)', () => {
  async function membershipIdOf(username: string): Promise<number> {
    const row = await services.database.db
      .selectFrom('memberships')
      .innerJoin('users', 'users.id', 'memberships.user_id')
      .select('memberships.id')
      .where('users.username', '=', username)
      .executeTakeFirstOrThrow();
    return Number(row.id);
  }

  async function uploadOf(customerId: number): Promise<number> {
    const { uploadClaimsFile } = await import('../commands/upload-claims-file.ts');
    const { upload } = await uploadClaimsFile(services, {
      customerId,
      source: 'api',
      filename: `order-${customerId}.csv`,
      body: Buffer.from(
        'payer,cpt,submitted_date,decided_date,outcome\nAetna,99213,2024-03-01,2024-03-10,PAID\n',
      ),
      allowDuplicate: true,
    });
    return upload.id;
  }

  async function bearerOf(username: string): Promise<Record<string, string>> {
    const response = await tokenLogin(username, PASSWORD, '10.6.0.1');
    expect(response.statusCode).toBe(200);
    return { authorization: `Bearer ${(response.json() as { access: string }).access}` };
  }

  it('portal team: a viewer changing or removing a foreign, missing or own membership gets 403 every time', async () => {
    const viewer = new PortalClient(app, '10.6.1.1');
    expect((await viewer.login('viewer_a')).statusCode).toBe(302);
    const foreign = await membershipIdOf('viewer_b');
    const own = await membershipIdOf('analyst_a');
    for (const id of [foreign, 9_999_999, own]) {
      for (const action of ['change_role', 'remove']) {
        const response = await viewer.post('/portal/team/', {
          action,
          membership_id: String(id),
          role: 'analyst',
        });
        expect(response.statusCode).toBe(403);
        expect(response.body).toContain('You do not have permission to manage users');
      }
    }
    // The owner still gets 404 for a foreign or missing membership (never a hint it exists).
    const owner = new PortalClient(app, '10.6.1.2');
    expect((await owner.login('owner_a')).statusCode).toBe(302);
    const response = await owner.post('/portal/team/', {
      action: 'remove',
      membership_id: String(foreign),
    });
    expect(response.statusCode).toBe(404);
    expect(
      await services.database.db
        .selectFrom('memberships')
        .select('role')
        .where('id', '=', foreign)
        .executeTakeFirst(),
    ).toEqual({ role: 'viewer' });
  });

  it('portal upload delete: an analyst gets 403 for a foreign or missing upload, the owner 404', async () => {
    const foreign = await uploadOf(
      Number(
        (
          await services.database.db
            .selectFrom('customers')
            .select('id')
            .where('name', '=', 'B')
            .executeTakeFirstOrThrow()
        ).id,
      ),
    );
    const analyst = new PortalClient(app, '10.6.2.1');
    expect((await analyst.login('analyst_a')).statusCode).toBe(302);
    for (const id of [foreign, 9_999_999]) {
      expect((await analyst.get(`/portal/uploads/${id}/delete/`)).statusCode).toBe(403);
      expect((await analyst.post(`/portal/uploads/${id}/delete/`)).statusCode).toBe(403);
    }
    const owner = new PortalClient(app, '10.6.2.2');
    expect((await owner.login('owner_a')).statusCode).toBe(302);
    expect((await owner.get(`/portal/uploads/${foreign}/delete/`)).statusCode).toBe(404);
  });

  it('API writes by a viewer: 403 for foreign and missing objects alike', async () => {
    const viewer = await bearerOf('viewer_a');
    const foreignMember = await membershipIdOf('viewer_b');
    const cases: Array<{ method: 'DELETE' | 'PATCH' | 'POST'; url: string; payload?: object }> = [
      { method: 'DELETE', url: '/api/v1/uploads/9999999/' },
      { method: 'POST', url: '/api/v1/uploads/9999999/cancel/' },
      { method: 'POST', url: '/api/v1/uploads/9999999/mapping/', payload: { columns: {} } },
      { method: 'DELETE', url: '/api/v1/payer-mappings/9999999/' },
      { method: 'DELETE', url: '/api/v1/cpt-mappings/9999999/' },
      { method: 'DELETE', url: '/api/v1/payer-allowlist/9999999/' },
      { method: 'DELETE', url: '/api/v1/column-profiles/9999999/' },
      { method: 'PATCH', url: `/api/v1/members/${foreignMember}/`, payload: { role: 'owner' } },
      { method: 'DELETE', url: `/api/v1/members/${foreignMember}/` },
      { method: 'PATCH', url: '/api/v1/customers/9999999/', payload: { name: 'x' } },
    ];
    for (const request of cases) {
      const response = await app.inject({ ...request, headers: viewer });
      expect({ url: request.url, status: response.statusCode }).toEqual({ url: request.url, status: 403 });
    }
    // Without credentials the 401 comes first.
    const anonymous = await app.inject({ method: 'DELETE', url: '/api/v1/uploads/9999999/' });
    expect(anonymous.statusCode).toBe(401);
  });
});
