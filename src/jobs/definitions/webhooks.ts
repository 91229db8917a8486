import type { Kysely } from 'kysely';
import { dispatchDueWebhookDeliveries, type WebhookDeliveryDeps } from '../../commands/deliver-webhook.ts';
import type { Config } from '../../config/env.ts';
import type { DB } from '../../db/schema.ts';
import type { ScheduleDefinition } from '../scheduler.ts';
import type { JobDefinition } from '../types.ts';

/**
 * The webhook dispatch sweeper (alerts-reports §5, §14): every minute, attempt each webhook
 * delivery whose `next_attempt_at` has come — retries, and first attempts a crashed process
 * never made. Each attempt claims its delivery first, so overlapping sweeps never send twice.
 */
export const WEBHOOK_DISPATCH_JOB = 'webhooks.dispatch';

export function webhookDispatchJob(
  deps: { db: Kysely<DB>; config: Config } & Partial<
    Pick<WebhookDeliveryDeps, 'onAlertDeliveryChanged' | 'clock'>
  >,
): JobDefinition {
  return {
    kind: WEBHOOK_DISPATCH_JOB,
    queue: 'webhooks',
    // The next sweep a minute later is the retry.
    maxAttempts: 1,
    async handler({ logger }) {
      const result = await dispatchDueWebhookDeliveries({
        db: deps.db,
        config: deps.config,
        clock: deps.clock ?? { now: () => new Date() },
        logger,
        ...(deps.onAlertDeliveryChanged && { onAlertDeliveryChanged: deps.onAlertDeliveryChanged }),
      });
      return { ...result };
    },
  };
}

/** Runs on SCHEDULE_ALERT_DISPATCH (every minute by default), beside the alert dispatcher. */
export function webhookDispatchSchedule(config: Config): ScheduleDefinition | null {
  const cron = config.scheduler.schedules.alert_dispatch;
  return cron ? { name: 'webhook_dispatch', cron, kind: WEBHOOK_DISPATCH_JOB } : null;
}
