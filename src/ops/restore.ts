import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import type { Config } from '../config/env.ts';
import { AppError } from '../config/errors.ts';
import { createDatabase, type Database, describeDatabaseUrl } from '../db/database.ts';
import { lockHolder, readServerRecord } from '../db/embedded/host.ts';
import { migrations } from '../db/migrations/index.ts';
import { recordAudit } from '../obs/audit.ts';
import type { Clock } from '../services.ts';
import {
  type BackupManifest,
  backupTimestamp,
  checksumPath,
  lastAppliedMigration,
  manifestPath,
  publicTables,
  sha256OfFile,
  tableCounts,
} from './backup.ts';
import { databaseName, pgToolEnv, resolvePgTool, runPgTool } from './pg-tools.ts';

/**
 * `payrixa restore <file>` (web-api-ops §7.1, §7.4): verify the checksum, refuse what would
 * be unsafe (a non-empty target without --yes, a backup from a newer release), restore, then
 * verify: the row counts per table recorded in the backup's manifest against the restored
 * database.
 */

export interface RestoreOptions {
  file: string;
  targetDatabaseUrl?: string;
  yes: boolean;
}

export interface CountCheck {
  table: string;
  expected: number | null;
  actual: number | null;
}

export interface RestoreResult {
  target: string;
  lastMigration: string | null;
  customers: number;
  users: number;
  claims: number;
  checks: CountCheck[];
  /**
   * False when a count differs from the manifest (the command exits 1); null when the
   * backup has no manifest (nothing to compare with: the counts are only printed).
   */
  verified: boolean | null;
  /** Embedded: where the replaced data directory was moved (kept until the operator removes it). */
  replacedDataDir: string | null;
}

export interface RestoreDeps {
  config: Config;
  clock: Clock;
  /** Progress lines (`Restoring … into …`). */
  progress?: (line: string) => void;
}

/** Refuses a backup whose file was changed or damaged since `payrixa backup` wrote it. */
export async function verifyChecksum(file: string): Promise<string> {
  const sumFile = checksumPath(file);
  if (!existsSync(sumFile)) {
    throw new AppError(
      'restore_no_checksum',
      `No checksum file ${sumFile}; refusing to restore a backup that cannot be verified. Copy the .sha256 written beside the backup.`,
    );
  }
  const expected = readFileSync(sumFile, 'utf8').trim().split(/\s+/)[0]?.toLowerCase() ?? '';
  const actual = await sha256OfFile(file);
  if (expected !== actual) {
    throw new AppError(
      'restore_checksum_mismatch',
      `Checksum mismatch for ${file}: expected ${expected || '(empty)'}, got ${actual}. The backup is damaged or was changed; refusing to restore it.`,
    );
  }
  return actual;
}

function readManifest(file: string): BackupManifest | null {
  try {
    return JSON.parse(readFileSync(manifestPath(file), 'utf8')) as BackupManifest;
  } catch {
    return null;
  }
}

/** The exact refusal of §7.1 when the backup knows a migration this release does not. */
export function assertKnownMigration(lastMigration: string | null): void {
  if (lastMigration === null) return;
  if (!migrations.some((migration) => migration.name === lastMigration)) {
    throw new AppError(
      'restore_newer_backup',
      `Backup was made by a newer Payrixa (migration ${lastMigration}); upgrade first.`,
    );
  }
}

/**
 * The newest migration recorded in a custom-format dump, read without restoring anything:
 * `pg_restore --data-only -t payrixa_migrations -f -` prints that one table's COPY block.
 */
export async function lastMigrationInDump(file: string, serverMajor: number): Promise<string | null> {
  const pgRestore = resolvePgTool('pg_restore', serverMajor);
  const script = String(
    await runPgTool(pgRestore, ['--data-only', '--table=payrixa_migrations', '--file=-', file], process.env),
  );
  const lines = script.split('\n');
  const header = lines.findIndex((line) => /^COPY\s+\S*payrixa_migrations\s*\(/.test(line));
  if (header < 0) return null;
  const columns = /\(([^)]*)\)/
    .exec(lines[header] as string)?.[1]
    ?.split(',')
    .map((column) => column.trim().replace(/"/g, ''));
  const nameIndex = columns?.indexOf('name') ?? -1;
  if (nameIndex < 0) return null;
  let newest: string | null = null;
  for (const line of lines.slice(header + 1)) {
    if (line === '\\.') break;
    const name = line.split('\t')[nameIndex];
    if (name && (newest === null || name > newest)) newest = name;
  }
  return newest;
}

export function compareCounts(
  expected: Record<string, number> | null,
  actual: Record<string, number>,
): CountCheck[] {
  const tables = [...new Set([...Object.keys(expected ?? {}), ...Object.keys(actual)])].sort();
  return tables.map((table) => ({
    table,
    expected: expected ? (expected[table] ?? null) : null,
    actual: actual[table] ?? null,
  }));
}

async function summary(
  database: Database,
): Promise<Pick<RestoreResult, 'customers' | 'users' | 'claims' | 'lastMigration'>> {
  const count = async (table: 'customers' | 'users' | 'claims'): Promise<number> => {
    const result = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)}`.execute(
      database.db,
    );
    return Number(result.rows[0]?.n ?? 0);
  };
  return {
    customers: await count('customers'),
    users: await count('users'),
    claims: await count('claims'),
    lastMigration: await lastAppliedMigration(database.db),
  };
}

/** Counts, summary and audit `restore_completed`, on the restored database. */
async function finish(
  database: Database,
  manifest: BackupManifest | null,
  details: { file: string; target: string; replacedDataDir: string | null },
): Promise<RestoreResult> {
  const actual = await tableCounts(database.db);
  const checks = compareCounts(manifest?.counts ?? null, actual);
  const verified = manifest === null ? null : checks.every((check) => check.expected === check.actual);
  const result: RestoreResult = {
    target: details.target,
    ...(await summary(database)),
    checks,
    verified,
    replacedDataDir: details.replacedDataDir,
  };
  await recordAudit(database.db, {
    action: 'restore_completed',
    entityType: 'backup',
    entityId: path.basename(details.file),
    metadata: {
      actor: 'cli',
      verified,
      last_migration: result.lastMigration,
      customers: result.customers,
      users: result.users,
      claims: result.claims,
    },
  });
  return result;
}

export async function restoreBackup(deps: RestoreDeps, options: RestoreOptions): Promise<RestoreResult> {
  const file = path.resolve(options.file);
  if (!existsSync(file)) throw new AppError('restore_missing', `No such backup file: ${file}`);
  const embedded = file.endsWith('.tar.gz');
  if (!embedded && !file.endsWith('.dump')) {
    throw new AppError(
      'restore_format',
      `${file} is not a Payrixa backup: expected a pg_dump custom-format .dump or an embedded .tar.gz.`,
    );
  }
  await verifyChecksum(file);
  const manifest = readManifest(file);
  if (embedded) {
    if (options.targetDatabaseUrl) {
      throw new AppError(
        'restore_unsupported',
        'An embedded backup (.tar.gz) restores into the embedded data directory only; --target-database-url needs a pg_dump backup (.dump).',
      );
    }
    if (deps.config.databaseUrl) {
      throw new AppError(
        'restore_unsupported',
        'An embedded backup (.tar.gz) restores into the embedded data directory; DATABASE_URL is set, so this installation uses PostgreSQL. Unset DATABASE_URL to restore the embedded database.',
      );
    }
    return restoreEmbedded(deps, file, manifest, options.yes);
  }
  const targetUrl = options.targetDatabaseUrl ?? deps.config.databaseUrl;
  if (!targetUrl) {
    throw new AppError(
      'restore_unsupported',
      'A pg_dump backup (.dump) restores into PostgreSQL: pass --target-database-url or set DATABASE_URL.',
    );
  }
  return restorePostgres(deps, file, manifest, targetUrl, options.yes);
}

async function restorePostgres(
  deps: RestoreDeps,
  file: string,
  manifest: BackupManifest | null,
  url: string,
  yes: boolean,
): Promise<RestoreResult> {
  const target = describeDatabaseUrl(url);
  const database = await createDatabase({ ...deps.config, databaseUrl: url }, { poolMax: 2 });
  try {
    const serverMajor = Math.floor((await database.serverVersionNum()) / 10000);
    // Read from the dump itself rather than the manifest: the manifest is a convenience
    // file, the dump is what gets restored.
    assertKnownMigration(await lastMigrationInDump(file, serverMajor));
    const tables = await publicTables(database.db);
    if (tables.length > 0 && !yes) {
      throw new AppError(
        'restore_target_not_empty',
        `The target database ${target} is not empty (${tables.length} tables); its contents would be replaced. Pass --yes to restore anyway.`,
      );
    }
    const pgRestore = resolvePgTool('pg_restore', serverMajor);
    deps.progress?.(`Restoring ${path.basename(file)} into ${target}...`);
    await runPgTool(
      pgRestore,
      [
        '--clean',
        '--if-exists',
        '--single-transaction',
        '--exit-on-error',
        '--no-owner',
        '--no-privileges',
        `--dbname=${databaseName(url)}`,
        file,
      ],
      pgToolEnv(url),
    );
    return await finish(database, manifest, { file, target, replacedDataDir: null });
  } finally {
    await database.close();
  }
}

/**
 * Embedded: the archive is unpacked into a staging data directory beside the live one
 * (`DATA_DIR/restore-<ts>/pgdata`), opened there to check its migrations, and only then put
 * in place; the replaced directory is kept as `pgdata.replaced-<ts>` for the operator to
 * delete once the restore is checked. The engine must be stopped: it owns the files.
 */
async function restoreEmbedded(
  deps: RestoreDeps,
  file: string,
  manifest: BackupManifest | null,
  yes: boolean,
): Promise<RestoreResult> {
  const dataDir = path.join(deps.config.dataDir, 'pgdata');
  const running = readServerRecord(dataDir);
  const holder = running?.pid ?? lockHolder(dataDir);
  if (holder !== null) {
    const what = running ? `payrixa ${running.role} (process ${holder})` : `process ${holder}`;
    throw new AppError(
      'restore_server_running',
      `The embedded database in ${dataDir} is in use by ${what}. Stop payrixa serve (and every other payrixa command) first: a restore replaces the data directory.`,
    );
  }
  const nonEmpty = existsSync(dataDir) && readdirSync(dataDir).length > 0;
  if (nonEmpty && !yes) {
    throw new AppError(
      'restore_target_not_empty',
      `The embedded database in ${dataDir} is not empty; its contents would be replaced. Pass --yes to restore anyway.`,
    );
  }
  const stamp = backupTimestamp(deps.clock.now());
  const staging = path.join(deps.config.dataDir, `restore-${stamp}`);
  const stagedData = path.join(staging, 'pgdata');
  mkdirSync(staging, { recursive: true, mode: 0o700 });
  try {
    deps.progress?.(`Restoring ${path.basename(file)} into ${dataDir}...`);
    // Loaded only here: unpacking a tarball into a data directory is PGlite's own job.
    const { PGlite } = await import('@electric-sql/pglite');
    const unpacked = await PGlite.create(stagedData, { loadDataDir: new Blob([readFileSync(file)]) });
    await unpacked.close();
    const staged = await createDatabase(deps.config, {
      embeddedDataDir: stagedData,
      embedded: { role: 'restore' },
    });
    try {
      assertKnownMigration(await lastAppliedMigration(staged.db));
    } finally {
      await staged.close();
    }
    let replacedDataDir: string | null = null;
    if (existsSync(dataDir)) {
      replacedDataDir = `${dataDir}.replaced-${stamp}`;
      renameSync(dataDir, replacedDataDir);
    }
    renameSync(stagedData, dataDir);
    const database = await createDatabase(deps.config, { embedded: { role: 'restore' } });
    try {
      return await finish(database, manifest, { file, target: dataDir, replacedDataDir });
    } finally {
      await database.close();
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** The verification table: `Table  Backup  Restored`, mismatches marked. */
export function countTableLines(checks: CountCheck[]): string[] {
  const width = Math.max(5, ...checks.map((check) => check.table.length));
  const cell = (value: number | null): string => (value === null ? '-' : String(value));
  const lines = [`${'Table'.padEnd(width)}  ${'Backup'.padStart(10)}  ${'Restored'.padStart(10)}`];
  for (const check of checks) {
    const mark = check.expected === null || check.expected === check.actual ? '' : '  MISMATCH';
    lines.push(
      `${check.table.padEnd(width)}  ${cell(check.expected).padStart(10)}  ${cell(check.actual).padStart(10)}${mark}`,
    );
  }
  return lines;
}
