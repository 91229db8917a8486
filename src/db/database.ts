import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Config } from '../config/env.ts';
import { DependencyError, describeError } from '../config/errors.ts';
import { PGliteDialect } from './dialect-pglite.ts';
import type { DB } from './schema.ts';

export type DatabaseKind = 'pglite' | 'postgres';

/** The database port: a Kysely handle plus the few operations that differ per engine. */
export interface Database {
  readonly db: Kysely<DB>;
  readonly kind: DatabaseKind;
  /** Human description without credentials, e.g. `postgres://db.internal:5432/payrixa`. */
  readonly description: string;
  /** Runs `SELECT 1`, failing after `timeoutMs`. */
  ping(timeoutMs?: number): Promise<void>;
  /** `server_version_num`, e.g. 140011. */
  serverVersionNum(): Promise<number>;
  /** Pool statistics for metrics (PGlite: one connection). */
  poolStats(): { total: number; idle: number; waiting: number };
  close(): Promise<void>;
  /** The embedded engine, when kind is pglite (bulk COPY uses it directly). */
  readonly pglite: PGlite | null;
  readonly pool: pg.Pool | null;
}

export interface DatabaseOptions {
  /** Embedded only: `memory` for a throw-away in-memory database (tests). */
  embeddedDataDir?: string | 'memory';
  /** Applies DATABASE_STATEMENT_TIMEOUT_MS to every connection (web processes). */
  statementTimeout?: boolean;
  applicationName?: string;
}

// Identical value conventions on both engines: int8 → number (ids stay far below 2^53),
// numeric → exact decimal string, date → 'YYYY-MM-DD' string (no time-zone shifts).
const INT8 = 20;
const NUMERIC = 1700;
const DATE = 1082;
pg.types.setTypeParser(INT8, (value: string) => Number(value));
pg.types.setTypeParser(DATE, (value: string) => value);

/** Opens the configured database: PostgreSQL when DATABASE_URL is set, else embedded PGlite. */
export async function createDatabase(config: Config, options: DatabaseOptions = {}): Promise<Database> {
  if (config.databaseUrl) return openPostgres(config.databaseUrl, config, options);
  const dataDir = options.embeddedDataDir ?? path.join(config.dataDir, 'pgdata');
  return openPglite(dataDir);
}

/** Redacts the password of a connection URL for messages and logs. */
export function describeDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const database = parsed.pathname.replace(/^\//, '') || '(default)';
    return `${parsed.protocol}//${parsed.hostname}${parsed.port ? `:${parsed.port}` : ''}/${database}`;
  } catch {
    return 'postgres://(unparseable)';
  }
}

async function openPostgres(url: string, config: Config, options: DatabaseOptions): Promise<Database> {
  const description = describeDatabaseUrl(url);
  const pool = new pg.Pool({
    connectionString: url,
    max: config.databasePoolMax,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    application_name: options.applicationName ?? 'payrixa',
    ...(options.statementTimeout &&
      config.databaseStatementTimeoutMs > 0 && { statement_timeout: config.databaseStatementTimeoutMs }),
  });
  // An idle client losing its server must not crash the process; the next query reports it.
  pool.on('error', () => {});
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  let closing: Promise<void> | null = null;
  const database: Database = {
    db,
    kind: 'postgres',
    description,
    pglite: null,
    pool,
    ping: (timeoutMs = 2_000) =>
      withTimeout(
        sql`select 1`.execute(db).then(() => undefined),
        timeoutMs,
      ),
    serverVersionNum: async () => {
      const result = await sql<{ v: string }>`select current_setting('server_version_num') as v`.execute(db);
      return Number(result.rows[0]?.v ?? 0);
    },
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    close: () => {
      closing ??= db.destroy();
      return closing;
    },
  };
  try {
    await database.ping(10_000);
  } catch (error) {
    await db.destroy().catch(() => {});
    throw new DependencyError(`Cannot connect to the database at ${description}: ${describeError(error)}`);
  }
  return database;
}

async function openPglite(dataDir: string): Promise<Database> {
  const inMemory = dataDir === 'memory';
  let releaseLock = (): void => {};
  if (!inMemory) {
    mkdirSync(dataDir, { recursive: true });
    releaseLock = acquireDataDirLock(dataDir);
  }
  let pglite: PGlite;
  try {
    pglite = await PGlite.create(inMemory ? undefined : dataDir, {
      parsers: {
        [INT8]: (value: string) => Number(value),
        [NUMERIC]: (value: string) => value,
        [DATE]: (value: string) => value,
      },
    });
  } catch (error) {
    releaseLock();
    throw new DependencyError(`Cannot open the embedded database in ${dataDir}: ${describeError(error)}`);
  }
  const db = new Kysely<DB>({ dialect: new PGliteDialect(pglite) });
  let closed = false;
  return {
    db,
    kind: 'pglite',
    description: inMemory ? 'embedded PostgreSQL (in memory)' : `embedded PostgreSQL in ${dataDir}`,
    pglite,
    pool: null,
    ping: (timeoutMs = 2_000) => {
      if (closed || pglite.closed) return Promise.reject(new Error('embedded database is closed'));
      return withTimeout(
        sql`select 1`.execute(db).then(() => undefined),
        timeoutMs,
      );
    },
    serverVersionNum: async () => {
      const result = await sql<{ v: string }>`select current_setting('server_version_num') as v`.execute(db);
      return Number(result.rows[0]?.v ?? 0);
    },
    poolStats: () => ({ total: 1, idle: 1, waiting: 0 }),
    close: async () => {
      if (closed) return;
      closed = true;
      await db.destroy();
      if (!pglite.closed) await pglite.close();
      releaseLock();
    },
  };
}

/**
 * PGlite allows one owner of its data directory; two processes opening it would corrupt
 * it. A pid file makes the second one fail with a clear message instead.
 */
function acquireDataDirLock(dataDir: string): () => void {
  const lockPath = path.join(dataDir, '..', `${path.basename(dataDir)}.lock`);
  try {
    const holder = Number(readFileSync(lockPath, 'utf8').trim());
    if (holder && holder !== process.pid && isProcessAlive(holder)) {
      throw new DependencyError(
        `The embedded database in ${dataDir} is in use by process ${holder}. ` +
          'Stop that process first (embedded mode runs everything in one process), or set DATABASE_URL.',
      );
    }
  } catch (error) {
    if (error instanceof DependencyError) throw error;
  }
  writeFileSync(lockPath, String(process.pid));
  return () => {
    try {
      if (readFileSync(lockPath, 'utf8').trim() === String(process.pid)) rmSync(lockPath, { force: true });
    } catch {
      // Already gone.
    }
  };
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Rejects with "timed out after N ms" when `promise` takes longer. */
export function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
