import type { Kysely } from 'kysely';
import { deleteExpiredAuthTokens } from '../../db/repositories/auth-tokens.repository.ts';
import { deleteFinishedJobsOlderThan } from '../../db/repositories/jobs.repository.ts';
import { purgeLoginFailures } from '../../db/repositories/login-failures.repository.ts';
import { deleteExpiredSessions } from '../../db/repositories/sessions.repository.ts';
import type { DB } from '../../db/schema.ts';
import type { JobDefinition } from '../types.ts';

/** Login failures older than this can no longer affect a lockout (15-minute window + lockout). */
const LOGIN_FAILURE_KEEP_MS = 24 * 3_600_000;

/**
 * Hourly housekeeping (SCHEDULE_CLEANUP): finished job records past RETENTION_JOBS_DAYS,
 * expired database sessions (Redis expires its own), expired reset/refresh tokens and
 * old login failures. Staging files join when that feature lands.
 */
export function cleanupJob(db: Kysely<DB>, jobsRetentionDays: number): JobDefinition {
  return {
    kind: 'maintenance.cleanup',
    queue: 'maintenance',
    maxAttempts: 2,
    backoffMs: 60_000,
    async handler() {
      const now = new Date();
      const jobs = await deleteFinishedJobsOlderThan(db, jobsRetentionDays);
      const sessions = await deleteExpiredSessions(db, now);
      const tokens = await deleteExpiredAuthTokens(db, now);
      const failures = await purgeLoginFailures(db, new Date(now.getTime() - LOGIN_FAILURE_KEEP_MS));
      return {
        deleted_jobs: jobs,
        deleted_sessions: sessions,
        deleted_tokens: tokens,
        deleted_login_failures: failures,
      };
    },
  };
}
