import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { cliEnv } from '../../test/cli.ts';
import { createTestDatabase, onPostgres, type TestDatabase } from '../../test/db.ts';
import { freePort, spawnPayrixa } from '../../test/processes.ts';
import { waitFor } from '../../test/wait.ts';

/**
 * `serve --workers 2` (web-api-ops §5.2): one scrape of `/metrics` on whichever web worker
 * receives it covers every web worker and the primary.
 */

/** A GET on a fresh connection (no keep-alive), so the cluster spreads requests over workers. */
function get(port: number, url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port, path: url, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => {
        body += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('error', reject);
  });
}

function counterValue(exposition: string, name: string, labels: string): number {
  const line = exposition.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

describe.runIf(onPostgres)('metrics of serve --workers 2 (PostgreSQL)', () => {
  let database: TestDatabase | null = null;
  let serve: ChildProcessWithoutNullStreams | null = null;

  afterEach(async () => {
    if (serve && serve.exitCode === null) {
      const exited = new Promise((resolve) => serve?.on('exit', resolve));
      serve.kill('SIGTERM');
      await exited;
    }
    serve = null;
    await database?.close();
    database = null;
  });

  it('one scrape sums the request counters of both web workers', async () => {
    database = await createTestDatabase();
    const port = await freePort();
    const env = cliEnv({
      DATABASE_URL: database.url as string,
      BIND: `127.0.0.1:${port}`,
      // Debug: the request log lines carry the pid of the worker that served each request.
      LOG_LEVEL: 'debug',
      LOG_FORMAT: 'json',
      PORTAL_RATE_LIMIT: '10000/minute',
    });
    const running = spawnPayrixa(['serve', '--workers', '2'], env);
    serve = running.child;
    const output = running.output;
    await waitFor(() => output().includes('started 2 web workers'), 90_000, 50);
    await waitFor(async () => {
      try {
        return (await get(port, '/health/')).status === 200;
      } catch {
        return false;
      }
    }, 90_000);

    // Requests on fresh connections until both workers have served some (the second worker may
    // start listening a moment after the first): the request log names each request's process.
    const servedBy = (): number[] =>
      output()
        .split('\n')
        .filter((line) => line.includes('REQUEST: GET /portal/login/ - 200'))
        .map((line) => (JSON.parse(line) as { pid: number }).pid);
    let requests = 0;
    for (let batch = 0; batch < 20; batch++) {
      for (let i = 0; i < 10; i++) {
        expect((await get(port, '/portal/login/')).status).toBe(200);
        requests++;
      }
      // A request's log line is written once its response has ended: wait for all of them.
      await waitFor(() => servedBy().length === requests);
      if (new Set(servedBy()).size === 2) break;
    }
    const perWorker = new Map<number, number>();
    for (const pid of servedBy()) perWorker.set(pid, (perWorker.get(pid) ?? 0) + 1);
    expect(perWorker.size).toBe(2);
    for (const count of perWorker.values()) expect(count).toBeLessThan(requests);

    // Several scrapes, each on a fresh connection (so on either worker): every one sums both.
    for (let scrape = 0; scrape < 4; scrape++) {
      const response = await get(port, '/metrics');
      expect(response.status).toBe(200);
      expect(
        counterValue(
          response.body,
          'payrixa_http_requests_total',
          'method="GET",route="/portal/login/",status="200"',
        ),
      ).toBe(requests);
      // Build info stays 1 across the three processes; their pools are summed.
      expect(response.body).toContain(`payrixa_build_info{version="`);
      expect(response.body).toMatch(/^payrixa_build_info\{[^}]*\} 1$/m);
      expect(response.body).toMatch(/^payrixa_db_pool_connections\{state="total"\} \d+$/m);
      expect(response.body).toMatch(/^process_start_time_seconds \d+/m);
    }
  }, 240_000);
});
