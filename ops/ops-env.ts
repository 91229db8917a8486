/** True when the operations checks should run (`OPS_TESTS=1`, set by `.ci/run`). */
export const OPS_ENABLED = process.env['OPS_TESTS'] === '1';

/** PostgreSQL and Redis of the CI run, when set. */
export const OPS_DATABASE_URL = process.env['TEST_DATABASE_URL'] ?? null;
export const OPS_REDIS_URL = process.env['TEST_REDIS_URL'] ?? null;
