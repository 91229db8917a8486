import type { Kysely } from 'kysely';
import { runRetention } from '../../commands/run-retention.ts';
import type { Config } from '../../config/env.ts';
import type { DB } from '../../db/schema.ts';
import type { Clock } from '../../services.ts';
import type { JobDefinition } from '../types.ts';

/**
 * Daily retention (alerts-reports §14–§15, web-api-ops §7.5) on SCHEDULE_RETENTION (03:30 UTC by
 * default): what `payrixa retention` does for every customer. Batches commit one by one, so a
 * retry after a failure simply carries on with what is still due.
 */
export const RETENTION_JOB = 'maintenance.retention';

export function retentionJob(deps: { db: Kysely<DB>; config: Config; clock: Clock }): JobDefinition {
  return {
    kind: RETENTION_JOB,
    queue: 'maintenance',
    maxAttempts: 2,
    backoffMs: 300_000,
    async handler({ job, logger }) {
      const result = await runRetention(
        { db: deps.db, config: deps.config, clock: deps.clock, logger },
        { requestId: job.request_id ?? null },
      );
      return { today: result.cutoffs.today, ...result.counts, total: result.total };
    },
  };
}
