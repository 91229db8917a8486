import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { a23Claims, createAnalyticsCustomer, writeClaims } from '../../../test/analytics.ts';
import { cliEnv, runCli } from '../../../test/cli.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/db.ts';
import { loadConfig } from '../../config/env.ts';
import { createDatabase } from '../../db/database.ts';
import { listRuns } from '../../db/repositories/analysis-runs.repository.ts';

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
