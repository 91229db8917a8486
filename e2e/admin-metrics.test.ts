import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccountFixtures, loggedInClient, PASSWORD } from '../test/accounts.ts';
import {
  type BrowserPortal,
  chromiumAvailable,
  collectCspErrors,
  openBrowserPortal,
} from '../test/browser.ts';
import { createTestServices, type TestServices } from '../test/services.ts';

const available = chromiumAvailable('e2e/admin-metrics.test.ts');

/**
 * The metrics dashboard's 30 s refresh in a real browser (CSP `script-src 'self'`): the page's
 * clock is driven by the test, so "30 s later" needs no waiting.
 */
describe.skipIf(!available)('metrics dashboard refresh in a browser', () => {
  let services: TestServices;
  let portal: BrowserPortal;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    services = await createTestServices({ env: { PORTAL_RATE_LIMIT: '100000/minute' } });
    await createAccountFixtures(services.database.db);
    portal = await openBrowserPortal(services);
    ({ browser, base } = portal);
  });

  afterAll(async () => {
    await portal?.close();
    await services?.dispose();
  });

  it('refreshes cards and tables in place from the data feed, and shows a failed refresh', async () => {
    const page = await browser.newPage();
    const cspErrors = collectCspErrors(page);
    const feedHeaders: Array<Record<string, string>> = [];
    page.on('request', (request) => {
      if (request.url().endsWith('/portal/admin/metrics/data/')) feedHeaders.push(request.headers());
    });
    await page.clock.install();
    await page.goto(`${base}/portal/admin/metrics/`);
    await page.getByLabel('Username or email').fill('operator1');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Login' }).click();
    await page.waitForURL(`${base}/portal/admin/metrics/`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('📊 Metrics Dashboard');
    await page.evaluate(`window.payrixaMarker = 'same document'`);
    const recent = page.locator('table[data-feed="recent_requests"] tbody');
    expect(await recent.textContent()).not.toContain('/portal/insights/');

    // Someone else uses the portal meanwhile.
    const member = await loggedInClient(portal.app, 'viewer_b');
    expect((await member.get('/portal/insights/')).statusCode).toBe(200);

    await page.clock.runFor(30_000);
    await recent.getByText('/portal/insights/').waitFor();
    expect(await recent.textContent()).toContain('viewer_b');
    expect(await page.evaluate('window.payrixaMarker')).toBe('same document');
    expect(feedHeaders.length).toBeGreaterThan(0);
    expect(feedHeaders[0]?.['x-payrixa-background']).toBe('1');
    expect(await page.locator('#metrics-error').isHidden()).toBe(true);

    // A failing feed: the message shows and the last values stay.
    await page.route('**/portal/admin/metrics/data/', (route) =>
      route.fulfill({ status: 503, body: 'down' }),
    );
    await page.clock.runFor(30_000);
    await page.locator('#metrics-error').waitFor({ state: 'visible' });
    expect(await page.locator('#metrics-error').textContent()).toBe(
      '⚠️ Error loading metrics: server answered 503',
    );
    expect(await recent.textContent()).toContain('/portal/insights/');
    expect(await page.getByText('Average Response Time').count()).toBe(1);
    expect(cspErrors).toEqual([]);
    await page.close();
  });
});
