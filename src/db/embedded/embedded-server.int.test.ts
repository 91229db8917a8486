import { existsSync } from 'node:fs';
import { finished } from 'node:stream/promises';
import { sql } from 'kysely';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../../../test/config.ts';
import { onPostgres } from '../../../test/db.ts';
import type { Config } from '../../config/env.ts';
import { copyRows } from '../copy.ts';
import { createDatabase, type Database } from '../database.ts';
import { serverRecordPath } from './host.ts';

/**
 * The embedded server (src/db/embedded/): PGlite in its own thread behind the PostgreSQL wire
 * protocol. What the product relies on: sessions never interleave inside a transaction, a
 * dropped session is rolled back, COPY FROM STDIN works, other handles join the running
 * server instead of opening the files again.
 */
describe.skipIf(onPostgres)('embedded PostgreSQL server', () => {
  // One engine for the file (creating a PGlite data directory is the slow part).
  let config: Config;
  let host: Database;
  let joined: Database | null = null;

  beforeAll(async () => {
    config = testConfig();
    host = await createDatabase(config, { embedded: { role: 'serve' } });
  });

  afterAll(async () => {
    await joined?.close();
    await host?.close();
  });

  function client(database: Database): pg.Client {
    const address = database.embedded?.address;
    if (!address) throw new Error('not an embedded server');
    const raw = new pg.Client({
      host: address.host,
      port: address.port,
      password: address.password,
      user: 'x',
    });
    raw.on('error', () => {});
    return raw;
  }

  it('hosts the engine once and lets a second handle join it over the socket', async () => {
    expect(host.embedded).toMatchObject({ ownsHost: true, hostPid: process.pid, hostRole: 'serve' });
    expect(existsSync(serverRecordPath(host.embedded!.dataDir))).toBe(true);
    joined = await createDatabase(config, { embedded: { role: 'createuser' } });
    expect(joined.embedded?.ownsHost).toBe(false);
    expect(joined.description).toContain('served by payrixa serve');
    await sql`CREATE TABLE notes (id int PRIMARY KEY, body text)`.execute(host.db);
    await sql`INSERT INTO notes VALUES (1, 'from the host')`.execute(host.db);
    const seen = await sql<{ body: string }>`SELECT body FROM notes`.execute(joined.db);
    expect(seen.rows).toEqual([{ body: 'from the host' }]);
    // Many concurrent parameterised queries over many connections: every answer is its own.
    const other = joined;
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        sql<{ i: number; s: string }>`SELECT ${i}::int AS i, ${`s${i}`}::text AS s`.execute(
          i % 2 ? host.db : other.db,
        ),
      ),
    );
    expect(answers.every((answer, i) => answer.rows[0]?.i === i && answer.rows[0]?.s === `s${i}`)).toBe(true);
  });

  it('runs one session at a time: a transaction is never interleaved with another session', async () => {
    const database = host;
    await sql`CREATE TABLE counter (n int)`.execute(database.db);
    const events: string[] = [];
    let releaseTransaction!: () => void;
    const gate = new Promise<void>((resolve) => {
      releaseTransaction = resolve;
    });
    let inside!: () => void;
    const entered = new Promise<void>((resolve) => {
      inside = resolve;
    });
    const transaction = database.db.transaction().execute(async (trx) => {
      await sql`INSERT INTO counter VALUES (1)`.execute(trx);
      events.push('transaction inserted');
      inside();
      await gate;
      events.push('transaction commits');
    });
    await entered;
    const reader = sql<{ n: number }>`SELECT count(*)::int AS n FROM counter`
      .execute(database.db)
      .then((result) => {
        events.push(`reader saw ${result.rows[0]?.n}`);
      });
    // Give the reader every chance to run early; it must still wait for the commit.
    await new Promise((resolve) => setTimeout(resolve, 100));
    events.push('releasing');
    releaseTransaction();
    await Promise.all([transaction, reader]);
    expect(events).toEqual(['transaction inserted', 'releasing', 'transaction commits', 'reader saw 1']);
  });

  it('rolls back the transaction of a session that disconnects, and keeps serving', async () => {
    const database = host;
    await sql`CREATE TABLE items (id int)`.execute(database.db);
    const raw = client(database);
    await raw.connect();
    await raw.query('BEGIN');
    await raw.query('INSERT INTO items VALUES (1)');
    // Cut off mid-transaction (a crashed job thread): no COMMIT, no ROLLBACK.
    (raw as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    const count = await sql<{ n: number }>`SELECT count(*)::int AS n FROM items`.execute(database.db);
    expect(count.rows[0]?.n).toBe(0);
    await sql`INSERT INTO items VALUES (2)`.execute(database.db);
    expect((await sql<{ id: number }>`SELECT id FROM items`.execute(database.db)).rows).toEqual([{ id: 2 }]);
  });

  it('serves COPY FROM STDIN (the bulk-load port), atomically, inside and outside transactions', async () => {
    const database = host;
    await sql`CREATE TABLE rows_in (id int NOT NULL, label text, amount numeric(12,2))`.execute(database.db);
    const rows = Array.from({ length: 30_000 }, (_, i) => [
      i,
      `row "${i}", with, commas\nand a newline`,
      '12.50',
    ]);
    expect(await copyRows(database, 'rows_in', ['id', 'label', 'amount'], rows)).toBe(30_000);
    const stored = await sql<{ n: number; label: string }>`
      SELECT count(*)::int AS n, max(label) FILTER (WHERE id = 7) AS label FROM rows_in`.execute(database.db);
    expect(stored.rows[0]).toEqual({ n: 30_000, label: 'row "7", with, commas\nand a newline' });

    // A bad value fails the whole COPY: nothing of it is stored, the connection is usable.
    await expect(
      copyRows(
        database,
        'rows_in',
        ['id', 'label', 'amount'],
        [
          [1, 'ok', '1.00'],
          [null, 'no id', '1.00'],
        ],
      ),
    ).rejects.toThrow(/null value/);
    expect(
      (await sql<{ n: number }>`SELECT count(*)::int AS n FROM rows_in`.execute(database.db)).rows[0]?.n,
    ).toBe(30_000);

    // Inside a transaction, an aborted COPY (CopyFail) aborts the transaction, as on PostgreSQL.
    const raw = client(database);
    await raw.connect();
    await raw.query('BEGIN');
    await raw.query("INSERT INTO rows_in VALUES (-1, 'before', '0')");
    const stream = raw.query(copyFrom('COPY rows_in (id, label, amount) FROM STDIN WITH (FORMAT csv)'));
    stream.on('error', () => {});
    stream.write('-2,"streamed","0"\n');
    stream.destroy(new Error('producer failed'));
    await finished(stream).catch(() => {});
    await expect(raw.query('SELECT 1')).rejects.toThrow(/current transaction is aborted/);
    await raw.query('ROLLBACK');
    await raw.end();
    const negative = await sql<{ n: number }>`SELECT count(*)::int AS n FROM rows_in WHERE id < 0`.execute(
      database.db,
    );
    expect(negative.rows[0]?.n).toBe(0);
  });

  it('refuses a client without the password of the server record', async () => {
    const database = host;
    const address = database.embedded!.address;
    const intruder = new pg.Client({ host: address.host, port: address.port, password: 'guess', user: 'x' });
    await expect(intruder.connect()).rejects.toThrow(/password authentication failed/);
  });

  it('a process that must host (serve, demo) is refused while the engine is served', async () => {
    await expect(createDatabase(config, { embedded: { role: 'demo', host: 'require' } })).rejects.toThrow(
      /already served by this process/,
    );
  });

  it('stops cleanly: the record goes, and the next handle hosts the engine again with the data', async () => {
    await joined?.close();
    joined = null;
    await host.close();
    expect(existsSync(serverRecordPath(host.embedded!.dataDir))).toBe(false);
    host = await createDatabase(config, { embedded: { role: 'migrate' } });
    expect(host.embedded?.ownsHost).toBe(true);
    expect((await sql<{ n: number }>`SELECT count(*)::int AS n FROM notes`.execute(host.db)).rows[0]?.n).toBe(
      1,
    );
  });
});
