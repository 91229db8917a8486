import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cliEnv, runCli } from '../../test/cli.ts';
import { testConfig } from '../../test/config.ts';
import { testDatabaseUrl } from '../../test/db.ts';
import { waitFor } from '../../test/wait.ts';
import { findJob } from '../db/repositories/jobs.repository.ts';
import { silentLogger } from '../obs/logger.ts';
import { startServer } from './serve.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('graceful shutdown (in process)', () => {
  it('lets in-flight requests and running jobs finish, then refuses new connections', async () => {
    let releaseRequest!: () => void;
    let releaseJob!: () => void;
    const requestGate = new Promise<void>((resolve) => {
      releaseRequest = resolve;
    });
    const jobGate = new Promise<void>((resolve) => {
      releaseJob = resolve;
    });
    let requestStarted = false;
    let jobStarted = false;
    const config = testConfig({ BIND: '127.0.0.1:0' });
    const server = await startServer(config, silentLogger(), {
      // The embedded/database queue runs jobs in this process even with TEST_REDIS_URL unset;
      // the job kind below is a closure, so it runs on this thread (the product uses threads).
      runJobs: true,
      jobRunner: 'in-process',
      appOptions: {
        extraRoutes: (app) => {
          app.get('/api/v1/test-slow/', async () => {
            requestStarted = true;
            await requestGate;
            return { finished: true };
          });
        },
      },
      registerJobs: (registry) =>
        registry.register({
          kind: 'test.slow',
          queue: 'maintenance',
          async handler() {
            jobStarted = true;
            await jobGate;
            return { finished: true };
          },
        }),
    });
    const address = server.app.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const base = `http://127.0.0.1:${port}`;

    const { id: jobId } = await server.services.queue.enqueue('test.slow', {});
    const pending = fetch(`${base}/api/v1/test-slow/`).then(async (response) => ({
      status: response.status,
      body: await response.json(),
    }));
    await waitFor(() => requestStarted && jobStarted);

    const db = server.services.database.db;
    const stopped = server.stop(20_000);
    // New connections are refused once the server is closing.
    await waitFor(async () => {
      try {
        await fetch(`${base}/health/`);
        return false;
      } catch {
        return true;
      }
    });
    // The job record is read before the database closes: it is still running.
    expect((await findJob(db, jobId))?.status).toBe('running');
    releaseRequest();
    expect(await pending).toEqual({ status: 200, body: { finished: true } });
    releaseJob();
    await stopped;
    // The job finished and was recorded before the database closed: reopen and look.
    const reopened = await startServer(config, silentLogger(), { runJobs: false });
    try {
      const job = await findJob(reopened.services.database.db, jobId);
      expect(job?.status).toBe('succeeded');
      expect(job?.result).toEqual({ finished: true });
    } finally {
      await reopened.stop();
    }
  });
});

describe.skipIf(testDatabaseUrl !== null)('payrixa serve as a process (embedded)', () => {
  it('serves health, stops cleanly on SIGTERM and leaves the embedded database reusable', async () => {
    // A clean stop is what these tests check, not its speed: on a busy CI machine the default
    // 10 s watchdog can fire first and turn a clean stop into exit code 1.
    const env = cliEnv({
      BIND: '127.0.0.1:0',
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
      SHUTDOWN_GRACE_SECONDS: '300',
    });
    const child = spawn(process.execPath, [path.join(root, 'bin', 'payrixa'), 'serve'], {
      cwd: root,
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += String(chunk);
    });
    child.stderr.on('data', (chunk) => {
      stderr += String(chunk);
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const url = await waitFor(() => /is running at (http:\/\/\S+)/.exec(stdout)?.[1] ?? null, 240_000, 50);
      const health = await fetch(`${url}/health/`);
      expect(health.status).toBe(200);
      const deep = await fetch(`${url}/api/v1/health/`);
      expect(((await deep.json()) as { checks: unknown }).checks).toEqual({
        database: 'ok',
        redis: 'in-process',
      });
      expect(existsSync(path.join(env['DATA_DIR']!, 'pgdata.lock'))).toBe(true);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(stdout).toContain('shutdown complete');
      expect(stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(path.join(env['DATA_DIR']!, 'pgdata.lock'))).toBe(false);
      // The data directory was closed cleanly: another command can open it at once.
      const after = await runCli(['migrations', '--check'], env);
      expect(after.code).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 600_000);

  it('the CLI acts on the live data beside a running embedded server; migrate says what it does', async () => {
    const env = cliEnv({ BIND: '127.0.0.1:0', SHUTDOWN_GRACE_SECONDS: '300' });
    const child = spawn(process.execPath, [path.join(root, 'bin', 'payrixa'), 'serve'], {
      cwd: root,
      env: { PATH: process.env['PATH'] ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk) => {
      stdout += String(chunk);
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await waitFor(() => stdout.includes('is running at'), 240_000, 50);
      const serverPid = child.pid as number;
      const migrations = await runCli(['migrations', '--check'], env);
      expect(migrations).toMatchObject({ code: 0, stderr: '' });
      expect(migrations.stdout).toContain(' [X] 0001_accounts');
      expect(await runCli(['check', '--database'], env)).toMatchObject({
        code: 0,
        stdout: 'Database connected: True\n',
      });
      const superuser = await runCli(
        ['createsuperuser', '--username', 'root', '--email', 'root@example.org', '--no-input'],
        {
          ...env,
          PAYRIXA_SUPERUSER_PASSWORD: 'Correct-horse-42!',
        },
      );
      expect(superuser).toMatchObject({ code: 0, stderr: '' });
      const customer = await runCli(['customer', 'create', '--name', 'Acme Clinic'], env);
      expect(customer).toMatchObject({ code: 0, stderr: '' });
      const user = await runCli(
        [
          'createuser',
          '--username',
          'ann',
          '--email',
          'ann@example.org',
          '--customer',
          'Acme Clinic',
          '--role',
          'analyst',
          '--password-stdin',
        ],
        env,
        'Correct-horse-42!\n',
      );
      expect(user).toMatchObject({ code: 0, stderr: '' });
      const analyze = await runCli(['analyze', '--customer', 'Acme Clinic', '--product', 'delayguard'], env);
      expect(analyze.stderr).toBe('');
      expect(analyze.code).toBe(0);
      const list = await runCli(['customer', 'list'], env);
      expect(list.stdout).toContain('Acme Clinic');

      // The live server sees what the CLI wrote: the new user can log in through its API.
      const url = /is running at (http:\/\/\S+)/.exec(stdout)?.[1] as string;
      const token = await fetch(`${url}/api/v1/auth/token/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'ann', password: 'Correct-horse-42!' }),
      });
      expect(token.status).toBe(200);

      const migrate = await runCli(['migrate'], env);
      expect(migrate.code).toBe(0);
      expect(migrate.stdout).toContain(
        `payrixa serve (process ${serverPid}) is running on this embedded database: pending migrations are applied through it, live.`,
      );
      expect(migrate.stdout).toContain('No migrations to apply.');
      const down = await runCli(['migrate', '--to', '0001'], env);
      expect(down.code).toBe(1);
      expect(down.stderr).toContain('Unapplying migrations needs it stopped');
      expect(down.stderr).toContain(`kill ${serverPid}`);
      // A second server on the same data directory is refused, naming the running one.
      const demo = await runCli(['demo'], env);
      expect(demo.code).toBe(1);
      expect(demo.stderr).toMatch(
        new RegExp(
          `^Error: The embedded database in .* is served by a running server: payrixa serve \\(process ${serverPid}\\)\\.`,
        ),
      );

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      // Stopped: the next command hosts the engine itself and finds the same data.
      const after = await runCli(['customer', 'list'], env);
      expect(after.stdout).toContain('Acme Clinic');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 600_000);
});
