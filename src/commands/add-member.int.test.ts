import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AccountFixtures, createAccountFixtures } from '../../test/accounts.ts';
import { createTestServices, type TestServices } from '../../test/services.ts';
import { PermissionDeniedError, ValidationError } from '../config/errors.ts';
import { verifyPassword } from '../domain/accounts/passwords.ts';
import type { Actor, Role } from '../domain/accounts/permissions.ts';
import { TEAM_MESSAGES } from '../domain/accounts/team-rules.ts';
import type { Mailer, MailMessage } from '../notify/mail.ts';
import { type AddMemberDeps, addMember, consoleActorFor } from './add-member.ts';
import { createCustomerWithFirstUser } from './create-customer.ts';

/**
 * The one "add a member" command (web-api-ops §2.4, §2.5) behind the team page, the members
 * API and the operator console: its rows, audit and invitation together, its refusals as typed
 * errors with nothing left behind, and the console's first user of a new customer.
 */

let services: TestServices;
let fx: AccountFixtures;
const errorsLogged: string[] = [];

function deps(overrides: Partial<AddMemberDeps> = {}): AddMemberDeps {
  return {
    db: services.database.db,
    config: services.config,
    mailer: services.mailer,
    now: services.clock.now(),
    requestId: 'req-add-member',
    ip: '127.0.0.1',
    logger: { error: (_obj, msg) => errorsLogged.push(msg) },
    ...overrides,
  };
}

function member(username: string, role: Role): Actor {
  return {
    userId: fx.users[username] as number,
    isActive: true,
    isStaff: false,
    isSuperuser: false,
    membership: { customerId: fx.customerA.id, role },
    actingCustomerId: null,
  };
}

function staff(username: 'operator1' | 'admin'): Actor {
  return {
    userId: fx.users[username] as number,
    isActive: true,
    isStaff: true,
    isSuperuser: username === 'admin',
    membership: null,
    actingCustomerId: null,
  };
}

async function counts() {
  const row = await sql<{ users: string; audits: string; tokens: string; customers: string }>`
    select (select count(*) from users) as users,
           (select count(*) from audit_events) as audits,
           (select count(*) from password_reset_tokens) as tokens,
           (select count(*) from customers) as customers`.execute(services.database.db);
  const counted = row.rows[0];
  return {
    users: Number(counted?.users),
    audits: Number(counted?.audits),
    tokens: Number(counted?.tokens),
    customers: Number(counted?.customers),
  };
}

beforeAll(async () => {
  services = await createTestServices({ env: { EMAIL_BACKEND: 'memory' } });
  fx = await createAccountFixtures(services.database.db);
}, 120_000);

afterAll(async () => {
  await services?.dispose();
});

describe('addMember', () => {
  it('creates the user, membership, invitation token and audit together, then e-mails the invitation', async () => {
    const outbox = services.mailer.outbox.length;
    const added = await addMember(deps(), member('owner_a', 'owner'), {
      customerId: fx.customerA.id,
      username: '  new_analyst ',
      email: ' new.analyst@example.com ',
      firstName: 'Nora',
      lastName: 'Analyst',
      role: 'analyst',
    });
    expect(added.invited).toBe(true);
    expect(added.message).toBe('Member new_analyst added as Analyst. An invitation email has been sent.');
    expect(added.membership).toMatchObject({ username: 'new_analyst', role: 'analyst' });
    const db = services.database.db;
    const user = await db
      .selectFrom('users')
      .selectAll()
      .where('id', '=', added.user.id)
      .executeTakeFirstOrThrow();
    expect(user.email).toBe('new.analyst@example.com');
    const audit = await db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'member_added')
      .where('entity_id', '=', String(added.user.id))
      .execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ customer_id: fx.customerA.id, user_id: fx.users['owner_a'] });
    const tokens = await db
      .selectFrom('password_reset_tokens')
      .select('purpose')
      .where('user_id', '=', added.user.id)
      .execute();
    expect(tokens.map((t) => t.purpose)).toEqual(['invite']);
    const mail = services.mailer.outbox.slice(outbox) as MailMessage[];
    expect(mail).toHaveLength(1);
    expect(JSON.stringify(mail[0])).toContain('new.analyst@example.com');
  });

  it('refuses an admin assigning the admin role with a 403 error, storing nothing', async () => {
    const before = await counts();
    const attempt = addMember(deps(), member('admin_a', 'admin'), {
      customerId: fx.customerA.id,
      username: 'would_be_admin',
      email: 'would_be_admin@example.com',
      role: 'admin',
    });
    await expect(attempt).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(attempt).rejects.toMatchObject({ message: TEAM_MESSAGES.onlyOwnersAssign });
    expect(await counts()).toEqual(before);
  });

  it('names the typed field of a taken username or e-mail (400), storing nothing', async () => {
    const before = await counts();
    const owner = member('owner_a', 'owner');
    const base = { customerId: fx.customerA.id, role: 'viewer' as const };
    const username = addMember(deps(), owner, { ...base, username: 'VIEWER_A', email: 'fresh1@example.com' });
    await expect(username).rejects.toBeInstanceOf(ValidationError);
    await expect(username).rejects.toMatchObject({ errors: { username: [TEAM_MESSAGES.usernameTaken] } });
    const email = addMember(deps(), owner, { ...base, username: 'fresh_two', email: 'viewer_a@example.com' });
    await expect(email).rejects.toMatchObject({ errors: { email: [TEAM_MESSAGES.emailTaken] } });
    const malformed = addMember(deps(), owner, { ...base, username: 'fresh_three', email: 'not-an-address' });
    await expect(malformed).rejects.toBeInstanceOf(ValidationError);
    expect(await counts()).toEqual(before);
  });

  it('keeps the member when the invitation e-mail fails, and logs the failure', async () => {
    const failing: Mailer = {
      kind: 'memory',
      outbox: [],
      async send() {
        throw new Error('smtp down');
      },
      async close() {},
    };
    const added = await addMember(deps({ mailer: failing }), member('owner_a', 'owner'), {
      customerId: fx.customerA.id,
      username: 'mail_fails',
      email: 'mail_fails@example.com',
      role: 'viewer',
    });
    expect(added.invited).toBe(true);
    expect(errorsLogged).toContain('invitation email failed');
    const found = await services.database.db
      .selectFrom('memberships')
      .select('role')
      .where('user_id', '=', added.user.id)
      .executeTakeFirst();
    expect(found?.role).toBe('viewer');
  });

  it('lets staff in the console add any role with a password set instead of an invitation', async () => {
    const outbox = services.mailer.outbox.length;
    const added = await addMember(deps(), consoleActorFor(staff('operator1'), fx.customerB.id), {
      customerId: fx.customerB.id,
      username: 'second_owner_b',
      email: 'second_owner_b@example.com',
      role: 'owner',
      password: 'Another-horse-77!',
    });
    expect(added.invited).toBe(false);
    expect(added.message).toBe('Member second_owner_b added as Owner.');
    expect(services.mailer.outbox.length).toBe(outbox);
    const user = await services.database.db
      .selectFrom('users')
      .select('password_hash')
      .where('id', '=', added.user.id)
      .executeTakeFirstOrThrow();
    expect(await verifyPassword('Another-horse-77!', user.password_hash)).toBe(true);
    const audit = await services.database.db
      .selectFrom('audit_events')
      .select('metadata')
      .where('action', '=', 'member_added')
      .where('entity_id', '=', String(added.user.id))
      .executeTakeFirstOrThrow();
    expect(audit.metadata).toMatchObject({ acting_as_operator: true, role: 'owner' });
  });
});

describe('createCustomerWithFirstUser', () => {
  it('creates the customer and its first user in one go, audited user_created, and invites the user', async () => {
    const outbox = services.mailer.outbox.length;
    const customer = await createCustomerWithFirstUser(
      deps(),
      staff('operator1'),
      { name: 'First User Clinic', products: ['driftwatch'] },
      { username: 'first_owner', email: 'first_owner@example.com', role: 'owner' },
    );
    const db = services.database.db;
    const membership = await db
      .selectFrom('memberships')
      .innerJoin('users', 'users.id', 'memberships.user_id')
      .select(['users.username', 'memberships.role'])
      .where('memberships.customer_id', '=', customer.id)
      .execute();
    expect(membership).toEqual([{ username: 'first_owner', role: 'owner' }]);
    const actions = await db
      .selectFrom('audit_events')
      .select('action')
      .where('customer_id', '=', customer.id)
      .orderBy('id')
      .execute();
    expect(actions.map((a) => a.action)).toEqual(['customer_created', 'user_created']);
    expect(services.mailer.outbox.length).toBe(outbox + 1);
  });

  it('leaves no customer behind when the first user is refused', async () => {
    const before = await counts();
    const attempt = createCustomerWithFirstUser(
      deps(),
      staff('operator1'),
      { name: 'Refused User Clinic', products: [] },
      { username: 'owner_a', email: 'someone.new@example.com', role: 'owner' },
    );
    await expect(attempt).rejects.toMatchObject({ errors: { username: [TEAM_MESSAGES.usernameTaken] } });
    expect(await counts()).toEqual(before);
  });
});
