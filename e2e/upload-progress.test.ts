import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../src/cli/serve.ts';
import { silentLogger } from '../src/obs/logger.ts';
import { createAccountFixtures, PASSWORD } from '../test/accounts.ts';
import { chromiumAvailable, collectCspErrors, launchChromium } from '../test/browser.ts';
import { testConfig } from '../test/config.ts';

const available = chromiumAvailable('e2e/upload-progress.test.ts');

/** A valid claims file of `rows` distinct claims. */
function claimsFile(rows: number): Buffer {
  const lines = ['claim_id,payer,cpt,submitted_date,decided_date,outcome,allowed_amount,paid_amount'];
  for (let i = 0; i < rows; i++) {
    const day = String(1 + (i % 28)).padStart(2, '0');
    lines.push(`P-${i},PayerOne,99213,2025-05-${day},2025-06-${day},PAID,100.00,80.00`);
  }
  return Buffer.from(`${lines.join('\n')}\n`, 'utf8');
}

/**
 * The product as a user meets it: `serve` on the embedded default (database thread, job
 * threads). A large upload answers at once, its page shows the bar moving, then the quality
 * report replaces it — without a reload.
 */
describe.skipIf(!available)('upload progress in a browser (serve, embedded default)', () => {
  let server: RunningServer;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    const config = testConfig({
      BIND: '127.0.0.1:0',
      UPLOAD_MAX_MB: '50',
      PORTAL_RATE_LIMIT: '100000/minute',
      API_USER_RATE_LIMIT: '100000/minute',
      WORKER_CONCURRENCY: '1',
    });
    server = await startServer(config, silentLogger());
    await createAccountFixtures(server.services.database.db);
    base = server.url;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop(3_000);
  });

  it('shows the progress bar moving, then the quality report in place', async () => {
    const page = await browser.newPage();
    const cspErrors = collectCspErrors(page);
    await page.goto(`${base}/portal/uploads/`);
    await page.getByLabel('Username or email').fill('analyst_a');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Login' }).click();
    await page.waitForURL(`${base}/portal/uploads/`);

    await page.getByLabel('Claims file').setInputFiles({
      name: 'large.csv',
      mimeType: 'text/csv',
      buffer: claimsFile(60_000),
    });
    await page.getByRole('button', { name: 'Upload File' }).click();
    await page.waitForURL(/\/portal\/uploads\/\d+\/$/);
    expect(await page.locator('#upload-progress').count()).toBe(1);
    // Mark this document and record every value the bar takes from now on.
    // (Scripts as text: the test project compiles without the DOM library.)
    await page.evaluate(`(() => {
      window.payrixaMarker = 'same document';
      window.barValues = [];
      const bar = document.getElementById('upload-progress-bar');
      if (!bar) return;
      window.barValues.push(bar.value);
      new MutationObserver(() => window.barValues.push(bar.value)).observe(bar, {
        attributes: true, childList: true, characterData: true, subtree: true,
      });
    })()`);

    await page.getByRole('heading', { name: 'Quality report' }).waitFor({ timeout: 110_000 });
    const state = (await page.evaluate(
      '({ marker: window.payrixaMarker ?? null, values: window.barValues ?? [] })',
    )) as { marker: string | null; values: number[] };
    // No reload: the document that watched the bar is the one showing the report.
    expect(state.marker).toBe('same document');
    // The bar moved through values between empty and full, never backwards.
    expect(state.values.some((value) => value > 0 && value < 100)).toBe(true);
    expect(state.values.every((value, i) => i === 0 || value >= (state.values[i - 1] as number))).toBe(true);
    const body = (await page.textContent('body')) ?? '';
    expect(body).toContain('Successfully uploaded large.csv with 60000 records');
    expect(await page.locator('#upload-status').textContent()).toBe('Success');
    expect(body).not.toContain('Processing has started');
    expect(await page.locator('#upload-progress').count()).toBe(0);
    expect(cspErrors).toEqual([]);
    await page.close();
  });
});
