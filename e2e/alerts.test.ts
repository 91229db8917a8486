import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertRecord } from '../src/queries/alerts-list.ts';
import { createAccountFixtures, PASSWORD } from '../test/accounts.ts';
import { insertAlert, insertFinding, insertRun } from '../test/alert-fixtures.ts';
import { type BrowserPortal, chromiumAvailable, openBrowserPortal } from '../test/browser.ts';
import { createTestServices, type TestServices } from '../test/services.ts';

/**
 * Issue 12, "browser test: open an alert, mark it noise, see the badge". An analyst opens an
 * alert from the alerts list, sends the deep dive's feedback form with the verdict Noise (the
 * static script posts it to the API with the session and X-CSRF-Token), and then sees the
 * verdict on the deep dive and in the list, and the §11 similar-alert badge on the DriftWatch
 * recent findings for a later finding of the same payer, CPT group and signal.
 */

const available = chromiumAvailable('e2e/alerts.test.ts');

describe.skipIf(!available)('alert triage in a browser', () => {
  let services: TestServices;
  let portal: BrowserPortal;
  let browser: Browser;
  let base: string;
  let alert: AlertRecord;

  beforeAll(async () => {
    services = await createTestServices();
    // "Now" stands still during the test, so the verdict and the dashboard's "today" share a
    // date even at midnight ("0 days ago"); it is the real time, so sessions work as usual.
    const frozen = new Date();
    services.clock = { now: () => new Date(frozen) };
    const fx = await createAccountFixtures(services.database.db);
    const db = services.database.db;
    const customerId = fx.customerA.id;
    // The alerted finding comes from an earlier run; the latest run has the same payer, CPT
    // group and signal again (a new fingerprint), which is what the dashboard lists.
    const earlierRun = await insertRun(db, customerId, { asOf: '2026-02-23' });
    const alerted = await insertFinding(db, customerId, earlierRun, { as_of: '2026-02-23' });
    alert = await insertAlert(db, customerId, alerted, {
      status: 'sent',
      triggeredAt: new Date('2026-02-23T06:00:00Z'),
      notificationSentAt: new Date('2026-02-23T06:00:01Z'),
    });
    const latestRun = await insertRun(db, customerId, { asOf: '2026-03-02' });
    await insertFinding(db, customerId, latestRun, { as_of: '2026-03-02' });
    portal = await openBrowserPortal(services);
    ({ browser, base } = portal);
  }, 60_000);

  afterAll(async () => {
    await portal?.close();
    await services?.dispose();
  });

  async function login(page: Page, username: string): Promise<void> {
    await page.goto(`${base}/portal/login/`);
    await page.getByLabel('Username or email').fill(username);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Login' }).click();
    await page.waitForURL(`${base}/portal/axis/`);
  }

  it('an analyst opens an alert, marks it noise and sees the verdict and the similar-alert badge', async () => {
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    // Script exceptions and failed requests of the page (the browser's own favicon probe is
    // not a page request: the app serves no favicon).
    page.on('response', (response) => {
      if (response.status() >= 400) pageErrors.push(`${response.status()} ${response.url()}`);
    });
    await login(page, 'analyst_a');

    // The list: the alert is open, without a verdict.
    await page.goto(`${base}/portal/alerts/`);
    const row = page.locator(`tr[data-alert-id="${alert.id}"]`);
    expect(await row.locator('.alert-status').textContent()).toBe('Sent');
    expect(await row.locator('.badge.verdict').count()).toBe(0);

    // Open its deep dive from the list.
    await row.getByRole('link', { name: `#${alert.id}` }).click();
    await page.waitForURL(`${base}/portal/alerts/${alert.id}/deep-dive/`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Alert Deep Dive');
    expect(await page.locator('#status').textContent()).toContain('No verdict yet');

    // Mark it noise: the script posts JSON to the API and reloads the page.
    const form = page.locator('#feedback-form');
    await form.getByLabel('Noise').check();
    await form.getByLabel('Notes').fill('Known payer batch; nothing changed for us.');
    const [feedback] = await Promise.all([
      page.waitForResponse(
        (response) =>
          response.url() === `${base}/api/v1/alerts/${alert.id}/feedback/` &&
          response.request().method() === 'POST',
      ),
      form.getByRole('button', { name: 'Save feedback' }).click(),
    ]);
    expect(feedback.status()).toBe(201);
    expect(feedback.request().headers()['x-csrf-token']).toBeTruthy();
    // The badge exists only on the reloaded page.
    await page.locator('#status .badge.verdict-noise').waitFor();

    // The deep dive after the reload: verdict badge, status, and the judgment in the history.
    expect(await page.locator('#status .badge.verdict-noise').textContent()).toBe('Noise');
    expect(await page.locator('#status .alert-status').textContent()).toBe('Resolved');
    expect(await page.textContent('body')).toContain('Known payer batch; nothing changed for us.');
    expect(await form.getByLabel('Noise').isChecked()).toBe(true);

    // The list shows the verdict too.
    await page.goto(`${base}/portal/alerts/`);
    expect(await row.locator('.badge.verdict-noise').textContent()).toBe('Noise');
    expect(await row.locator('.alert-status').textContent()).toBe('Resolved');

    // The DriftWatch recent findings: the later finding of the same payer/group/signal.
    await page.goto(`${base}/portal/products/driftwatch/`);
    const badge = page.locator('.similar-badge');
    expect(await badge.count()).toBe(1);
    expect(await badge.textContent()).toBe('Similar alert marked as noise 0 days ago');
    expect(await badge.isVisible()).toBe(true);

    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it('the feedback form also works without JavaScript', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await login(page, 'admin_a');
    await page.goto(`${base}/portal/alerts/${alert.id}/deep-dive/`);
    const form = page.locator('#feedback-form');
    await form.getByLabel('Real').check();
    await Promise.all([
      page.waitForURL(`${base}/portal/alerts/${alert.id}/deep-dive/`),
      form.getByRole('button', { name: 'Save feedback' }).click(),
    ]);
    expect(await page.textContent('.flashes')).toContain('Feedback saved.');
    // The newest verdict on the alert decides its status.
    expect(await page.locator('#status .badge.verdict').textContent()).toBe('Real');
    expect(await page.locator('#status .alert-status').textContent()).toBe('Acknowledged');
    await context.close();
  });
});
