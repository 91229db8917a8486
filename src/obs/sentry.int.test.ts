import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Envelope, Event, Transport } from '@sentry/core';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cliEnv, runCli } from '../../test/cli.ts';
import { testConfig } from '../../test/config.ts';
import { onPostgres } from '../../test/db.ts';
import { createTestServices, type TestServices } from '../../test/services.ts';
import { waitFor } from '../../test/wait.ts';
import { startServer } from '../cli/serve.ts';
import { loadConfig } from '../config/env.ts';
import { findJob } from '../db/repositories/jobs.repository.ts';
import { buildApp } from '../http/app.ts';
import type { Services } from '../services.ts';
import { createLogger, silentLogger } from './logger.ts';
import {
  createErrorReporter,
  disabledErrorReporter,
  type ErrorReporter,
  installErrorReporter,
} from './sentry.ts';
import { REDACTED, REDACTED_BODY, REDACTED_MESSAGE } from './sentry-scrub.ts';

/**
 * Error tracking wiring (web-api-ops §5.5): server errors and final job failures reach Sentry
 * with their tags, scrubbed; 4xx never do; nothing runs without a DSN; `payrixa sentry-test`
 * over real HTTP to a loopback "Sentry".
 */

/** A transport that records every envelope instead of sending it. */
function recordingTransport(): { envelopes: Envelope[]; factory: () => Transport } {
  const envelopes: Envelope[] = [];
  return {
    envelopes,
    factory: () => ({
      send: async (envelope) => {
        envelopes.push(structuredClone(envelope));
        return { statusCode: 200 };
      },
      flush: async () => true,
    }),
  };
}

/** The events (errors and messages) among recorded envelopes. */
function eventsOf(envelopes: readonly Envelope[]): Event[] {
  return envelopes.flatMap(([, items]) =>
    (items as Array<[{ type: string }, unknown]>)
      .filter(([header]) => header.type === 'event')
      .map(([, payload]) => payload as Event),
  );
}

const FAKE_DSN = 'http://publickey@127.0.0.1:9/42';

describe('HTTP server errors and job failures reach Sentry, scrubbed', () => {
  let services: TestServices;
  let app: FastifyInstance;
  let reporter: ErrorReporter;
  const recorder = recordingTransport();

  beforeAll(async () => {
    services = await createTestServices({
      env: { SENTRY_DSN: FAKE_DSN, SERVER_NAME: 'web-1' },
      registerJobs: (registry) =>
        registry.register({
          kind: 'test.sentry-fails',
          queue: 'maintenance',
          maxAttempts: 1,
          async handler() {
            throw new Error('payer Jane Doe could not be matched');
          },
        }),
    });
    reporter = installErrorReporter(createErrorReporter(services.config, { transport: recorder.factory }));
    app = await buildApp(services, {
      extraRoutes: (instance) => {
        instance.get('/boom/:id/', async () => {
          throw new Error('PRIVACY ALERT: payer value John Smith looks like a patient name');
        });
        instance.post('/boom/:id/', async () => {
          throw new Error('connection timeout after 30 seconds');
        });
      },
    });
  }, 180_000);

  afterAll(async () => {
    installErrorReporter(disabledErrorReporter);
    await app?.close();
    await services?.dispose();
  });

  it('sends one event per 500 with request_id, route template and the request scrubbed', async () => {
    const before = recorder.envelopes.length;
    const response = await app.inject({
      method: 'GET',
      url: '/boom/17/?payer=John&dob=1980-01-02',
      headers: {
        authorization: 'Bearer eyJhbGciOi.secret.part',
        cookie: 'payrixa_session=abcdef123456; payrixa_csrf=zzz',
        'x-csrf-token': 'csrf-secret',
        'x-ingestion-token': 'pxi_0123456789abcdef',
        accept: 'text/html',
      },
    });
    expect(response.statusCode).toBe(500);
    expect(await reporter.flush(5_000)).toBe(true);
    const events = eventsOf(recorder.envelopes.slice(before));
    expect(events).toHaveLength(1);
    const event = events[0] as Event;
    expect(event.tags).toEqual({ request_id: response.headers['x-request-id'], route: '/boom/{id}/' });
    expect(event.environment).toBe(services.config.sentry.environment);
    expect(event.release).toBe(services.config.sentry.release);
    expect(event.server_name).toBe('web-1');
    expect(event.exception?.values?.[0]?.value).toBe(REDACTED_MESSAGE);
    expect(event.request).toMatchObject({
      method: 'GET',
      url: 'http://localhost:80/boom/17/',
      query_string: REDACTED,
      cookies: REDACTED,
      headers: {
        authorization: REDACTED,
        cookie: REDACTED,
        'x-csrf-token': REDACTED,
        'x-ingestion-token': REDACTED,
        accept: 'text/html',
      },
    });
    expect(event.request).not.toHaveProperty('data');
    const raw = JSON.stringify(recorder.envelopes.slice(before));
    for (const secret of ['John', 'Smith', 'abcdef123456', 'eyJhbGciOi', 'pxi_0123', 'csrf-secret', '1980']) {
      expect(raw).not.toContain(secret);
    }
  });

  it('marks a request body as present without ever sending it; a harmless message stays', async () => {
    const before = recorder.envelopes.length;
    const response = await app.inject({
      method: 'POST',
      url: '/boom/3/',
      payload: { payer: 'John Smith', ssn: '123-45-6789' },
    });
    expect(response.statusCode).toBe(500);
    await reporter.flush(5_000);
    const [event] = eventsOf(recorder.envelopes.slice(before));
    expect(event?.request?.data).toBe(REDACTED_BODY);
    expect(event?.exception?.values?.[0]?.value).toBe('connection timeout after 30 seconds');
    expect(event?.tags?.['route']).toBe('/boom/{id}/');
    expect(JSON.stringify(recorder.envelopes.slice(before))).not.toMatch(/John|123-45-6789/);
  });

  it('logs the 500 as one JSON line carrying the request_id, its message scrubbed', async () => {
    const config = {
      ...services.config,
      log: { ...services.config.log, level: 'info' as const, format: 'json' as const },
    };
    const lines: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    const logged = await buildApp({ ...services, logger: createLogger(config) } as Services, {
      extraRoutes: (instance) => {
        instance.get('/boom/:id/', async () => {
          throw new Error('payer value John Smith looks like a patient name');
        });
      },
    });
    try {
      const response = await logged.inject({ method: 'GET', url: '/boom/5/?payer=John' });
      expect(response.statusCode).toBe(500);
      const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      const line = records.find((record) => record['msg'] === 'unhandled error');
      expect(line).toMatchObject({
        level: 'error',
        logger: 'http',
        request_id: response.headers['x-request-id'],
        err: { type: 'Error', message: REDACTED_MESSAGE },
      });
      expect(lines.join('')).not.toMatch(/John|Smith/);
    } finally {
      spy.mockRestore();
      await logged.close();
    }
  });

  it('breadcrumbs pass the scrubber before they are kept (beforeBreadcrumb)', async () => {
    reporter.captureMessage('warm-up');
    await reporter.flush(5_000); // the SDK is loaded and this thread's client set
    const sdk = await import('@sentry/core');
    sdk.addBreadcrumb({
      category: 'upload',
      message: 'payer Mary Johnson rejected',
      data: { to: 'a@b.org' },
    });
    const kept = sdk.getIsolationScope().getScopeData().breadcrumbs.at(-1);
    expect(kept).toMatchObject({
      category: 'upload',
      message: REDACTED_MESSAGE,
      data: { to: '[EMAIL_REDACTED]' },
    });
  });

  it('sends nothing for a 404 or a 400', async () => {
    const before = recorder.envelopes.length;
    expect((await app.inject({ method: 'GET', url: '/no-such-page/' })).statusCode).toBe(404);
    const invalid = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/token/',
      payload: { username: 'x' },
    });
    expect(invalid.statusCode).toBe(400);
    await reporter.flush(5_000);
    expect(recorder.envelopes.length).toBe(before);
  });

  it('reports the final failure of a job with its job_kind, message scrubbed', async () => {
    const before = recorder.envelopes.length;
    await services.startJobs({ scheduler: false });
    const { id } = await services.queue.enqueue('test.sentry-fails', {}, { requestId: 'req-job-1' });
    await waitFor(async () => (await findJob(services.database.db, id))?.status === 'failed');
    await waitFor(async () => {
      await reporter.flush(1_000);
      return eventsOf(recorder.envelopes.slice(before)).length > 0;
    });
    const events = eventsOf(recorder.envelopes.slice(before));
    expect(events).toHaveLength(1);
    expect(events[0]?.tags).toEqual({ job_kind: 'test.sentry-fails', request_id: 'req-job-1' });
    expect(events[0]?.exception?.values?.[0]?.value).toBe(REDACTED_MESSAGE);
    expect(JSON.stringify(events)).not.toContain('Jane');
  });
});

describe('without SENTRY_DSN', () => {
  it('creates no client: the reporter is the no-op and reports nothing', async () => {
    const config = loadConfig({ PAYRIXA_ENV: 'test' });
    expect(config.sentry.dsn).toBeNull();
    const reporter = createErrorReporter(config);
    expect(reporter).toBe(disabledErrorReporter);
    expect(reporter.enabled).toBe(false);
    expect(reporter.capture(new Error('x'), { route: '/x/' })).toBeNull();
    expect(await reporter.flush(10)).toBe(true);
  });
});

describe('payrixa sentry-test', () => {
  let server: Server;
  const received: Array<{ url: string; contentType: string | undefined; body: string }> = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += String(chunk);
      });
      request.on('end', () => {
        received.push({ url: request.url ?? '', contentType: request.headers['content-type'], body });
        response.writeHead(200, { 'Content-Type': 'application/json' });
        response.end('{"id":"ok"}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('sends the test event over HTTP, scrubbed, and prints its id', async () => {
    const port = (server.address() as AddressInfo).port;
    const result = await runCli(
      ['sentry-test'],
      cliEnv({
        SENTRY_DSN: `http://publickey@127.0.0.1:${port}/42`,
        SENTRY_ENVIRONMENT: 'staging',
        // A server name carrying an email: the scrubber's `sanitize` pass must catch it.
        SERVER_NAME: 'ops@example.org',
      }),
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const match = /^Sentry test event sent \(id ([0-9a-f]{32})\)\.\n$/.exec(result.stdout);
    expect(match).not.toBeNull();
    const eventId = match?.[1];

    expect(received).toHaveLength(1);
    const request = received[0]!;
    expect(request.url).toMatch(/^\/api\/42\/envelope\/\?/);
    expect(request.url).toContain('sentry_key=publickey');
    // Envelope: header line, item header line, event payload line.
    const [header, itemHeader, payload] = request.body.split('\n').map((line) => JSON.parse(line));
    expect(header.event_id).toBe(eventId);
    expect(itemHeader.type).toBe('event');
    expect(payload).toMatchObject({
      event_id: eventId,
      message: 'Payrixa Sentry test event',
      level: 'error',
      environment: 'staging',
      server_name: '[EMAIL_REDACTED]',
    });
    expect(payload.user?.ip_address).toBeUndefined();
    expect(request.body).not.toContain('ops@example.org');
  });

  it.each(['uncaughtException', 'unhandledRejection'])(
    'a process crash (%s) is reported before the process exits 1',
    async (kind) => {
      const port = (server.address() as AddressInfo).port;
      const before = received.length;
      const dir = mkdtempSync(path.join(tmpdir(), 'payrixa-crash-'));
      const script = path.join(dir, 'crash.ts');
      const src = (file: string) => pathToFileURL(path.resolve(file)).href;
      writeFileSync(
        script,
        [
          `import { loadConfig } from '${src('src/config/env.ts')}';`,
          `import { createLogger } from '${src('src/obs/logger.ts')}';`,
          `import { createErrorReporter, installErrorReporter, reportProcessCrashes } from '${src('src/obs/sentry.ts')}';`,
          `const config = loadConfig({ PAYRIXA_ENV: 'test', LOG_LEVEL: 'fatal', LOG_FORMAT: 'json', SENTRY_DSN: 'http://k@127.0.0.1:${port}/7' });`,
          'const logger = createLogger(config);',
          'reportProcessCrashes(installErrorReporter(createErrorReporter(config, { logger })), logger);',
          kind === 'uncaughtException'
            ? "setTimeout(() => { throw new Error('payer John Smith crashed the worker'); }, 5);"
            : "void Promise.reject(new Error('payer John Smith crashed the worker'));",
        ].join('\n'),
      );
      // Asynchronous: the loopback "Sentry" in this process must answer while the child waits.
      const child = await new Promise<{ status: number | null; stdout: string }>((resolve) => {
        execFile(process.execPath, ['--import', 'tsx', script], { timeout: 60_000 }, (error, stdout) =>
          resolve({ status: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout }),
        );
      });
      expect(child.status).toBe(1);
      // The fatal log line, scrubbed, is what the operator sees on stdout.
      expect(child.stdout).toContain('"msg":"process crashed"');
      expect(child.stdout).not.toContain('John');
      const sent = received.slice(before);
      expect(sent).toHaveLength(1);
      const payload = JSON.parse(sent[0]!.body.split('\n')[2] as string);
      expect(payload.exception.values[0].value).toBe(REDACTED_MESSAGE);
      expect(sent[0]!.body).not.toContain('John');
    },
  );

  it.skipIf(onPostgres)(
    'a job failing in a job thread is reported by that thread’s own client',
    async () => {
      const port = (server.address() as AddressInfo).port;
      const before = received.length;
      const dir = mkdtempSync(path.join(tmpdir(), 'payrixa-thread-jobs-'));
      const jobModule = path.join(dir, 'failing-jobs.mjs');
      writeFileSync(
        jobModule,
        [
          'export function registerJobs(registry) {',
          "  registry.register({ kind: 'test.thread-fails', queue: 'maintenance', maxAttempts: 1,",
          "    async handler() { throw new Error('payer Jane Doe could not be matched'); } });",
          '}',
        ].join('\n'),
      );
      const config = testConfig({
        BIND: '127.0.0.1:0',
        WORKER_CONCURRENCY: '1',
        SENTRY_DSN: `http://k@127.0.0.1:${port}/7`,
      });
      // The web thread installs no reporter here: only the job thread's own can send this.
      const running = await startServer(config, silentLogger(), {
        jobModules: [pathToFileURL(jobModule).href],
      });
      try {
        await running.jobsStarted;
        const { id } = await running.services.queue.enqueue('test.thread-fails', {});
        await waitFor(async () => (await findJob(running.services.database.db, id))?.status === 'failed');
        const sent = await waitFor(() => (received.length > before ? received.slice(before) : null));
        expect(sent).toHaveLength(1);
        const payload = JSON.parse(sent[0]!.body.split('\n')[2] as string);
        expect(payload.tags).toEqual({ job_kind: 'test.thread-fails' });
        expect(payload.exception.values[0].value).toBe(REDACTED_MESSAGE);
      } finally {
        await running.stop(3_000);
      }
    },
    120_000,
  );

  it('exits 1 without SENTRY_DSN', async () => {
    const result = await runCli(['sentry-test'], cliEnv());
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('SENTRY_DSN is not set; nothing to send.\n');
    expect(result.stdout).toBe('');
  });
});
