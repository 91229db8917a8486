import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AccountFixtures,
  createAccountFixtures,
  loggedInClient,
  PortalClient,
} from '../../../../test/accounts.ts';
import { createTestServices, type TestServices } from '../../../../test/services.ts';
import { findMembershipByUser } from '../../../db/repositories/memberships.repository.ts';
import { buildApp } from '../../app.ts';

let services: TestServices;
let app: FastifyInstance;
let fx: AccountFixtures;

beforeAll(async () => {
  services = await createTestServices({
    env: { PORTAL_RATE_LIMIT: '10000/minute', EMAIL_BACKEND: 'memory' },
  });
  app = await buildApp(services);
  fx = await createAccountFixtures(services.database.db, { productsA: ['driftwatch'] });
});

afterAll(async () => {
  await app.close();
  await services.dispose();
});

const client = (username: string): Promise<PortalClient> => loggedInClient(app, username);

async function membershipId(username: string): Promise<number> {
  const m = await findMembershipByUser(services.database.db, fx.users[username] as number);
  return m!.id;
}

async function roleOf(username: string): Promise<string | undefined> {
  return (await findMembershipByUser(services.database.db, fx.users[username] as number))?.role;
}

describe('role × page matrix', () => {
  const pages: Array<[string, Record<string, number>]> = [
    ['/portal/axis/', { owner_a: 200, viewer_a: 200, operator1: 200, admin: 200, nomember: 403 }],
    ['/portal/team/', { owner_a: 200, viewer_a: 200, operator1: 302, nomember: 403 }],
    ['/portal/admin/customers/', { owner_a: 403, viewer_a: 403, operator1: 200, admin: 200, nomember: 403 }],
    ['/portal/admin/audit/', { owner_a: 403, analyst_a: 403, operator1: 200 }],
    ['/portal/products/driftwatch/', { owner_a: 200, viewer_a: 200 }],
    ['/portal/products/denialscope/', { admin_a: 403, viewer_b: 200 }],
    ['/portal/account/', { viewer_a: 200, operator1: 200, nomember: 200 }],
  ];
  for (const [url, expectations] of pages) {
    for (const [user, status] of Object.entries(expectations)) {
      it(`${user} GET ${url} → ${status}`, async () => {
        const c = await client(user);
        const response = await c.get(url);
        expect(response.statusCode).toBe(status);
        if (status === 403 && url.startsWith('/portal/admin/'))
          expect(response.body).toContain('Permission denied');
      });
    }
  }

  it('shows the not-linked message to users without membership', async () => {
    const c = await client('nomember');
    const response = await c.get('/portal/axis/');
    expect(response.body).toContain('Your account is not linked to a customer. Contact your administrator.');
  });

  it('answers "Product not enabled" for a disabled product (§8 #15) and hides it from the nav (§8 #16)', async () => {
    const c = await client('admin_a');
    const response = await c.get('/portal/products/denialscope/');
    expect(response.statusCode).toBe(403);
    expect(response.body).toContain('Product not enabled');
    expect(response.body).toContain('DenialScope is not enabled for A.');
    const axis = await c.get('/portal/axis/');
    const nav = /<nav class="site-nav"[\s\S]*?<\/nav>/.exec(axis.body)?.[0] ?? '';
    expect(nav).toContain('DriftWatch');
    expect(nav).not.toContain('DenialScope');
    expect(nav).not.toContain('DelayGuard');
    expect(nav).toContain('class="active"');
  });

  it('shows the member badges and the operator badge', async () => {
    const member = await (await client('analyst_a')).get('/portal/axis/');
    expect(member.body).toContain('badge-customer');
    expect(member.body).toContain('Analyst');
    const viewerNav =
      /<nav class="site-nav"[\s\S]*?<\/nav>/.exec(
        (await (await client('viewer_a')).get('/portal/axis/')).body,
      )?.[0] ?? '';
    expect(viewerNav).not.toContain('Uploads');
    expect(viewerNav).not.toContain('Mappings');
    const operator = await (await client('operator1')).get('/portal/axis/');
    expect(operator.body).toContain('Operator');
    expect(operator.body).toContain('All Customers');
    expect(operator.body).toContain('Act as');
  });

  it('sends staff without an acting customer to the console (§8 #17), then lets them act as a customer', async () => {
    const c = await client('admin');
    const team = await c.get('/portal/team/');
    expect(team.statusCode).toBe(302);
    expect(team.headers.location).toBe('/portal/admin/customers/');
    const console = await c.get('/portal/admin/customers/');
    expect(console.body).toContain('Select a customer to view its data.');
    const before = c.cookies.get('payrixa_session');
    const switched = await c.post('/portal/operator/switch/', {
      customer_id: String(fx.customerA.id),
      next: '/portal/team/',
    });
    expect(switched.statusCode).toBe(302);
    expect(switched.headers.location).toBe('/portal/team/');
    expect(c.cookies.get('payrixa_session')).not.toBe(before);
    const page = await c.get('/portal/team/');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('owner_a');
    const audit = await services.database.db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'operator_switched_customer')
      .execute();
    expect(audit.length).toBeGreaterThan(0);
    expect(audit[0]?.customer_id).toBe(fx.customerA.id);
  });
});

describe('team rules (§8 #19–22)', () => {
  it('owner cannot demote themselves as the only owner (#19)', async () => {
    const c = await client('owner_a');
    const response = await c.post('/portal/team/', {
      action: 'change_role',
      membership_id: String(await membershipId('owner_a')),
      role: 'admin',
    });
    expect(response.statusCode).toBe(302);
    const page = await c.get('/portal/team/');
    expect(page.body).toContain('Cannot remove the last owner. Promote another user to owner first.');
    expect(await roleOf('owner_a')).toBe('owner');
  });

  it('admin limits (#20)', async () => {
    const c = await client('admin_a');
    const promote = await c.post('/portal/team/', {
      action: 'change_role',
      membership_id: String(await membershipId('viewer_a')),
      role: 'owner',
    });
    expect(promote.statusCode).toBe(403);
    expect(promote.body).toContain('Only owners can assign owner or admin roles');
    const demoteOwner = await c.post('/portal/team/', {
      action: 'change_role',
      membership_id: String(await membershipId('owner_a')),
      role: 'admin',
    });
    expect(demoteOwner.statusCode).toBe(403);
    expect(demoteOwner.body).toContain('You cannot modify owner or admin roles');
    expect(await roleOf('owner_a')).toBe('owner');
    const ok = await c.post('/portal/team/', {
      action: 'change_role',
      membership_id: String(await membershipId('viewer_a')),
      role: 'analyst',
    });
    expect(ok.statusCode).toBe(302);
    expect((await c.get('/portal/team/')).body).toContain(
      'Role for viewer_a changed from Viewer to Analyst.',
    );
    expect(await roleOf('viewer_a')).toBe('analyst');
    await c.post('/portal/team/', {
      action: 'change_role',
      membership_id: String(await membershipId('viewer_a')),
      role: 'viewer',
    });
    expect(await roleOf('viewer_a')).toBe('viewer');
    const actions = await services.database.db
      .selectFrom('audit_events')
      .select('action')
      .where('action', '=', 'role_changed')
      .execute();
    expect(actions.length).toBe(2);
  });

  it('viewer cannot manage users (#21)', async () => {
    const c = await client('viewer_a');
    const response = await c.post('/portal/team/', {
      action: 'change_role',
      membership_id: String(await membershipId('analyst_a')),
      role: 'viewer',
    });
    expect(response.statusCode).toBe(403);
    expect(response.body).toContain('You do not have permission to manage users');
    expect(await roleOf('analyst_a')).toBe('analyst');
  });

  it('the only owner cannot remove themselves (#22)', async () => {
    const c = await client('owner_a');
    await c.post('/portal/team/', { action: 'remove', membership_id: String(await membershipId('owner_a')) });
    expect((await c.get('/portal/team/')).body).toContain(
      'Cannot remove the last owner. Transfer ownership first.',
    );
    expect(await roleOf('owner_a')).toBe('owner');
  });

  it("another customer's membership is a 404 and nothing changes", async () => {
    const c = await client('owner_a');
    const response = await c.post('/portal/team/', {
      action: 'remove',
      membership_id: String(await membershipId('viewer_b')),
    });
    expect(response.statusCode).toBe(404);
    expect(response.body).toContain('Page not found');
    expect(await roleOf('viewer_b')).toBe('viewer');
    const junk = await c.post('/portal/team/', { action: 'remove', membership_id: '1e9' });
    expect(junk.statusCode).toBe(404);
  });

  it('adds a member with an invitation, then removes them (sessions end)', async () => {
    const c = await client('owner_a');
    const add = await c.post('/portal/team/', {
      action: 'add',
      username: 'newbie_a',
      email: 'newbie@example.com',
      role: 'analyst',
    });
    expect(add.statusCode).toBe(302);
    expect((await c.get('/portal/team/')).body).toContain(
      'Member newbie_a added as Analyst. An invitation email has been sent.',
    );
    const mail = services.mailer.outbox.at(-1);
    expect(mail?.subject).toBe('You have been invited to Payrixa');
    expect(mail?.text).toContain('This link expires in 72 hours and can be used once.');
    const dup = await c.post('/portal/team/', {
      action: 'add',
      username: 'NEWBIE_A',
      email: 'x@example.com',
      role: 'viewer',
    });
    expect(dup.statusCode).toBe(400);
    expect(dup.body).toContain('A user with that username already exists.');
    const user = await services.database.db
      .selectFrom('users')
      .selectAll()
      .where('username', '=', 'newbie_a')
      .executeTakeFirstOrThrow();
    const membership = await findMembershipByUser(services.database.db, user.id);
    const remove = await c.post('/portal/team/', { action: 'remove', membership_id: String(membership!.id) });
    expect(remove.statusCode).toBe(302);
    expect((await c.get('/portal/team/')).body).toContain('Member newbie_a removed.');
    const after = await services.database.db
      .selectFrom('users')
      .select('is_active')
      .where('id', '=', user.id)
      .executeTakeFirstOrThrow();
    expect(after.is_active).toBe(false);
  });
});

describe('operator console', () => {
  it('creates a customer with all products (§8 #61) and refuses members', async () => {
    const c = await client('operator1');
    const page = await c.get('/portal/admin/customers/new/');
    expect(page.statusCode).toBe(200);
    const created = await c.post('/portal/admin/customers/new/', {
      name: 'Test Clinic',
      products: ['driftwatch', 'denialscope', 'delayguard'],
    });
    expect(created.statusCode).toBe(302);
    expect(created.headers.location).toMatch(/^\/portal\/admin\/customers\/\d+\/$/);
    const detail = await c.get(created.headers.location as string);
    expect(detail.body).toContain('Customer &#39;Test Clinic&#39; created.');
    const dup = await c.post('/portal/admin/customers/new/', { name: 'test clinic' });
    expect(dup.statusCode).toBe(400);
    expect(dup.body).toContain('already exists.');
    const owner = await client('owner_a');
    expect((await owner.post('/portal/admin/customers/new/', { name: 'Sneaky' })).statusCode).toBe(403);
    const rows = await services.database.db
      .selectFrom('customers')
      .select('name')
      .where('name', '=', 'Sneaky')
      .execute();
    expect(rows).toHaveLength(0);
    const audit = await services.database.db
      .selectFrom('audit_events')
      .select('action')
      .where('action', '=', 'customer_created')
      .execute();
    expect(audit.length).toBeGreaterThan(0);
  });

  it('toggles products with audit and adds users', async () => {
    const c = await client('operator1');
    const id = fx.customerB.id;
    await c.post(`/portal/admin/customers/${id}/`, { action: 'products', products: ['driftwatch'] });
    const disabled = await services.database.db
      .selectFrom('audit_events')
      .select('metadata')
      .where('action', '=', 'product_disabled')
      .execute();
    expect(disabled.length).toBe(2);
    const viewer = await client('viewer_b');
    expect((await viewer.get('/portal/products/denialscope/')).statusCode).toBe(403);
    await c.post(`/portal/admin/customers/${id}/`, {
      action: 'add_user',
      username: 'owner_b',
      email: 'owner_b@example.com',
      role: 'owner',
    });
    expect(await roleOfName('owner_b')).toBe('owner');
    const deactivate = await c.post(`/portal/admin/customers/${id}/`, { action: 'deactivate' });
    expect(deactivate.statusCode).toBe(403);
  });

  it('superusers deactivate a customer: members are logged out and cannot log in', async () => {
    const viewer = await client('viewer_b');
    const admin = await client('admin');
    const response = await admin.post(`/portal/admin/customers/${fx.customerB.id}/`, {
      action: 'deactivate',
    });
    expect(response.statusCode).toBe(302);
    expect((await viewer.get('/portal/axis/')).statusCode).toBe(302);
    const again = await new PortalClient(app).login('viewer_b');
    expect(again.body).toContain('Your organization&#39;s Payrixa account is inactive. Contact support.');
    await admin.post(`/portal/admin/customers/${fx.customerB.id}/`, { action: 'reactivate' });
    expect((await new PortalClient(app).login('viewer_b')).statusCode).toBe(302);
  });

  it('limits staff accounts to superusers (§8 #62)', async () => {
    expect((await (await client('operator1')).get('/portal/admin/users/')).statusCode).toBe(403);
    const admin = await client('admin');
    const page = await admin.get('/portal/admin/users/');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('operator1');
    await admin.post('/portal/admin/users/', {
      action: 'create',
      username: 'operator2',
      email: 'op2@example.com',
    });
    expect((await admin.get('/portal/admin/users/')).body).toContain(
      'Staff user &#39;operator2&#39; created.',
    );
    await admin.post('/portal/admin/users/', { action: 'deactivate', user_id: String(fx.users['admin']) });
    expect((await admin.get('/portal/admin/users/')).body).toContain(
      'Cannot deactivate the last active superuser.',
    );
  });

  it('lists audit events for staff with filters', async () => {
    const c = await client('operator1');
    const page = await c.get('/portal/admin/audit/?action=login_succeeded');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('login_succeeded');
    expect(page.body).not.toContain('<td>role_changed</td>');
  });
});

async function roleOfName(username: string): Promise<string | undefined> {
  const user = await services.database.db
    .selectFrom('users')
    .select('id')
    .where('username', '=', username)
    .executeTakeFirst();
  return user ? (await findMembershipByUser(services.database.db, user.id))?.role : undefined;
}
