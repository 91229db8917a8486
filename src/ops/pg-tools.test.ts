import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pgToolEnv, resolvePgTool } from './pg-tools.ts';

/** Tool resolution and connection hand-over of pg_dump / pg_restore (no server needed). */

const savedPath = process.env['PATH'];

afterEach(() => {
  process.env['PATH'] = savedPath;
});

/** A directory whose `pg_dump` reports `version`. */
function fakeTool(version: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'payrixa-pgtool-'));
  const file = path.join(dir, 'pg_dump');
  writeFileSync(file, `#!/bin/sh\necho "pg_dump (PostgreSQL) ${version} (fake)"\n`);
  chmodSync(file, 0o755);
  return dir;
}

describe('resolvePgTool', () => {
  it('takes a pg_dump of the server major or newer', () => {
    process.env['PATH'] = fakeTool('98.1');
    // Server 97 (no /usr/lib/postgresql/97 exists): the PATH copy qualifies.
    expect(resolvePgTool('pg_dump', 97)).toMatchObject({ path: 'pg_dump', major: 98 });
  });

  it('names the fix when pg_dump is older than the server', () => {
    process.env['PATH'] = fakeTool('13.4');
    expect(() => resolvePgTool('pg_dump', 97)).toThrow(
      'pg_dump 13 (pg_dump) is older than the PostgreSQL 97 server; install the PostgreSQL 97 client tools (Debian/Ubuntu: apt install postgresql-client-97)',
    );
  });

  it('names the fix when pg_dump is missing', () => {
    process.env['PATH'] = mkdtempSync(path.join(tmpdir(), 'payrixa-empty-'));
    expect(() => resolvePgTool('pg_dump', 97)).toThrow(
      'pg_dump was not found; install the PostgreSQL 97 client tools (Debian/Ubuntu: apt install postgresql-client-97)',
    );
  });
});

describe('pgToolEnv', () => {
  it('passes the connection in PG* variables (password included, never on the command line) and drops stray ones', () => {
    process.env['PGSERVICE'] = 'elsewhere';
    try {
      const env = pgToolEnv('postgres://app%40x:p%40ss%3Aw@db.internal:6543/pay%20rixa?sslmode=verify-full');
      expect(env).toMatchObject({
        PGHOST: 'db.internal',
        PGPORT: '6543',
        PGUSER: 'app@x',
        PGPASSWORD: 'p@ss:w',
        PGDATABASE: 'pay rixa',
        PGSSLMODE: 'verify-full',
      });
      expect(env['PGSERVICE']).toBeUndefined();
    } finally {
      delete process.env['PGSERVICE'];
    }
  });
});
