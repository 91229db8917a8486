import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccountFixtures } from '../../../../test/accounts.ts';
import { type ApiTestApp, startApiTestApp } from '../../../../test/api-app.ts';
import type { ApiClient } from '../../../../test/api-client.ts';
import type { TestServices } from '../../../../test/services.ts';

let testApp: ApiTestApp;
let services: TestServices;
let fx: AccountFixtures;
let api: ApiClient;

beforeAll(async () => {
  testApp = await startApiTestApp({ env: { EMAIL_BACKEND: 'memory' } });
  ({ services, fx, api } = testApp);
}, 180_000);

afterAll(async () => {
  await testApp?.close();
});

interface RuleBody {
  id: number;
  name: string;
  priority: number;
  channels: number[];
  [key: string]: unknown;
}
interface Page<T> {
  count: number;
  results: T[];
}

async function auditActions(customerId: number, entityType: string) {
  return services.database.db
    .selectFrom('audit_events')
    .select(['action', 'entity_id', 'metadata', 'user_id'])
    .where('customer_id', '=', customerId)
    .where('entity_type', '=', entityType)
    .orderBy('id')
    .execute();
}

describe('alert-rules API', () => {
  it('lists the default rule of a new customer with the exact shape', async () => {
    const response = await api.call('viewer_a', 'GET', '/api/v1/alert-rules/');
    expect(response.statusCode).toBe(200);
    const page = response.json() as Page<RuleBody>;
    expect(page.count).toBe(1);
    expect(page.results[0]).toEqual({
      id: expect.any(Number),
      customer: fx.customerA.id,
      name: 'High severity findings',
      description: '',
      enabled: true,
      product: 'any',
      scope: {},
      metric: 'severity',
      threshold_type: 'gte',
      threshold_value: 0.7,
      severity: 'critical',
      channels: [],
      priority: 0,
      routing_tags: [],
      created_at: expect.stringMatching(/Z$/),
      updated_at: expect.stringMatching(/Z$/),
    });
  });

  it('creates with defaults, reads, updates (PUT/PATCH), deletes; audits each change', async () => {
    const channel = await api.call('owner_a', 'POST', '/api/v1/channels/', {
      name: 'Billing',
      type: 'email',
      config: { recipients: ['billing@example.com'] },
    });
    expect(channel.statusCode).toBe(201);
    const channelId = (channel.json() as { id: number }).id;

    const created = await api.call('admin_a', 'POST', '/api/v1/alert-rules/', {
      name: 'Aetna denials',
      product: 'denialscope',
      scope: { payer: 'Aetna' },
      metric: 'relative_increase',
      threshold_type: 'gt',
      threshold_value: 0.5,
      channels: [channelId],
      priority: 5,
      routing_tags: ['billing', ' ops '],
    });
    expect(created.statusCode).toBe(201);
    const rule = created.json() as RuleBody;
    expect(rule).toMatchObject({
      name: 'Aetna denials',
      product: 'denialscope',
      scope: { payer: 'Aetna' },
      metric: 'relative_increase',
      threshold_type: 'gt',
      threshold_value: 0.5,
      severity: 'warning',
      enabled: true,
      channels: [channelId],
      priority: 5,
      routing_tags: ['billing', 'ops'],
    });

    const minimal = await api.call('owner_a', 'POST', '/api/v1/alert-rules/', { name: 'Minimal' });
    expect(minimal.json()).toMatchObject({
      product: 'any',
      metric: 'severity',
      threshold_type: 'gte',
      threshold_value: 0.7,
      severity: 'warning',
      priority: 0,
      channels: [],
      enabled: true,
    });

    const read = await api.call('viewer_a', 'GET', `/api/v1/alert-rules/${rule.id}/`);
    expect(read.statusCode).toBe(200);
    expect((read.json() as RuleBody).name).toBe('Aetna denials');

    const patched = await api.call('admin_a', 'PATCH', `/api/v1/alert-rules/${rule.id}/`, {
      enabled: false,
      severity: 'emergency',
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({
      enabled: false,
      severity: 'emergency',
      priority: 5,
      scope: { payer: 'Aetna' },
    });

    const put = await api.call('admin_a', 'PUT', `/api/v1/alert-rules/${(minimal.json() as RuleBody).id}/`, {
      name: 'Minimal renamed',
      priority: 3,
    });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({ name: 'Minimal renamed', priority: 3, enabled: true });

    const unchanged = await api.call('admin_a', 'PATCH', `/api/v1/alert-rules/${rule.id}/`, { priority: 5 });
    expect(unchanged.statusCode).toBe(200);

    const removed = await api.call('owner_a', 'DELETE', `/api/v1/alert-rules/${rule.id}/`);
    expect(removed.statusCode).toBe(204);
    expect((await api.call('owner_a', 'GET', `/api/v1/alert-rules/${rule.id}/`)).statusCode).toBe(404);
    expect((await api.call('owner_a', 'DELETE', `/api/v1/alert-rules/${rule.id}/`)).statusCode).toBe(404);

    const audits = await auditActions(fx.customerA.id, 'alert_rule');
    expect(audits.map((a) => a.action)).toEqual([
      'alert_rule_created',
      'alert_rule_created',
      'alert_rule_updated',
      'alert_rule_updated',
      'alert_rule_deleted',
    ]);
    expect(audits[0]).toMatchObject({ entity_id: String(rule.id), user_id: fx.users['admin_a'] });
    expect(audits[2]?.metadata).toMatchObject({ name: 'Aetna denials', fields: ['severity', 'enabled'] });
    expect(audits[4]?.metadata).toMatchObject({ name: 'Aetna denials' });
    // The unchanged PATCH recorded nothing (2 updates: the PATCH and the PUT).
  });

  it('orders by -priority, name by default and filters by enabled and product', async () => {
    for (const [name, priority, product, enabled] of [
      ['b rule', 10, 'driftwatch', true],
      ['a rule', 10, 'delayguard', false],
      ['c rule', 20, 'driftwatch', true],
    ] as const) {
      const r = await api.call('owner_a', 'POST', '/api/v1/alert-rules/', {
        name,
        priority,
        product,
        enabled,
      });
      expect(r.statusCode).toBe(201);
    }
    const names = async (query: string) =>
      (
        (await api.call('viewer_a', 'GET', `/api/v1/alert-rules/${query}`)).json() as Page<RuleBody>
      ).results.map((r) => r.name);
    expect(await names('')).toEqual([
      'c rule',
      'a rule',
      'b rule',
      'Minimal renamed',
      'High severity findings',
    ]);
    expect(await names('?ordering=name')).toEqual([
      'a rule',
      'b rule',
      'c rule',
      'High severity findings',
      'Minimal renamed',
    ]);
    expect(await names('?product=driftwatch')).toEqual(['c rule', 'b rule']);
    expect(await names('?enabled=false')).toEqual(['a rule']);
    expect(await names('?enabled=true&product=driftwatch&page_size=1')).toEqual(['c rule']);
    const bad = await api.call('viewer_a', 'GET', '/api/v1/alert-rules/?ordering=threshold_value');
    expect(bad.statusCode).toBe(400);
    expect((await api.call('viewer_a', 'GET', '/api/v1/alert-rules/?product=nope')).statusCode).toBe(400);
  });

  it('refuses invalid input with field errors', async () => {
    const cases: Array<[object, Record<string, string[]>]> = [
      [{}, { name: ['This field is required.'] }],
      [{ name: 'x'.repeat(101) }, { name: ['Ensure this field has no more than 100 characters.'] }],
      [
        { name: 'High severity findings' },
        { name: ["An alert rule named 'High severity findings' already exists."] },
      ],
      [
        { name: 'HIGH severity FINDINGS' },
        { name: ["An alert rule named 'HIGH severity FINDINGS' already exists."] },
      ],
      [
        { name: 'S', scope: { payer: 'Aetna', region: 'north' } },
        { scope: ['Unknown scope key "region": only "payer" and "cpt_group" are allowed.'] },
      ],
      [{ name: 'M', metric: 'volume' }, { metric: ['"volume" is not a valid choice.'] }],
      [{ name: 'T', threshold_type: 'ge' }, { threshold_type: ['"ge" is not a valid choice.'] }],
      [{ name: 'L', severity: 'high' }, { severity: ['"high" is not a valid choice.'] }],
      [{ name: 'P', priority: 1.5 }, { priority: expect.any(Array) as unknown as string[] }],
      [{ name: 'C', channels: [999999] }, { channels: ['Invalid pk "999999" - object does not exist.'] }],
    ];
    for (const [body, errors] of cases) {
      const response = await api.call('owner_a', 'POST', '/api/v1/alert-rules/', body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      expect((response.json() as { errors: object }).errors).toEqual(errors);
    }
    // A channel of customer B is not a channel of A.
    const foreign = await services.database.db
      .insertInto('notification_channels')
      .values({
        customer_id: fx.customerB.id,
        name: 'B mail',
        type: 'email',
        config: '{"recipients":["b@example.com"]}',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const cross = await api.call('owner_a', 'POST', '/api/v1/alert-rules/', {
      name: 'X',
      channels: [foreign.id],
    });
    expect(cross.statusCode).toBe(400);
    expect((cross.json() as { errors: object }).errors).toEqual({
      channels: [`Invalid pk "${foreign.id}" - object does not exist.`],
    });
  });

  it('403 for analyst and viewer writes; 404 across tenants; staff need customer', async () => {
    const rule = (
      (await api.call('owner_a', 'GET', '/api/v1/alert-rules/?ordering=name')).json() as Page<RuleBody>
    ).results[0] as RuleBody;
    for (const user of ['analyst_a', 'viewer_a']) {
      expect((await api.call(user, 'POST', '/api/v1/alert-rules/', { name: 'Nope' })).statusCode).toBe(403);
      expect(
        (await api.call(user, 'PATCH', `/api/v1/alert-rules/${rule.id}/`, { priority: 1 })).statusCode,
      ).toBe(403);
      expect((await api.call(user, 'DELETE', `/api/v1/alert-rules/${rule.id}/`)).statusCode).toBe(403);
      // 403 before validation.
      expect((await api.call(user, 'POST', '/api/v1/alert-rules/', { metric: 'nope' })).statusCode).toBe(403);
      expect((await api.call(user, 'GET', `/api/v1/alert-rules/${rule.id}/`)).statusCode).toBe(200);
    }
    expect((await api.call('viewer_b', 'GET', `/api/v1/alert-rules/${rule.id}/`)).statusCode).toBe(404);
    expect(((await api.call('viewer_b', 'GET', '/api/v1/alert-rules/')).json() as Page<RuleBody>).count).toBe(
      1,
    );

    expect(
      (await api.call('operator1', 'POST', '/api/v1/alert-rules/', { name: 'Staff rule' })).statusCode,
    ).toBe(400);
    const staff = await api.call('operator1', 'POST', '/api/v1/alert-rules/', {
      name: 'Staff rule',
      customer: fx.customerB.id,
    });
    expect(staff.statusCode).toBe(201);
    expect((staff.json() as { customer: number }).customer).toBe(fx.customerB.id);
    const audit = (await auditActions(fx.customerB.id, 'alert_rule')).at(-1);
    expect(audit).toMatchObject({
      action: 'alert_rule_created',
      metadata: expect.objectContaining({ acting_as_operator: true }),
    });
    // Staff on customer A's rule through customer B: not found.
    expect(
      (
        await api.call('operator1', 'PATCH', `/api/v1/alert-rules/${rule.id}/?customer=${fx.customerB.id}`, {
          priority: 1,
        })
      ).statusCode,
    ).toBe(404);
  });

  it('appears in the OpenAPI document', async () => {
    const doc = (await api.call(null, 'GET', '/api/v1/schema/')).json() as { paths: Record<string, object> };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/alert-rules/',
        '/api/v1/alert-rules/{id}/',
        '/api/v1/channels/{id}/test/',
      ]),
    );
  });
});
