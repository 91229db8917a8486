import { spawnSync } from 'node:child_process';
import { connectRedis, redisMajorVersion } from '../../cache/redis.ts';
import { type CheckProbes, formatCheckLine, hasErrors, runChecks } from '../../config/checks.ts';
import type { Config } from '../../config/env.ts';
import { describeError } from '../../config/errors.ts';
import type { Database } from '../../db/database.ts';
import { migrations } from '../../db/migrations/index.ts';
import { pendingMigrations } from '../../db/migrator.ts';
import type { CliIO } from '../io.ts';
import { println } from '../io.ts';

/** Gathers what the checks need: database and Redis reachability and versions, migrations, pg_dump. */
export async function gatherProbes(
  config: Config,
  options: { database?: Database | null; databaseError?: string; migrations?: boolean; tools?: boolean },
): Promise<CheckProbes> {
  const probes: CheckProbes = {};
  if (options.database) {
    try {
      probes.database = { reachable: true, serverVersionNum: await options.database.serverVersionNum() };
      if (options.migrations) probes.migrations = await pendingMigrations(options.database, migrations);
    } catch (error) {
      probes.database = { reachable: false, error: describeError(error) };
    }
  } else if (options.databaseError) {
    probes.database = { reachable: false, error: options.databaseError };
  }
  if (config.redisUrl) {
    try {
      const redis = await connectRedis(config.redisUrl);
      try {
        probes.redis = { reachable: true, majorVersion: await redisMajorVersion(redis) };
      } finally {
        redis.disconnect();
      }
    } catch (error) {
      probes.redis = { reachable: false, error: describeError(error) };
    }
  }
  if (options.tools && config.databaseUrl) {
    const result = spawnSync('pg_dump', ['--version'], { encoding: 'utf8' });
    const match = /(\d+)(?:\.\d+)?/.exec(result.stdout ?? '');
    probes.pgDumpMajor = result.status === 0 && match ? Number(match[1]) : null;
  }
  return probes;
}

/**
 * In production, prints every failing check (one line each, stderr) and returns true
 * when the process must not start. Outside production it returns false at once.
 */
export async function refuseInsecureProduction(
  config: Config,
  io: CliIO,
  options: { database?: Database | null; migrations?: boolean; staticRoot?: boolean },
): Promise<boolean> {
  if (!config.isProduction) return false;
  const probes = await gatherProbes(config, {
    database: options.database ?? null,
    migrations: options.migrations ?? false,
  });
  const lines = runChecks(config, probes, {
    migrations: options.migrations ?? false,
    staticRoot: options.staticRoot ?? true,
  });
  if (!hasErrors(lines)) return false;
  println(
    io.stderr,
    'Refusing to start: the production configuration has problems (see payrixa check --deploy):',
  );
  for (const line of lines.filter((l) => l.level === 'error')) println(io.stderr, formatCheckLine(line));
  return true;
}
