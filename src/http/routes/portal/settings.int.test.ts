import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AccountFixtures, createAccountFixtures, loggedInClient } from '../../../../test/accounts.ts';
import { createTestServices, type TestServices } from '../../../../test/services.ts';
import { findSettingsOfCustomer } from '../../../db/repositories/settings.repository.ts';
import { hashIngestionToken } from '../../../domain/ingestion/tokens.ts';
import { buildApp } from '../../app.ts';

let services: TestServices;
let app: FastifyInstance;
let fx: AccountFixtures;

beforeAll(async () => {
  services = await createTestServices({ env: { PORTAL_RATE_LIMIT: '10000/minute' } });
  app = await buildApp(services);
  fx = await createAccountFixtures(services.database.db);
}, 180_000);

afterAll(async () => {
  await app?.close();
  await services?.dispose();
});

const FORM = {
  to_email: 'alerts@a.example',
  cc_email: '',
  attach_pdf: 'on',
  drift_sensitivity: 'reference',
  time_zone: 'Europe/Berlin',
  weekly_report_day: 'tuesday',
  weekly_report_hour: '9',
};

describe('/portal/settings/', () => {
  it('viewer and analyst read it read-only (no token section), in the nav; their POST is 403', async () => {
    for (const user of ['viewer_a', 'analyst_a']) {
      const c = await loggedInClient(app, user);
      const page = await c.get('/portal/settings/');
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('<title>Payrixa Portal - Settings</title>');
      expect(page.body).toMatch(/<a [^>]*href="\/portal\/settings\/"[^>]*class="[^"]*active/);
      expect(page.body).toContain('<fieldset disabled>');
      expect(page.body).toContain('Only owners and admins can change these settings.');
      expect(page.body).not.toContain('Save settings');
      expect(page.body).not.toContain('Ingestion tokens');
      const post = await c.post('/portal/settings/', FORM);
      expect(post.statusCode).toBe(403);
      expect(post.body).toContain('Permission denied');
      expect((await c.get('/portal/settings/ingestion-tokens/')).statusCode).toBe(403);
      expect((await c.post('/portal/settings/ingestion-tokens/', { name: 'x' })).statusCode).toBe(403);
    }
    expect((await findSettingsOfCustomer(services.database.db, fx.customerA.id))?.to_email).toBe('');
  });

  it('admin saves with a flash after the redirect; an invalid e-mail re-renders with the message', async () => {
    const c = await loggedInClient(app, 'admin_a');
    const page = await c.get('/portal/settings/');
    expect(page.body).not.toContain('<fieldset disabled>');
    expect(page.body).toContain('Save settings');
    const saved = await c.post('/portal/settings/', FORM);
    expect(saved.statusCode).toBe(302);
    expect(saved.headers.location).toBe('/portal/settings/');
    const after = await c.get('/portal/settings/');
    expect(after.body).toContain('Settings saved successfully!');
    expect(await findSettingsOfCustomer(services.database.db, fx.customerA.id)).toMatchObject({
      to_email: 'alerts@a.example',
      attach_pdf: true,
      weekly_report_enabled: false,
      drift_sensitivity: 'reference',
      time_zone: 'Europe/Berlin',
      weekly_report_day: 'tuesday',
      weekly_report_hour: 9,
    });
    const audit = await services.database.db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'settings_updated')
      .executeTakeFirstOrThrow();
    expect(audit).toMatchObject({ user_id: fx.users['admin_a'], customer_id: fx.customerA.id });

    const invalid = await c.post('/portal/settings/', { ...FORM, to_email: 'not-an-email' });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.body).toContain('Enter a valid email address.');
    expect(invalid.body).toContain('value="not-an-email"');
    expect((await findSettingsOfCustomer(services.database.db, fx.customerA.id))?.to_email).toBe(
      'alerts@a.example',
    );
  });

  it('a POST without the CSRF token is refused and changes nothing', async () => {
    const c = await loggedInClient(app, 'owner_a');
    const response = await c.post(
      '/portal/settings/',
      { ...FORM, to_email: 'csrf@a.example' },
      { csrf: false },
    );
    expect(response.statusCode).toBe(403);
    expect(response.body).toContain('Forbidden (CSRF token missing or incorrect).');
    expect((await findSettingsOfCustomer(services.database.db, fx.customerA.id))?.to_email).not.toBe(
      'csrf@a.example',
    );
  });

  it('owner creates a token (shown once, stored hashed), sees it listed, then revokes it', async () => {
    const c = await loggedInClient(app, 'owner_a');
    const created = await c.post('/portal/settings/ingestion-tokens/', {
      name: 'Nightly <EHR>',
      expires_at: '',
    });
    expect(created.statusCode).toBe(200);
    expect(created.body).toContain('Copy this token now. It will not be shown again.');
    expect(created.body).toContain('Nightly &lt;EHR&gt;');
    const token = /pxi_\d+_[0-9a-f]{8}_[A-Za-z0-9_-]{43}/.exec(created.body)?.[0] as string;
    expect(token).toBeDefined();
    const row = await services.database.db
      .selectFrom('ingestion_tokens')
      .selectAll()
      .where('customer_id', '=', fx.customerA.id)
      .executeTakeFirstOrThrow();
    expect(row.token_hash).toBe(hashIngestionToken(token));

    const later = await c.get('/portal/settings/');
    expect(later.body).not.toContain(token);
    expect(later.body).toContain(row.prefix);
    expect(later.body).toContain('Active');

    const blank = await c.post('/portal/settings/ingestion-tokens/', { name: '  ' });
    expect(blank.statusCode).toBe(400);
    expect(blank.body).toContain('This field is required.');
    // Hostile input is a 400 with a message, never a 500 from the database.
    const nul = await c.post('/portal/settings/ingestion-tokens/', { name: 'a\u0000b' });
    expect(nul.statusCode).toBe(400);
    const nulEmail = await c.post('/portal/settings/', { ...FORM, to_email: 'a\u0000b@a.example' });
    expect(nulEmail.statusCode).toBe(400);
    expect(nulEmail.body).toContain('Control characters (such as NUL or line breaks) are not allowed.');
    const tooLong = await c.post('/portal/settings/', { ...FORM, time_zone: 'x'.repeat(500) });
    expect(tooLong.statusCode).toBe(400);
    const badId = await c.post('/portal/settings/ingestion-tokens/abc/revoke/');
    expect(badId.statusCode).toBe(404);

    const revoked = await c.post(`/portal/settings/ingestion-tokens/${row.id}/revoke/`);
    expect(revoked.statusCode).toBe(302);
    const page = await c.get('/portal/settings/');
    expect(page.body).toContain('Ingestion token &#39;Nightly &lt;EHR&gt;&#39; revoked.');
    expect(page.body).toContain('Revoked');

    // Another customer's token id (or an unknown one) is "Page not found".
    const other = await loggedInClient(app, 'operator1');
    await other.post('/portal/operator/switch/', { customer_id: String(fx.customerB.id) });
    const foreign = await other.post(`/portal/settings/ingestion-tokens/${row.id}/revoke/`);
    expect(foreign.statusCode).toBe(404);
  });
});
