import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../test/cli.ts';
import { multipartBody } from '../test/multipart.ts';
import { waitFor } from '../test/wait.ts';
import { OPS_ENABLED } from './ops-env.ts';
import { type Child, freePort, PostgresCluster, startPayrixa, startRedis } from './processes.ts';

/**
 * Production mode scaled out on one machine (issue 13 item 9): two web entry points — one
 * `serve --workers 2` (a cluster primary with two web workers) and one single-process
 * `serve` — and two `payrixa worker` processes, on a PostgreSQL cluster and a Redis of this
 * file's own (it stops and starts the database). What must hold: sessions, rate limits and
 * mappings are shared; every job runs once; a job of a killed worker is finished by the
 * other; a database restart turns requests into fast 503s and the processes recover by
 * themselves. Durations are printed for the operations notes, never asserted.
 */

const PASSWORD = 'Correct-horse-42!';
/** Rows of the upload whose worker is killed: long enough to be caught while it runs. */
const BIG_ROWS = 30_000;
/** The anonymous API limit of this file, to show that it is counted across processes. */
const ANON_LIMIT = 6;

const CLAIMS_HEADER =
  'claim_id,payer,cpt,submitted_date,decided_date,outcome,allowed_amount,paid_amount,denial_reason_code,denial_reason_text';

function claimsCsv(prefix: string, rows: number): string {
  const payers = ['Aetna', 'Cigna', 'Medicare', 'Humana', 'UnitedHealthcare'];
  const lines = [CLAIMS_HEADER];
  for (let i = 0; i < rows; i++) {
    const day = String(1 + (i % 28)).padStart(2, '0');
    const paid = i % 4 !== 0;
    lines.push(
      `${prefix}-${i},${payers[i % payers.length]},${99211 + (i % 5)},2024-01-${day},2024-02-${day},` +
        `${paid ? 'PAID' : 'DENIED'},${100 + (i % 50)}.00,${paid ? `${80 + (i % 50)}.00` : ''},${paid ? '' : 'CO-197'},`,
    );
  }
  return `${lines.join('\n')}\n`;
}

interface Response {
  status: number;
  headers: Headers;
  text: string;
  ms: number;
}

/** One HTTP request as nginx would pass it on (HTTPS terminated in front, client address). */
async function request(
  base: string,
  url: string,
  options: {
    method?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    cookies?: Map<string, string>;
    clientIp?: string;
  } = {},
): Promise<Response> {
  const headers: Record<string, string> = {
    'x-forwarded-proto': 'https',
    'x-forwarded-for': options.clientIp ?? '192.0.2.10',
    ...options.headers,
  };
  if (options.cookies && options.cookies.size > 0) {
    headers['cookie'] = [...options.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
  const started = performance.now();
  const response = await fetch(`${base}${url}`, {
    method: options.method ?? 'GET',
    headers,
    redirect: 'manual',
    ...(options.body !== undefined && { body: options.body }),
  });
  const text = await response.text();
  const ms = Math.round(performance.now() - started);
  if (options.cookies) {
    for (const cookie of response.headers.getSetCookie()) {
      const [pair = ''] = cookie.split(';');
      const index = pair.indexOf('=');
      const name = pair.slice(0, index);
      const value = pair.slice(index + 1);
      if (value === '' || /max-age=0/i.test(cookie)) options.cookies.delete(name);
      else options.cookies.set(name, value);
    }
  }
  return { status: response.status, headers: response.headers, text, ms };
}

describe.skipIf(!OPS_ENABLED)(
  'scale-out: two web entry points and two workers on one PostgreSQL and Redis',
  () => {
    let dir = '';
    let postgres: PostgresCluster | null = null;
    let redis: Child | null = null;
    let redisPort = 0;
    const apps: Child[] = [];
    let webA = '';
    let webB = '';
    let bearerA = '';
    let bearerB = '';
    let workers: Child[] = [];
    let db: pg.Pool;
    let env: Record<string, string> = {};
    /** What this file measured, printed at the end (docs/OPERATIONS.md quotes it). */
    const measured: Record<string, unknown> = {};

    async function healthy(base: string): Promise<boolean> {
      try {
        return (await request(base, '/api/v1/health/')).status === 200;
      } catch {
        return false;
      }
    }

    async function token(base: string, username = 'ann'): Promise<string> {
      const response = await request(base, '/api/v1/auth/token/', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password: PASSWORD }),
      });
      expect(response.status, response.text).toBe(200);
      return (JSON.parse(response.text) as { access: string }).access;
    }

    async function upload(base: string, bearer: string, filename: string, csv: string): Promise<number> {
      const { payload, contentType } = multipartBody([{ name: 'file', filename, content: csv }]);
      const response = await request(base, '/api/v1/uploads/', {
        method: 'POST',
        headers: { authorization: `Bearer ${bearer}`, 'content-type': contentType },
        body: payload,
      });
      expect(response.status, response.text).toBe(202);
      return (JSON.parse(response.text) as { id: number }).id;
    }

    async function count(query: string, params: unknown[] = []): Promise<number> {
      const result = await db.query<{ n: string }>(query, params);
      return Number(result.rows[0]?.n ?? 0);
    }

    /** `job succeeded` log lines of each worker for `jobId` (the job threads log to the process). */
    function successesOf(jobId: number): Map<string, number> {
      const seen = new Map<string, number>();
      for (const worker of workers) {
        const lines = worker.logLines('job succeeded').filter((line) => line['job_id'] === jobId);
        seen.set(worker.name, lines.length);
      }
      return seen;
    }

    beforeAll(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'payrixa-scale-out-'));
      postgres = await PostgresCluster.create(path.join(dir, 'pg'));
      redisPort = await freePort();
      redis = startRedis(dir, redisPort);
      for (const sub of ['static', 'media', 'backups', 'data']) mkdirSync(path.join(dir, sub));
      env = {
        PAYRIXA_ENV: 'production',
        DATABASE_URL: postgres.url,
        REDIS_URL: `redis://127.0.0.1:${redisPort}/0`,
        SECRET_KEY: randomBytes(40).toString('hex'),
        FIELD_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
        ALLOWED_HOSTS: '127.0.0.1,localhost',
        PORTAL_BASE_URL: 'https://localhost',
        EMAIL_BACKEND: 'log',
        STATIC_ROOT: path.join(dir, 'static'),
        MEDIA_ROOT: path.join(dir, 'media'),
        BACKUP_DIR: path.join(dir, 'backups'),
        DATA_DIR: path.join(dir, 'data'),
        LOG_LEVEL: 'info',
        LOG_FORMAT: 'json',
        // Only the anonymous API limit is low: the check counts it; the rest must not interfere.
        API_THROTTLE_ANON: `${ANON_LIMIT}/hour`,
        API_THROTTLE_USER: '100000/hour',
        PORTAL_RATE_LIMIT: '100000/minute',
        UPLOAD_RATE_LIMIT: '100000/hour',
        WORKER_CONCURRENCY: '1',
        SHUTDOWN_GRACE_SECONDS: '5',
      };
      await waitFor(() => redis?.log.includes('Ready to accept connections') ?? false, 30_000, 50);

      const cli = async (args: string[], stdin?: string) => {
        const result = await runCli(args, { ...env, LOG_LEVEL: 'warn' }, stdin);
        expect(result, args.join(' ')).toMatchObject({ code: 0 });
      };
      await cli(['migrate']);
      await cli(['customer', 'create', '--name', 'Acme Clinic']);
      await cli(
        [
          'createuser',
          '--username',
          'ann',
          '--email',
          'ann@example.org',
          '--customer',
          'Acme Clinic',
          '--role',
          'admin',
          '--password-stdin',
        ],
        `${PASSWORD}\n`,
      );
      db = new pg.Pool({ connectionString: postgres.url, max: 2 });
      db.on('error', () => {});

      const [portA, portB, metricsA, metricsB] = await Promise.all([
        freePort(),
        freePort(),
        freePort(),
        freePort(),
      ]);
      webA = `http://127.0.0.1:${portA}`;
      webB = `http://127.0.0.1:${portB}`;
      const started = performance.now();
      apps.push(startPayrixa('web-a', ['serve', '--bind', `127.0.0.1:${portA}`, '--workers', '2'], env));
      apps.push(
        startPayrixa('web-b', ['serve', '--bind', `127.0.0.1:${portB}`], { ...env, WEB_CONCURRENCY: '1' }),
      );
      workers = [
        startPayrixa('worker-1', ['worker'], { ...env, WORKER_METRICS_PORT: String(metricsA) }),
        startPayrixa('worker-2', ['worker'], { ...env, WORKER_METRICS_PORT: String(metricsB) }),
      ];
      apps.push(...workers);
      const allUp = async () => {
        for (const app of apps) {
          if (!app.running) throw new Error(`${app.name} exited early:\n${app.log}`);
        }
        return (
          (await healthy(webA)) &&
          (await healthy(webB)) &&
          workers.every((worker) => worker.logLines('worker started').length === 1)
        );
      };
      await waitFor(allUp, 280_000, 250);
      measured['startup_ms'] = Math.round(performance.now() - started);
      // One access token per entry point (valid 30 minutes), taken before any check runs.
      bearerA = await token(webA);
      bearerB = await token(webB);
    }, 420_000);

    afterAll(async () => {
      for (const app of apps) app.kill('SIGKILL');
      await Promise.all(
        apps.map((app) => Promise.race([app.exited, new Promise((r) => setTimeout(r, 5_000))])),
      );
      await db?.end().catch(() => {});
      redis?.kill('SIGKILL');
      postgres?.destroy();
      if (dir) rmSync(dir, { recursive: true, force: true });
      console.log(`scale-out measurements: ${JSON.stringify(measured)}`);
    }, 60_000);

    it('shares sessions: logged in through A, the cookie is a session on B', async () => {
      const cookies = new Map<string, string>();
      await request(webA, '/portal/login/', { cookies });
      const login = await request(webA, '/portal/login/', {
        method: 'POST',
        cookies,
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://localhost' },
        body: new URLSearchParams({
          csrf_token: cookies.get('payrixa_csrf') ?? '',
          username: 'ann',
          password: PASSWORD,
        }).toString(),
      });
      expect(login.status, login.text).toBe(302);
      const page = await request(webB, '/portal/account/', { cookies });
      expect(page.status).toBe(200);
      expect(page.text).toContain('ann@example.org');
      // The same page without the cookie is the login redirect: B recognised the session.
      const anonymous = await request(webB, '/portal/account/');
      expect(anonymous.status).toBe(302);
      expect(anonymous.headers.get('location')).toContain('/portal/login/');
    });

    it('shares rate limits: the anonymous API limit counts requests through A and B together', async () => {
      const clientIp = '198.51.100.23';
      const statuses: number[] = [];
      for (let i = 0; i <= ANON_LIMIT; i++) {
        const response = await request(i % 2 === 0 ? webA : webB, '/api/v1/uploads/', { clientIp });
        statuses.push(response.status);
      }
      // Within the limit: answered (401, the API needs a login); the next one is throttled.
      expect(statuses).toEqual([...Array(ANON_LIMIT).fill(401), 429]);
      // Another address still has its own budget.
      expect((await request(webB, '/api/v1/uploads/', { clientIp: '198.51.100.24' })).status).toBe(401);
    });

    it('shares mappings: a payer mapping added through A is listed by B at once, deleted through B gone on A', async () => {
      const created = await request(webA, '/api/v1/payer-mappings/', {
        method: 'POST',
        headers: { authorization: `Bearer ${bearerA}`, 'content-type': 'application/json' },
        body: JSON.stringify({ raw_name: 'BCBS TX', normalized_name: 'Blue Cross Blue Shield' }),
      });
      expect(created.status, created.text).toBe(201);
      const id = (JSON.parse(created.text) as { id: number }).id;
      const listed = async (base: string, bearer: string) =>
        (
          JSON.parse(
            (
              await request(base, '/api/v1/payer-mappings/', {
                headers: { authorization: `Bearer ${bearer}` },
              })
            ).text,
          ) as { results: Array<{ raw_name: string }> }
        ).results.map((mapping) => mapping.raw_name);
      expect(await listed(webB, bearerB)).toContain('BCBS TX');
      const deleted = await request(webB, `/api/v1/payer-mappings/${id}/`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${bearerB}` },
      });
      expect(deleted.status).toBe(204);
      expect(await listed(webA, bearerA)).not.toContain('BCBS TX');
    });

    it('runs every job exactly once: K uploads through A and B, each processed by one worker once', async () => {
      const bearers = [bearerA, bearerB];
      const rowsEach = 200;
      const ids: number[] = [];
      for (let k = 0; k < 6; k++) {
        ids.push(
          await upload(
            k % 2 === 0 ? webA : webB,
            bearers[k % 2] as string,
            `batch-${k}.csv`,
            claimsCsv(`K${k}`, rowsEach),
          ),
        );
      }
      const started = performance.now();
      // The upload's own transaction commits first, the job record a moment later: wait for both.
      await waitFor(
        async () =>
          (await count(`SELECT count(*) AS n FROM uploads WHERE id = ANY($1) AND status = 'success'`, [
            ids,
          ])) === ids.length &&
          (await count(
            `SELECT count(*) AS n FROM jobs WHERE kind = 'ingest-upload'
                AND (payload->>'upload_id')::bigint = ANY($1) AND status IN ('queued', 'running')`,
            [ids],
          )) === 0,
        180_000,
        250,
      );
      measured['six_uploads_processed_ms'] = Math.round(performance.now() - started);
      const jobs = await db.query<{ id: string; upload_id: string; status: string; attempts: number }>(
        `SELECT id, payload->>'upload_id' AS upload_id, status, attempts FROM jobs
        WHERE kind = 'ingest-upload' AND (payload->>'upload_id')::bigint = ANY($1) ORDER BY id`,
        [ids],
      );
      expect(jobs.rows.map((job) => Number(job.upload_id)).sort((a, b) => a - b)).toEqual(ids);
      for (const job of jobs.rows) {
        expect({ status: job.status, attempts: job.attempts }).toEqual({ status: 'succeeded', attempts: 1 });
        // Exactly one `job succeeded` across both workers.
        const byWorker = successesOf(Number(job.id));
        expect(
          [...byWorker.values()].reduce((a, b) => a + b, 0),
          `job ${job.id}`,
        ).toBe(1);
      }
      for (const id of ids) {
        expect(await count('SELECT count(*) AS n FROM claims WHERE upload_id = $1', [id])).toBe(rowsEach);
        expect(
          await count(
            `SELECT count(*) AS n FROM audit_events WHERE action = 'upload_completed' AND entity_id = $1`,
            [id],
          ),
        ).toBe(1);
        expect(
          await count(
            `SELECT count(*) AS n FROM system_events WHERE event_type = 'ingestion_processed' AND related_upload_id = $1`,
            [id],
          ),
        ).toBe(1);
      }
      measured['jobs_per_worker'] = Object.fromEntries(
        workers.map((worker) => [
          worker.name,
          jobs.rows.filter((job) => (successesOf(Number(job.id)).get(worker.name) ?? 0) > 0).length,
        ]),
      );
    });

    it('fires each schedule slot once although both workers run the scheduler', async () => {
      // alert_dispatch is due every minute: wait for a slot both schedulers have passed.
      const slots = await waitFor(
        async () => {
          const result = await db.query<{ unique_key: string; n: string }>(
            `SELECT unique_key, count(*) AS n FROM jobs WHERE unique_key LIKE 'schedule:alert_dispatch:%'
            GROUP BY unique_key`,
          );
          return result.rows.length > 0 ? result.rows : null;
        },
        90_000,
        500,
      );
      for (const slot of slots) expect(Number(slot.n), slot.unique_key).toBe(1);
      // Both schedulers fired; only one created the job of a slot (`scheduled job enqueued`).
      for (const { unique_key: key } of slots) {
        const slot = key.slice('schedule:alert_dispatch:'.length);
        const enqueued = workers.flatMap((worker) =>
          worker
            .logLines('scheduled job enqueued')
            .filter((line) => line['schedule'] === 'alert_dispatch' && line['slot'] === slot),
        );
        expect(enqueued, key).toHaveLength(1);
      }
    });

    it('a worker killed in the middle of an upload: the other worker finishes it, once', async () => {
      const uploadId = await upload(webB, bearerB, 'big.csv', claimsCsv('BIG', BIG_ROWS));
      const running = await waitFor(
        async () => {
          const result = await db.query<{ id: string; locked_by: string | null }>(
            `SELECT id, locked_by FROM jobs WHERE kind = 'ingest-upload' AND (payload->>'upload_id')::bigint = $1
              AND status = 'running'`,
            [uploadId],
          );
          return result.rows[0] ?? null;
        },
        120_000,
        50,
      );
      const jobId = Number(running.id);
      // locked_by is `<host>:<pid>:…`: the worker process running the job.
      const pid = Number(running.locked_by?.split(':')[1]);
      const victim = workers.find((worker) => worker.pid === pid);
      expect(victim, `job ${jobId} locked by ${running.locked_by}`).toBeDefined();
      const survivor = workers.find((worker) => worker !== victim) as Child;
      victim?.kill('SIGKILL');
      await victim?.exited;
      const killedAt = performance.now();

      // The lease (60 s) runs out, the survivor's sweep takes the job back and runs it again.
      await waitFor(
        async () =>
          (await count(`SELECT count(*) AS n FROM uploads WHERE id = $1 AND status = 'success'`, [
            uploadId,
          ])) === 1 &&
          (await count(
            `SELECT count(*) AS n FROM jobs WHERE id = $1 AND status NOT IN ('queued', 'running')`,
            [jobId],
          )) === 1,
        280_000,
        500,
      );
      measured['killed_worker_job_finished_after_ms'] = Math.round(performance.now() - killedAt);
      const job = await db.query<{ status: string; attempts: number }>(
        'SELECT status, attempts FROM jobs WHERE id = $1',
        [jobId],
      );
      // The interrupted attempt counts: the second attempt (of two) succeeded.
      expect(job.rows[0]).toEqual({ status: 'succeeded', attempts: 2 });
      expect(survivor.logLines('job succeeded').filter((line) => line['job_id'] === jobId)).toHaveLength(1);
      // Nothing lost, nothing twice: the partial first attempt left no rows behind.
      expect(await count('SELECT count(*) AS n FROM claims WHERE upload_id = $1', [uploadId])).toBe(BIG_ROWS);
      expect(
        await count(
          `SELECT count(*) AS n FROM audit_events WHERE action = 'upload_completed' AND entity_id = $1`,
          [uploadId],
        ),
      ).toBe(1);
    });

    it('a database restart: requests fail fast with 503 while it is down and succeed again after, without restarting the app', async () => {
      const bearers = new Map([
        [webA, bearerA],
        [webB, bearerB],
      ]);
      const call = (base: string) =>
        request(base, '/api/v1/uploads/', { headers: { authorization: `Bearer ${bearers.get(base)}` } });
      for (const base of [webA, webB]) expect((await call(base)).status).toBe(200);

      // Traffic while the database goes down: each request ends (no hang until the request timeout).
      let stopTraffic = false;
      const during: Response[] = [];
      const traffic = (async () => {
        while (!stopTraffic) {
          for (const base of [webA, webB]) during.push(await call(base));
        }
      })();
      postgres?.stop('fast');
      const stoppedAt = performance.now();
      const down: Response[] = [];
      // Keep it down a few seconds (an outage, not a blip): every request meanwhile is a 503.
      while (down.length < 12 || performance.now() - stoppedAt < 5_000) {
        for (const base of [webA, webB]) down.push(await call(base));
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      for (const response of down) {
        expect(response.status, response.text).toBe(503);
        expect(JSON.parse(response.text)).toMatchObject({
          code: 'unavailable',
          detail: 'Service temporarily unavailable.',
        });
      }
      for (const base of [webA, webB]) {
        const health = await request(base, '/api/v1/health/');
        expect(health.status).toBe(503);
        expect(JSON.parse(health.text)).toMatchObject({
          status: 'degraded',
          checks: { database: 'error', redis: 'ok' },
        });
      }
      measured['outage_requests'] = down.length;
      measured['outage_request_ms'] = {
        max: Math.max(...down.map((r) => r.ms)),
        median: [...down.map((r) => r.ms)].sort((a, b) => a - b)[Math.floor(down.length / 2)],
      };

      postgres?.start();
      const restartedAt = performance.now();
      // Recovery without touching the app processes: several successes through both entry
      // points (A's two web workers each have their own pool).
      await waitFor(
        async () => {
          const results = await Promise.all([call(webA), call(webA), call(webA), call(webB)]);
          return results.every((response) => response.status === 200);
        },
        60_000,
        100,
      );
      measured['recovered_after_start_ms'] = Math.round(performance.now() - restartedAt);
      measured['database_down_ms'] = Math.round(restartedAt - stoppedAt);
      stopTraffic = true;
      await traffic;
      // Every request of the traffic loop got an answer: 200 before/after, 503 during.
      expect(new Set(during.map((response) => response.status))).toEqual(new Set([200, 503]));
      measured['traffic_statuses'] = during.reduce<Record<number, number>>((acc, response) => {
        acc[response.status] = (acc[response.status] ?? 0) + 1;
        return acc;
      }, {});
      measured['traffic_max_ms'] = Math.max(...during.map((response) => response.ms));
      for (const base of [webA, webB]) expect((await request(base, '/api/v1/health/')).status).toBe(200);
      // The survivor worker reconnects too: a new upload is processed.
      const uploadId = await upload(
        webA,
        bearers.get(webA) as string,
        'after-restart.csv',
        claimsCsv('AFTER', 20),
      );
      await waitFor(
        async () =>
          (await count(`SELECT count(*) AS n FROM uploads WHERE id = $1 AND status = 'success'`, [
            uploadId,
          ])) === 1,
        120_000,
        250,
      );
      // The same processes served before, during and after: none was restarted.
      for (const app of [apps[0], apps[1], ...workers.filter((worker) => worker.running)]) {
        expect(app?.running, app?.name).toBe(true);
      }
    });

    it('a Redis restart: requests answer 503 while it is down and work again after, without restarting the app', async () => {
      const bearers = new Map([
        [webA, bearerA],
        [webB, bearerB],
      ]);
      const call = (base: string) =>
        request(base, '/api/v1/uploads/', { headers: { authorization: `Bearer ${bearers.get(base)}` } });
      redis?.kill('SIGKILL');
      await redis?.exited;
      // Rate limits live in Redis: every API request needs it.
      const down: Response[] = [];
      for (let i = 0; i < 3; i++) for (const base of [webA, webB]) down.push(await call(base));
      for (const response of down) {
        expect(response.status, response.text).toBe(503);
        expect(JSON.parse(response.text)).toMatchObject({ code: 'unavailable' });
      }
      for (const base of [webA, webB]) {
        const health = await request(base, '/api/v1/health/');
        expect(health.status).toBe(503);
        expect(JSON.parse(health.text)).toMatchObject({ checks: { database: 'ok', redis: 'error' } });
      }
      measured['redis_outage_request_ms'] = Math.max(...down.map((response) => response.ms));

      // A fresh Redis on the same port (no persistence: sessions and deliveries are gone).
      redis = startRedis(dir, redisPort);
      await waitFor(() => redis?.log.includes('Ready to accept connections') ?? false, 30_000, 50);
      const restartedAt = performance.now();
      await waitFor(
        async () => {
          const results = await Promise.all([call(webA), call(webA), call(webA), call(webB)]);
          return results.every((response) => response.status === 200);
        },
        60_000,
        100,
      );
      measured['redis_recovered_after_start_ms'] = Math.round(performance.now() - restartedAt);
      // The queue works again: BullMQ on the web and worker side reconnected by themselves.
      const uploadId = await upload(webB, bearerB, 'after-redis.csv', claimsCsv('REDIS', 20));
      await waitFor(
        async () =>
          (await count(`SELECT count(*) AS n FROM uploads WHERE id = $1 AND status = 'success'`, [
            uploadId,
          ])) === 1,
        150_000,
        250,
      );
      measured['redis_upload_processed_after_start_ms'] = Math.round(performance.now() - restartedAt);
    });
  },
);
