import type { Kysely } from 'kysely';
import type { Config } from '../../config/env.ts';
import type { DB } from '../../db/schema.ts';
import type { JobRegistry } from '../registry.ts';
import type { ScheduleDefinition } from '../scheduler.ts';
import { cleanupJob } from './cleanup.ts';

/** Registers every job kind of the product. Features add theirs here. */
export function registerJobs(registry: JobRegistry, deps: { db: Kysely<DB>; config: Config }): void {
  registry.register(cleanupJob(deps.db, deps.config.retention.jobsDays));
}

/** The cron schedules whose job kinds exist, from SCHEDULE_* (a schedule set to off is left out). */
export function configuredSchedules(config: Config, registry: JobRegistry): ScheduleDefinition[] {
  const wanted: Array<{ name: keyof Config['scheduler']['schedules']; kind: string }> = [
    { name: 'cleanup', kind: 'maintenance.cleanup' },
  ];
  const schedules: ScheduleDefinition[] = [];
  for (const { name, kind } of wanted) {
    const cron = config.scheduler.schedules[name];
    if (cron && registry.get(kind)) schedules.push({ name, cron, kind });
  }
  return schedules;
}
