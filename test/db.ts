import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Config } from '../src/config/env.ts';
import { createDatabase, type Database } from '../src/db/database.ts';
import { migrations } from '../src/db/migrations/index.ts';
import { migrate } from '../src/db/migrator.ts';
import { testConfig } from './config.ts';

/**
 * The database tier of the tests: an in-memory PGlite by default; a fresh PostgreSQL
 * database per call when TEST_DATABASE_URL is set (CI runs the tier both ways).
 */
export const testDatabaseUrl = process.env['TEST_DATABASE_URL'] || null;
export const testRedisUrl = process.env['TEST_REDIS_URL'] || null;
export const onPostgres = testDatabaseUrl !== null;

export interface TestDatabase {
  database: Database;
  config: Config;
  /** Only on PostgreSQL: the URL of the per-test database (for a second connection). */
  url: string | null;
  close(): Promise<void>;
}

/** Creates an empty database (optionally migrated) with a matching test config. */
export async function createTestDatabase(
  options: { migrated?: boolean; env?: Record<string, string> } = {},
): Promise<TestDatabase> {
  const migrated = options.migrated ?? true;
  if (!testDatabaseUrl) {
    const config = testConfig(options.env);
    const database = await createDatabase(config, { embeddedDataDir: 'memory' });
    if (migrated) await migrate(database, migrations);
    return { database, config, url: null, close: () => database.close() };
  }
  const name = `payrixa_t_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  const url = new URL(testDatabaseUrl);
  url.pathname = `/${name}`;
  const config = testConfig({ ...options.env, DATABASE_URL: url.toString() });
  const database = await createDatabase(config);
  if (migrated) await migrate(database, migrations);
  return {
    database,
    config,
    url: url.toString(),
    close: async () => {
      await database.close();
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

async function adminQuery(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: testDatabaseUrl ?? undefined });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
