import type { Kysely } from 'kysely';
import { deleteFinishedJobsOlderThan } from '../../db/repositories/jobs.repository.ts';
import type { DB } from '../../db/schema.ts';
import type { JobDefinition } from '../types.ts';

/**
 * Hourly housekeeping (SCHEDULE_CLEANUP). For now it removes finished job records past
 * RETENTION_JOBS_DAYS; sessions, reset tokens and staging files join as those features land.
 */
export function cleanupJob(db: Kysely<DB>, jobsRetentionDays: number): JobDefinition {
  return {
    kind: 'maintenance.cleanup',
    queue: 'maintenance',
    maxAttempts: 2,
    backoffMs: 60_000,
    async handler() {
      const jobs = await deleteFinishedJobsOlderThan(db, jobsRetentionDays);
      return { deleted_jobs: jobs };
    },
  };
}
