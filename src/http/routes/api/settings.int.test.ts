import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AccountFixtures, loggedInClient } from '../../../../test/accounts.ts';
import { type ApiTestApp, startApiTestApp } from '../../../../test/api-app.ts';
import type { ApiClient } from '../../../../test/api-client.ts';
import type { TestServices } from '../../../../test/services.ts';
import { findSettingsOfCustomer } from '../../../db/repositories/settings.repository.ts';

let testApp: ApiTestApp;
let services: TestServices;
let fx: AccountFixtures;
let app: FastifyInstance;
let api: ApiClient;
let settingsA: number;
let settingsB: number;

beforeAll(async () => {
  testApp = await startApiTestApp();
  ({ services, fx, app, api } = testApp);
  settingsA = (await findSettingsOfCustomer(services.database.db, fx.customerA.id))!.id;
  settingsB = (await findSettingsOfCustomer(services.database.db, fx.customerB.id))!.id;
}, 180_000);

afterAll(async () => {
  await testApp?.close();
});

const SHAPE = {
  id: expect.any(Number),
  customer: expect.any(Number),
  to_email: expect.any(String),
  cc_email: expect.any(String),
  attach_pdf: expect.any(Boolean),
  weekly_report_enabled: expect.any(Boolean),
  drift_sensitivity: expect.stringMatching(/^(strict|reference)$/),
  time_zone: expect.any(String),
  weekly_report_day: expect.any(String),
  weekly_report_hour: expect.any(Number),
  updated_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
};

async function auditsOf(action: string) {
  return services.database.db
    .selectFrom('audit_events')
    .selectAll()
    .where('action', '=', action)
    .orderBy('id')
    .execute();
}

describe('settings API', () => {
  it('every role reads its own settings: list, detail and current/', async () => {
    for (const user of ['owner_a', 'admin_a', 'analyst_a', 'viewer_a']) {
      const current = await api.call(user, 'GET', '/api/v1/settings/current/');
      expect(current.statusCode).toBe(200);
      expect(current.json()).toEqual({
        ...SHAPE,
        id: settingsA,
        customer: fx.customerA.id,
        attach_pdf: true,
        weekly_report_enabled: false,
        drift_sensitivity: 'strict',
        time_zone: 'UTC',
        weekly_report_day: 'monday',
        weekly_report_hour: 6,
      });
      const list = await api.call(user, 'GET', '/api/v1/settings/');
      expect(list.json()).toMatchObject({
        count: 1,
        next: null,
        previous: null,
        results: [{ id: settingsA }],
      });
      const detail = await api.call(user, 'GET', `/api/v1/settings/${settingsA}/`);
      expect(detail.json()).toEqual(current.json());
    }
  });

  it('owner and admin write (PATCH, PUT) with an audit event; analyst and viewer get 403', async () => {
    const patched = await api.call('admin_a', 'PATCH', `/api/v1/settings/${settingsA}/`, {
      to_email: 'billing@a.example',
      drift_sensitivity: 'reference',
      time_zone: 'America/Chicago',
      weekly_report_day: 'friday',
      weekly_report_hour: 7,
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({
      to_email: 'billing@a.example',
      drift_sensitivity: 'reference',
      time_zone: 'America/Chicago',
      weekly_report_day: 'friday',
      weekly_report_hour: 7,
      attach_pdf: true,
    });
    const stored = await findSettingsOfCustomer(services.database.db, fx.customerA.id);
    expect(stored).toMatchObject({ to_email: 'billing@a.example', time_zone: 'America/Chicago' });
    const audit = (await auditsOf('settings_updated')).at(-1);
    expect(audit).toMatchObject({
      customer_id: fx.customerA.id,
      user_id: fx.users['admin_a'],
      entity_type: 'settings',
      entity_id: String(settingsA),
    });
    expect(audit?.metadata).toEqual({
      fields: ['to_email', 'drift_sensitivity', 'time_zone', 'weekly_report_day', 'weekly_report_hour'],
    });

    // PUT replaces: absent booleans become false.
    const put = await api.call('owner_a', 'PUT', '/api/v1/settings/current/', {
      to_email: 'owner@a.example',
      weekly_report_enabled: true,
    });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({
      to_email: 'owner@a.example',
      weekly_report_enabled: true,
      attach_pdf: false,
    });

    for (const user of ['analyst_a', 'viewer_a']) {
      for (const method of ['PATCH', 'PUT'] as const) {
        const denied = await api.call(user, method, `/api/v1/settings/${settingsA}/`, {
          to_email: 'x@y.example',
        });
        expect(denied.statusCode).toBe(403);
        expect(denied.json()).toEqual({
          detail: 'You do not have permission to perform this action.',
          code: 'permission_denied',
        });
      }
    }
    const after = await findSettingsOfCustomer(services.database.db, fx.customerA.id);
    expect(after?.to_email).toBe('owner@a.example');
  });

  it('field errors: invalid e-mail, bad choices, PUT without to_email, weekly without e-mail', async () => {
    const bad = await api.call('owner_a', 'PATCH', '/api/v1/settings/current/', { to_email: 'nope' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual({
      detail: 'Validation failed.',
      code: 'invalid',
      errors: { to_email: ['Enter a valid email address.'] },
    });
    // Choices and bounds are the schema's: every field error at once.
    const choices = await api.call('owner_a', 'PATCH', '/api/v1/settings/current/', {
      drift_sensitivity: 'loose',
      weekly_report_day: 'funday',
      weekly_report_hour: 25,
      attach_pdf: ['yes'],
    });
    expect(choices.statusCode).toBe(400);
    expect(choices.json().errors).toMatchObject({
      drift_sensitivity: ['"loose" is not a valid choice.'],
      weekly_report_day: ['"funday" is not a valid choice.'],
      weekly_report_hour: ['Ensure this value is less than or equal to 23.'],
    });
    expect(choices.json().errors.attach_pdf).toBeDefined();
    const nul = await api.call('owner_a', 'PATCH', '/api/v1/settings/current/', { time_zone: 'UTC\u0000' });
    expect(nul.statusCode).toBe(400);
    const put = await api.call('owner_a', 'PUT', '/api/v1/settings/current/', { cc_email: '' });
    expect(put.statusCode).toBe(400);
    expect(put.json().errors).toEqual({ to_email: ['This field is required.'] });
    const tz = await api.call('owner_a', 'PATCH', '/api/v1/settings/current/', { time_zone: 'Mars/Base' });
    expect(tz.statusCode).toBe(400);
    expect(tz.json().errors.time_zone).toEqual(['Enter a valid IANA time zone (e.g. America/Chicago).']);
  });

  it("another customer's settings id is 404 for reads and writes", async () => {
    expect((await api.call('viewer_a', 'GET', `/api/v1/settings/${settingsB}/`)).statusCode).toBe(404);
    const write = await api.call('owner_a', 'PATCH', `/api/v1/settings/${settingsB}/`, {
      to_email: 'x@y.example',
    });
    expect(write.statusCode).toBe(404);
    expect(write.json()).toEqual({ detail: 'Not found.', code: 'not_found' });
    const b = await findSettingsOfCustomer(services.database.db, fx.customerB.id);
    expect(b?.to_email).toBe('');
  });

  it('staff: list spans customers; current/ and writes need ?customer= (400 customer_required)', async () => {
    const list = await api.call('operator1', 'GET', '/api/v1/settings/');
    expect(list.json().count).toBe(2);
    const one = await api.call('operator1', 'GET', `/api/v1/settings/?customer=${fx.customerB.id}`);
    expect(one.json()).toMatchObject({ count: 1, results: [{ id: settingsB }] });
    expect((await api.call('operator1', 'GET', `/api/v1/settings/${settingsB}/`)).statusCode).toBe(200);
    for (const [method, url] of [
      ['GET', '/api/v1/settings/current/'],
      ['PATCH', '/api/v1/settings/current/'],
      ['PATCH', `/api/v1/settings/${settingsB}/`],
    ] as const) {
      const response = await api.call(
        'operator1',
        method,
        url,
        method === 'PATCH' ? { cc_email: '' } : undefined,
      );
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({
        detail: 'Platform staff must specify a customer.',
        code: 'customer_required',
      });
    }
    const acting = await api.call(
      'operator1',
      'PATCH',
      `/api/v1/settings/current/?customer=${fx.customerB.id}`,
      {
        cc_email: 'cc@b.example',
      },
    );
    expect(acting.statusCode).toBe(200);
    expect(acting.json()).toMatchObject({ id: settingsB, cc_email: 'cc@b.example' });
    const audit = (await auditsOf('settings_updated')).at(-1);
    expect(audit?.metadata).toEqual({ fields: ['cc_email'], acting_as_operator: true });
  });

  it('anonymous → 401, no membership → 403 no_customer; a session PATCH needs CSRF', async () => {
    const anonymous = await api.call(null, 'GET', '/api/v1/settings/current/');
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json().code).toBe('not_authenticated');
    const nomember = await api.call('nomember', 'GET', '/api/v1/settings/');
    expect(nomember.statusCode).toBe(403);
    expect(nomember.json().code).toBe('no_customer');

    const portal = await loggedInClient(app, 'owner_a');
    const headers = { cookie: [...portal.cookies].map(([k, v]) => `${k}=${v}`).join('; ') };
    const noCsrf = await app.inject({
      method: 'PATCH',
      url: '/api/v1/settings/current/',
      headers,
      payload: { cc_email: '' },
    });
    expect(noCsrf.statusCode).toBe(403);
    expect(noCsrf.json().code).toBe('csrf_failed');
    const withCsrf = await app.inject({
      method: 'PATCH',
      url: '/api/v1/settings/current/',
      headers: { ...headers, 'x-csrf-token': await portal.csrf() },
      payload: { cc_email: '' },
    });
    expect(withCsrf.statusCode).toBe(200);
  });
});
