import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAnalysis } from '../src/commands/run-analysis.ts';
import { listFindings } from '../src/db/repositories/findings.repository.ts';
import { createAccountFixtures, PASSWORD } from '../test/accounts.ts';
import { a1Claims, a12Claims, a16Claims, writeClaims } from '../test/analytics.ts';
import {
  type BrowserPortal,
  chromiumAvailable,
  collectCspErrors,
  openBrowserPortal,
} from '../test/browser.ts';
import { createTestServices, type TestServices } from '../test/services.ts';

const available = chromiumAvailable('e2e/dashboards.test.ts');

const T = '2026-03-02';

describe.skipIf(!available)('product dashboards in a browser', () => {
  let services: TestServices;
  let portal: BrowserPortal;
  let browser: Browser;
  let base: string;
  let findingId: number;

  beforeAll(async () => {
    services = await createTestServices();
    const fx = await createAccountFixtures(services.database.db);
    const db = services.database.db;
    await writeClaims(db, fx.customerA.id, [...a1Claims(T), ...a12Claims(T), ...a16Claims(T)]);
    for (const product of ['driftwatch', 'denialscope', 'delayguard'] as const)
      await runAnalysis({ db }, { customerId: fx.customerA.id, product, asOf: T, runType: 'manual' });
    findingId = (await listFindings(db, fx.customerA.id, { products: ['driftwatch'] }))[0]!.id;
    portal = await openBrowserPortal(services);
    ({ browser, base } = portal);
  }, 60_000);

  afterAll(async () => {
    await portal?.close();
    await services?.dispose();
  });

  it('opens each dashboard, the finding detail, the drift feed and reports after login', async () => {
    const page = await browser.newPage();
    const cspErrors = collectCspErrors(page);
    await page.goto(`${base}/portal/login/`);
    await page.getByLabel('Username or email').fill('owner_a');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Login' }).click();
    await page.waitForURL(`${base}/portal/axis/`);
    expect(await page.locator('.tiles').textContent()).toContain(`Latest run: ${T}`);

    const pages: Array<[string, string, string]> = [
      ['/portal/products/driftwatch/', 'DriftWatch', 'Weekly denial rate by payer'],
      ['/portal/products/denialscope/', 'DenialScope', 'Total Denials'],
      ['/portal/products/delayguard/', '⏰ DelayGuard', 'Active Delay Signals'],
      [`/portal/findings/${findingId}/`, 'DriftWatch: Denial rate', 'What This Means'],
      ['/portal/drift-feed/', 'Drift Feed', 'UnitedHealthcare'],
      ['/portal/reports/', 'Reports', 'Run analysis now'],
    ];
    for (const [path, heading, text] of pages) {
      const response = await page.goto(`${base}${path}`);
      expect(response?.status()).toBe(200);
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(heading);
      expect(await page.textContent('body')).toContain(text);
    }
    // Charts are server-rendered, accessible SVGs.
    await page.goto(`${base}/portal/products/driftwatch/`);
    const chart = page.getByRole('img', { name: /Weekly denial rate/ });
    expect(await chart.count()).toBe(1);
    expect(await chart.isVisible()).toBe(true);
    // Issue 9: how far the analysis reaches, and the emerging list beside the findings.
    expect(await page.locator('.notice.coverage').textContent()).toContain(
      'Analysed through 2026-03-01: your latest claims are from then.',
    );
    expect(await page.getByRole('heading', { name: /Emerging/ }).isVisible()).toBe(true);

    // Run analysis now from the reports page.
    await page.goto(`${base}/portal/reports/`);
    await page.getByRole('button', { name: 'Run analysis now' }).click();
    await page.waitForURL(`${base}/portal/reports/`);
    expect(await page.textContent('.flashes')).toMatch(
      /Analysis started for .*This page updates when it finishes\./,
    );
    expect(cspErrors).toEqual([]);
    await page.close();
  });
});
