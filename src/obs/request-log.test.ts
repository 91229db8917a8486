import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../test/wait.ts';
import type { FinishedRequest } from '../http/plugins/request-observer.ts';
import { accessLogFor, createAccessLogger, requestLogLine, requestLogListener } from './request-log.ts';

/** The request log of web-api-ops §5.1 as a captured pino destination receives it. */

function finished(overrides: Partial<FinishedRequest> = {}): FinishedRequest {
  return {
    timestamp: new Date('2026-01-24T08:00:00Z'),
    requestId: 'req-1',
    method: 'GET',
    route: '/portal/alerts/{id}/',
    path: '/portal/alerts/42/',
    status: 200,
    durationMs: 12.345,
    username: 'analyst_a',
    userId: 7,
    customerId: 3,
    isStatic: false,
    ...overrides,
  };
}

function capture(): {
  logger: ReturnType<typeof createAccessLogger>;
  lines: () => Record<string, unknown>[];
} {
  const raw: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, callback) {
      raw.push(String(chunk));
      callback();
    },
  });
  const logger = createAccessLogger(sink, 'payrixa.request');
  return { logger, lines: () => raw.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe('request log line (§5.1)', () => {
  it('is debug REQUEST up to 2,000 ms, warn SLOW REQUEST above, error VERY SLOW REQUEST above 5,000 ms', () => {
    expect(requestLogLine(finished())).toEqual({
      level: 'debug',
      msg: 'REQUEST: GET /portal/alerts/42/ - 200 - 12.35ms - user=analyst_a',
    });
    expect(requestLogLine(finished({ durationMs: 2000 })).level).toBe('debug');
    expect(requestLogLine(finished({ durationMs: 2000.5, method: 'POST', status: 302 }))).toEqual({
      level: 'warn',
      msg: 'SLOW REQUEST: POST /portal/alerts/42/ - 302 - 2000.50ms - user=analyst_a',
    });
    expect(requestLogLine(finished({ durationMs: 5000 })).level).toBe('warn');
    expect(requestLogLine(finished({ durationMs: 5001, status: 500, username: null }))).toEqual({
      level: 'error',
      msg: 'VERY SLOW REQUEST: GET /portal/alerts/42/ - 500 - 5001.00ms - user=anonymous',
    });
  });

  it('writes one JSON line with the context fields, and none for static files', () => {
    const { logger, lines } = capture();
    const listener = requestLogListener(logger);
    listener(finished());
    listener(finished({ route: '/static/*', path: '/static/css/payrixa.css', isStatic: true }));
    listener(finished({ durationMs: 6000, username: null, userId: null, customerId: null }));
    const written = lines();
    expect(written).toHaveLength(2);
    expect(written[0]).toMatchObject({
      level: 'debug',
      logger: 'payrixa.request',
      msg: 'REQUEST: GET /portal/alerts/42/ - 200 - 12.35ms - user=analyst_a',
      request_id: 'req-1',
      method: 'GET',
      route: '/portal/alerts/{id}/',
      status: 200,
      duration_ms: 12.35,
      user_id: 7,
      customer_id: 3,
    });
    expect(typeof written[0]?.['ts']).toBe('string');
    expect(written[0]?.['pid']).toBe(process.pid);
    expect(written[1]).toMatchObject({
      level: 'error',
      msg: 'VERY SLOW REQUEST: GET /portal/alerts/42/ - 200 - 6000.00ms - user=anonymous',
      user_id: null,
      customer_id: null,
    });
  });

  it('honours the process log level, while the access log keeps every line', () => {
    const processLog = capture();
    processLog.logger.level = 'info';
    const access = capture();
    const listener = requestLogListener(processLog.logger, access.logger);
    listener(finished());
    listener(finished({ durationMs: 2500 }));
    expect(processLog.lines().map((line) => line['level'])).toEqual(['warn']);
    expect(access.lines().map((line) => line['level'])).toEqual(['debug', 'warn']);
  });
});

describe('ACCESS_LOG_FILE', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('appends the same JSON lines to the file, through one stream per file', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'payrixa-access-'));
    const file = path.join(dir, 'access.log');
    expect(accessLogFor(null)).toBeNull();
    const access = accessLogFor(file);
    expect(accessLogFor(file)).toBe(access);
    const { logger } = capture();
    requestLogListener(logger, access)(finished({ path: '/portal/claims/', route: '/portal/claims/' }));
    const text = await waitFor(() => {
      try {
        const content = readFileSync(file, 'utf8');
        return content.endsWith('\n') ? content : null;
      } catch {
        return null;
      }
    });
    const [line] = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(line).toMatchObject({
      level: 'debug',
      msg: 'REQUEST: GET /portal/claims/ - 200 - 12.35ms - user=analyst_a',
      route: '/portal/claims/',
      request_id: 'req-1',
    });
  });
});
