import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccountFixtures, FakeClock, PASSWORD, PortalClient } from '../../../../test/accounts.ts';
import { createTestServices, type TestServices } from '../../../../test/services.ts';
import { type SmtpCapture, startSmtpCapture } from '../../../../test/smtp-capture.ts';
import { waitFor } from '../../../../test/wait.ts';
import { buildApp } from '../../app.ts';

let services: TestServices;
let app: FastifyInstance;
let smtp: SmtpCapture;
const clock = new FakeClock();

beforeAll(async () => {
  smtp = await startSmtpCapture();
  services = await createTestServices({
    env: {
      PORTAL_RATE_LIMIT: '10000/minute',
      ...smtp.env,
      PORTAL_BASE_URL: 'https://payrixa.example',
    },
  });
  services.clock = clock;
  app = await buildApp(services);
  await createAccountFixtures(services.database.db);
});

afterAll(async () => {
  await app.close();
  await services.dispose();
  await smtp?.close();
});

/** The reset link in a smtp.received message (quoted-printable soft breaks undone). */
function linkIn(raw: string): string {
  const text = raw.replace(/=\r?\n/g, '');
  const match = /https:\/\/payrixa\.example(\/portal\/password-reset\/[A-Za-z0-9_-]{43}\/)/.exec(text);
  if (!match) throw new Error('no reset link in the email');
  return match[1] as string;
}

describe('password reset over SMTP', () => {
  it('sends a neutral confirmation for unknown emails and no mail', async () => {
    const c = new PortalClient(app, '10.1.0.1');
    expect((await c.get('/portal/password-reset/')).statusCode).toBe(200);
    const response = await c.post('/portal/password-reset/', { email: 'nobody@example.com' });
    expect(response.statusCode).toBe(302);
    expect(response.headers.location).toBe('/portal/password-reset/sent/');
    const sent = await c.get('/portal/password-reset/sent/');
    expect(sent.body).toContain('If an account exists for that email, we have sent a password reset link.');
    expect(smtp.received).toHaveLength(0);
  });

  it('resets a password with a single-use link, ending other sessions', async () => {
    const session = new PortalClient(app, '10.1.0.2');
    await session.login('owner_a');
    expect((await session.get('/portal/axis/')).statusCode).toBe(200);

    const c = new PortalClient(app, '10.1.0.3');
    await c.post('/portal/password-reset/', { email: 'OWNER_A@example.com' });
    const mail = await waitFor(() => smtp.received.find((m) => m.to.includes('owner_a@example.com')));
    expect(mail.raw).toContain('Subject: Reset your Payrixa password');
    expect(mail.raw.replace(/=\r?\n/g, '')).toContain(
      'This link expires in 60 minutes and can be used once.',
    );
    const link = linkIn(mail.raw);

    const form = await c.get(link);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('owner_a');
    const weak = await c.post(link, { new_password1: 'short', new_password2: 'short' });
    expect(weak.statusCode).toBe(400);
    expect(weak.body).toContain('This password is too short. It must contain at least 12 characters.');
    const numeric = await c.post(link, {
      new_password1: '123456789012345',
      new_password2: '123456789012345',
    });
    expect(numeric.body).toContain('This password is entirely numeric.');
    const similar = await c.post(link, {
      new_password1: 'owner_a-is-great-1',
      new_password2: 'owner_a-is-great-1',
    });
    expect(similar.body).toContain('The password is too similar to the username.');

    const done = await c.post(link, {
      new_password1: 'Brand-new-Secret-77',
      new_password2: 'Brand-new-Secret-77',
    });
    expect(done.statusCode).toBe(302);
    expect(done.headers.location).toBe('/portal/login/');
    expect((await c.get('/portal/login/')).body).toContain('Your password has been reset. Please log in.');
    // Used once.
    const reuse = await c.get(link);
    expect(reuse.statusCode).toBe(404);
    expect(reuse.body).toContain('This password reset link is invalid or has expired.');
    // The other session ended.
    expect((await session.get('/portal/axis/')).statusCode).toBe(302);
    expect((await new PortalClient(app, '10.1.0.4').login('owner_a', PASSWORD)).statusCode).toBe(200);
    expect((await new PortalClient(app, '10.1.0.4').login('owner_a', 'Brand-new-Secret-77')).statusCode).toBe(
      302,
    );
    const actions = (await services.database.db.selectFrom('audit_events').select('action').execute()).map(
      (r) => r.action,
    );
    expect(actions).toEqual(expect.arrayContaining(['password_reset_requested', 'password_reset_completed']));
  });

  it('expires links after 60 minutes and rejects junk tokens', async () => {
    const c = new PortalClient(app, '10.1.0.5');
    const count = smtp.received.length;
    await c.post('/portal/password-reset/', { email: 'viewer_a@example.com' });
    const mail = await waitFor(() => smtp.received.length > count && smtp.received.at(-1));
    const link = linkIn(mail.raw);
    clock.advance(61 * 60_000);
    expect((await c.get(link)).statusCode).toBe(404);
    for (const junk of [
      '/portal/password-reset/abc/',
      '/portal/password-reset/%00%2e%2e/',
      `/portal/password-reset/${'x'.repeat(300)}/`,
    ]) {
      const response = await c.get(junk);
      // Over-long path parameters are refused by the router itself (414).
      expect([404, 414]).toContain(response.statusCode);
    }
    const post = await c.post('/portal/password-reset/not-a-token/', {
      new_password1: 'Whatever-pass-99',
      new_password2: 'Whatever-pass-99',
    });
    expect(post.statusCode).toBe(404);
  });

  it('drops requests beyond 5 per email per hour silently', async () => {
    const c = new PortalClient(app, '10.1.0.6');
    const count = smtp.received.length;
    for (let i = 0; i < 7; i++) {
      expect((await c.post('/portal/password-reset/', { email: 'analyst_a@example.com' })).statusCode).toBe(
        302,
      );
    }
    await waitFor(() => smtp.received.length >= count + 5);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(smtp.received.length).toBe(count + 5);
  });
});

describe('account page', () => {
  it('changes the password with the current one, keeping this session and ending others', async () => {
    const other = new PortalClient(app, '10.1.0.7');
    await other.login('admin_a');
    const c = new PortalClient(app, '10.1.0.8');
    await c.login('admin_a');
    const wrong = await c.post('/portal/account/', {
      action: 'password',
      old_password: 'not-it-at-all',
      new_password1: 'Another-good-pass-5',
      new_password2: 'Another-good-pass-5',
    });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.body).toContain('Your current password was entered incorrectly.');
    const common = await c.post('/portal/account/', {
      action: 'password',
      old_password: PASSWORD,
      new_password1: 'password1234',
      new_password2: 'password1234',
    });
    expect(common.body).toContain('This password is too common.');
    const ok = await c.post('/portal/account/', {
      action: 'password',
      old_password: PASSWORD,
      new_password1: 'Another-good-pass-5',
      new_password2: 'Another-good-pass-5',
    });
    expect(ok.statusCode).toBe(302);
    expect((await c.get('/portal/account/')).statusCode).toBe(200);
    expect((await other.get('/portal/account/')).statusCode).toBe(302);
    const actions = (await services.database.db.selectFrom('audit_events').select('action').execute()).map(
      (r) => r.action,
    );
    expect(actions).toContain('password_changed');
  });

  it('invitation links set the first password', async () => {
    const owner = new PortalClient(app, '10.1.0.9');
    await owner.login('owner_a', 'Brand-new-Secret-77');
    const count = smtp.received.length;
    const add = await owner.post('/portal/team/', {
      action: 'add',
      username: 'invitee',
      email: 'invitee@example.com',
      role: 'viewer',
    });
    expect(add.statusCode).toBe(302);
    const mail = await waitFor(
      () => smtp.received.length > count && smtp.received.find((m) => m.to.includes('invitee@example.com')),
    );
    expect(mail.raw).toContain('Subject: You have been invited to Payrixa');
    const link = linkIn(mail.raw);
    const c = new PortalClient(app, '10.1.0.10');
    expect((await c.login('invitee', '')).body).toContain('Invalid username or password');
    expect(
      (await c.post(link, { new_password1: 'Invited-user-pass-1', new_password2: 'Invited-user-pass-1' }))
        .statusCode,
    ).toBe(302);
    expect((await c.login('invitee', 'Invited-user-pass-1')).statusCode).toBe(302);
  });
});
