import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loggedInClient, type PortalClient } from '../../../../test/accounts.ts';
import {
  insertAlert,
  insertDelivery,
  insertFinding,
  insertJudgmentRow,
  insertRun,
} from '../../../../test/alert-fixtures.ts';
import { type ClaimsFixtures, createClaimsFixtures } from '../../../../test/claims.ts';
import type { FindingRecord } from '../../../db/repositories/findings.repository.ts';
import type { AlertRecord } from '../../../queries/alerts-list.ts';
import { buildApp } from '../../app.ts';

/**
 * Alert pages (alerts-reports §12): list with filters, badges, delivery icons and the recovery
 * card; the deep dive's sections, its 404 page and system event; the portal feedback form.
 * Claims come from the claims-browser fixtures (PayerOne, January 2024).
 */

let claims: ClaimsFixtures;
let app: FastifyInstance;
let customerA: number;
let customerB: number;
let runId: number;
let finding: FindingRecord;
let main: AlertRecord;
let cooldown: AlertRecord;
let noiseMemory: AlertRecord;
let delay: AlertRecord;
let detached: AlertRecord;

const NOW = new Date('2026-03-20T12:00:00Z');

beforeAll(async () => {
  claims = await createClaimsFixtures();
  claims.services.clock = { now: () => new Date(NOW) };
  app = await buildApp(claims.services);
  const db = claims.services.database.db;
  customerA = claims.fx.customerA.id;
  customerB = claims.fx.customerB.id;
  runId = await insertRun(db, customerA, { asOf: '2024-01-08' });
  // PayerOne's January 2024 claims are the current window of this denial-rate finding.
  finding = await insertFinding(db, customerA, runId, {
    as_of: '2024-01-08',
    payer: 'PayerOne',
    cpt_group: null,
    signal_type: 'DENIAL_RATE',
    current_start: '2024-01-01',
    current_end: '2024-01-08',
    baseline_start: '2023-10-01',
    baseline_end: '2023-12-31',
    baseline_value: 0.1,
    current_value: 0.4,
    delta_value: 0.3,
    severity: 0.8,
    severity_label: 'high',
    confidence: 0.9,
    summary_text: 'PayerOne denial rate rose from 10.0% to 40.0%.',
  });
  main = await insertAlert(db, customerA, finding, {
    status: 'sent',
    triggeredAt: new Date('2026-03-18T06:00:00Z'),
    notificationSentAt: new Date('2026-03-18T06:00:01Z'),
  });
  await insertDelivery(db, customerA, main.id, {
    channelType: 'slack',
    channelId: 3,
    channelName: 'Payer desk',
    status: 'success',
    attempts: 1,
    deliveredAt: new Date('2026-03-18T06:00:01Z'),
  });
  await insertDelivery(db, customerA, main.id, {
    channelType: 'email',
    channelName: 'Billing',
    status: 'retrying',
    attempts: 2,
    lastError: '421 Service not available',
  });
  await insertDelivery(db, customerA, main.id, {
    channelType: 'webhook',
    channelId: 4,
    channelName: 'Hook',
    status: 'failed',
    attempts: 5,
  });
  await insertDelivery(db, customerA, main.id, {
    channelType: 'webhook',
    channelId: 5,
    channelName: 'Old hook',
    status: 'skipped',
  });
  const twin = async (overrides: Partial<FindingRecord>) =>
    insertFinding(db, customerA, runId, { as_of: '2024-01-08', payer: 'PayerOne', ...overrides });
  cooldown = await insertAlert(
    db,
    customerA,
    await twin({ cpt_group: 'Lab', severity_label: 'medium', severity: 0.5 }),
    {
      status: 'sent',
      suppressed: true,
      suppressionReason: 'cooldown',
      triggeredAt: new Date('2026-03-18T07:00:00Z'),
    },
  );
  noiseMemory = await insertAlert(
    db,
    customerA,
    await twin({ cpt_group: 'Surgery', severity_label: 'low', severity: 0.2 }),
    {
      status: 'sent',
      suppressed: true,
      suppressionReason: 'noise_memory',
      triggeredAt: new Date('2026-03-18T08:00:00Z'),
    },
  );
  const delayRun = await insertRun(db, customerA, { product: 'delayguard', asOf: '2024-01-08' });
  delay = await insertAlert(
    db,
    customerA,
    await insertFinding(db, customerA, delayRun, {
      product: 'delayguard',
      signal_type: 'PAYMENT_DELAY',
      payer: 'PayerTwo',
      cpt_group: null,
      unit: 'days',
      severity_label: 'critical',
      severity: 0.95,
    }),
    { triggeredAt: new Date('2026-03-19T06:00:00Z') },
  );
  // A similar finding of an earlier run, judged real: the context line of the deep dive.
  const earlierRun = await insertRun(db, customerA, { asOf: '2023-12-25' });
  const earlier = await insertAlert(
    db,
    customerA,
    await insertFinding(db, customerA, earlierRun, {
      as_of: '2023-12-25',
      payer: 'PayerOne',
      cpt_group: null,
    }),
    { status: 'acknowledged', triggeredAt: new Date('2026-03-01T06:00:00Z') },
  );
  await insertJudgmentRow(db, customerA, earlier.id, {
    operatorId: claims.fx.users['analyst_a'] as number,
    verdict: 'real',
    verdictAt: new Date('2026-03-14T09:00:00Z'),
    recoveredAmount: '25000.50',
    recoveredDate: '2026-03-05',
  });
  // The finding row of this one is gone (retention or a newer analysis).
  const gone = await twin({ cpt_group: 'Radiology' });
  detached = await insertAlert(db, customerA, gone, {
    detached: true,
    triggeredAt: new Date('2026-03-10T06:00:00Z'),
  });
  await db.deleteFrom('findings').where('id', '=', gone.id).execute();
}, 240_000);

afterAll(async () => {
  await app?.close();
  await claims?.services.dispose();
});

const client = (username: string): Promise<PortalClient> => loggedInClient(app, username);

function rowOf(body: string, id: number): string {
  return new RegExp(`<tr data-alert-id="${id}">[\\s\\S]*?</tr>`).exec(body)?.[0] ?? '';
}

describe('/portal/alerts/', () => {
  it('shows the empty state and a zero ledger to a customer without alerts', async () => {
    const page = await (await client('viewer_b')).get('/portal/alerts/');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('No alerts yet.');
    expect(page.body).toContain('$0.00');
    expect(page.body).toContain('0 alert(s) resolved');
  });

  it('lists alerts newest first with badges, verdicts, delivery icons and the ledger card', async () => {
    const viewer = await client('viewer_a');
    const page = await viewer.get('/portal/alerts/');
    expect(page.statusCode).toBe(200);
    expect(page.body).toMatch(/<nav class="site-nav"[\s\S]*href="\/portal\/alerts\/"[\s\S]*<\/nav>/);
    const order = [...page.body.matchAll(/<tr data-alert-id="(\d+)">/g)].map((m) => Number(m[1]));
    expect(order.slice(0, 4)).toEqual([delay.id, noiseMemory.id, cooldown.id, main.id]);
    expect(rowOf(page.body, cooldown.id)).toContain('Suppressed (cooldown)');
    expect(rowOf(page.body, noiseMemory.id)).toContain('Suppressed (noise memory)');
    const mainRow = rowOf(page.body, main.id);
    expect(mainRow).not.toContain('Suppressed');
    expect(mainRow).toContain(`href="/portal/alerts/${main.id}/deep-dive/"`);
    expect(mainRow).toContain('2026-03-18 06:00');
    expect(mainRow).toContain('High (80%)');
    expect(mainRow).toContain('✓ Slack');
    expect(mainRow).toContain('↻ Email');
    expect(mainRow).toContain('✗ Webhook');
    expect(mainRow).toContain('– Webhook');
    // Ledger: $25,000.50 recovered on 2026-03-05 (this month, today 2026-03-20).
    expect(page.body).toContain('$25,000.50');
    expect(page.body).toContain('1 alert(s) resolved');
    expect(page.body).toContain('/portal/reports/alerts.xlsx');
  });

  it('filters by status, product, severity and payer', async () => {
    const viewer = await client('viewer_a');
    const ids = async (query: string) => {
      const page = await viewer.get(`/portal/alerts/${query}`);
      expect(page.statusCode).toBe(200);
      return [...page.body.matchAll(/<tr data-alert-id="(\d+)">/g)].map((m) => Number(m[1]));
    };
    expect(await ids('?product=delayguard')).toEqual([delay.id]);
    expect(await ids('?severity=critical')).toEqual([delay.id]);
    expect(await ids('?payer=payertwo')).toEqual([delay.id]);
    expect(await ids('?status=pending&payer=PayerOne')).toEqual([detached.id]);
    expect((await ids('?status=sent')).sort()).toEqual([main.id, cooldown.id, noiseMemory.id].sort());
    const none = await viewer.get('/portal/alerts/?payer=Nobody');
    expect(none.body).toContain('No alerts match these filters.');
    // The selects' "All" option sends an empty value: no filter.
    expect((await ids('?status=&product=&severity=&payer=')).length).toBe((await ids('')).length);
  });

  it('an unknown status, product or severity is a 400 page, not a silently unfiltered list', async () => {
    const viewer = await client('viewer_a');
    for (const query of ['?status=archived', '?product=claimsbot', '?severity=urgent', '?status=Sent']) {
      const page = await viewer.get(`/portal/alerts/${query}`);
      expect(page.statusCode, query).toBe(400);
      expect(page.body, query).not.toContain('data-alert-id=');
    }
  });

  it('the DriftWatch and DelayGuard dashboards show the open alerts and the recovery ledger', async () => {
    const viewer = await client('viewer_a');
    for (const product of ['driftwatch', 'delayguard']) {
      const page = await viewer.get(`/portal/products/${product}/`);
      expect(page.statusCode).toBe(200);
      const card =
        /<div class="card recovery-card" id="alerts-card">[\s\S]*?<\/ul>/.exec(page.body)?.[0] ?? '';
      expect(card).toContain('Open alerts');
      expect(card).toMatch(/href="\/portal\/alerts\/">\d+<\/a>/);
      expect(card).toContain('$25,000.50');
      expect(card).toContain('1 alert(s) resolved');
    }
  });

  it('the DriftWatch recent findings carry the similar-alert badge (§11)', async () => {
    const page = await (await client('viewer_a')).get('/portal/products/driftwatch/');
    expect(page.statusCode).toBe(200);
    const badges = [
      ...page.body.matchAll(/<span class="badge similar-badge similar-(\w+)">([^<]*)<\/span>/g),
    ].map((m) => [m[1], m[2]]);
    expect(badges).toContainEqual([
      'confirmed',
      'Similar alert confirmed real 6 days ago ($25,000.50 recovered)',
    ]);
  });

  it('B13: never lists another customer’s alerts', async () => {
    const page = await (await client('viewer_b')).get('/portal/alerts/');
    expect(page.body).not.toContain(`data-alert-id="${main.id}"`);
    expect(page.body).not.toContain('PayerOne');
  });
});

describe('/portal/alerts/<id>/deep-dive/', () => {
  it('redirects /portal/alerts/<id>/ to the deep dive', async () => {
    const response = await (await client('viewer_a')).get(`/portal/alerts/${main.id}/`);
    expect(response.statusCode).toBe(302);
    expect(response.headers.location).toBe(`/portal/alerts/${main.id}/deep-dive/`);
  });

  it('shows the sections and records the view', async () => {
    const db = claims.services.database.db;
    const analyst = await client('analyst_a');
    const page = await analyst.get(`/portal/alerts/${main.id}/deep-dive/`);
    expect(page.statusCode).toBe(200);
    const body = page.body;
    expect(body).toContain('Alert Deep Dive');
    expect(body).toMatch(
      /Axis<\/a> › <a href="\/portal\/products\/driftwatch\/">DriftWatch<\/a> › Alert #\d+/,
    );
    expect(body).toContain('← Back to Dashboard');
    expect(body).toContain('High severity findings · level critical');
    expect(body).toContain('No verdict yet');
    expect(body).toContain('🎯 What This Means');
    expect(body).toContain('Recommended Actions');
    expect(body).toContain('Possible causes');
    expect(body).toMatch(/🔴|🟡|🟢/);
    // Similar-alert context: the earlier PayerOne finding was confirmed real on 2026-03-14.
    expect(body).toContain('Similar alert confirmed real 6 days ago ($25,000.50 recovered)');
    expect(body).toContain('📊 Evidence Summary');
    expect(body).toContain('Detailed Evidence');
    // Fractions ×100 with "%": rates, confidence.
    expect(body).toContain('10.0%');
    expect(body).toContain('40.0%');
    expect(body).toContain('90.0%');
    expect(body).toContain('📈 Trend');
    expect(body).toContain('📋 Sample Claims');
    // PayerOne claims submitted 2024-01-01..07, denied first, then newest submitted; last 4 only.
    const sample = /<table class="table sample-claims">[\s\S]*?<\/table>/.exec(body)?.[0] ?? '';
    const claimIds = [...sample.matchAll(/>…(\d{4})</g)].map((m) => m[1]);
    expect(claimIds).toEqual(['1005', '1004', '1003', '1002', '1001']);
    expect(sample).not.toContain('CLM-');
    expect(sample).not.toContain('PayerTwo');
    expect(body).toContain('📬 Deliveries');
    expect(body).toContain('421 Service not available');
    expect(body).toContain('📝 Operator Judgment History');
    expect(body).toContain('No operator judgments yet.');
    expect(body).toContain(`action="/portal/alerts/${main.id}/feedback/"`);
    expect(body).toContain(`data-api-url="/api/v1/alerts/${main.id}/feedback/"`);
    expect(body).toContain('/static/js/alert-feedback.js');
    expect(body).not.toMatch(/<script>(?!<\/script>)/);

    const events = await db
      .selectFrom('system_events')
      .selectAll()
      .where('event_type', '=', 'alert_deep_dive_viewed')
      .where('customer_id', '=', customerA)
      .execute();
    const payloads = events.map((e) => (typeof e.payload === 'string' ? JSON.parse(e.payload) : e.payload));
    expect(payloads).toContainEqual({ alert_id: main.id, alert_status: 'sent', username: 'analyst_a' });
  });

  it('a viewer reads the page without the feedback form', async () => {
    const page = await (await client('viewer_a')).get(`/portal/alerts/${delay.id}/deep-dive/`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Alert Deep Dive');
    expect(page.body).not.toContain('id="feedback-form"');
  });

  it('shows the payload snapshot when the finding row is gone', async () => {
    const page = await (await client('viewer_a')).get(`/portal/alerts/${detached.id}/deep-dive/`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(
      'Finding replaced by a newer analysis; showing the evidence sent with the alert.',
    );
    expect(page.body).toContain('📊 Evidence Summary');
  });

  it('B13: another customer’s alert and an unknown id → 404 "Alert Not Found" with a link back; no view event', async () => {
    const db = claims.services.database.db;
    const viewerB = await client('viewer_b');
    for (const url of [`/portal/alerts/${main.id}/deep-dive/`, '/portal/alerts/999999999/deep-dive/']) {
      const page = await viewerB.get(url);
      expect(page.statusCode).toBe(404);
      expect(page.body).toContain('Alert Not Found');
      expect(page.body).toContain('The requested alert could not be found or you do not have access to it.');
      expect(page.body).toContain('href="/portal/alerts/"');
      expect(page.body).not.toContain('PayerOne');
    }
    const eventsB = await db
      .selectFrom('system_events')
      .selectAll()
      .where('event_type', '=', 'alert_deep_dive_viewed')
      .where('customer_id', '=', customerB)
      .execute();
    expect(eventsB).toEqual([]);
  });
});

describe('portal feedback form', () => {
  it('saves a judgment, moves the status and shows it in the history', async () => {
    const db = claims.services.database.db;
    const analyst = await client('analyst_a');
    const response = await analyst.post(`/portal/alerts/${main.id}/feedback/`, {
      verdict: 'real',
      reason_codes: ['payer_policy_change', 'contract_issue'],
      recovered_amount: '1200',
      recovered_date: '2026-03-19',
      notes: 'Called the payer',
    });
    expect(response.statusCode).toBe(302);
    expect(response.headers.location).toBe(`/portal/alerts/${main.id}/deep-dive/`);
    const alert = await db
      .selectFrom('alert_events')
      .selectAll()
      .where('id', '=', main.id)
      .executeTakeFirstOrThrow();
    expect(alert.status).toBe('acknowledged');
    const deliveries = await db
      .selectFrom('alert_deliveries')
      .select(['channel_type', 'status'])
      .where('alert_event_id', '=', main.id)
      .orderBy('id')
      .execute();
    expect(deliveries.map((d) => d.status)).toEqual(['success', 'cancelled', 'failed', 'skipped']);
    const page = await analyst.get(`/portal/alerts/${main.id}/deep-dive/`);
    expect(page.body).toContain('Feedback saved.');
    expect(page.body).toMatch(/UTC by analyst_a/);
    expect(page.body).toContain('💰 Recovered: $1,200.00 on 2026-03-19');
    expect(page.body).toContain('payer_policy_change');
    expect(page.body).toContain('Called the payer');
    // The form is pre-filled with the analyst's judgment.
    expect(page.body).toContain('value="1200.00"');
    const list = await analyst.get('/portal/alerts/');
    expect(rowOf(list.body, main.id)).toContain('verdict-real');
  });

  it('re-renders the form with field errors (400), refuses viewers (403) and posts without CSRF (403)', async () => {
    const analyst = await client('analyst_a');
    const bad = await analyst.post(`/portal/alerts/${cooldown.id}/feedback/`, {
      verdict: 'real',
      recovered_amount: '12.345',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Ensure that there are no more than 2 decimal places.');
    expect(bad.body).toContain('value="12.345"');
    const missing = await analyst.post(`/portal/alerts/${cooldown.id}/feedback/`, {});
    expect(missing.statusCode).toBe(400);
    expect(missing.body).toContain('This field is required.');
    const viewer = await client('viewer_a');
    expect(
      (await viewer.post(`/portal/alerts/${cooldown.id}/feedback/`, { verdict: 'noise' })).statusCode,
    ).toBe(403);
    expect(
      (await analyst.post(`/portal/alerts/${cooldown.id}/feedback/`, { verdict: 'noise' }, { csrf: false }))
        .statusCode,
    ).toBe(403);
    const alert = await claims.services.database.db
      .selectFrom('alert_events')
      .select('status')
      .where('id', '=', cooldown.id)
      .executeTakeFirstOrThrow();
    expect(alert.status).toBe('sent');
  });

  it('B13: feedback on another customer’s alert → the 404 page, nothing written', async () => {
    const { insertUser } = await import('../../../db/repositories/users.repository.ts');
    const { insertMembership } = await import('../../../db/repositories/memberships.repository.ts');
    const { hashPassword } = await import('../../../domain/accounts/passwords.ts');
    const { PASSWORD } = await import('../../../../test/accounts.ts');
    const db = claims.services.database.db;
    const user = await insertUser(db, {
      username: 'analyst_b2',
      email: 'ab2@example.com',
      passwordHash: await hashPassword(PASSWORD),
    });
    await insertMembership(db, customerB, user.id, 'analyst');
    const analystB = await client('analyst_b2');
    const response = await analystB.post(`/portal/alerts/${noiseMemory.id}/feedback/`, { verdict: 'noise' });
    expect(response.statusCode).toBe(404);
    expect(response.body).toContain('Alert Not Found');
    const judgments = await db
      .selectFrom('operator_judgments')
      .selectAll()
      .where('alert_event_id', '=', noiseMemory.id)
      .execute();
    expect(judgments).toEqual([]);
  });
});

describe('/portal/alerts/ pages', () => {
  it('shows 50 alerts a page; a page past the end shows the last page', async () => {
    const db = claims.services.database.db;
    const run = await insertRun(db, customerB, { asOf: '2024-01-08' });
    const base = Date.parse('2026-03-01T00:00:00Z');
    const created: number[] = [];
    for (let i = 0; i < 53; i++) {
      const f = await insertFinding(db, customerB, run, { as_of: '2024-01-08', cpt_group: `G${i}` });
      created.push((await insertAlert(db, customerB, f, { triggeredAt: new Date(base + i * 60_000) })).id);
    }
    const newestFirst = [...created].reverse();
    const viewer = await client('viewer_b');
    const idsOf = (body: string) =>
      [...body.matchAll(/<tr data-alert-id="(\d+)">/g)].map((m) => Number(m[1]));

    const first = await viewer.get('/portal/alerts/');
    expect(idsOf(first.body)).toEqual(newestFirst.slice(0, 50));
    expect(first.body).toContain('Page 1 of 2');
    const second = await viewer.get('/portal/alerts/?page=2');
    expect(idsOf(second.body)).toEqual(newestFirst.slice(50));
    expect(second.body).toContain('Page 2 of 2');
    const beyond = await viewer.get('/portal/alerts/?page=9');
    expect(beyond.statusCode).toBe(200);
    expect(idsOf(beyond.body)).toEqual(newestFirst.slice(50));
    expect(beyond.body).toContain('Page 2 of 2');
    expect(beyond.body).toContain('href="/portal/alerts/?page=1"');
    // Filters narrow the count the pages are made of.
    const filtered = await viewer.get('/portal/alerts/?status=pending&page=2');
    expect(idsOf(filtered.body)).toEqual(newestFirst.slice(50));
    const none = await viewer.get('/portal/alerts/?status=sent&page=3');
    expect(none.statusCode).toBe(200);
    expect(none.body).toContain('No alerts match these filters.');
  });
});
