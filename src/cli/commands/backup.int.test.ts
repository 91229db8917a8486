import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimsChecksum, populateForBackup } from '../../../test/backup-fixtures.ts';
import { cliEnv, runCli } from '../../../test/cli.ts';
import { onPostgres } from '../../../test/db.ts';
import { type Config, loadConfig } from '../../config/env.ts';
import { createDatabase, type Database } from '../../db/database.ts';
import { serverRecordPath } from '../../db/embedded/host.ts';
import { migrations } from '../../db/migrations/index.ts';
import { BACKUP_JOB } from '../../jobs/definitions/backup.ts';
import { configuredSchedules, registerJobs } from '../../jobs/definitions/index.ts';
import { JobRegistry } from '../../jobs/registry.ts';
import type { JobContext } from '../../jobs/types.ts';
import { silentLogger } from '../../obs/logger.ts';
import { type BackupManifest, backupTimestamp, tableCounts } from '../../ops/backup.ts';

/**
 * `payrixa backup` / `payrixa restore` on the embedded database (web-api-ops §7.1, §7.4): a
 * backup taken while a server hosts the engine (this test process plays `payrixa serve`), one
 * taken with no server running, restore into a fresh data directory with equal row counts and
 * claims, rotation, and every refusal. PostgreSQL is covered by ops/backup-restore.ops.test.ts.
 */

const LAST_MIGRATION = migrations[migrations.length - 1]?.name as string;
const DAY = 86_400_000;

let env: Record<string, string>;
let config: Config;
let server: Database | null = null;
let backupFile = '';
let sourceCounts: Record<string, number> = {};
let sourceClaims = '';

function backupDir(): string {
  return path.join(env['DATA_DIR'] as string, 'backups');
}

async function withDatabase<T>(
  environment: Record<string, string>,
  fn: (database: Database) => Promise<T>,
): Promise<T> {
  const database = await createDatabase(loadConfig(environment));
  try {
    return await fn(database);
  } finally {
    await database.close();
  }
}

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

// Embedded only: on the PostgreSQL run the same file would test nothing new.
describe.skipIf(onPostgres)('payrixa backup (embedded)', () => {
  beforeAll(async () => {
    env = cliEnv();
    config = loadConfig(env);
    expect((await runCli(['migrate'], env)).code).toBe(0);
    // This process hosts the engine, as `payrixa serve` does; the CLI joins it over the socket.
    server = await createDatabase(config, { embedded: { role: 'serve', host: 'require' } });
    await populateForBackup(server.db, 400);
    sourceCounts = await tableCounts(server.db);
    sourceClaims = await claimsChecksum(server.db);
  });

  afterAll(async () => {
    await server?.close();
  });

  it('writes payrixa_<ts>.tar.gz with .sha256 and manifest while the server runs, rotates only our old files, and audits', async () => {
    const dir = backupDir();
    mkdirSync(dir, { recursive: true });
    const now = Date.now();
    const old = `payrixa_${backupTimestamp(new Date(now - 40 * DAY))}.tar.gz`;
    const oldDump = `payrixa_${backupTimestamp(new Date(now - 31 * DAY))}.dump`;
    const recent = `payrixa_${backupTimestamp(new Date(now - 2 * DAY))}.tar.gz`;
    const foreign = ['payrixa_20200101_000000.sql.gz', 'notes.txt', 'other_20200101_000000.dump'];
    for (const name of [
      old,
      `${old}.sha256`,
      `${old}.manifest.json`,
      oldDump,
      `${oldDump}.sha256`,
      recent,
      ...foreign,
    ]) {
      writeFileSync(path.join(dir, name), 'x');
    }

    const result = await runCli(['backup', '--keep-days', '30'], env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const written = /^Backup written: (\S+payrixa_\d{8}_\d{6}\.tar\.gz) \(\d+\.\d (KB|MB)\)$/m.exec(
      result.stdout,
    );
    expect(written).not.toBeNull();
    backupFile = written?.[1] as string;
    expect(path.dirname(backupFile)).toBe(dir);
    expect(result.stdout).toContain(`Deleted old backup: ${old}`);
    expect(result.stdout).toContain(`Deleted old backup: ${oldDump}`);

    // sha256sum format, and the manifest holds the counts of the copy.
    expect(readFileSync(`${backupFile}.sha256`, 'utf8')).toBe(
      `${sha256(backupFile)}  ${path.basename(backupFile)}\n`,
    );
    const manifest = JSON.parse(readFileSync(`${backupFile}.manifest.json`, 'utf8')) as BackupManifest;
    expect(manifest).toMatchObject({ kind: 'embedded', lastMigration: LAST_MIGRATION, counts: sourceCounts });
    expect(manifest.counts['claims']).toBe(800);

    const left = readdirSync(dir).sort();
    expect(left).toEqual(
      [
        ...foreign,
        recent,
        path.basename(backupFile),
        `${path.basename(backupFile)}.manifest.json`,
        `${path.basename(backupFile)}.sha256`,
      ].sort(),
    );

    const audit = await server!.db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'backup_created')
      .executeTakeFirstOrThrow();
    expect(audit).toMatchObject({
      entity_type: 'backup',
      entity_id: path.basename(backupFile),
      user_id: null,
    });
    expect(audit.metadata).toMatchObject({
      actor: 'cli',
      kind: 'embedded',
      sha256: sha256(backupFile),
      rotated: 2,
    });
  });

  it('waits for a transaction in progress on the server and copies none of its uncommitted rows', async () => {
    const session = await server!.pool!.connect();
    let backup: Promise<Awaited<ReturnType<typeof runCli>>>;
    try {
      await session.query('BEGIN');
      await session.query(`INSERT INTO customers (name) VALUES ('Uncommitted Clinic')`);
      // This session holds the single backend; the backup queues behind it.
      backup = runCli(['backup', '--dir', path.join(tmpdir(), `payrixa-inflight-${process.pid}`)], env);
      await session.query('ROLLBACK');
    } finally {
      session.release();
    }
    const result = await backup;
    expect(result.code).toBe(0);
    const file = /^Backup written: (\S+) \(/m.exec(result.stdout)?.[1] as string;
    const manifest = JSON.parse(readFileSync(`${file}.manifest.json`, 'utf8')) as BackupManifest;
    expect(manifest.counts['customers']).toBe(sourceCounts['customers']);
  });

  it('refuses to restore into the data directory while the server runs', async () => {
    const result = await runCli(['restore', backupFile, '--yes'], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('is in use by payrixa serve');
    expect(result.stderr).toContain('Stop payrixa serve');
  });

  it('runs as maintenance.backup on SCHEDULE_BACKUP (02:00) inside the server, audited as the job', async () => {
    const registry = new JobRegistry();
    registerJobs(registry, { db: server!.db, config, database: server! });
    expect(registry.get(BACKUP_JOB)).toMatchObject({ queue: 'maintenance' });
    expect(configuredSchedules(config, registry)).toContainEqual({
      name: 'backup',
      cron: '0 2 * * *',
      kind: BACKUP_JOB,
    });
    // Not on an in-memory database, nor with DATABASE_URL (the host's timer runs payrixa backup).
    const noDisk = new JobRegistry();
    registerJobs(noDisk, { db: server!.db, config, database: { ...server!, embedded: null } });
    expect(noDisk.get(BACKUP_JOB)).toBeUndefined();

    const out = path.join(tmpdir(), `payrixa-job-backup-${process.pid}`);
    const jobConfig = { ...config, backup: { ...config.backup, dir: out } };
    const jobRegistry = new JobRegistry();
    registerJobs(jobRegistry, { db: server!.db, config: jobConfig, database: server! });
    const result = await jobRegistry.get(BACKUP_JOB)!.handler({
      logger: silentLogger(),
      job: { request_id: 'req-backup' },
    } as unknown as JobContext<Record<string, never>>);
    expect(String(result?.['path'])).toMatch(/payrixa_\d{8}_\d{6}\.tar\.gz$/);
    expect(existsSync(String(result?.['path']))).toBe(true);
    const audit = await server!.db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'backup_created')
      .where('request_id', '=', 'req-backup')
      .executeTakeFirstOrThrow();
    expect(audit.metadata).toMatchObject({ actor: 'job' });
  });

  it('restores into a fresh data directory: same rows per table, same claims, then refuses a non-empty one without --yes', async () => {
    await server?.close();
    server = null;
    const fresh = cliEnv();
    const result = await runCli(['restore', backupFile], fresh);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^Restoring payrixa_\d{8}_\d{6}\.tar\.gz into .*pgdata\.\.\.$/);
    expect(lines[1]).toMatch(/^Table\s+Backup\s+Restored$/);
    expect(lines).toContainEqual(expect.stringMatching(/^claims\s+800\s+800$/));
    expect(result.stdout).not.toContain('MISMATCH');
    expect(lines.at(-1)).toBe(
      `Restore complete: 2 customers, 8 users, 800 claims, last migration ${LAST_MIGRATION}.`,
    );

    await withDatabase(fresh, async (restored) => {
      const counts = await tableCounts(restored.db);
      // The restored database gained its own restore_completed audit row after the check.
      expect(counts).toEqual({ ...sourceCounts, audit_events: (sourceCounts['audit_events'] ?? 0) + 1 });
      expect(await claimsChecksum(restored.db)).toBe(sourceClaims);
      const audit = await restored.db
        .selectFrom('audit_events')
        .selectAll()
        .where('action', '=', 'restore_completed')
        .executeTakeFirstOrThrow();
      expect(audit.metadata).toMatchObject({ verified: true, claims: 800, last_migration: LAST_MIGRATION });
    });

    const again = await runCli(['restore', backupFile], fresh);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('is not empty');
    expect(again.stderr).toContain('--yes');
  });

  it('backs up with no server running (opens the data directory itself) to --out', async () => {
    const out = path.join(tmpdir(), `payrixa-out-${process.pid}`, 'nightly.tar.gz');
    const result = await runCli(['backup', '--out', out], env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^Backup written: ${out.replace(/[.]/g, '\\.')} \\(`));
    expect(readFileSync(`${out}.sha256`, 'utf8')).toBe(`${sha256(out)}  nightly.tar.gz\n`);
    // The command hosted the engine only for its own lifetime.
    expect(existsSync(serverRecordPath(path.join(env['DATA_DIR'] as string, 'pgdata')))).toBe(false);
  });

  it('refuses a changed backup, a missing checksum, and --target-database-url for an embedded archive', async () => {
    const dir = path.join(tmpdir(), `payrixa-tamper-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    const copy = path.join(dir, path.basename(backupFile));
    copyFileSync(backupFile, copy);
    writeFileSync(`${copy}.sha256`, `${'0'.repeat(64)}  ${path.basename(copy)}\n`);
    const mismatch = await runCli(['restore', copy, '--yes'], cliEnv());
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toContain(`Checksum mismatch for ${copy}`);

    const bare = path.join(dir, 'payrixa_20200101_000000.tar.gz');
    copyFileSync(backupFile, bare);
    const missing = await runCli(['restore', bare, '--yes'], cliEnv());
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`No checksum file ${bare}.sha256`);

    const target = await runCli(
      ['restore', backupFile, '--target-database-url', 'postgres://u@127.0.0.1:1/x', '--yes'],
      cliEnv(),
    );
    expect(target.code).toBe(1);
    expect(target.stderr).toContain('restores into the embedded data directory only');
  });

  it('refuses a backup made by a newer release, and leaves the target untouched', async () => {
    await withDatabase(env, async (database) => {
      await database.db
        .insertInto('payrixa_migrations')
        .values({ name: '9999_from_the_future', checksum: '0'.repeat(64) })
        .execute();
    });
    const out = path.join(tmpdir(), `payrixa-future-${process.pid}`, 'future.tar.gz');
    expect((await runCli(['backup', '--out', out], env)).code).toBe(0);
    const target = cliEnv();
    const result = await runCli(['restore', out], target);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'Error: Backup was made by a newer Payrixa (migration 9999_from_the_future); upgrade first.\n',
    );
    expect(readdirSync(target['DATA_DIR'] as string)).toEqual([]);
  });
});
