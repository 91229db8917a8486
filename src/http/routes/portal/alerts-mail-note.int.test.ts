import { afterEach, describe, expect, it } from 'vitest';
import { createAccountFixtures, loggedInClient } from '../../../../test/accounts.ts';
import { createTestServices, type TestServices } from '../../../../test/services.ts';
import { buildApp } from '../../app.ts';

/**
 * Issue 12 item 8: the alerts list tells owners and admins where email goes when this
 * (non-production) installation does not send it; other roles and SMTP set-ups see nothing.
 */

let services: TestServices | null = null;
afterEach(async () => {
  await services?.dispose();
  services = null;
});

async function alertsPage(env: Record<string, string>, usernames: string[]): Promise<Map<string, string>> {
  services = await createTestServices({ env: { PORTAL_RATE_LIMIT: '10000/minute', ...env } });
  const app = await buildApp(services);
  try {
    await createAccountFixtures(services.database.db);
    const pages = new Map<string, string>();
    for (const username of usernames) {
      const response = await (await loggedInClient(app, username)).get('/portal/alerts/');
      expect(response.statusCode).toBe(200);
      pages.set(username, response.body);
    }
    return pages;
  } finally {
    await app.close();
  }
}

const NOTE = 'Where is my email?';

describe('alerts list: where is my email?', () => {
  it('mailbox backend: owners and admins are pointed at payrixa mail; analysts and viewers are not', async () => {
    const pages = await alertsPage({ EMAIL_BACKEND: 'mailbox' }, [
      'owner_a',
      'admin_a',
      'analyst_a',
      'viewer_a',
    ]);
    for (const username of ['owner_a', 'admin_a']) {
      expect(pages.get(username)).toContain(NOTE);
      expect(pages.get(username)).toContain('see <code>payrixa mail</code> (DATA_DIR/mailbox)');
    }
    expect(pages.get('analyst_a')).not.toContain(NOTE);
    expect(pages.get('viewer_a')).not.toContain(NOTE);
  });

  it('log backend names the log; SMTP shows no note', async () => {
    const log = await alertsPage({ EMAIL_BACKEND: 'log' }, ['owner_a']);
    expect(log.get('owner_a')).toContain('it is written to the server log (EMAIL_BACKEND=log)');
    await services?.dispose();
    services = null;
    const smtp = await alertsPage({ SMTP_HOST: 'mail.example' }, ['owner_a']);
    expect(smtp.get('owner_a')).not.toContain(NOTE);
  });
});
