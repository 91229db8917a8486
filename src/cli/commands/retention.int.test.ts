import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertFinding, insertRun } from '../../../test/alert-fixtures.ts';
import { createAnalyticsCustomer } from '../../../test/analytics.ts';
import { cliEnv, runCli } from '../../../test/cli.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/db.ts';
import { loadConfig } from '../../config/env.ts';
import { createDatabase } from '../../db/database.ts';

/**
 * `payrixa retention [--dry-run] [--customer <id>]` (web-api-ops §7.5): the output format, a dry
 * run that deletes nothing, one tenant, and the audit rows. The CLI runs on the system clock, so
 * the data is dated far in the past (2020) or today.
 */

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

async function runCount(customerId: number): Promise<number> {
  return withDb(async (db) => {
    const row = await db
      .selectFrom('analysis_runs')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('customer_id', '=', customerId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  });
}

const today = new Date().toISOString().slice(0, 10);

beforeAll(async () => {
  env = cliEnv();
  if (process.env['TEST_DATABASE_URL']) {
    pgHandle = await createTestDatabase({ migrated: false });
    await pgHandle.database.close();
    env['DATABASE_URL'] = pgHandle.url as string;
  }
  expect((await runCli(['migrate'], env)).code).toBe(0);
  await withDb(async (db) => {
    for (const id of [42, 43]) {
      await createAnalyticsCustomer(db, { id, name: `Clinic ${id}`, products: ['driftwatch'] });
      // Two expired runs (one finding each) and the latest, kept.
      for (const asOf of ['2020-01-06', '2020-01-13']) {
        const runId = await insertRun(db, id, { asOf });
        await insertFinding(db, id, runId, { as_of: asOf, fingerprint: `cli-${id}-${asOf}`.padEnd(32, '0') });
      }
      await insertRun(db, id, { asOf: today });
    }
  });
});

afterAll(async () => {
  await pgHandle?.close();
});

describe('payrixa retention', () => {
  it('--dry-run prints the banner, Found lines and the total, and deletes nothing', async () => {
    const result = await runCli(['retention', '--dry-run'], env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        'DRY RUN MODE - No data will be deleted',
        'Found 0 claims',
        'Found 0 claim daily rollups',
        'Found 0 validation results',
        'Found 0 rejected-row details',
        'Found 0 uploads',
        'Found 0 quality reports',
        'Found 0 report artifacts',
        'Found 4 analysis runs',
        'Found 4 findings',
        'Found 0 alert events',
        'Found 0 operator judgments',
        'Found 0 webhook deliveries',
        'Found 0 system events',
        'Found 0 job records',
        'Found 0 audit events',
        'Total: 8',
        '',
      ].join('\n'),
    );
    expect(await runCount(42)).toBe(3);
    expect(await runCount(43)).toBe(3);
  });

  it('--customer deletes only that tenant, then a full run the rest; each run is audited with its counts', async () => {
    const one = await runCli(['retention', '--customer', '42'], env);
    expect(one.code).toBe(0);
    expect(one.stdout.split('\n')).toEqual([
      'Deleted 0 claims',
      'Deleted 0 claim daily rollups',
      'Deleted 0 validation results',
      'Deleted 0 rejected-row details',
      'Deleted 0 uploads',
      'Deleted 0 quality reports',
      'Deleted 0 report artifacts',
      'Deleted 2 analysis runs',
      'Deleted 2 findings',
      'Deleted 0 alert events',
      'Deleted 0 operator judgments',
      'Deleted 0 webhook deliveries',
      'Deleted 0 system events',
      'Deleted 0 job records',
      'Deleted 0 audit events',
      'Total: 4',
      '',
    ]);
    expect(await runCount(42)).toBe(1);
    expect(await runCount(43)).toBe(3);

    const all = await runCli(['retention'], env);
    expect(all.code).toBe(0);
    expect(all.stdout).toContain('Deleted 2 analysis runs\n');
    expect(all.stdout).toMatch(/Total: 4\n$/);
    expect(await runCount(43)).toBe(1);

    const audits = await withDb((db) =>
      db
        .selectFrom('audit_events')
        .select(['customer_id', 'metadata'])
        .where('action', '=', 'retention_run')
        .orderBy('id')
        .execute(),
    );
    expect(audits.map((a) => [a.customer_id, a.metadata['dry_run'], a.metadata['total']])).toEqual([
      [null, true, 8],
      [42, false, 4],
      [null, false, 4],
    ]);
    expect(audits[1]?.metadata['counts']).toMatchObject({ analysis_runs: 2, findings: 2 });
  });

  it('an unknown customer is an error; an unknown flag is a usage error', async () => {
    const unknown = await runCli(['retention', '--customer', '999'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('Error: No customer "999".\n');
    const bad = await runCli(['retention', '--days', '3'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("Unknown option '--days'");
    const help = await runCli(['retention', '--help'], env);
    expect(help.stdout).toContain('Usage: payrixa retention [--dry-run] [--customer <id|name>]');
  });
});
