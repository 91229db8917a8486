import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccountFixtures, PASSWORD } from '../test/accounts.ts';
import {
  type BrowserPortal,
  chromiumAvailable,
  collectCspErrors,
  openBrowserPortal,
} from '../test/browser.ts';
import { createTestServices, type TestServices } from '../test/services.ts';

const available = chromiumAvailable('e2e/login.test.ts');

describe.skipIf(!available)('portal login in a browser', () => {
  let services: TestServices;
  let portal: BrowserPortal;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    services = await createTestServices();
    await createAccountFixtures(services.database.db);
    portal = await openBrowserPortal(services);
    ({ browser, base } = portal);
  });

  afterAll(async () => {
    await portal?.close();
    await services?.dispose();
  });

  it('logs in, sees Axis, logs out', async () => {
    const page = await browser.newPage();
    const cspErrors = collectCspErrors(page);
    await page.goto(`${base}/portal/axis/`);
    expect(new URL(page.url()).pathname).toBe('/portal/login/');
    expect(await page.title()).toBe('Payrixa - Login');
    await page.getByLabel('Username or email').fill('owner_a');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Login' }).click();
    await page.waitForURL(`${base}/portal/axis/`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Axis');
    expect(await page.locator('.tiles').textContent()).toContain('DriftWatch');
    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === 'payrixa_session');
    expect(session?.httpOnly).toBe(true);
    expect(session?.sameSite).toBe('Lax');
    await page.getByRole('button', { name: 'Logout' }).click();
    await page.waitForURL(`${base}/portal/logged-out/`);
    expect(await page.textContent('body')).toContain('owner_a was logged out from A');
    await page.goto(`${base}/portal/axis/`);
    expect(new URL(page.url()).pathname).toBe('/portal/login/');
    expect(cspErrors).toEqual([]);
    await page.close();
  });

  it('shows the error for a wrong password', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/portal/login/`);
    await page.getByLabel('Username or email').fill('owner_a');
    await page.getByLabel('Password').fill('definitely-wrong-1');
    await page.getByRole('button', { name: 'Login' }).click();
    await page.waitForLoadState();
    expect(await page.getByRole('alert').textContent()).toContain('Invalid username or password');
    expect(new URL(page.url()).pathname).toBe('/portal/login/');
    await page.close();
  });
});
