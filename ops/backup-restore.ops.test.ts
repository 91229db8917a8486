import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/env.ts';
import { createDatabase, type Database } from '../src/db/database.ts';
import { migrations } from '../src/db/migrations/index.ts';
import { type BackupManifest, sha256OfFile, tableCounts } from '../src/ops/backup.ts';
import { claimsChecksum, populateForBackup } from '../test/backup-fixtures.ts';
import { cliEnv, runCli } from '../test/cli.ts';
import { OPS_DATABASE_URL, OPS_ENABLED } from './ops-env.ts';

/**
 * `payrixa backup` / `payrixa restore` against real PostgreSQL with the real pg_dump and
 * pg_restore (web-api-ops §7.4 step 2, the restore drill; §7.7 line 60): scratch databases
 * `payrixa_bk_<random>` on the TEST_DATABASE_URL server, dropped at the end.
 */

const LAST_MIGRATION = migrations[migrations.length - 1]?.name as string;
// Local and CI servers trust loopback, so the password is ignored by the server; it is here
// to prove it never reaches the output.
const PASSWORD = 'not-in-any-output-7d1f';
const created: string[] = [];

function databaseUrl(name: string): string {
  const url = new URL(OPS_DATABASE_URL as string);
  url.password = PASSWORD;
  url.pathname = `/${name}`;
  return url.toString();
}

async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: OPS_DATABASE_URL as string });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

async function scratchDatabase(): Promise<string> {
  const name = `payrixa_bk_${randomBytes(5).toString('hex')}`;
  await admin(`CREATE DATABASE ${name}`);
  created.push(name);
  return databaseUrl(name);
}

async function withDatabase<T>(url: string, fn: (database: Database) => Promise<T>): Promise<T> {
  const database = await createDatabase(loadConfig(cliEnv({ DATABASE_URL: url })));
  try {
    return await fn(database);
  } finally {
    await database.close();
  }
}

describe.skipIf(!OPS_ENABLED || !OPS_DATABASE_URL)('backup and restore on PostgreSQL', () => {
  let sourceUrl = '';
  let env: Record<string, string>;
  let backupDir = '';
  let dumpFile = '';
  let sourceCounts: Record<string, number> = {};
  let sourceClaims = '';

  beforeAll(async () => {
    sourceUrl = await scratchDatabase();
    env = cliEnv({ DATABASE_URL: sourceUrl });
    backupDir = mkdtempSync(path.join(tmpdir(), 'payrixa-bk-'));
    expect((await runCli(['migrate'], env)).code).toBe(0);
    await withDatabase(sourceUrl, async (database) => {
      await populateForBackup(database.db, 400);
      sourceCounts = await tableCounts(database.db);
      sourceClaims = await claimsChecksum(database.db);
    });
  });

  afterAll(async () => {
    for (const name of created) await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });

  it('payrixa backup writes a pg_dump custom-format file, its checksum and manifest, never printing the password', async () => {
    const result = await runCli(['backup', '--dir', backupDir], env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const written = /^Backup written: (\S+payrixa_\d{8}_\d{6}\.dump) \(\d+\.\d (KB|MB)\)$/m.exec(
      result.stdout,
    );
    expect(written).not.toBeNull();
    dumpFile = written?.[1] as string;
    expect(result.stdout).not.toContain(PASSWORD);
    // Custom format starts with the PGDMP magic.
    expect(readFileSync(dumpFile).subarray(0, 5).toString('latin1')).toBe('PGDMP');
    expect(readFileSync(`${dumpFile}.sha256`, 'utf8')).toBe(
      `${await sha256OfFile(dumpFile)}  ${path.basename(dumpFile)}\n`,
    );
    const manifest = JSON.parse(readFileSync(`${dumpFile}.manifest.json`, 'utf8')) as BackupManifest;
    expect(manifest).toMatchObject({ kind: 'pg_dump', lastMigration: LAST_MIGRATION, counts: sourceCounts });
    await withDatabase(sourceUrl, async (database) => {
      const audit = await database.db
        .selectFrom('audit_events')
        .selectAll()
        .where('action', '=', 'backup_created')
        .executeTakeFirstOrThrow();
      expect(audit).toMatchObject({ entity_id: path.basename(dumpFile) });
      expect(audit.metadata).toMatchObject({ actor: 'cli', kind: 'pg_dump' });
    });
  });

  it('payrixa restore into a fresh database: equal counts per table and equal claims; a non-empty target needs --yes', async () => {
    const targetUrl = await scratchDatabase();
    const result = await runCli(['restore', dumpFile, '--target-database-url', targetUrl, '--yes'], env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain(PASSWORD);
    expect(result.stdout).toMatch(/^claims\s+800\s+800$/m);
    expect(result.stdout).not.toContain('MISMATCH');
    expect(result.stdout.trim().split('\n').at(-1)).toBe(
      `Restore complete: 2 customers, 8 users, 800 claims, last migration ${LAST_MIGRATION}.`,
    );
    const check = async (): Promise<void> =>
      withDatabase(targetUrl, async (restored) => {
        expect(await tableCounts(restored.db)).toEqual({
          ...sourceCounts,
          audit_events: (sourceCounts['audit_events'] ?? 0) + 1, // its restore_completed row
        });
        expect(await claimsChecksum(restored.db)).toBe(sourceClaims);
      });
    await check();

    const refused = await runCli(['restore', dumpFile, '--target-database-url', targetUrl], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('is not empty');
    expect(refused.stderr).not.toContain(PASSWORD);

    // --yes replaces the contents (clean/if-exists): the same state again, not doubled rows.
    const again = await runCli(['restore', dumpFile, '--target-database-url', targetUrl, '--yes'], env);
    expect(again.code).toBe(0);
    await check();
  });

  it('exits 1 and marks the table when the restored counts differ from the manifest', async () => {
    // The manifest says one claim more than the dump holds (as if rows were lost on the way).
    const dir = mkdtempSync(path.join(tmpdir(), 'payrixa-bk-mismatch-'));
    const copy = path.join(dir, path.basename(dumpFile));
    copyFileSync(dumpFile, copy);
    copyFileSync(`${dumpFile}.sha256`, `${copy}.sha256`);
    const manifest = JSON.parse(readFileSync(`${dumpFile}.manifest.json`, 'utf8')) as BackupManifest;
    manifest.counts['claims'] = 801;
    writeFileSync(`${copy}.manifest.json`, JSON.stringify(manifest));
    const targetUrl = await scratchDatabase();
    const result = await runCli(['restore', copy, '--target-database-url', targetUrl], env);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^claims\s+801\s+800 {2}MISMATCH$/m);
    expect(result.stdout).toMatch(/^customers\s+2\s+2$/m);
    expect(result.stdout).not.toContain('Restore complete');
    expect(result.stderr).toBe('Error: restored row counts differ from the backup (see MISMATCH above).\n');
  });

  it('refuses a dump whose newest migration this release does not know', async () => {
    await withDatabase(sourceUrl, async (database) => {
      await database.db
        .insertInto('payrixa_migrations')
        .values({ name: '9999_from_the_future', checksum: '0'.repeat(64) })
        .execute();
    });
    const backup = await runCli(['backup', '--dir', backupDir], env);
    expect(backup.code).toBe(0);
    const file = /^Backup written: (\S+) \(/m.exec(backup.stdout)?.[1] as string;
    const targetUrl = await scratchDatabase();
    const result = await runCli(['restore', file, '--target-database-url', targetUrl, '--yes'], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'Error: Backup was made by a newer Payrixa (migration 9999_from_the_future); upgrade first.\n',
    );
    await withDatabase(targetUrl, async (target) => {
      expect(await tableCounts(target.db)).toEqual({});
    });
  });
});
