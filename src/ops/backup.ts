import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type Kysely, sql, type Transaction } from 'kysely';
import type { Config } from '../config/env.ts';
import { AppError } from '../config/errors.ts';
import type { Database } from '../db/database.ts';
import type { DB } from '../db/schema.ts';
import { recordAudit } from '../obs/audit.ts';
import type { Clock } from '../services.ts';
import { pgToolEnv, resolvePgTool, runPgTool } from './pg-tools.ts';

/**
 * `payrixa backup` and the `maintenance.backup` job (web-api-ops §7.1, §7.4): one consistent
 * copy of the database plus `<file>.sha256` (sha256sum format) and `<file>.manifest.json` (row
 * counts per table and the newest migration, taken in the same snapshot as the copy, so that
 * `payrixa restore` can verify what it restored), then rotation of old backups.
 *
 * - PostgreSQL (DATABASE_URL): `pg_dump -Fc --no-owner --no-privileges` of the snapshot the
 *   counts were read in (`pg_export_snapshot()` + `pg_dump --snapshot`).
 * - Embedded: PGlite's gzip tarball of its data directory, made by the thread that owns the
 *   engine (`PAYRIXA DUMP DATA DIR TO …`, src/db/embedded/wire-server.ts) inside the read
 *   transaction that counted the rows: while that transaction holds the single backend, no
 *   other session writes, so counts and tarball describe the same state.
 */

export type BackupKind = 'pg_dump' | 'embedded';

export interface BackupManifest {
  format: 'payrixa-backup/1';
  kind: BackupKind;
  createdAt: string;
  /** The newest applied migration in the copy (null: an unmigrated database). */
  lastMigration: string | null;
  /** Rows per table of the public schema, in the copy. */
  counts: Record<string, number>;
}

export interface BackupResult {
  path: string;
  bytes: number;
  sha256: string;
  manifest: BackupManifest;
  /** Old backups removed by rotation (file names). */
  deleted: string[];
}

export interface BackupOptions {
  /** Exact output file (its directory is the one rotated). */
  out?: string;
  /** Directory for `payrixa_<ts>.<ext>` (default BACKUP_DIR). */
  dir?: string;
  /** Rotation: delete our backups older than this many days (default BACKUP_KEEP_DAYS). */
  keepDays?: number;
  /** Who asked, for the audit event: `cli` or `job`. */
  actor: 'cli' | 'job';
  requestId?: string | null;
}

export interface BackupDeps {
  database: Database;
  config: Config;
  clock: Clock;
}

/** Our backup names: `payrixa_YYYYmmdd_HHMMSS.dump` / `.tar.gz` (UTC). Rotation touches nothing else. */
export const BACKUP_NAME = /^payrixa_(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})\.(dump|tar\.gz)$/;

/** `YYYYmmdd_HHMMSS` in UTC. */
export function backupTimestamp(date: Date): string {
  const iso = date.toISOString(); // 2026-12-07T21:30:05.123Z
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}_${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
}

export function backupKindOf(database: Database): BackupKind {
  return database.kind === 'postgres' ? 'pg_dump' : 'embedded';
}

export function defaultBackupName(kind: BackupKind, now: Date): string {
  return `payrixa_${backupTimestamp(now)}.${kind === 'pg_dump' ? 'dump' : 'tar.gz'}`;
}

export function checksumPath(file: string): string {
  return `${file}.sha256`;
}

export function manifestPath(file: string): string {
  return `${file}.manifest.json`;
}

export async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** `1.2 MB`-style size for the `Backup written:` line. */
export function formatSize(bytes: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}

/** The base tables of the public schema, by name. */
export async function publicTables(db: Kysely<DB> | Transaction<DB>): Promise<string[]> {
  const result = await sql<{ name: string }>`
    select table_name as name from information_schema.tables
    where table_schema = 'public' and table_type = 'BASE TABLE'
    order by table_name`.execute(db);
  return result.rows.map((row) => row.name);
}

/** Exact row counts per public table (count(*): a manifest must be exact, not an estimate). */
export async function tableCounts(db: Kysely<DB> | Transaction<DB>): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of await publicTables(db)) {
    const result = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)}`.execute(db);
    counts[table] = Number(result.rows[0]?.n ?? 0);
  }
  return counts;
}

/** The newest applied migration (names sort in order: `NNNN_…`), or null. */
export async function lastAppliedMigration(db: Kysely<DB> | Transaction<DB>): Promise<string | null> {
  const exists = await sql<{ found: boolean }>`
    select to_regclass('public.payrixa_migrations') is not null as found`.execute(db);
  if (!exists.rows[0]?.found) return null;
  const result = await sql<{ name: string | null }>`select max(name) as name from payrixa_migrations`.execute(
    db,
  );
  return result.rows[0]?.name ?? null;
}

/** Writes the backup, its checksum and manifest, rotates, and records audit `backup_created`. */
export async function createBackup(deps: BackupDeps, options: BackupOptions): Promise<BackupResult> {
  const { database, config, clock } = deps;
  const now = clock.now();
  const kind = backupKindOf(database);
  const file = path.resolve(
    options.out ?? path.join(options.dir ?? config.backup.dir, defaultBackupName(kind, now)),
  );
  const dir = path.dirname(file);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o750 });
  } catch (error) {
    throw new AppError(
      'backup_dir',
      `Cannot create the backup directory ${dir}: ${(error as Error).message}. Create it (owned by the service user) or set BACKUP_DIR.`,
    );
  }
  const base = { format: 'payrixa-backup/1' as const, kind, createdAt: now.toISOString() };
  let manifest: BackupManifest;
  try {
    manifest =
      kind === 'pg_dump'
        ? await dumpPostgres(database, config, file, base)
        : await dumpEmbedded(database, file, base);
  } catch (error) {
    rmSync(file, { force: true });
    throw error;
  }
  const bytes = statSync(file).size;
  const sha256 = await sha256OfFile(file);
  writeFileSync(checksumPath(file), `${sha256}  ${path.basename(file)}\n`, { mode: 0o640 });
  writeFileSync(manifestPath(file), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o640 });
  const deleted = rotateBackups(dir, options.keepDays ?? config.backup.keepDays, now, path.basename(file));
  await recordAudit(database.db, {
    action: 'backup_created',
    entityType: 'backup',
    entityId: path.basename(file),
    requestId: options.requestId ?? null,
    metadata: { actor: options.actor, kind, bytes, sha256, rotated: deleted.length },
  });
  return { path: file, bytes, sha256, manifest, deleted };
}

type ManifestBase = Pick<BackupManifest, 'format' | 'kind' | 'createdAt'>;

async function dumpPostgres(
  database: Database,
  config: Config,
  file: string,
  base: ManifestBase,
): Promise<BackupManifest> {
  const url = config.databaseUrl as string;
  const serverMajor = Math.floor((await database.serverVersionNum()) / 10000);
  const pgDump = resolvePgTool('pg_dump', serverMajor);
  // Counts and dump read one snapshot: the transaction exports it and stays open while
  // pg_dump runs (a snapshot lives as long as the transaction that exported it).
  return database.db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => {
      const snapshot = await sql<{ id: string }>`select pg_export_snapshot() as id`.execute(trx);
      const counts = await tableCounts(trx);
      const lastMigration = await lastAppliedMigration(trx);
      await runPgTool(
        pgDump,
        [
          '--format=custom',
          '--no-owner',
          '--no-privileges',
          `--snapshot=${snapshot.rows[0]?.id}`,
          `--file=${file}`,
          `--dbname=${new URL(url).pathname.slice(1) || 'postgres'}`,
        ],
        pgToolEnv(url),
      );
      return { ...base, lastMigration, counts };
    });
}

async function dumpEmbedded(database: Database, file: string, base: ManifestBase): Promise<BackupManifest> {
  if (!database.embedded) {
    throw new AppError(
      'backup_unsupported',
      'An in-memory embedded database has no data directory to back up.',
    );
  }
  return database.db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => {
      const counts = await tableCounts(trx);
      const lastMigration = await lastAppliedMigration(trx);
      await sql.raw(`PAYRIXA DUMP DATA DIR TO '${file.replace(/'/g, "''")}'`).execute(trx);
      return { ...base, lastMigration, counts };
    });
}

/**
 * Deletes our backups (`payrixa_<ts>.dump|.tar.gz` with their `.sha256` and `.manifest.json`)
 * whose timestamp in the name is more than `keepDays` days before `now`. Other files in the
 * directory are never touched. The name, not the mtime, dates a backup: copying a backup
 * around (restore drills, off-host sync back) must not make it look new or old.
 */
export function rotateBackups(dir: string, keepDays: number, now: Date, keep?: string): string[] {
  const cutoff = now.getTime() - keepDays * 86_400_000;
  const deleted: string[] = [];
  for (const name of readdirSync(dir)) {
    const match = BACKUP_NAME.exec(name);
    if (!match || name === keep) continue;
    const [, y, mo, d, h, mi, s] = match;
    const takenAt = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
    if (takenAt >= cutoff) continue;
    const file = path.join(dir, name);
    for (const companion of [file, checksumPath(file), manifestPath(file)])
      rmSync(companion, { force: true });
    deleted.push(name);
  }
  return deleted.sort();
}
