import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { onPostgres } from '../../test/db.ts';
import { createTestServices, type TestServices } from '../../test/services.ts';
import { waitFor } from '../../test/wait.ts';
import { connectRedis } from '../cache/redis.ts';
import { createDatabase } from '../db/database.ts';
import { findJob } from '../db/repositories/jobs.repository.ts';
import { silentLogger } from '../obs/logger.ts';
import { BullmqJobQueue } from './bullmq-queue.ts';
import { DatabaseJobQueue } from './db-queue.ts';
import type { JobRegistry } from './registry.ts';
import { Scheduler } from './scheduler.ts';
import { PermanentJobError } from './types.ts';

let services: TestServices | null = null;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await services?.dispose();
  services = null;
});

describe(`job queue (${onPostgres ? 'PostgreSQL' : 'PGlite'}, adapter chosen by configuration)`, () => {
  it('runs a job exactly once and records its result and progress', async () => {
    const calls: number[] = [];
    services = await createTestServices({
      registerJobs: (registry) =>
        registry.register({
          kind: 'test.echo',
          queue: 'maintenance',
          async handler({ job, payload, progress }) {
            calls.push(job.id);
            await progress(5, 5);
            return { echoed: payload['value'] ?? null };
          },
        }),
    });
    await services.startJobs({ scheduler: false });
    const { id, created } = await services.queue.enqueue('test.echo', { value: 'hi' }, { customerId: null });
    expect(created).toBe(true);
    const done = await waitFor(async () => {
      const job = await findJob(services!.database.db, id);
      return job?.status === 'succeeded' ? job : null;
    });
    expect(done.result).toEqual({ echoed: 'hi' });
    expect(done.attempts).toBe(1);
    expect(done.progress_done).toBe(5);
    expect(done.progress_total).toBe(5);
    expect(done.finished_at).toBeInstanceOf(Date);
    expect(calls).toEqual([id]);
  });

  it('retries a failing job with exponential backoff, then fails it for good', async () => {
    const calledAt: number[] = [];
    services = await createTestServices({
      registerJobs: (registry) =>
        registry.register({
          kind: 'test.flaky',
          queue: 'maintenance',
          maxAttempts: 3,
          backoffMs: 400,
          async handler({ attempt }) {
            calledAt[attempt - 1] = Date.now();
            throw new Error(`attempt ${attempt} failed`);
          },
        }),
    });
    await services.startJobs({ scheduler: false });
    const db = services.database.db;
    const { id } = await services.queue.enqueue('test.flaky', {});

    const afterFirst = await waitFor(async () => {
      const record = await findJob(db, id);
      return record?.attempts === 1 && record.status === 'queued' && record.error ? record : null;
    });
    expect(afterFirst.error).toBe('attempt 1 failed');
    // The retry is scheduled backoff × 2^(attempt−1) after the failure: 400 ms, then 800 ms.
    expect(afterFirst.run_at.getTime() - calledAt[0]!).toBeGreaterThanOrEqual(400);

    const final = await waitFor(async () => {
      const record = await findJob(db, id);
      return record?.status === 'failed' ? record : null;
    });
    expect(final.attempts).toBe(3);
    expect(final.error).toBe('attempt 3 failed');
    expect(calledAt).toHaveLength(3);
    expect(calledAt[1]! - calledAt[0]!).toBeGreaterThanOrEqual(400);
    expect(calledAt[2]! - calledAt[1]!).toBeGreaterThanOrEqual(800);
  });

  it('does not retry a permanent failure', async () => {
    services = await createTestServices({
      registerJobs: (registry) =>
        registry.register({
          kind: 'test.bad-input',
          queue: 'maintenance',
          async handler() {
            throw new PermanentJobError('the file is not a CSV');
          },
        }),
    });
    await services.startJobs({ scheduler: false });
    const { id } = await services.queue.enqueue('test.bad-input', {});
    const job = await waitFor(async () => {
      const record = await findJob(services!.database.db, id);
      return record?.status === 'failed' ? record : null;
    });
    expect(job.attempts).toBe(1);
    expect(job.error).toBe('the file is not a CSV');
  });

  it('a scheduled slot enqueued twice (two schedulers) runs once', async () => {
    const runs: string[] = [];
    services = await createTestServices({
      registerJobs: (registry) =>
        registry.register({
          kind: 'test.scheduled',
          queue: 'analysis',
          async handler({ payload }) {
            runs.push(String(payload['slot']));
            return undefined;
          },
        }),
    });
    await services.startJobs({ scheduler: false });
    const schedule = { name: 'weekly-test', cron: '0 6 * * 1', kind: 'test.scheduled' };
    const first = new Scheduler(services.queue, silentLogger());
    const second = new Scheduler(services.queue, silentLogger());
    const slot = new Date('2026-11-23T06:00:00.250Z');
    const created = await Promise.all([
      first.fire(schedule, slot),
      second.fire(schedule, new Date('2026-11-23T06:00:41Z')),
      first.fire(schedule, slot),
    ]);
    expect(created.filter(Boolean)).toHaveLength(1);
    await waitFor(() => runs.length === 1);
    const records = await services.database.db
      .selectFrom('jobs')
      .selectAll()
      .where('unique_key', '=', 'schedule:weekly-test:2026-11-23T06:00Z')
      .execute();
    expect(records).toHaveLength(1);
    await waitFor(async () => (await findJob(services!.database.db, records[0]!.id))?.status === 'succeeded');
    expect(runs).toEqual(['2026-11-23T06:00Z']);
    // A later slot is a new run.
    expect(await first.fire(schedule, new Date('2026-11-30T06:00:00Z'))).toBe(true);
  });

  it('debounces a singleton job: a second enqueue moves the queued job instead of adding one', async () => {
    services = await createTestServices({
      registerJobs: (registry) =>
        registry.register({ kind: 'test.debounced', queue: 'analysis', handler: async () => undefined }),
    });
    const first = await services.queue.enqueue(
      'test.debounced',
      { n: 1 },
      { singletonKey: 'analytics:7', delayMs: 60_000 },
    );
    const second = await services.queue.enqueue(
      'test.debounced',
      { n: 2 },
      { singletonKey: 'analytics:7', delayMs: 120_000 },
    );
    expect(second).toEqual({ id: first.id, created: false });
    const job = await findJob(services.database.db, first.id);
    expect(job?.payload).toEqual({ n: 2 });
    expect(job!.run_at.getTime()).toBeGreaterThan(Date.now() + 100_000);
  });

  it('takes back a job whose worker vanished and runs it', async () => {
    const ran: number[] = [];
    services = await createTestServices({
      registerJobs: (registry) =>
        registry.register({
          kind: 'test.orphan',
          queue: 'ingest',
          async handler({ job }) {
            ran.push(job.id);
            return undefined;
          },
        }),
    });
    const { id } = await services.queue.enqueue('test.orphan', {});
    // Simulate a worker that claimed the job and died: lease already expired.
    await sql`UPDATE jobs SET status = 'running', attempts = 1, locked_by = 'dead-worker',
                locked_until = now() - interval '1 minute' WHERE id = ${id}`.execute(services.database.db);
    await services.startJobs({ scheduler: false });
    const job = await waitFor(async () => {
      const record = await findJob(services!.database.db, id);
      return record?.status === 'succeeded' ? record : null;
    });
    expect(job.attempts).toBe(2);
    expect(ran).toEqual([id]);
  });
});

describe('two workers on one database', () => {
  it('never run the same job twice', async () => {
    const seen: number[] = [];
    const register = (registry: JobRegistry): void => {
      registry.register({
        kind: 'test.count',
        queue: 'ingest',
        async handler({ job }) {
          seen.push(job.id);
          await new Promise((resolve) => setTimeout(resolve, 5));
          return undefined;
        },
      });
    };
    services = await createTestServices({ registerJobs: register });
    // The second worker has its own connection pool (and Redis connection) on PostgreSQL;
    // PGlite has a single connection, so both share it.
    let secondDb = services.database.db;
    if (onPostgres) {
      const second = await createDatabase(services.config);
      cleanups.push(() => second.close());
      secondDb = second.db;
    }
    let secondQueue: BullmqJobQueue | DatabaseJobQueue;
    if (services.redis && services.config.redisUrl) {
      const redis = await connectRedis(services.config.redisUrl, { forBlocking: true });
      cleanups.push(async () => void (await redis.quit()));
      secondQueue = new BullmqJobQueue(
        secondDb,
        services.registry,
        silentLogger(),
        redis,
        services.config.redisPrefix,
      );
    } else {
      secondQueue = new DatabaseJobQueue(secondDb, services.registry, silentLogger(), { pollMs: 10 });
    }
    cleanups.push(() => secondQueue.close());

    const ids: number[] = [];
    for (let index = 0; index < 40; index++)
      ids.push((await services.queue.enqueue('test.count', { index })).id);
    await Promise.all([
      services.startJobs({ scheduler: false, concurrency: 3 }),
      secondQueue.startWorker({ concurrency: 3 }),
    ]);
    await waitFor(async () => {
      const row = await services!.database.db
        .selectFrom('jobs')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('status', '=', 'succeeded')
        .executeTakeFirstOrThrow();
      return Number(row.n) === 40;
    }, 60_000);
    expect([...seen].sort((a, b) => a - b)).toEqual(ids);
    const attempts = await services.database.db.selectFrom('jobs').select('attempts').execute();
    expect(attempts.every((row) => row.attempts === 1)).toBe(true);
  });
});
