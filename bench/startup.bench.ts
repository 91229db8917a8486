import { performance } from 'node:perf_hooks';
import { loadConfig } from '../src/config/env.ts';
import { createDatabase } from '../src/db/database.ts';
import { migrations } from '../src/db/migrations/index.ts';
import { migrate } from '../src/db/migrator.ts';
import { rootHealthBody } from '../src/obs/health.ts';
import type { Benchmark } from './run.ts';

/** Foundation costs: opening the embedded database, migrating it, and a root health body. */
export const benchmark: Benchmark = {
  name: 'foundation',
  async run() {
    const config = loadConfig({ PAYRIXA_ENV: 'test', LOG_LEVEL: 'silent' });
    const openStart = performance.now();
    const database = await createDatabase(config, { embeddedDataDir: 'memory' });
    const openMs = performance.now() - openStart;
    const migrateStart = performance.now();
    await migrate(database, migrations);
    const migrateMs = performance.now() - migrateStart;
    await database.close();
    const iterations = 100_000;
    const healthStart = performance.now();
    for (let index = 0; index < iterations; index++) rootHealthBody();
    const healthNs = ((performance.now() - healthStart) * 1e6) / iterations;
    return {
      name: 'foundation',
      metrics: {
        embedded_open_ms: Math.round(openMs),
        migrate_all_ms: Math.round(migrateMs),
        root_health_body_ns: Math.round(healthNs),
      },
    };
  },
};
