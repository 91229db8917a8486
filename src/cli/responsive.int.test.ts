import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createAccountFixtures, loggedInClient, type PortalClient } from '../../test/accounts.ts';
import { testConfig } from '../../test/config.ts';
import { onPostgres } from '../../test/db.ts';
import { multipartBody } from '../../test/multipart.ts';
import { waitFor } from '../../test/wait.ts';
import type { Config } from '../config/env.ts';
import { createDatabase } from '../db/database.ts';
import { findJob } from '../db/repositories/jobs.repository.ts';
import { silentLogger } from '../obs/logger.ts';
import { type RunningServer, startServer } from './serve.ts';

/**
 * The product's arrangement (docs/ARCHITECTURE.md): `payrixa serve` on the embedded default,
 * embedded PostgreSQL in its own thread behind a socket, jobs in worker threads. These tests
 * start it in this process (this thread is the web thread) and prove by the order of events
 * that the web thread keeps answering while jobs run, and that a shutdown hands interrupted
 * jobs back.
 */

const GATED_JOBS = new URL('../../test/jobs/gated-jobs.ts', import.meta.url).href;
const HEADER = 'claim_id,payer,cpt,submitted_date,decided_date,outcome,allowed_amount,paid_amount';

/** A valid claims file of `rows` distinct claims. */
function largeCsv(rows: number): string {
  const lines = [HEADER];
  for (let i = 0; i < rows; i++) {
    const day = String(1 + (i % 28)).padStart(2, '0');
    const denied = i % 7 === 0;
    lines.push(
      `CLM-${i},${i % 3 ? 'PayerOne' : 'PayerTwo'},99213,2025-03-${day},2025-04-${day},${denied ? 'DENIED' : 'PAID'},120.00,${denied ? '0.00' : '96.00'}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

interface Progress {
  status: string;
  rows_done: number;
  rows_total: number | null;
  percent: number;
}

async function progressOf(client: PortalClient, uploadId: number): Promise<Progress> {
  const response = await client.get(`/api/v1/uploads/${uploadId}/progress/`, { accept: 'application/json' });
  expect(response.statusCode).toBe(200);
  return response.json() as Progress;
}

async function postUpload(server: RunningServer, client: PortalClient, content: string): Promise<number> {
  const { payload, contentType } = multipartBody([
    { name: 'csrf_token', value: await client.csrf() },
    { name: 'csv_file', filename: 'big.csv', content },
  ]);
  const cookie = [...client.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const response = await server.app.inject({
    method: 'POST',
    url: '/portal/uploads/',
    remoteAddress: '127.0.0.1',
    headers: { cookie, 'content-type': contentType },
    payload,
  });
  // Answered as soon as the file is stored: a redirect to the upload's page.
  expect(response.statusCode).toBe(302);
  const match = /^\/portal\/uploads\/(\d+)\/$/.exec(String(response.headers.location));
  expect(match).not.toBeNull();
  return Number(match![1]);
}

function baseUrl(server: RunningServer): string {
  const address = server.app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return `http://127.0.0.1:${port}`;
}

describe.skipIf(onPostgres)('serve on the embedded default: jobs off the web thread', () => {
  let server: RunningServer | null = null;
  let config: Config;

  afterEach(async () => {
    await server?.stop(3_000);
    server = null;
  });

  function start(): Promise<RunningServer> {
    return startServer(config, silentLogger(), { jobModules: [GATED_JOBS] });
  }

  it('answers /health/ and a portal page while a large upload is processing; progress rises to the result', async () => {
    config = testConfig({
      BIND: '127.0.0.1:0',
      PORTAL_RATE_LIMIT: '100000/minute',
      API_USER_RATE_LIMIT: '100000/minute',
      UPLOAD_MAX_MB: '50',
      WORKER_CONCURRENCY: '1',
    });
    server = await start();
    expect(server.services.jobRunner).toBe('threads');
    expect(server.services.database.embedded?.ownsHost).toBe(true);
    const fx = await createAccountFixtures(server.services.database.db);
    const client = await loggedInClient(server.app, 'owner_a');
    const rows = 60_000;
    const uploadId = await postUpload(server, client, largeCsv(rows));

    const events: string[] = [];
    const snapshots: Progress[] = [];
    let answeredWhileProcessing = false;
    for (;;) {
      const progress = await progressOf(client, uploadId);
      snapshots.push(progress);
      if (['success', 'partial', 'failed'].includes(progress.status)) break;
      const early =
        progress.status === 'processing' &&
        progress.rows_total !== null &&
        progress.rows_done > 0 &&
        progress.rows_done < progress.rows_total / 2;
      if (early && !answeredWhileProcessing) {
        answeredWhileProcessing = true;
        events.push(`processing ${progress.rows_done}/${progress.rows_total}`);
        const health = await fetch(`${baseUrl(server)}/health/`);
        events.push(`health ${health.status}`);
        const page = await client.get('/portal/uploads/');
        events.push(`portal ${page.statusCode}`);
        const after = await progressOf(client, uploadId);
        events.push(`then ${after.status}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // Both answered, and only then did the upload finish (order of events, not timing).
    expect(events).toHaveLength(4);
    expect(events.slice(1)).toEqual(['health 200', 'portal 200', 'then processing']);

    // Progress never went backwards and ended at every row.
    const done = snapshots.map((s) => s.rows_done);
    expect(done.every((value, i) => i === 0 || value >= (done[i - 1] as number))).toBe(true);
    const percents = snapshots.map((s) => s.percent);
    expect(percents.every((value, i) => i === 0 || value >= (percents[i - 1] as number))).toBe(true);
    expect(snapshots.at(-1)).toMatchObject({
      status: 'success',
      rows_done: rows,
      rows_total: rows,
      percent: 100,
    });
    const stored = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM claims WHERE customer_id = ${fx.customerA.id}`.execute(
      server.services.database.db,
    );
    expect(stored.rows[0]?.n).toBe(rows);
  }, 240_000);

  it('a shutdown hands running jobs back (not counted as an attempt); they run after the restart', async () => {
    config = testConfig({ BIND: '127.0.0.1:0', WORKER_CONCURRENCY: '2' });
    server = await start();
    const release = path.join(config.dataDir, 'release');
    const gated = await server.services.queue.enqueue('test.gated', { release_file: release });
    const stubborn = await server.services.queue.enqueue('test.stubborn', { release_file: release });
    const db = server.services.database.db;
    await waitFor(async () => {
      const [a, b] = await Promise.all([findJob(db, gated.id), findJob(db, stubborn.id)]);
      return a?.status === 'running' && b?.status === 'running';
    }, 60_000);

    // Stop: the gated job unwinds on its abort signal; the stubborn one ignores it, so its
    // thread is terminated and its job handed back from the web thread.
    await server.stop(2_000);
    server = null;
    const check = await createDatabase(config);
    try {
      for (const id of [gated.id, stubborn.id]) {
        const job = await findJob(check.db, id);
        expect(job).toMatchObject({ status: 'queued', attempts: 0, locked_by: null });
        expect(job?.error).toContain('interrupted by a shutdown');
      }
    } finally {
      await check.close();
    }

    writeFileSync(release, 'go');
    server = await start();
    const restarted = server.services.database.db;
    for (const id of [gated.id, stubborn.id]) {
      const job = await waitFor(async () => {
        const record = await findJob(restarted, id);
        return record?.status === 'succeeded' || record?.status === 'failed' ? record : null;
      }, 60_000);
      expect(job).toMatchObject({ status: 'succeeded', attempts: 1, result: { released: true } });
    }
  }, 240_000);
});
