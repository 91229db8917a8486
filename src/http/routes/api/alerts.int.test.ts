import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD } from '../../../../test/accounts.ts';
import {
  insertAlert,
  insertDelivery,
  insertFinding,
  insertJudgmentRow,
  insertRun,
} from '../../../../test/alert-fixtures.ts';
import { type ApiTestApp, startApiTestApp } from '../../../../test/api-app.ts';
import type { ApiClient } from '../../../../test/api-client.ts';
import type { TestServices } from '../../../../test/services.ts';
import { insertMembership } from '../../../db/repositories/memberships.repository.ts';
import { insertUser } from '../../../db/repositories/users.repository.ts';
import { hashPassword } from '../../../domain/accounts/passwords.ts';
import { similarAlertContext } from '../../../domain/alerts/similar-alerts.ts';
import type { AlertRecord } from '../../../queries/alerts-list.ts';
import { similarJudgments } from '../../../queries/similar-alerts.ts';

let testApp: ApiTestApp;
let services: TestServices;
let app: FastifyInstance;
let api: ApiClient;
let customerA: number;
let customerB: number;
const users: Record<string, number> = {};

/** "Now" of the feedback tests: dates must not be in the future. */
const NOW = new Date('2026-03-20T12:00:00Z');

beforeAll(async () => {
  testApp = await startApiTestApp();
  ({ services, app, api } = testApp);
  services.clock = { now: () => new Date(NOW) };
  customerA = testApp.fx.customerA.id;
  customerB = testApp.fx.customerB.id;
  Object.assign(users, testApp.fx.users);
  const passwordHash = await hashPassword(PASSWORD);
  for (const username of ['dana', 'lee']) {
    const user = await insertUser(services.database.db, {
      username,
      email: `${username}@example.com`,
      passwordHash,
    });
    await insertMembership(services.database.db, customerA, user.id, 'analyst');
    users[username] = user.id;
  }
}, 180_000);

afterAll(async () => {
  await testApp?.close();
});

async function newAlert(
  customerId = customerA,
  options: Parameters<typeof insertAlert>[3] = {},
  finding: Parameters<typeof insertFinding>[3] = {},
): Promise<AlertRecord> {
  const db = services.database.db;
  const asOf = finding.as_of ?? '2026-03-02';
  const existing = await db
    .selectFrom('analysis_runs')
    .select('id')
    .where('customer_id', '=', customerId)
    .where('product', '=', finding.product ?? 'driftwatch')
    .where('as_of', '=', asOf)
    .executeTakeFirst();
  const runId =
    existing?.id ?? (await insertRun(db, customerId, { product: finding.product ?? 'driftwatch', asOf }));
  const stored = await insertFinding(db, customerId, runId, { as_of: asOf, ...finding });
  return insertAlert(db, customerId, stored, options);
}

async function alertRow(id: number) {
  return services.database.db
    .selectFrom('alert_events')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
}

async function eventsOf(alertId: number) {
  const rows = await services.database.db
    .selectFrom('system_events')
    .selectAll()
    .where('event_type', '=', 'operator_feedback_submitted')
    .orderBy('id')
    .execute();
  return rows
    .map(
      (r) => (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload) as Record<string, unknown>,
    )
    .filter((p) => p['alert_id'] === alertId);
}

describe('B10 — feedback', () => {
  it('creates, updates, moves the status, cancels open deliveries and records events', async () => {
    const db = services.database.db;
    const alert = await newAlert();
    const email = await insertDelivery(db, customerA, alert.id, {
      channelType: 'email',
      status: 'retrying',
      attempts: 2,
    });
    const slack = await insertDelivery(db, customerA, alert.id, {
      channelType: 'slack',
      channelId: 7,
      status: 'failed',
      attempts: 5,
      lastError: 'HTTP 500',
    });

    const first = await api.call('dana', 'POST', `/api/v1/alerts/${alert.id}/feedback/`, {
      verdict: 'noise',
      reason_codes: ['false_positive', 'data_entry_error'],
      notes: 'Payer portal glitch',
    });
    expect(first.statusCode).toBe(201);
    expect(first.json()).toEqual({
      id: expect.any(Number),
      customer: customerA,
      alert_event: alert.id,
      verdict: 'noise',
      reason_codes: ['false_positive', 'data_entry_error'],
      recovered_amount: null,
      recovered_date: null,
      notes: 'Payer portal glitch',
      operator: users['dana'],
      operator_username: 'dana',
      created_at: NOW.toISOString(),
      updated_at: NOW.toISOString(),
    });
    expect((await alertRow(alert.id)).status).toBe('resolved');
    const deliveries = await db
      .selectFrom('alert_deliveries')
      .select(['id', 'status', 'next_attempt_at'])
      .where('alert_event_id', '=', alert.id)
      .orderBy('id')
      .execute();
    expect(deliveries).toEqual([
      { id: email.id, status: 'cancelled', next_attempt_at: null },
      { id: slack.id, status: 'failed', next_attempt_at: null },
    ]);
    expect(await eventsOf(alert.id)).toEqual([
      {
        alert_id: alert.id,
        verdict: 'noise',
        previous_status: 'pending',
        new_status: 'resolved',
        recovered_amount: null,
        action: 'created',
        finding_fingerprint: alert.finding_fingerprint,
        operator_username: 'dana',
      },
    ]);
    const audits = await db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'operator_feedback_submitted')
      .where('entity_id', '=', String(alert.id))
      .execute();
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({
      customer_id: customerA,
      user_id: users['dana'],
      entity_type: 'alert_event',
    });

    const second = await api.call('dana', 'POST', `/api/v1/alerts/${alert.id}/feedback/`, {
      verdict: 'real',
      recovered_amount: '25000.50',
      recovered_date: '2026-03-05',
    });
    expect(second.statusCode).toBe(200);
    expect(second.json()).toMatchObject({
      id: first.json().id,
      verdict: 'real',
      recovered_amount: '25000.50',
      recovered_date: '2026-03-05',
    });
    expect((await alertRow(alert.id)).status).toBe('acknowledged');
    const judgments = await db
      .selectFrom('operator_judgments')
      .selectAll()
      .where('alert_event_id', '=', alert.id)
      .execute();
    expect(judgments).toHaveLength(1);
    expect(judgments[0]?.recovered_amount).toBe('25000.50');
    expect((await eventsOf(alert.id))[1]).toMatchObject({
      action: 'updated',
      previous_status: 'resolved',
      new_status: 'acknowledged',
      recovered_amount: '25000.50',
    });

    const third = await api.call('lee', 'POST', `/api/v1/alerts/${alert.id}/feedback/`, {
      verdict: 'needs_followup',
    });
    expect(third.statusCode).toBe(201);
    expect((await alertRow(alert.id)).status).toBe('needs_followup');

    const detail = await api.call('viewer_a', 'GET', `/api/v1/alerts/${alert.id}/`);
    expect(detail.statusCode).toBe(200);
    const body = detail.json();
    expect(body).toMatchObject({
      id: alert.id,
      customer: customerA,
      product: 'driftwatch',
      alert_rule: alert.rule_id,
      drift_event: alert.finding_id,
      finding: alert.finding_id,
      report_run: alert.run_id,
      status: 'needs_followup',
      has_judgment: true,
      latest_judgment_verdict: 'needs_followup',
      suppressed: false,
      suppression_reason: null,
    });
    expect(body.operator_judgments).toHaveLength(2);
    expect(body.operator_judgments.map((j: { operator_username: string }) => j.operator_username)).toEqual([
      'lee',
      'dana',
    ]);
    expect(body.deliveries).toEqual([
      {
        channel: null,
        channel_type: 'email',
        status: 'cancelled',
        attempts: 2,
        last_error: null,
        sent_at: null,
      },
      {
        channel: 7,
        channel_type: 'slack',
        status: 'failed',
        attempts: 5,
        last_error: 'HTTP 500',
        sent_at: null,
      },
    ]);
  });

  it('verdict_at moves only when the verdict changes; the newest verdict decides the status', async () => {
    const db = services.database.db;
    const alert = await newAlert();
    expect(
      (await api.call('dana', 'POST', `/api/v1/alerts/${alert.id}/feedback/`, { verdict: 'real' }))
        .statusCode,
    ).toBe(201);
    const before = await db
      .selectFrom('operator_judgments')
      .selectAll()
      .where('alert_event_id', '=', alert.id)
      .executeTakeFirstOrThrow();
    services.clock = { now: () => new Date(NOW.getTime() + 60_000) };
    try {
      expect(
        (await api.call('lee', 'POST', `/api/v1/alerts/${alert.id}/feedback/`, { verdict: 'noise' }))
          .statusCode,
      ).toBe(201);
      services.clock = { now: () => new Date(NOW.getTime() + 120_000) };
      // Dana only adds an amount: same verdict, so Lee's later "noise" still decides.
      const again = await api.call('dana', 'POST', `/api/v1/alerts/${alert.id}/feedback/`, {
        verdict: 'real',
        recovered_amount: 10,
      });
      expect(again.statusCode).toBe(200);
      expect(again.json()).toMatchObject({ recovered_amount: '10.00', recovered_date: '2026-03-20' });
    } finally {
      services.clock = { now: () => new Date(NOW) };
    }
    const after = await db
      .selectFrom('operator_judgments')
      .selectAll()
      .where('id', '=', before.id)
      .executeTakeFirstOrThrow();
    expect(after.verdict_at.toISOString()).toBe(before.verdict_at.toISOString());
    expect(after.updated_at.getTime()).toBeGreaterThan(before.updated_at.getTime());
    expect((await alertRow(alert.id)).status).toBe('resolved');
  });

  it('validation: "12.345" and "maybe" → 400 with field errors; nothing changes', async () => {
    const alert = await newAlert();
    const amount = await api.call('dana', 'POST', `/api/v1/alerts/${alert.id}/feedback/`, {
      verdict: 'real',
      recovered_amount: '12.345',
    });
    expect(amount.statusCode).toBe(400);
    expect(amount.json().errors).toEqual({
      recovered_amount: ['Ensure that there are no more than 2 decimal places.'],
    });
    const verdict = await api.call('dana', 'POST', `/api/v1/alerts/${alert.id}/feedback/`, {
      verdict: 'maybe',
    });
    expect(verdict.statusCode).toBe(400);
    expect(verdict.json().errors).toEqual({ verdict: ['"maybe" is not a valid choice.'] });
    const dateOnly = await api.call('dana', 'POST', `/api/v1/alerts/${alert.id}/feedback/`, {
      verdict: 'real',
      recovered_date: '2026-03-01',
    });
    expect(dateOnly.statusCode).toBe(400);
    expect(Object.keys(dateOnly.json().errors)).toEqual(['recovered_date']);
    const future = await api.call('dana', 'POST', `/api/v1/alerts/${alert.id}/feedback/`, {
      verdict: 'real',
      recovered_amount: '1.00',
      recovered_date: '2026-03-21',
    });
    expect(future.statusCode).toBe(400);
    expect((await alertRow(alert.id)).status).toBe('pending');
    expect(await eventsOf(alert.id)).toEqual([]);
  });

  it('a form-encoded body works like JSON', async () => {
    const alert = await newAlert();
    const response = await app.inject({
      method: 'POST',
      url: `/api/v1/alerts/${alert.id}/feedback/`,
      headers: {
        authorization: `Bearer ${await api.bearer('dana')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      payload: 'verdict=real&reason_codes=contract_issue&recovered_amount=99.5&notes=',
    });
    expect(response.statusCode).toBe(201);
    expect(response.json()).toMatchObject({
      reason_codes: ['contract_issue'],
      recovered_amount: '99.50',
      recovered_date: '2026-03-20',
      notes: '',
    });
  });

  it('a viewer → 403; anonymous → 401; other writes → 405', async () => {
    const alert = await newAlert();
    const viewer = await api.call('viewer_a', 'POST', `/api/v1/alerts/${alert.id}/feedback/`, {
      verdict: 'noise',
    });
    expect(viewer.statusCode).toBe(403);
    expect(
      (await api.call(null, 'POST', `/api/v1/alerts/${alert.id}/feedback/`, { verdict: 'noise' })).statusCode,
    ).toBe(401);
    expect((await alertRow(alert.id)).status).toBe('pending');
    for (const method of ['DELETE', 'PATCH', 'PUT'] as const) {
      const response = await api.call('owner_a', method, `/api/v1/alerts/${alert.id}/`, {});
      expect(response.statusCode).toBe(405);
    }
    expect((await api.call('owner_a', 'POST', '/api/v1/alerts/', {})).statusCode).toBe(405);
  });

  it('staff act with a customer parameter (audited as operator)', async () => {
    const alert = await newAlert();
    const missing = await api.call('operator1', 'POST', `/api/v1/alerts/${alert.id}/feedback/`, {
      verdict: 'real',
    });
    expect(missing.statusCode).toBe(400);
    const response = await api.call('operator1', 'POST', `/api/v1/alerts/${alert.id}/feedback/`, {
      verdict: 'real',
      customer: customerA,
    });
    expect(response.statusCode).toBe(201);
    const audit = await services.database.db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'operator_feedback_submitted')
      .where('entity_id', '=', String(alert.id))
      .executeTakeFirstOrThrow();
    expect(audit.metadata).toMatchObject({ acting_as_operator: true });
  });

  it('the portal session may post with X-CSRF-Token (the deep-dive script does)', async () => {
    const alert = await newAlert();
    const { loggedInClient } = await import('../../../../test/accounts.ts');
    const client = await loggedInClient(app, 'analyst_a');
    const csrf = await client.csrf();
    const cookie = [...client.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const without = await app.inject({
      method: 'POST',
      url: `/api/v1/alerts/${alert.id}/feedback/`,
      headers: { cookie },
      payload: { verdict: 'real' },
    });
    expect(without.statusCode).toBe(403);
    const withToken = await app.inject({
      method: 'POST',
      url: `/api/v1/alerts/${alert.id}/feedback/`,
      headers: { cookie, 'x-csrf-token': csrf },
      payload: { verdict: 'real' },
    });
    expect(withToken.statusCode).toBe(201);
  });
});

describe('alert list', () => {
  it('filters and orders newest first', async () => {
    const critical = await newAlert(
      customerA,
      { triggeredAt: new Date('2026-03-10T08:00:00Z') },
      {
        payer: 'Cigna',
        severity: 0.95,
        severity_label: 'critical',
      },
    );
    const delay = await newAlert(
      customerA,
      { triggeredAt: new Date('2026-03-11T08:00:00Z'), status: 'sent' },
      {
        payer: 'Cigna',
        product: 'delayguard',
        signal_type: 'PAYMENT_DELAY',
        cpt_group: null,
        severity_label: 'high',
      },
    );
    const byPayer = await api.call('viewer_a', 'GET', '/api/v1/alerts/?payer=cigna');
    expect(byPayer.statusCode).toBe(200);
    expect(byPayer.json().results.map((r: { id: number }) => r.id)).toEqual([delay.id, critical.id]);
    const filtered = await api.call(
      'viewer_a',
      'GET',
      '/api/v1/alerts/?payer=Cigna&product=delayguard&status=sent',
    );
    expect(filtered.json().results.map((r: { id: number }) => r.id)).toEqual([delay.id]);
    const severity = await api.call('viewer_a', 'GET', '/api/v1/alerts/?severity=critical&payer=Cigna');
    expect(severity.json().results.map((r: { id: number }) => r.id)).toEqual([critical.id]);
    const window = await api.call(
      'viewer_a',
      'GET',
      '/api/v1/alerts/?payer=Cigna&triggered_after=2026-03-11&triggered_before=2026-03-12',
    );
    expect(window.json().results.map((r: { id: number }) => r.id)).toEqual([delay.id]);
    expect((await api.call('viewer_a', 'GET', '/api/v1/alerts/?status=maybe')).statusCode).toBe(400);
    expect((await api.call('viewer_a', 'GET', '/api/v1/alerts/?triggered_after=2026-02-30')).statusCode).toBe(
      400,
    );
    const all = await api.call('viewer_a', 'GET', '/api/v1/alerts/');
    const times = all.json().results.map((r: { triggered_at: string }) => r.triggered_at);
    expect([...times].sort().reverse()).toEqual(times);
    expect(all.json().results[0]).toHaveProperty('deliveries');
    const oldest = await api.call('viewer_a', 'GET', '/api/v1/alerts/?payer=Cigna&ordering=triggered_at');
    expect(oldest.json().results.map((r: { id: number }) => r.id)).toEqual([critical.id, delay.id]);
    expect((await api.call('viewer_a', 'GET', '/api/v1/alerts/?ordering=payer')).statusCode).toBe(400);
  });
});

describe('B11 — recovery ledger (today 2026-03-20)', () => {
  it('sums this month, last 30 days and all time exactly, with the 5 newest', async () => {
    // A fresh customer keeps the other tests' recoveries out of the sums.
    const { createCustomer } = await import('../../../commands/create-customer.ts');
    const c = await createCustomer(services.database.db, {
      name: 'Ledger Co',
      products: ['driftwatch'],
      actorUserId: null,
    });
    const passwordHash = await hashPassword(PASSWORD);
    const user = await insertUser(services.database.db, {
      username: 'ledger_viewer',
      email: 'lv@example.com',
      passwordHash,
    });
    await insertMembership(services.database.db, c.id, user.id, 'viewer');
    const empty = await api.call('ledger_viewer', 'GET', '/api/v1/recovery/');
    expect(empty.json()).toEqual({
      this_month: '0.00',
      last_30_days: '0.00',
      all_time: '0.00',
      resolved_this_month: 0,
      recent: [],
    });
    const amounts: Array<[string, string, string]> = [
      ['25000.50', '2026-03-05', 'UnitedHealthcare'],
      ['1200.00', '2026-02-25', 'Aetna'],
      ['4000.00', '2026-01-10', 'Cigna'],
    ];
    const ids: number[] = [];
    for (const [amount, date, payer] of amounts) {
      const alert = await newAlert(c.id, {}, { payer });
      ids.push(alert.id);
      await insertJudgmentRow(services.database.db, c.id, alert.id, {
        operatorId: user.id,
        verdict: 'real',
        verdictAt: new Date(`${date}T10:00:00Z`),
        recoveredAmount: amount,
        recoveredDate: date,
      });
    }
    const ledger = await api.call('ledger_viewer', 'GET', '/api/v1/recovery/');
    expect(ledger.statusCode).toBe(200);
    expect(ledger.json()).toEqual({
      this_month: '25000.50',
      last_30_days: '26200.50',
      all_time: '30200.50',
      resolved_this_month: 1,
      recent: [
        { alert_id: ids[0], payer: 'UnitedHealthcare', amount: '25000.50', recovered_date: '2026-03-05' },
        { alert_id: ids[1], payer: 'Aetna', amount: '1200.00', recovered_date: '2026-02-25' },
        { alert_id: ids[2], payer: 'Cigna', amount: '4000.00', recovered_date: '2026-01-10' },
      ],
    });
    // The API dashboard shows the same month and the alerts still open (all three are pending).
    const dashboard = await api.call('ledger_viewer', 'GET', '/api/v1/dashboard/');
    expect(dashboard.json()).toMatchObject({ open_alerts: 3, recovered_this_month: '25000.50' });
    await services.database.db
      .updateTable('alert_events')
      .set({ status: 'resolved' })
      .where('id', '=', ids[0] as number)
      .execute();
    expect((await api.call('ledger_viewer', 'GET', '/api/v1/dashboard/')).json().open_alerts).toBe(2);
    // Customer B's ledger never sees them.
    expect((await api.call('viewer_b', 'GET', '/api/v1/recovery/')).json().all_time).toBe('0.00');
  });
});

describe('B12 — similar-alert context (today 2026-03-16)', () => {
  it('the newest judgment of similar findings decides: confirmed real 6 days ago with $1,500.00', async () => {
    const db = services.database.db;
    const key = { payer: 'Blue Cross Blue Shield', cpt_group: 'E&M', signal_type: 'DENIAL_RATE' };
    const first = await newAlert(customerA, {}, { ...key, as_of: '2026-03-02' });
    const second = await newAlert(customerA, {}, { ...key, as_of: '2026-03-09' });
    const current = await newAlert(customerA, {}, { ...key, as_of: '2026-03-16' });
    // Another group and another customer's history never count.
    const otherGroup = await newAlert(customerA, {}, { ...key, cpt_group: 'Surgery', as_of: '2026-03-09' });
    const otherCustomer = await newAlert(customerB, {}, { ...key, as_of: '2026-03-09' });
    await insertJudgmentRow(db, customerA, first.id, {
      operatorId: users['dana'] as number,
      verdict: 'noise',
      verdictAt: new Date('2026-03-04T10:00:00Z'),
    });
    await insertJudgmentRow(db, customerA, second.id, {
      operatorId: users['dana'] as number,
      verdict: 'real',
      verdictAt: new Date('2026-03-10T10:00:00Z'),
      recoveredAmount: '1500.00',
      recoveredDate: '2026-03-10',
    });
    for (const [alert, customerId] of [
      [otherGroup, customerA],
      [otherCustomer, customerB],
    ] as const) {
      await insertJudgmentRow(db, customerId, alert.id, {
        operatorId: users['dana'] as number,
        verdict: 'noise',
        verdictAt: new Date('2026-03-15T10:00:00Z'),
      });
    }
    const judgments = await similarJudgments(db, customerA, {
      product: 'driftwatch',
      signalType: 'DENIAL_RATE',
      payer: key.payer,
      cptGroup: 'E&M',
      denialReason: null,
      fingerprint: current.finding_fingerprint,
    });
    expect(judgments.map((j) => j.alertId).sort()).toEqual([first.id, second.id].sort());
    expect(similarAlertContext(judgments, '2026-03-16')).toMatchObject({
      type: 'confirmed',
      daysAgo: 6,
      message: 'Similar alert confirmed real 6 days ago ($1,500.00 recovered)',
    });
  });
});

describe('B13 — tenant separation (API)', () => {
  it("customer B's user gets 404 for A's alert and its feedback, and never lists it", async () => {
    const alert = await newAlert();
    expect((await api.call('viewer_b', 'GET', `/api/v1/alerts/${alert.id}/`)).statusCode).toBe(404);
    const passwordHash = await hashPassword(PASSWORD);
    const analystB = await insertUser(services.database.db, {
      username: 'analyst_b',
      email: 'ab@example.com',
      passwordHash,
    });
    await insertMembership(services.database.db, customerB, analystB.id, 'analyst');
    const feedback = await api.call('analyst_b', 'POST', `/api/v1/alerts/${alert.id}/feedback/`, {
      verdict: 'noise',
    });
    expect(feedback.statusCode).toBe(404);
    // 404 before validation: a bad body for another customer's alert is still a 404.
    expect(
      (
        await api.call('analyst_b', 'POST', `/api/v1/alerts/${alert.id}/feedback/`, {
          verdict: 'real',
          recovered_amount: '1.234',
        })
      ).statusCode,
    ).toBe(404);
    expect((await alertRow(alert.id)).status).toBe('pending');
    const list = await api.call('viewer_b', 'GET', '/api/v1/alerts/?page_size=200');
    const listedIds = list.json().results.map((r: { id: number; customer: number }) => r.customer);
    expect(listedIds.every((c: number) => c === customerB)).toBe(true);
    expect(
      (await api.call('viewer_b', 'GET', `/api/v1/alerts/${alert.id}/?customer=${customerA}`)).statusCode,
    ).toBe(404);
  });
});
