import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BrowserPortal,
  chromiumAvailable,
  collectCspErrors,
  openBrowserPortal,
} from '../test/browser.ts';
import { createTestServices, type TestServices } from '../test/services.ts';

const available = chromiumAvailable('e2e/api-docs.test.ts');

/** The interactive API docs (web-api-ops §4.8) render from local files under the page CSP. */
describe.skipIf(!available)('API docs in a browser', () => {
  let services: TestServices;
  let portal: BrowserPortal;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    services = await createTestServices();
    portal = await openBrowserPortal(services);
    ({ browser, base } = portal);
  });

  afterAll(async () => {
    await portal?.close();
    await services?.dispose();
  });

  it('shows the Payrixa API with its operations, loading nothing from another host', async () => {
    const page = await browser.newPage();
    const cspErrors = collectCspErrors(page);
    const foreign: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(base) && !request.url().startsWith('data:')) foreign.push(request.url());
    });
    await page.goto(`${base}/api/v1/docs/`);
    await page.locator('.swagger-ui .info .title').waitFor();
    expect(await page.locator('.swagger-ui .info .title').textContent()).toContain('Payrixa API');
    await page.locator('.opblock-summary-path', { hasText: '/api/v1/payer-mappings/' }).first().waitFor();
    expect(foreign).toEqual([]);
    expect(cspErrors).toEqual([]);
    await page.close();
  });
});
