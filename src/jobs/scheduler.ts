import { Cron } from 'croner';
import type { Logger } from 'pino';
import { describeError } from '../config/errors.ts';
import type { JsonObject } from '../db/schema.ts';
import type { JobQueue } from './types.ts';

export interface ScheduleDefinition {
  /** Stable name, part of the de-duplication key (`driftwatch`, `cleanup`, …). */
  name: string;
  /** Five-field cron expression in UTC. */
  cron: string;
  kind: string;
  payload?: JsonObject;
}

/**
 * Cron schedules (UTC) that enqueue jobs. Each firing enqueues with the unique key
 * `schedule:<name>:<slot>` where the slot is the scheduled minute, so however many
 * processes run a scheduler, or however often one slot is fired, it runs once.
 */
export class Scheduler {
  private readonly crons: Cron[] = [];

  constructor(
    private readonly queue: JobQueue,
    private readonly logger: Logger,
  ) {}

  /** The scheduled minute containing `at`, e.g. `2026-11-23T06:00Z`. */
  static slotOf(at: Date): string {
    return `${at.toISOString().slice(0, 16)}Z`;
  }

  /** The de-duplication key of one slot of a schedule. */
  static slotKey(name: string, at: Date): string {
    return `schedule:${name}:${Scheduler.slotOf(at)}`;
  }

  start(schedules: readonly ScheduleDefinition[]): void {
    for (const schedule of schedules) {
      const cron = new Cron(schedule.cron, { timezone: 'UTC', protect: true }, () => {
        this.fire(schedule, new Date()).catch((error) =>
          this.logger.error(
            { err: describeError(error), schedule: schedule.name },
            'schedule could not enqueue',
          ),
        );
      });
      this.crons.push(cron);
    }
    if (schedules.length > 0) {
      this.logger.info({ schedules: schedules.map((s) => `${s.name} (${s.cron})`) }, 'scheduler started');
    }
  }

  /** Enqueues the job for the slot containing `at`; true when this call created it. */
  async fire(schedule: ScheduleDefinition, at: Date): Promise<boolean> {
    const slot = Scheduler.slotOf(at);
    const uniqueKey = Scheduler.slotKey(schedule.name, at);
    const { created } = await this.queue.enqueue(
      schedule.kind,
      { ...schedule.payload, schedule: schedule.name, slot },
      { uniqueKey },
    );
    if (created) this.logger.info({ schedule: schedule.name, slot }, 'scheduled job enqueued');
    return created;
  }

  /** Next run times, for `payrixa check` and the operator console. */
  nextRuns(): Array<{ name: string; next: Date | null }> {
    return this.crons.map((cron) => ({ name: cron.name ?? '', next: cron.nextRun() }));
  }

  stop(): void {
    for (const cron of this.crons) cron.stop();
    this.crons.length = 0;
  }
}
