import { execFileSync } from 'node:child_process';
import net from 'node:net';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { a1Claims, createAnalyticsCustomer, writeClaims } from '../../test/analytics.ts';
import { cliEnv } from '../../test/cli.ts';
import { createTestDatabase, onPostgres, type TestDatabase, testRedisUrl } from '../../test/db.ts';
import { freePort, type RunningPayrixa, spawnPayrixa } from '../../test/processes.ts';
import { waitFor } from '../../test/wait.ts';
import { requestAnalysisRun } from '../commands/request-analysis.ts';
import { isProcessAlive } from '../db/embedded/host.ts';
import { findRun } from '../db/repositories/analysis-runs.repository.ts';
import { listFindings } from '../db/repositories/findings.repository.ts';
import { findJob } from '../db/repositories/jobs.repository.ts';
import { silentLogger } from '../obs/logger.ts';
import { createServices } from '../services.ts';
import { startServer } from './serve.ts';

/**
 * Clean shutdown of the real processes in each mode (issue 10 item 4): SIGTERM stops
 * `serve` (embedded; PostgreSQL with several web workers) and `worker` (PostgreSQL + Redis);
 * a second signal exits at once.
 */

const children: RunningPayrixa[] = [];

function payrixa(args: string[], env: Record<string, string>): RunningPayrixa {
  const running = spawnPayrixa(args, env);
  children.push(running);
  return running;
}

/** Opens a request whose body never completes: the server has a request in flight. */
function hangingRequest(port: number): net.Socket {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  socket.write(
    'POST /api/v1/auth/token/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"user',
  );
  return socket;
}

afterEach(() => {
  for (const running of children.splice(0)) {
    if (running.child.exitCode === null) running.child.kill('SIGKILL');
  }
});

describe.skipIf(onPostgres)('shutdown of serve (embedded default)', () => {
  it('a second signal exits at once while the first one waits for an in-flight request', async () => {
    const port = await freePort();
    const env = cliEnv({
      BIND: `127.0.0.1:${port}`,
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
      SHUTDOWN_GRACE_SECONDS: '60',
    });
    const serve = payrixa(['serve'], env);
    await waitFor(() => serve.output().includes('is running at'), 90_000, 50);
    const socket = hangingRequest(port);
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/health/`)).ok);
    serve.child.kill('SIGTERM');
    await waitFor(() => serve.output().includes('SIGTERM received; shutting down gracefully'), 30_000, 20);
    // The in-flight request holds the graceful stop (60 s grace); the second signal does not wait.
    expect(serve.child.exitCode).toBeNull();
    serve.child.kill('SIGTERM');
    expect(await serve.exited).toBe(1);
    expect(serve.output()).toContain('SIGTERM received again; exiting now');
    socket.destroy();
  }, 180_000);
});

describe.runIf(onPostgres)('shutdown on PostgreSQL', () => {
  let database: TestDatabase | null = null;

  afterEach(async () => {
    await database?.close();
    database = null;
  });

  it('SIGTERM stops serve --workers 2 (no Redis): primary, web workers and job threads all exit', async () => {
    database = await createTestDatabase();
    const port = await freePort();
    const env = cliEnv({
      DATABASE_URL: database.url as string,
      BIND: `127.0.0.1:${port}`,
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
    });
    const serve = payrixa(['serve', '--workers', '2'], env);
    await waitFor(() => serve.output().includes('started 2 web workers'), 90_000, 50);
    await waitFor(async () => {
      try {
        return (await fetch(`http://127.0.0.1:${port}/health/`)).ok;
      } catch {
        return false;
      }
    }, 90_000);
    const workers = execFileSync('pgrep', ['-P', String(serve.child.pid)], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map(Number)
      .filter((pid) => pid > 0);
    expect(workers).toHaveLength(2);
    serve.child.kill('SIGTERM');
    expect(await serve.exited).toBe(0);
    expect(serve.output()).toContain('Shutdown complete.');
    await waitFor(() => workers.every((pid) => !isProcessAlive(pid)));
  }, 180_000);

  it('a shutdown in the middle of an analysis run hands its job back; it runs once after the restart', async () => {
    database = await createTestDatabase();
    // No Redis: the database queue, jobs in this process's job threads.
    const config = {
      ...database.config,
      redisUrl: null,
      bind: { kind: 'tcp' as const, host: '127.0.0.1', port: 0 },
    };
    const db = database.database.db;
    const T = '2026-03-02';
    // Request the run without any worker: the run row and its job wait in the database.
    const requester = await createServices(config, { logger: silentLogger(), database: database.database });
    await createAnalyticsCustomer(db, { id: 42, name: 'Acme' });
    await writeClaims(db, 42, a1Claims(T));
    const requested = await requestAnalysisRun(
      { db, queue: requester.queue },
      { customerId: 42, product: 'driftwatch', asOf: T, runType: 'manual' },
    );
    const jobId = requested.jobId as number;
    // Hold the run row: the job will wait inside its first transaction (a long analysis).
    const holder = new pg.Client({ connectionString: database.url as string });
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query('SELECT id FROM analysis_runs WHERE customer_id = 42 AND id = $1 FOR UPDATE', [
      requested.run.id,
    ]);
    let server = await startServer(config, silentLogger(), { autoMigrate: false });
    try {
      await waitFor(async () => (await findJob(db, jobId))?.status === 'running', 90_000);
      // The handler does not watch its abort signal while it waits: its thread is terminated,
      // its transaction rolled back by PostgreSQL, its job handed back from the main thread.
      await server.stop(2_000);
      expect(await findJob(db, jobId)).toMatchObject({ status: 'queued', attempts: 0 });
      expect((await findRun(db, 42, requested.run.id))?.status).not.toBe('running');
      expect(await listFindings(db, 42)).toEqual([]);
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    server = await startServer(config, silentLogger(), { autoMigrate: false });
    try {
      const done = await waitFor(async () => {
        const record = await findJob(db, jobId);
        return record?.status === 'succeeded' || record?.status === 'failed' ? record : null;
      }, 90_000);
      expect(done).toMatchObject({ status: 'succeeded', attempts: 1 });
      expect(await findRun(db, 42, requested.run.id)).toMatchObject({ status: 'success' });
      expect(await listFindings(db, 42)).toHaveLength(1);
    } finally {
      await server.stop(3_000);
    }
  }, 240_000);

  it.runIf(testRedisUrl !== null)(
    'SIGTERM stops payrixa worker (PostgreSQL + Redis) cleanly',
    async () => {
      database = await createTestDatabase();
      const env = cliEnv({
        DATABASE_URL: database.url as string,
        REDIS_URL: testRedisUrl as string,
        REDIS_PREFIX: `payrixa-shutdown-${Date.now()}`,
        LOG_LEVEL: 'info',
        LOG_FORMAT: 'json',
      });
      const worker = payrixa(['worker', '--concurrency', '2'], env);
      await waitFor(() => worker.output().includes('worker started'), 90_000, 50);
      worker.child.kill('SIGTERM');
      expect(await worker.exited).toBe(0);
      expect(worker.output()).toContain('shutdown complete');
    },
    180_000,
  );
});
