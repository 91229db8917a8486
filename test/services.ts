import type { JobRegistry } from '../src/jobs/registry.ts';
import { silentLogger } from '../src/obs/logger.ts';
import { createServices, type Services } from '../src/services.ts';
import { createTestDatabase, testRedisUrl } from './db.ts';

export interface TestServices extends Services {
  /** Closes the services and drops the per-test database. */
  dispose(): Promise<void>;
}

/**
 * Full services on a fresh migrated test database: embedded PGlite in memory, or a new
 * PostgreSQL database plus Redis (BullMQ) when TEST_DATABASE_URL / TEST_REDIS_URL are set.
 */
export async function createTestServices(
  options: {
    env?: Record<string, string>;
    registerJobs?: (registry: JobRegistry) => void;
    redis?: boolean;
  } = {},
): Promise<TestServices> {
  const useRedis = (options.redis ?? true) && testRedisUrl !== null;
  const prefix = `payrixa-test-${Math.random().toString(36).slice(2, 10)}`;
  const handle = await createTestDatabase({
    env: {
      ...options.env,
      ...(useRedis && { REDIS_URL: testRedisUrl as string, REDIS_PREFIX: prefix }),
    },
  });
  const services = await createServices(handle.config, {
    logger: silentLogger(),
    database: handle.database,
    ...(options.registerJobs && { registerJobs: options.registerJobs }),
  });
  return Object.assign(services, {
    async dispose() {
      await services.close(5_000);
      await handle.close();
    },
  });
}
