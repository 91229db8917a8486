import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { Kysely, type LogEvent, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Config } from '../config/env.ts';
import { DependencyError, describeError } from '../config/errors.ts';
import { observeQuery } from '../obs/metrics.ts';
import { PGliteDialect } from './dialect-pglite.ts';
import {
  type EmbeddedAddress,
  type EmbeddedServerRecord,
  lockHolder,
  readServerRecord,
  startEmbeddedHost,
} from './embedded/host.ts';
import type { DB } from './schema.ts';

/**
 * The engine: `postgres` (a server with one backend per connection) or `pglite` (embedded
 * PostgreSQL: ONE backend, so one session runs at a time — see docs/ARCHITECTURE.md).
 */
export type DatabaseKind = 'pglite' | 'postgres';

/** The database port: a Kysely handle plus the few operations that differ per engine. */
export interface Database {
  readonly db: Kysely<DB>;
  readonly kind: DatabaseKind;
  /**
   * Embedded on disk: the server this handle talks to (hosted by this process or another
   * one) — threads and other processes connect to the same address. Null otherwise.
   */
  readonly embedded: EmbeddedConnection | null;
  /** Human description without credentials, e.g. `postgres://db.internal:5432/payrixa`. */
  readonly description: string;
  /** Runs `SELECT 1`, failing after `timeoutMs`. */
  ping(timeoutMs?: number): Promise<void>;
  /** `server_version_num`, e.g. 140011. */
  serverVersionNum(): Promise<number>;
  /** Pool statistics for metrics (PGlite: one connection). */
  poolStats(): { total: number; idle: number; waiting: number };
  close(): Promise<void>;
  /** An in-process embedded engine (in-memory test databases only; bulk COPY uses it directly). */
  readonly pglite: PGlite | null;
  readonly pool: pg.Pool | null;
}

export interface EmbeddedConnection {
  address: EmbeddedAddress;
  dataDir: string;
  /** The process that hosts the engine, and its command (`serve`, `demo`, `migrate` …). */
  hostPid: number;
  hostRole: string;
  /** True when this handle started the host (closing it stops the engine). */
  ownsHost: boolean;
}

export interface DatabaseOptions {
  /** Embedded only: `memory` for a throw-away in-process in-memory database (tests). */
  embeddedDataDir?: string | 'memory';
  /** Applies DATABASE_STATEMENT_TIMEOUT_MS to every connection (web processes). */
  statementTimeout?: boolean;
  applicationName?: string;
  /**
   * Embedded on disk: the command opening it. With `host: 'require'` (serve, demo) this
   * process must host the engine and refuses when another process does; with `join` (web
   * workers of a cluster) it must join a running server; by default a running server is
   * joined, else this process hosts one until `close()`.
   */
  embedded?: { role: string; host?: 'require' | 'join' | 'join-or-host' };
  /** Embedded: connect to this server (threads and web workers of the hosting process). */
  embeddedServer?: EmbeddedConnection;
  /** Connections in this handle's pool (default DATABASE_POOL_MAX). */
  poolMax?: number;
}

// Identical value conventions on both engines: int8 → number (ids stay far below 2^53),
// numeric → exact decimal string, date → 'YYYY-MM-DD' string (no time-zone shifts).
const INT8 = 20;
const NUMERIC = 1700;
const DATE = 1082;
pg.types.setTypeParser(INT8, (value: string) => Number(value));
pg.types.setTypeParser(DATE, (value: string) => value);

/**
 * Kysely's log hook feeds `payrixa_db_query_duration_seconds` (web-api-ops §5.2); failed
 * queries are timed too. Only the statement's first keyword is read, never its parameters.
 */
function timeQuery(event: LogEvent): void {
  observeQuery(event.query.sql, event.queryDurationMillis);
}

/** Opens the configured database: PostgreSQL when DATABASE_URL is set, else embedded PGlite. */
export async function createDatabase(config: Config, options: DatabaseOptions = {}): Promise<Database> {
  if (config.databaseUrl) return openPostgres(config.databaseUrl, config, options);
  if (options.embeddedServer) return openEmbeddedClient(options.embeddedServer, config, options);
  const dataDir = options.embeddedDataDir ?? path.join(config.dataDir, 'pgdata');
  if (dataDir === 'memory') return openPglite(dataDir);
  return openEmbedded(path.resolve(dataDir), config, options);
}

/** How long a command waits for a server that holds the lock but has not published its address. */
const HOST_STARTING_WAIT_MS = 60_000;

/**
 * Embedded on disk: joins the server of the data directory when one runs (the CLI beside
 * `serve`), else hosts the engine in a thread of this process for the handle's lifetime.
 */
async function openEmbedded(dataDir: string, config: Config, options: DatabaseOptions): Promise<Database> {
  const role = options.embedded?.role ?? 'payrixa';
  const deadline = Date.now() + HOST_STARTING_WAIT_MS;
  for (;;) {
    const running = readServerRecord(dataDir);
    if (running) {
      // Another process's server — or one this process hosts already (a second handle).
      if (options.embedded?.host === 'require') throw hostedElsewhere(dataDir, running);
      return openEmbeddedClient(connectionOf(running, false), config, options);
    }
    const holder = lockHolder(dataDir);
    // Another process is starting its server (lock taken, address not yet published): wait.
    if (holder !== null && holder !== process.pid && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      continue;
    }
    break;
  }
  if (options.embedded?.host === 'join') {
    throw new DependencyError(`No running server serves the embedded database in ${dataDir}.`);
  }
  const host = await startEmbeddedHost(dataDir, role);
  // The engine died under us (a WebAssembly abort): nothing this process does can succeed
  // any more. Exit with a clear line; a supervisor restarts it and PGlite recovers its files.
  host.onExit((reason) => {
    process.stderr.write(`Error: ${reason}; the embedded database is gone, exiting.\n`);
    process.exit(1);
  });
  try {
    return await openEmbeddedClient(connectionOf(host.record, true), config, options, () => host.stop());
  } catch (error) {
    await host.stop();
    throw error;
  }
}

function connectionOf(record: EmbeddedServerRecord, ownsHost: boolean): EmbeddedConnection {
  return {
    address: record.address,
    dataDir: record.dataDir,
    hostPid: record.pid,
    hostRole: record.role,
    ownsHost,
  };
}

function hostedElsewhere(dataDir: string, running: EmbeddedServerRecord): DependencyError {
  if (running.pid === process.pid) {
    return new DependencyError(`The embedded database in ${dataDir} is already served by this process.`);
  }
  const what = running.role === 'serve' || running.role === 'demo' ? 'a running server' : 'another command';
  return new DependencyError(
    `The embedded database in ${dataDir} is served by ${what}: payrixa ${running.role} (process ${running.pid}). ` +
      (what === 'a running server'
        ? `Use that server, or stop it first (Ctrl+C in its terminal, or kill ${running.pid}).`
        : 'Wait for it to finish, then try again.'),
  );
}

/** A `pg` pool on an embedded server (this process's own host thread, or another process's). */
async function openEmbeddedClient(
  connection: EmbeddedConnection,
  config: Config,
  options: DatabaseOptions,
  stopHost?: () => Promise<void>,
): Promise<Database> {
  const { address } = connection;
  const pool = new pg.Pool({
    host: address.host,
    port: address.port,
    user: 'payrixa',
    database: 'payrixa',
    password: address.password,
    max: options.poolMax ?? config.databasePoolMax,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    application_name: options.applicationName ?? 'payrixa',
  });
  const hostedBy = connection.ownsHost
    ? ''
    : ` (served by payrixa ${connection.hostRole}, process ${connection.hostPid})`;
  return openPool(pool, {
    kind: 'pglite',
    description: `embedded PostgreSQL in ${connection.dataDir}${hostedBy}`,
    embedded: connection,
    ...(stopHost && { afterClose: stopHost }),
  });
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
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolMax ?? config.databasePoolMax,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    application_name: options.applicationName ?? 'payrixa',
    ...(options.statementTimeout &&
      config.databaseStatementTimeoutMs > 0 && { statement_timeout: config.databaseStatementTimeoutMs }),
  });
  return openPool(pool, { kind: 'postgres', description: describeDatabaseUrl(url), embedded: null });
}

/** The database port over a `pg` pool (PostgreSQL, or an embedded server's socket). */
async function openPool(
  pool: pg.Pool,
  details: {
    kind: DatabaseKind;
    description: string;
    embedded: EmbeddedConnection | null;
    afterClose?: () => Promise<void>;
  },
): Promise<Database> {
  const { description } = details;
  // An idle client losing its server must not crash the process; the next query reports it.
  pool.on('error', () => {});
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }), log: timeQuery });
  let closing: Promise<void> | null = null;
  const database: Database = {
    db,
    kind: details.kind,
    embedded: details.embedded,
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
      closing ??= (async () => {
        await db.destroy();
        await details.afterClose?.();
      })();
      return closing;
    },
  };
  try {
    await database.ping(10_000);
  } catch (error) {
    await db.destroy().catch(() => {});
    await details.afterClose?.().catch(() => {});
    throw new DependencyError(`Cannot connect to the database at ${description}: ${describeError(error)}`);
  }
  return database;
}

/** An in-process, in-memory PGlite (the fast database of the int test tier). */
async function openPglite(dataDir: 'memory'): Promise<Database> {
  let pglite: PGlite;
  try {
    // Loaded only here: product processes reach PGlite through the embedded server's thread.
    const { PGlite } = await import('@electric-sql/pglite');
    pglite = await PGlite.create(undefined, {
      parsers: {
        [INT8]: (value: string) => Number(value),
        [NUMERIC]: (value: string) => value,
        [DATE]: (value: string) => value,
      },
    });
  } catch (error) {
    throw new DependencyError(`Cannot open the embedded database in ${dataDir}: ${describeError(error)}`);
  }
  const db = new Kysely<DB>({ dialect: new PGliteDialect(pglite), log: timeQuery });
  let closed = false;
  return {
    db,
    kind: 'pglite',
    embedded: null,
    description: 'embedded PostgreSQL (in memory)',
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
    },
  };
}

/** Rejects with "timed out after N ms" when `promise` takes longer. */
export function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
