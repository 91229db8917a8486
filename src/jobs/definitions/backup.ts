import type { Config } from '../../config/env.ts';
import type { Database } from '../../db/database.ts';
import { createBackup } from '../../ops/backup.ts';
import type { Clock } from '../../services.ts';
import type { JobDefinition } from '../types.ts';

/**
 * The daily backup of the embedded database (web-api-ops §6.1 SCHEDULE_BACKUP, 02:00 by
 * default): what `payrixa backup` does, run inside `payrixa serve`. Only on the embedded
 * default — with DATABASE_URL the host's timer (deploy/systemd/payrixa-backup.timer) runs
 * `payrixa backup`, where pg_dump is installed and the backup directory is writable.
 */
export const BACKUP_JOB = 'maintenance.backup';

/** The job, or null when this process has no on-disk embedded database to back up. */
export function backupJob(deps: { database?: Database; config: Config; clock: Clock }): JobDefinition | null {
  const { database, config, clock } = deps;
  if (config.databaseUrl || !database?.embedded) return null;
  return {
    kind: BACKUP_JOB,
    queue: 'maintenance',
    maxAttempts: 2,
    backoffMs: 600_000,
    async handler({ job, logger }) {
      const result = await createBackup(
        { database, config, clock },
        { actor: 'job', requestId: job.request_id ?? null },
      );
      logger.info(
        { path: result.path, bytes: result.bytes, rotated: result.deleted.length },
        'backup written',
      );
      return { path: result.path, bytes: result.bytes, sha256: result.sha256, rotated: result.deleted };
    },
  };
}
