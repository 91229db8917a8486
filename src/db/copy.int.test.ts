import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, onPostgres, type TestDatabase } from '../../test/db.ts';
import { copyRows, openCopyWriter } from './copy.ts';

let handle: TestDatabase | null = null;
afterEach(async () => {
  await handle?.close();
  handle = null;
});

describe(`copyRows (${onPostgres ? 'PostgreSQL, pg-copy-streams' : "PGlite, COPY FROM '/dev/blob'"})`, () => {
  it('round-trips awkward text, NULL vs empty, numbers, booleans, bytea and JSON', async () => {
    handle = await createTestDatabase({ migrated: false });
    const db = handle.database.db;
    await sql`CREATE TABLE copy_probe (
      id integer, t text, n numeric(12,2), b boolean, bytes bytea, doc jsonb, d date)`.execute(db);
    const tricky = ['a,b', 'say "hi"', 'line\nbreak\r\nCRLF', 'back\\slash \\N', '', 'ünïcødé 🏥', '\t tab'];
    const rows = tricky.map((t, i) => [
      i,
      t,
      i % 2 === 0 ? '-12.50' : null,
      i % 3 === 0,
      i === 0 ? Buffer.from([0, 1, 254, 255]) : null,
      i === 1 ? [{ level: 'claim', amount: '1.00', note: 'a "quoted", \\ value' }] : null,
      '2024-02-29',
    ]);
    rows.push([99, null, null, null, null, null, null]);
    expect(
      await copyRows(handle.database, 'copy_probe', ['id', 't', 'n', 'b', 'bytes', 'doc', 'd'], rows),
    ).toBe(8);
    const stored = await sql<{
      id: number;
      t: string | null;
      n: string | null;
      b: boolean | null;
      bytes: Uint8Array | null;
      doc: unknown;
      d: string | null;
    }>`SELECT * FROM copy_probe ORDER BY id`.execute(db);
    expect(stored.rows.map((r) => r.t)).toEqual([...tricky, null]);
    expect(stored.rows[0]?.n).toBe('-12.50');
    expect(stored.rows[1]?.n).toBeNull();
    expect(stored.rows.map((r) => r.b)).toEqual([true, false, false, true, false, false, true, null]);
    expect(Buffer.from(stored.rows[0]?.bytes ?? [])).toEqual(Buffer.from([0, 1, 254, 255]));
    expect(stored.rows[1]?.doc).toEqual([{ level: 'claim', amount: '1.00', note: 'a "quoted", \\ value' }]);
    expect(stored.rows[0]?.d).toBe('2024-02-29');
  });

  it('streams large batches and copies nothing for an empty input', async () => {
    handle = await createTestDatabase({ migrated: false });
    const db = handle.database.db;
    await sql`CREATE TABLE copy_bulk (id integer PRIMARY KEY, t text)`.execute(db);
    async function* many(): AsyncGenerator<[number, string]> {
      for (let i = 0; i < 20_000; i++) yield [i, `row ${i}`];
    }
    expect(await copyRows(handle.database, 'copy_bulk', ['id', 't'], many())).toBe(20_000);
    expect(await copyRows(handle.database, 'copy_bulk', ['id', 't'], [])).toBe(0);
    const count = await sql<{ n: string }>`SELECT count(*) AS n FROM copy_bulk`.execute(db);
    expect(Number(count.rows[0]?.n)).toBe(20_000);
  });

  it('fails cleanly on a constraint violation and leaves the connection usable', async () => {
    handle = await createTestDatabase({ migrated: false });
    const db = handle.database.db;
    await sql`CREATE TABLE copy_pk (id integer PRIMARY KEY)`.execute(db);
    await expect(copyRows(handle.database, 'copy_pk', ['id'], [[1], [1]])).rejects.toThrow(/duplicate key/);
    const count = await sql<{ n: string }>`SELECT count(*) AS n FROM copy_pk`.execute(db);
    expect(Number(count.rows[0]?.n)).toBe(0);
  });

  it('refuses identifiers that are not plain names', async () => {
    handle = await createTestDatabase({ migrated: false });
    await expect(copyRows(handle.database, 'x; DROP TABLE y', ['id'], [[1]])).rejects.toThrow(
      /invalid identifier/,
    );
  });

  it('a copy writer streams many rows in pieces; an aborted one leaves the connection usable', async () => {
    handle = await createTestDatabase({ migrated: false });
    const db = handle.database.db;
    await sql`CREATE TABLE copy_stream (id integer PRIMARY KEY, t text)`.execute(db);
    const writer = await openCopyWriter(handle.database, 'copy_stream', ['id', 't'], {
      pgliteBatchRows: 1_000,
    });
    for (let id = 1; id <= 30_000; id++) await writer.write([id, `row "${id}", with a comma`]);
    expect(await writer.end()).toBe(30_000);
    const stored = await sql<{ n: string; t: string }>`
      SELECT count(*) AS n, max(t) FILTER (WHERE id = 7) AS t FROM copy_stream`.execute(db);
    expect(Number(stored.rows[0]?.n)).toBe(30_000);
    expect(stored.rows[0]?.t).toBe('row "7", with a comma');

    const aborted = await openCopyWriter(handle.database, 'copy_stream', ['id', 't'], {
      pgliteBatchRows: 1_000,
    });
    for (let id = 30_001; id <= 30_500; id++) await aborted.write([id, 'x']);
    await aborted.abort(new Error('pipeline failed'));
    const after = await sql<{ n: string }>`SELECT count(*) AS n FROM copy_stream`.execute(db);
    // Nothing of the aborted load: rows still buffered are dropped (PGlite) / the COPY is undone.
    expect(Number(after.rows[0]?.n)).toBe(30_000);
  });

  it('a copy writer reports a failing row at end() and releases its connection', async () => {
    handle = await createTestDatabase({ migrated: false });
    const db = handle.database.db;
    await sql`CREATE TABLE copy_stream_pk (id integer PRIMARY KEY)`.execute(db);
    const writer = await openCopyWriter(handle.database, 'copy_stream_pk', ['id']);
    await writer.write([1]);
    await writer.write([1]);
    await expect(writer.end()).rejects.toThrow(/duplicate key/);
    const count = await sql<{ n: string }>`SELECT count(*) AS n FROM copy_stream_pk`.execute(db);
    expect(Number(count.rows[0]?.n)).toBe(0);
  });
});
