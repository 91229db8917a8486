import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccountFixtures, PASSWORD } from '../test/accounts.ts';
import {
  type BrowserPortal,
  chromiumAvailable,
  collectCspErrors,
  openBrowserPortal,
} from '../test/browser.ts';
import { A1_MIXED_CSV } from '../test/multipart.ts';
import { createTestServices, type TestServices } from '../test/services.ts';

const available = chromiumAvailable('e2e/upload.test.ts');

describe.skipIf(!available)('portal upload in a browser', () => {
  let services: TestServices;
  let portal: BrowserPortal;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    services = await createTestServices();
    await createAccountFixtures(services.database.db);
    // The ingest worker starts only after the upload, so the detail page's poller is exercised.
    portal = await openBrowserPortal(services);
    ({ browser, base } = portal);
  });

  afterAll(async () => {
    await portal?.close();
    await services?.dispose();
  });

  it('an analyst uploads a CSV and sees the quality report', async () => {
    const page = await browser.newPage();
    const cspErrors = collectCspErrors(page);
    await page.goto(`${base}/portal/uploads/`);
    await page.getByLabel('Username or email').fill('analyst_a');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Login' }).click();
    await page.waitForURL(`${base}/portal/uploads/`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Uploads');
    expect(await page.textContent('body')).toContain('No uploads yet');

    await page.getByLabel('Claims file').setInputFiles({
      name: 'test_quality.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(A1_MIXED_CSV, 'utf8'),
    });
    await page.getByRole('button', { name: 'Upload File' }).click();
    await page.waitForURL(/\/portal\/uploads\/\d+\/$/);
    expect(await page.textContent('body')).not.toContain('Processing has started');
    expect(await page.locator('#upload-status').textContent()).toBe('Queued');
    expect(await page.locator('#upload-phase').textContent()).toBe('Waiting to start');
    expect(await page.locator('#upload-progress').count()).toBe(1);
    await services.startJobs({ queues: ['ingest'], scheduler: false });
    // The progress poller swaps the result in once processing has finished.
    await page.getByRole('heading', { name: 'Quality report' }).waitFor({ timeout: 60_000 });
    const body = (await page.textContent('body')) ?? '';
    expect(body).toContain('Uploaded test_quality.csv: 5 of 10 rows accepted (50.0%).');
    expect(body).toContain('PHI detected: 2 rows (patient-like names or identifiers)');
    await page.getByText('Show rejected row details (5 rows)').click();
    expect(await page.locator('.rejection-list').textContent()).toContain(
      'Row 10: Missing required field: cpt',
    );
    expect(cspErrors).toEqual([]);
    await page.close();
  });
});
