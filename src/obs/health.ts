import { describeError } from '../config/errors.ts';
import type { Services } from '../services.ts';

export type CheckResult = 'ok' | 'error' | 'in-process';

export interface HealthReport {
  status: 'healthy' | 'degraded';
  version: string;
  timestamp: string;
  checks: { database: CheckResult; redis: CheckResult };
}

/** Root health body: `{"status":"healthy","timestamp":1737706800.123}` with at least one decimal. */
export function rootHealthBody(nowMs: number = Date.now()): string {
  const seconds = (nowMs / 1000).toFixed(3).replace(/0{1,2}$/, '');
  return `{"status":"healthy","timestamp":${seconds}}`;
}

/**
 * Dependency health for `/api/v1/health/`: each check has a 2 s timeout; failures are
 * logged with their reason and reported only as "error".
 */
export async function checkHealth(
  services: Pick<Services, 'config' | 'database' | 'redis' | 'logger' | 'queue'>,
): Promise<HealthReport> {
  const database = await services.database
    .ping(2_000)
    .then((): CheckResult => 'ok')
    .catch((error): CheckResult => {
      services.logger.error({ err: describeError(error) }, 'health check: database unavailable');
      return 'error';
    });
  let redis: CheckResult = 'in-process';
  if (services.redis) {
    redis = await services.queue
      .ping(2_000)
      .then((): CheckResult => 'ok')
      .catch((error): CheckResult => {
        services.logger.error({ err: describeError(error) }, 'health check: Redis unavailable');
        return 'error';
      });
  }
  return {
    status: database === 'error' || redis === 'error' ? 'degraded' : 'healthy',
    version: services.config.version,
    timestamp: new Date().toISOString(),
    checks: { database, redis },
  };
}
