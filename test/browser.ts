import { existsSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { type Browser, chromium, type Page } from 'playwright-core';
import { buildApp } from '../src/http/app.ts';
import type { Services } from '../src/services.ts';

/** Debian's chromium; browser tests skip (with a message) where it is not installed. */
export const CHROMIUM = '/usr/bin/chromium';

/** True when chromium is installed; otherwise warns once for `file` and returns false. */
export function chromiumAvailable(file: string): boolean {
  const available = existsSync(CHROMIUM);
  if (!available) console.warn(`${file} skipped: ${CHROMIUM} is not installed (apt-get install chromium).`);
  return available;
}

/** Headless Debian chromium with the flags this closed network needs. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** The app on a loopback port with a browser to drive it (e2e tests). */
export interface BrowserPortal {
  app: FastifyInstance;
  /** `http://127.0.0.1:<port>` — never `localhost`, which chromium may resolve to ::1. */
  base: string;
  browser: Browser;
  /** Closes the browser, then the app; the caller disposes of its services. */
  close(): Promise<void>;
}

export async function openBrowserPortal(services: Services): Promise<BrowserPortal> {
  const app = await buildApp(services);
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  const browser = await launchChromium();
  return {
    app,
    base: address.replace('localhost', '127.0.0.1'),
    browser,
    async close() {
      await browser.close();
      await app.close();
    },
  };
}

/** Collects the page's Content-Security-Policy console errors (pages must raise none). */
export function collectCspErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy/i.test(message.text()))
      errors.push(message.text());
  });
  return errors;
}
