import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import type { Database } from './database.ts';

/**
 * The bulk-load port (ARCHITECTURE §2 "Bulk load"): `COPY … FROM STDIN` through
 * pg-copy-streams on PostgreSQL, `COPY … FROM '/dev/blob'` on PGlite. Rows are encoded as
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
  if (typeof value === 'string') text = value;
  else if (typeof value === 'number') {
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
 * Bulk-loads `rows` into `table`. Call it with batches (a few thousand rows): on PGlite the
 * batch is handed over as one Blob; on PostgreSQL the rows stream with backpressure. Runs
 * outside any transaction of the caller (on PGlite it waits for the single connection).
 * Returns the number of rows copied.
 */
export async function copyRows(
  database: Database,
  table: string,
  columns: readonly string[],
  rows: Iterable<readonly CopyValue[]> | AsyncIterable<readonly CopyValue[]>,
): Promise<number> {
  if (database.kind === 'pglite') {
    const pglite = database.pglite;
    if (!pglite) throw new Error('PGlite database without its engine handle');
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

  const pool = database.pool;
  if (!pool) throw new Error('PostgreSQL database without its pool');
  const client = await pool.connect();
  let count = 0;
  try {
    const ingest = client.query(copyFrom(copyStatement(table, columns, 'STDIN')));
    async function* lines(): AsyncGenerator<string> {
      for await (const row of rows) {
        count++;
        yield encodeCopyLine(row);
      }
    }
    await pipeline(Readable.from(lines()), ingest);
    return count;
  } finally {
    client.release();
  }
}
