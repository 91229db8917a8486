import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { a23Claims, createAnalyticsCustomer, writeClaims } from '../../../test/analytics.ts';
import { cliEnv, runCli } from '../../../test/cli.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/db.ts';
import { loadConfig } from '../../config/env.ts';
import { createDatabase } from '../../db/database.ts';
import { insertDefaultAlertRule } from '../../db/repositories/alert-rules.repository.ts';
import { listRuns } from '../../db/repositories/analysis-runs.repository.ts';
import { listMailbox, mailboxDir } from '../../notify/mail.ts';

// One database for the file: embedded on disk, or a fresh PostgreSQL database in CI.
let env: Record<string, string>;
let pgHandle: TestDatabase | null = null;

async function withDb<T>(
  fn: (db: Awaited<ReturnType<typeof createDatabase>>['db']) => Promise<T>,
): Promise<T> {
  const database = await createDatabase(loadConfig(env));
  try {
    return await fn(database.db);
  } finally {
    await database.close();
  }
}

beforeAll(async () => {
  env = cliEnv();
  if (process.env['TEST_DATABASE_URL']) {
    pgHandle = await createTestDatabase({ migrated: false });
    await pgHandle.database.close();
    env['DATABASE_URL'] = pgHandle.url as string;
  }
  expect((await runCli(['migrate'], env)).code).toBe(0);
  await withDb(async (db) => {
    await createAnalyticsCustomer(db, { id: 42, name: 'Acme Clinic' });
    await writeClaims(db, 42, a23Claims());
    await createAnalyticsCustomer(db, { id: 43, name: 'Beta Clinic', products: ['denialscope'] });
  });
});

afterAll(async () => {
  await pgHandle?.close();
});

describe('payrixa backtest', () => {
  it('prints the A23 episode table and records a backtest run', async () => {
    const result = await runCli(
      ['backtest', '--customer', '42', '--from', '2026-01-05', '--to', '2026-03-02'],
      env,
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(/^DriftWatch backtest for Acme Clinic \(2026-01-05 – 2026-03-02\), run \d+$/);
    expect(result.stdout).toContain('Weeks replayed: 9');
    expect(result.stdout).toContain('2026-02-09=0 2026-02-16=1 2026-02-23=1 2026-03-02=1');
    const header = lines.find((l) => l.startsWith('Payer'));
    expect(header).toMatch(
      /^Payer\s+CPT group\s+Signal\s+Direction\s+First detected\s+Last detected\s+Weeks/,
    );
    const episode = lines.find((l) => l.startsWith('UnitedHealthcare'));
    expect(episode).toMatch(
      /^UnitedHealthcare\s+EVAL\s+DENIAL_RATE\s+degrading\s+2026-02-16\s+2026-03-02\s+3\s+Medium \(0\.50\)\s+Critical \(1\.00\)\s+\+25\.0 pts/,
    );
    const runs = await withDb((db) => listRuns(db, 42, { runType: 'backtest' }));
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ status: 'success', as_of: '2026-03-02', product: 'driftwatch' });
  });

  it('accepts a customer name and --json; rejects bad ranges and unknown customers', async () => {
    const json = await runCli(
      ['backtest', '--customer', 'acme clinic', '--from', '2026-02-16', '--to', '2026-02-23', '--json'],
      env,
    );
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout) as { weeks: unknown[]; episodes: unknown[] };
    expect(parsed.weeks).toHaveLength(2);
    expect(parsed.episodes).toHaveLength(1);

    const reversed = await runCli(
      ['backtest', '--customer', '42', '--from', '2026-03-02', '--to', '2026-01-05'],
      env,
    );
    expect(reversed.code).toBe(1);
    expect(reversed.stderr).toBe('Error: Invalid backtest range: from must be on or before to.\n');
    const future = await runCli(
      ['backtest', '--customer', '42', '--from', '2026-01-05', '--to', '2999-01-04'],
      env,
    );
    expect(future.stderr).toBe('Error: Invalid backtest range: to must not be in the future.\n');
    const missing = await runCli(['backtest', '--customer', '42', '--from', '2026-01-05'], env);
    expect(missing.code).toBe(2);
    const unknown = await runCli(
      ['backtest', '--customer', '999', '--from', '2026-01-05', '--to', '2026-01-12'],
      env,
    );
    expect(unknown.stderr).toBe('Error: No customer "999".\n');
  });
});

describe('payrixa analyze', () => {
  it('runs DriftWatch now for a given as_of and prints the findings', async () => {
    const result = await runCli(
      ['analyze', '--customer', '42', '--product', 'driftwatch', '--as-of', '2026-02-23'],
      env,
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^DriftWatch as of 2026-02-23: run \d+ success, 1 finding\(s\), 1 new\n/);
    expect(result.stdout).toContain('Critical (1.00)');
    expect(result.stdout).toContain(
      'Denial rate for UnitedHealthcare (EVAL) moved from 10.0% to 60.0% (+50.0 pts).',
    );
    // The run's weekly drift PDF, as the report_artifact job would make it (alerts-reports §13.1).
    const pdf = result.stdout.match(/Weekly drift PDF for 2026-02-23: (\d+) bytes, sha256 ([0-9a-f]{64})/);
    const artifact = await withDb((db) =>
      db.selectFrom('report_artifacts').selectAll().where('customer_id', '=', 42).executeTakeFirstOrThrow(),
    );
    expect(pdf?.slice(1)).toEqual([String(artifact.size_bytes), artifact.sha256]);
    // Again: same run, the finding is replaced, nothing new.
    const again = await runCli(
      ['analyze', '--customer', '42', '--product', 'driftwatch', '--as-of', '2026-02-23'],
      env,
    );
    expect(again.stdout).toMatch(/1 finding\(s\), 0 new/);
    const runs = await withDb((db) => listRuns(db, 42, { product: 'driftwatch' }));
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ attempts: 2, run_type: 'manual' });
  });

  it('runs every enabled product by default and refuses a disabled one', async () => {
    const all = await runCli(['analyze', '--customer', 'Beta Clinic'], env);
    expect(all.code).toBe(0);
    expect(all.stdout).toMatch(
      /^DenialScope as of \d{4}-\d{2}-\d{2}: run \d+ success, 0 finding\(s\), 0 new\n$/,
    );
    const disabled = await runCli(['analyze', '--customer', '43', '--product', 'driftwatch'], env);
    expect(disabled.code).toBe(1);
    expect(disabled.stderr).toBe('Error: DriftWatch is not enabled for Beta Clinic.\n');
    const bad = await runCli(['analyze', '--customer', '43', '--product', 'nope'], env);
    expect(bad.code).toBe(2);
  });
});

describe('payrixa analyze alerting and payrixa mail', () => {
  /** A customer with the A23 claims, the default rule and one email channel. */
  async function alertingCustomer(id: number, name: string): Promise<void> {
    await withDb(async (db) => {
      await createAnalyticsCustomer(db, { id, name });
      await writeClaims(db, id, a23Claims());
      await insertDefaultAlertRule(db, id);
      await db
        .insertInto('notification_channels')
        .values({
          customer_id: id,
          name: 'Billing team',
          type: 'email',
          config: JSON.stringify({ recipients: [`billing@c${id}.example`] }),
        })
        .execute();
    });
  }

  it("evaluates and sends the run's alerts in-process; the mailbox and `payrixa mail` show them", async () => {
    await alertingCustomer(44, 'Gamma Clinic');
    const empty = await runCli(['mail'], env);
    expect(empty.code).toBe(0);
    // Other tests of this file may have sent nothing yet: the mailbox does not exist.
    expect(empty.stdout).toBe(
      `The mailbox ${mailboxDir(loadConfig(env))} is empty: no email has been sent yet.\n`,
    );

    const result = await runCli(
      ['analyze', '--customer', '44', '--product', 'driftwatch', '--as-of', '2026-02-23'],
      env,
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Alerts: 1 created, 1 sent, 0 suppressed.\n');
    expect(result.stdout).toContain(`Email is kept in the local mailbox ${mailboxDir(loadConfig(env))}`);
    const [event] = await withDb((db) =>
      db.selectFrom('alert_events').select(['id', 'status']).where('customer_id', '=', 44).execute(),
    );
    expect(event?.status).toBe('sent');
    const delivery = await withDb((db) =>
      db
        .selectFrom('alert_deliveries')
        .select(['status', 'channel_name'])
        .where('customer_id', '=', 44)
        .execute(),
    );
    expect(delivery).toEqual([{ status: 'success', channel_name: 'Billing team' }]);
    const mailbox = await listMailbox(mailboxDir(loadConfig(env)));
    expect(mailbox).toHaveLength(1);
    expect(mailbox[0]?.to).toBe('billing@c44.example');

    const listed = await runCli(['mail'], env);
    expect(listed.code).toBe(0);
    const line = listed.stdout.split('\n')[1];
    expect(line).toMatch(/^ {2}1 {2}\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} {2}billing@c44\.example {2}\S/);
    expect(line).toContain(mailbox[0]?.subject);

    const htmlFile = path.join(env['DATA_DIR'] as string, 'alert.html');
    const shown = await runCli(['mail', 'show', '1', '--html', htmlFile], env);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`Id:      ${mailbox[0]?.id}`);
    expect(shown.stdout).toContain('To:      billing@c44.example');
    expect(shown.stdout).toContain(`X-Payrixa-Alert-Id: ${event?.id}`);
    expect(shown.stdout).toContain('UnitedHealthcare');
    expect(shown.stdout).toContain(`HTML part written to ${htmlFile}`);
    expect(readFileSync(htmlFile, 'utf8')).toMatch(/<html|<table|<p/i);
    const byId = await runCli(['mail', 'show', mailbox[0]?.id as string], env);
    expect(byId.stdout).toContain('To:      billing@c44.example');
    const missing = await runCli(['mail', 'show', '9'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("No message '9' in the mailbox");

    // Again: the run is reused and its alert already exists, so nothing new is sent.
    const again = await runCli(
      ['analyze', '--customer', '44', '--product', 'driftwatch', '--as-of', '2026-02-23'],
      env,
    );
    expect(again.stdout).not.toContain('Alerts:');
    expect(await listMailbox(mailboxDir(loadConfig(env)))).toHaveLength(1);
  });

  it('--no-alerts runs the analysis without evaluating alerts', async () => {
    await alertingCustomer(45, 'Delta Clinic');
    const result = await runCli(
      ['analyze', '--customer', '45', '--product', 'driftwatch', '--as-of', '2026-02-23', '--no-alerts'],
      env,
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/1 finding\(s\), 1 new/);
    expect(result.stdout).not.toContain('Alerts:');
    const events = await withDb((db) =>
      db.selectFrom('alert_events').select('id').where('customer_id', '=', 45).execute(),
    );
    expect(events).toEqual([]);
  });

  it('says where email goes when the backend is not the mailbox', async () => {
    const log = await runCli(['mail'], { ...env, EMAIL_BACKEND: 'log' });
    expect(log.code).toBe(0);
    expect(log.stdout).toBe(
      'No local mailbox: EMAIL_BACKEND is log, so email is written to the log, not sent (EMAIL_BACKEND=log).\n',
    );
    const smtp = await runCli(['mail'], { ...env, SMTP_HOST: 'mail.example', SMTP_PORT: '2525' });
    expect(smtp.stdout).toBe(
      'No local mailbox: EMAIL_BACKEND is smtp, so email is sent through SMTP mail.example:2525.\n',
    );
  });
});
