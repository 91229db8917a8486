import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

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
