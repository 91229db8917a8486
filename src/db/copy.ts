import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import type { Database } from './database.ts';

/**
 * The bulk-load port (ARCHITECTURE §2 "Bulk load"): `COPY … FROM STDIN` through
 * pg-copy-streams on PostgreSQL and on the embedded server's socket (which runs it as
 * PGlite's `COPY … FROM '/dev/blob'`, src/db/embedded/wire-server.ts), and
 * `COPY … FROM '/dev/blob'` directly on an in-process PGlite (tests). Rows are encoded as
 * CSV (every non-null value quoted, NULL = an unquoted empty field), so text with commas,
 * quotes, newlines or backslashes needs no further escaping.
 */

/** A value of one COPY cell. Buffers become bytea hex; plain objects and arrays become JSON. */
export type CopyValue = string | number | boolean | null | Buffer | object;

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

function quoteIdentifier(name: string): string {
  if (!IDENTIFIER.test(name)) throw new Error(`invalid identifier for COPY: ${name}`);
  return `"${name}"`;
}

function encodeCell(value: CopyValue): string {
  if (value === null) return '';
  let text: string;
  if (typeof value === 'string') {
    // Most cells have no quote: skip the replace (this runs for every cell of every row).
    return value.includes('"') ? `"${value.replaceAll('"', '""')}"` : `"${value}"`;
  } else if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error('COPY cannot encode a non-finite number');
    return String(value);
  } else if (typeof value === 'boolean') return value ? 't' : 'f';
  else if (Buffer.isBuffer(value)) return `\\x${value.toString('hex')}`;
  else text = JSON.stringify(value);
  return `"${text.replaceAll('"', '""')}"`;
}

/** One CSV line (with its newline) for COPY. */
export function encodeCopyLine(row: readonly CopyValue[]): string {
  let line = '';
  for (let index = 0; index < row.length; index++) {
    if (index > 0) line += ',';
    line += encodeCell(row[index] as CopyValue);
  }
  return `${line}\n`;
}

function copyStatement(table: string, columns: readonly string[], source: string): string {
  return `COPY ${quoteIdentifier(table)} (${columns.map(quoteIdentifier).join(', ')}) FROM ${source} WITH (FORMAT csv)`;
}

/**
 * Bulk-loads `rows` into `table`. Call it with batches (a few thousand rows): on an
 * in-process PGlite the batch is handed over as one Blob; otherwise the rows stream with
 * backpressure through `openCopyWriter`'s COPY FROM STDIN. Runs
 * outside any transaction of the caller (on PGlite it waits for the single connection).
 * Returns the number of rows copied.
 */
export async function copyRows(
  database: Database,
  table: string,
  columns: readonly string[],
  rows: Iterable<readonly CopyValue[]> | AsyncIterable<readonly CopyValue[]>,
): Promise<number> {
  const pglite = database.pglite;
  if (pglite) {
    const parts: string[] = [];
    let count = 0;
    for await (const row of rows) {
      parts.push(encodeCopyLine(row));
      count++;
    }
    if (count === 0) return 0;
    const blob = new Blob(parts, { type: 'text/csv' });
    // Hold the dialect's connection lock so the COPY never lands inside someone's transaction.
    await database.db.connection().execute(async () => {
      await pglite.query(copyStatement(table, columns, "'/dev/blob'"), [], { blob });
    });
    return count;
  }

  const writer = await streamingCopyWriter(database, table, columns);
  try {
    for await (const row of rows) await writer.write(row);
  } catch (error) {
    await writer.abort(error instanceof Error ? error : new Error(String(error)));
    throw error;
  }
  return writer.end();
}

/**
 * An open bulk load that rows are written to one at a time, for producers that want to keep
 * going while the database ingests (the upload pipeline). `end()` commits the load and returns
 * the row count; `abort()` discards it. Either must be called exactly once.
 */
export interface CopyWriter {
  /** Resolves at once unless the database is behind (then after it caught up). */
  write(row: readonly CopyValue[]): Promise<void>;
  end(): Promise<number>;
  abort(reason: Error): Promise<void>;
}

/** Encoded text handed to the driver in pieces of about this size (one write per piece). */
const COPY_PIECE_CHARS = 256 * 1024;

/**
 * Opens a bulk load into `table`. On PostgreSQL it is ONE `COPY … FROM STDIN` for all rows on
 * a dedicated pool connection: rows are encoded into ~256 KB pieces and streamed with
 * backpressure, so PostgreSQL parses and stores while the caller produces the next rows, and
 * the load is atomic (an aborted COPY stores nothing). On PGlite (one backend shared with
 * everything else) rows are buffered and loaded in batches of `pgliteBatchRows`, each a COPY
 * of its own, so other sessions' queries run between them.
 */
export async function openCopyWriter(
  database: Database,
  table: string,
  columns: readonly string[],
  options: { pgliteBatchRows?: number } = {},
): Promise<CopyWriter> {
  if (database.kind === 'pglite') return pgliteCopyWriter(database, table, columns, options.pgliteBatchRows);
  return streamingCopyWriter(database, table, columns);
}

/** ONE `COPY … FROM STDIN` on a dedicated pool connection, streamed with backpressure. */
async function streamingCopyWriter(
  database: Database,
  table: string,
  columns: readonly string[],
): Promise<CopyWriter> {
  const pool = database.pool;
  if (!pool) throw new Error('PostgreSQL database without its pool');
  const statement = copyStatement(table, columns, 'STDIN'); // validates names before a connection is taken
  const client = await pool.connect();
  const ingest = client.query(copyFrom(statement));
  // Remember a failure of the COPY (bad value, constraint) so the next write reports it.
  let failure: Error | null = null;
  ingest.on('error', (error: Error) => {
    failure ??= error;
  });
  let piece = '';
  let count = 0;
  let closed = false;
  const release = (broken: boolean): void => {
    if (closed) return;
    closed = true;
    client.release(broken ? true : undefined);
  };
  const push = async (text: string): Promise<void> => {
    if (failure) throw failure;
    if (!ingest.write(text)) {
      // Cancel the `once` that loses the race, or its listeners pile up on the stream.
      const settled = new AbortController();
      try {
        await Promise.race([
          once(ingest, 'drain', { signal: settled.signal }),
          once(ingest, 'close', { signal: settled.signal }),
        ]);
      } finally {
        settled.abort();
      }
      if (failure) throw failure;
    }
  };
  return {
    async write(row) {
      piece += encodeCopyLine(row);
      count++;
      if (piece.length >= COPY_PIECE_CHARS) {
        const text = piece;
        piece = '';
        await push(text);
      }
    },
    async end() {
      try {
        if (piece.length > 0) await push(piece);
        piece = '';
        ingest.end();
        await finished(ingest);
        if (failure) throw failure;
        release(false);
        return count;
      } catch (error) {
        release(true);
        throw error;
      }
    },
    async abort(reason) {
      piece = '';
      if (!ingest.destroyed) ingest.destroy(reason);
      // The server answers the CopyFail; wait for it so the connection is clean, then drop it
      // anyway (a half-finished protocol exchange must never go back to the pool).
      await finished(ingest).catch(() => {});
      release(true);
    },
  };
}

function pgliteCopyWriter(
  database: Database,
  table: string,
  columns: readonly string[],
  batchRows = 20_000,
): CopyWriter {
  let batch: (readonly CopyValue[])[] = [];
  let count = 0;
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const rows = batch;
    batch = [];
    count += await copyRows(database, table, columns, rows);
  };
  return {
    async write(row) {
      batch.push(row);
      if (batch.length >= batchRows) await flush();
    },
    async end() {
      await flush();
      return count;
    },
    async abort() {
      // Batches already loaded are not undone here: the caller deletes what it staged.
      batch = [];
    },
  };
}
