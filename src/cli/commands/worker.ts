import { AppError, UsageError } from '../../config/errors.ts';
import { QUEUE_NAMES, type QueueName } from '../../jobs/types.ts';
import { createLogger } from '../../obs/logger.ts';
import { createServices } from '../../services.ts';
import { type Command, parseFlags } from '../context.ts';
import { println } from '../io.ts';
import { stopOnSignals } from '../serve.ts';
import { refuseInsecureProduction } from './startup.ts';

export const workerCommand: Command = {
  name: 'worker',
  summary: 'Run background jobs and schedules (requires REDIS_URL)',
  usage: `Usage: payrixa worker [--concurrency <n>] [--queues <list>] [--no-scheduler]

Runs queued jobs (BullMQ on Redis) and the cron schedules. Without REDIS_URL there is
no separate worker: jobs run inside 'payrixa serve'.

Options:
  --concurrency <n>   jobs run at once per queue (default WORKER_CONCURRENCY, 2)
  --queues <list>     comma-separated subset of: ${QUEUE_NAMES.join(', ')}
  --no-scheduler      do not run cron schedules in this process`,
  async run(args, context) {
    const { values } = parseFlags('worker', args, {
      concurrency: { type: 'string' },
      queues: { type: 'string' },
      'no-scheduler': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      println(context.io.stdout, workerCommand.usage);
      return 0;
    }
    const config = context.config();
    if (!config.redisUrl) {
      throw new AppError(
        'worker_needs_redis',
        'payrixa worker requires REDIS_URL; without it, jobs run inside payrixa serve.',
      );
    }
    let concurrency = config.worker.concurrency;
    if (values.concurrency !== undefined) {
      if (!/^\d+$/.test(values.concurrency) || Number(values.concurrency) < 1) {
        throw new UsageError(`--concurrency: '${values.concurrency}' is not a positive whole number.`);
      }
      concurrency = Number(values.concurrency);
    }
    let queues: QueueName[] = [...QUEUE_NAMES];
    if (values.queues !== undefined) {
      const wanted = values.queues
        .split(',')
        .map((q) => q.trim())
        .filter(Boolean);
      const unknown = wanted.filter((q) => !(QUEUE_NAMES as readonly string[]).includes(q));
      if (unknown.length > 0 || wanted.length === 0) {
        throw new UsageError(
          `--queues: unknown queue '${unknown[0] ?? ''}'. Queues: ${QUEUE_NAMES.join(', ')}.`,
        );
      }
      queues = wanted as QueueName[];
    }
    const logger = createLogger(config, 'payrixa.worker');
    const services = await createServices(config, { logger });
    try {
      if (
        await refuseInsecureProduction(config, context.io, { database: services.database, migrations: true })
      ) {
        await services.close();
        return 1;
      }
      await services.startJobs({ queues, concurrency, scheduler: !values['no-scheduler'] });
      logger.info({ queues, concurrency }, 'worker started');
    } catch (error) {
      await services.close(1_000);
      throw error;
    }
    await stopOnSignals(() => services.close(), logger);
    return 0;
  },
};
