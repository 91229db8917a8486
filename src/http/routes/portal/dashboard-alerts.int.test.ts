import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AccountFixtures,
  createAccountFixtures,
  loggedInClient,
  type PortalClient,
} from '../../../../test/accounts.ts';
import { insertAlert, insertFinding, insertJudgmentRow, insertRun } from '../../../../test/alert-fixtures.ts';
import { a12Claims, a16Claims, writeClaims } from '../../../../test/analytics.ts';
import { createTestServices, type TestServices } from '../../../../test/services.ts';
import { runAnalysis } from '../../../commands/run-analysis.ts';
import type { FindingRecord } from '../../../db/repositories/findings.repository.ts';
import { listFindings } from '../../../db/repositories/findings.repository.ts';
import { addDays } from '../../../domain/analytics/index.ts';
import type { ClaimLine } from '../../../domain/analytics/rollup-fixtures.ts';
import type { AlertRecord } from '../../../queries/alerts-list.ts';
import { buildApp } from '../../app.ts';

/**
 * Issue 12 item 7: the alert parts of the Axis hub and the DenialScope dashboard (recent alerts,
 * open alerts, recovery ledger, similar-alert badges; alerts-reports §11) and the deep dive's
 * trend chart of DenialScope and DelayGuard alerts (§12 section 5). Customer A's claims are the
 * spec's A12 (Blue Cross Blue Shield CO-197 denials spike) and A16 (FastPay Insurance slows
 * down) examples, analysed for real on T; alerts and judgments are inserted directly.
 */

const T = '2026-03-02';
const NOW = new Date('2026-03-20T12:00:00Z');

let services: TestServices;
let app: FastifyInstance;
let fx: AccountFixtures;
let denialFinding: FindingRecord;
let denialAlert: AlertRecord;
let judgedAlert: AlertRecord;
let delayAlert: AlertRecord;
let suppressedAlert: AlertRecord;
let foreignAlert: AlertRecord;

/** A copy of a finding for another run (same product, signal, payer and subkey: "similar"). */
function similarTo(finding: FindingRecord, asOf: string): Partial<FindingRecord> {
  const { id: _id, customer_id: _c, run_id: _r, fingerprint: _f, ...rest } = finding;
  return { ...rest, as_of: asOf };
}

beforeAll(async () => {
  services = await createTestServices({
    env: { PORTAL_RATE_LIMIT: '10000/minute', EMAIL_BACKEND: 'memory' },
  });
  services.clock = { now: () => new Date(NOW) };
  app = await buildApp(services);
  fx = await createAccountFixtures(services.database.db);
  const db = services.database.db;
  const a = fx.customerA.id;
  // Beside A12's CO-197 denials: one of another reason (A) and one of another customer (B), both
  // in the finding's current window — the DenialScope deep-dive chart counts neither.
  const stray = (allowed: string, reason: string): ClaimLine => ({
    payer: 'Blue Cross Blue Shield',
    cpt_group: 'E&M',
    submitted_date: addDays(T, -5),
    decided_date: addDays(T, -2),
    outcome: 'DENIED',
    allowed_amount: allowed,
    denial_reason_code: reason,
  });
  await writeClaims(db, a, [...a12Claims(T), ...a16Claims(T), stray('777.00', 'CO-16')]);
  await writeClaims(db, fx.customerB.id, [stray('500.00', 'CO-197')]);
  for (const product of ['denialscope', 'delayguard'] as const) {
    await runAnalysis({ db }, { customerId: a, product, asOf: T, runType: 'manual' });
  }
  const denials = await listFindings(db, a, { products: ['denialscope'] });
  denialFinding =
    denials.find((f) => f.signal_type === 'denial_dollars_spike' && f.denial_reason === 'CO-197') ??
    (denials[0] as FindingRecord);
  const [delayFinding] = await listFindings(db, a, { products: ['delayguard'] });
  if (!delayFinding) throw new Error('A16 produced no DelayGuard finding');

  denialAlert = await insertAlert(db, a, denialFinding, {
    status: 'sent',
    triggeredAt: new Date('2026-03-18T06:00:00Z'),
  });
  delayAlert = await insertAlert(db, a, delayFinding, {
    status: 'sent',
    triggeredAt: new Date('2026-03-19T06:00:00Z'),
  });
  // The same DenialScope signal a week earlier, confirmed real with $1,234.56 recovered: the
  // ledger's figures and the similar-alert badge of this week's finding.
  const earlierRun = await insertRun(db, a, { product: 'denialscope', asOf: '2026-02-23' });
  const earlier = await insertFinding(db, a, earlierRun, similarTo(denialFinding, '2026-02-23'));
  judgedAlert = await insertAlert(db, a, earlier, {
    status: 'acknowledged',
    triggeredAt: new Date('2026-03-10T06:00:00Z'),
  });
  await insertJudgmentRow(db, a, judgedAlert.id, {
    operatorId: fx.users['analyst_a'] as number,
    verdict: 'real',
    verdictAt: new Date('2026-03-14T09:00:00Z'),
    recoveredAmount: '1234.56',
    recoveredDate: '2026-03-05',
  });
  // The newest alert of all, held back by the cooldown: never on the Axis's recent alerts.
  const olderRun = await insertRun(db, a, { product: 'denialscope', asOf: '2026-02-16' });
  const older = await insertFinding(db, a, olderRun, similarTo(denialFinding, '2026-02-16'));
  suppressedAlert = await insertAlert(db, a, older, {
    status: 'sent',
    suppressed: true,
    suppressionReason: 'cooldown',
    triggeredAt: new Date('2026-03-20T06:00:00Z'),
  });

  // Customer B: an alert of its own, judged real with a recovery.
  const b = fx.customerB.id;
  const runB = await insertRun(db, b, { product: 'denialscope', asOf: T });
  const findingB = await insertFinding(db, b, runB, {
    ...similarTo(denialFinding, T),
    payer: 'Secret Payer B',
  });
  foreignAlert = await insertAlert(db, b, findingB, {
    status: 'acknowledged',
    triggeredAt: new Date('2026-03-19T07:00:00Z'),
  });
  await insertJudgmentRow(db, b, foreignAlert.id, {
    operatorId: fx.users['viewer_b'] as number,
    operatorUsername: 'viewer_b',
    verdict: 'real',
    verdictAt: new Date('2026-03-15T09:00:00Z'),
    recoveredAmount: '999.99',
    recoveredDate: '2026-03-15',
  });
}, 120_000);

afterAll(async () => {
  await app?.close();
  await services?.dispose();
});

const client = (username: string): Promise<PortalClient> => loggedInClient(app, username);

function section(body: string, pattern: RegExp): string {
  return pattern.exec(body)?.[0] ?? '';
}

const ALERTS_CARD = /<div class="card recovery-card" id="alerts-card">[\s\S]*?<\/ul>/;
const RECENT_ALERTS = /<div class="card" id="recent-alerts">[\s\S]*?<\/table>/;

function alertRow(body: string, id: number): string {
  return section(body, new RegExp(`<tr data-alert-id="${id}">[\\s\\S]*?</tr>`));
}

describe('Axis: recent alerts, open alerts and the recovery ledger', () => {
  it('lists the newest raised alerts with badges and deep-dive links, and the ledger figures', async () => {
    const page = await (await client('viewer_a')).get('/portal/axis/');
    expect(page.statusCode).toBe(200);
    const recent = section(page.body, RECENT_ALERTS);
    const ids = [...recent.matchAll(/<tr data-alert-id="(\d+)">/g)].map((m) => Number(m[1]));
    expect(ids).toEqual([delayAlert.id, denialAlert.id, judgedAlert.id]);
    const judged = alertRow(recent, judgedAlert.id);
    expect(judged).toContain(`href="/portal/alerts/${judgedAlert.id}/deep-dive/"`);
    expect(judged).toContain('DenialScope');
    expect(judged).toContain('Blue Cross Blue Shield');
    expect(judged).toContain('2026-03-10 06:00');
    expect(judged).toMatch(/<span class="badge sev sev-\w+">\w+ \(\d+%\)<\/span>/);
    expect(judged).toContain(
      '<span class="badge alert-status alert-status-acknowledged">Acknowledged</span>',
    );
    expect(judged).toContain('<span class="badge verdict verdict-real">Real</span>');
    const delay = alertRow(recent, delayAlert.id);
    expect(delay).toContain('DelayGuard');
    expect(delay).toContain('FastPay Insurance');
    expect(delay).toContain('Sent');
    expect(delay).toMatch(/<td>-<\/td>\s*<\/tr>/); // no verdict yet

    const card = section(page.body, ALERTS_CARD);
    // Open: the two sent alerts and the suppressed one (sent status); the acknowledged one is not.
    expect(card).toContain('Open alerts');
    expect(card).toContain('<a href="/portal/alerts/">3</a>');
    expect(card).toContain('$1,234.56');
    expect(card).toContain('1 alert(s) resolved');
    expect(card).toMatch(/Last 30 days<\/p><p class="metric">\$1,234\.56/);
    expect(card).toMatch(/All time<\/p><p class="metric">\$1,234\.56/);
    expect(card).toContain(
      `<a href="/portal/alerts/${judgedAlert.id}/deep-dive/">$1,234.56</a> · Blue Cross Blue Shield · DenialScope · 2026-03-05`,
    );
  });

  it('leaves suppressed alerts out of the recent alerts', async () => {
    const viewer = await client('viewer_a');
    const page = await viewer.get('/portal/axis/');
    const recent = section(page.body, RECENT_ALERTS);
    expect(recent).toContain('🔔 Recent alerts');
    expect(recent).not.toContain(`data-alert-id="${suppressedAlert.id}"`);
    // The alerts list still shows it, with its badge.
    const list = await viewer.get('/portal/alerts/');
    expect(alertRow(list.body, suppressedAlert.id)).toContain('Suppressed (cooldown)');
  });

  it('never shows another customer’s alerts or recoveries', async () => {
    const pageA = await (await client('viewer_a')).get('/portal/axis/');
    expect(pageA.body).not.toContain(`data-alert-id="${foreignAlert.id}"`);
    expect(pageA.body).not.toContain('Secret Payer B');
    expect(pageA.body).not.toContain('$999.99');
    const pageB = await (await client('viewer_b')).get('/portal/axis/');
    expect(pageB.statusCode).toBe(200);
    const recentB = section(pageB.body, RECENT_ALERTS);
    expect([...recentB.matchAll(/<tr data-alert-id="(\d+)">/g)].map((m) => Number(m[1]))).toEqual([
      foreignAlert.id,
    ]);
    const cardB = section(pageB.body, ALERTS_CARD);
    expect(cardB).toContain('<a href="/portal/alerts/">0</a>');
    expect(cardB).toContain('$999.99');
    expect(pageB.body).not.toContain('$1,234.56');
    expect(pageB.body).not.toContain('FastPay Insurance');
  });

  it('staff without an acting customer see the customer table, no alerts', async () => {
    const page = await (await client('operator1')).get('/portal/axis/');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Act as');
    expect(page.body).not.toContain('id="recent-alerts"');
    expect(page.body).not.toContain('id="alerts-card"');
  });
});

describe('DenialScope: alerts card and similar-alert badges', () => {
  it('shows the open alerts and the ledger, and the badge on the similar signal', async () => {
    const page = await (await client('viewer_a')).get('/portal/products/denialscope/');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Recent signals');
    const card = section(page.body, ALERTS_CARD);
    expect(card).toContain('<a href="/portal/alerts/">3</a>');
    expect(card).toContain('$1,234.56');
    expect(card).toContain('1 alert(s) resolved');
    // This week's finding: the earlier one was confirmed real on 2026-03-14 (6 days before NOW).
    const signal = section(
      page.body,
      new RegExp(
        `<li class="signal">(?:(?!</li>)[\\s\\S])*?/portal/findings/${denialFinding.id}/[\\s\\S]*?</li>`,
      ),
    );
    expect(signal).toContain(
      '<span class="badge similar-badge similar-confirmed">Similar alert confirmed real 6 days ago ($1,234.56 recovered)</span>',
    );
  });

  it('never shows another customer’s ledger', async () => {
    const pageA = await (await client('viewer_a')).get('/portal/products/denialscope/');
    expect(pageA.body).not.toContain('$999.99');
    expect(pageA.body).not.toContain('Secret Payer B');
    const pageB = await (await client('viewer_b')).get('/portal/products/denialscope/');
    expect(pageB.statusCode).toBe(200);
    expect(section(pageB.body, ALERTS_CARD)).toContain('$999.99');
    expect(pageB.body).not.toContain('$1,234.56');
  });

  it('DriftWatch and DelayGuard show the ledger in their "Recovered this month" card', async () => {
    const viewer = await client('viewer_a');
    for (const product of ['driftwatch', 'delayguard']) {
      const page = await viewer.get(`/portal/products/${product}/`);
      expect(page.statusCode).toBe(200);
      expect(page.body).toMatch(
        /<h2>Recovered this month<\/h2><p class="stat-value">\$1,234\.56<\/p><p class="muted">1 alert\(s\) resolved<\/p>/,
      );
    }
  });
});

describe('deep dive trend chart of DenialScope and DelayGuard alerts', () => {
  it('a DenialScope alert charts the weekly denied dollars of its payer and reason', async () => {
    const page = await (await client('viewer_a')).get(`/portal/alerts/${denialAlert.id}/deep-dive/`);
    expect(page.statusCode).toBe(200);
    const trend = section(page.body, /<div class="card" id="trend">[\s\S]*?<\/figure>/);
    expect(trend).toContain('id="chart-alert-denials"');
    expect(trend).toContain('Weekly denied dollars — Blue Cross Blue Shield · CO-197');
    expect(trend).toContain('chart-marker');
    expect(trend).toContain('chart-baseline');
    // A12: 5 CO-197 denials a day at $150.00 in the last 7 days, 1 a day before.
    expect(trend).toMatch(/<td>2026-02-23 – 2026-03-01<\/td><td>35<\/td><td>\$5,250\.00<\/td>/);
    expect(trend).toMatch(/<td>2026-02-16 – 2026-02-22<\/td><td>7<\/td><td>\$1,050\.00<\/td>/);
    expect(trend).not.toContain('No trend chart');
    expect(page.body).not.toMatch(/style="/);
  });

  it('a DelayGuard alert charts the weekly days to payment of its payer', async () => {
    const page = await (await client('viewer_a')).get(`/portal/alerts/${delayAlert.id}/deep-dive/`);
    expect(page.statusCode).toBe(200);
    const trend = section(page.body, /<div class="card" id="trend">[\s\S]*?<\/figure>/);
    expect(trend).toContain('id="chart-days-to-pay"');
    expect(trend).toContain('Weekly average days to payment — FastPay Insurance');
    expect(trend).toContain('chart-marker');
    expect(trend).toContain('chart-baseline');
  });

  it('another customer’s alert stays "Alert Not Found"', async () => {
    const page = await (await client('viewer_a')).get(`/portal/alerts/${foreignAlert.id}/deep-dive/`);
    expect(page.statusCode).toBe(404);
    expect(page.body).toContain('Alert Not Found');
    expect(page.body).not.toContain('chart-alert-denials');
  });
});
