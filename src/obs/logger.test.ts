import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { waitFor } from '../../test/wait.ts';
import { loadConfig } from '../config/env.ts';
import { REDACTED_MESSAGE } from '../domain/claims/sanitize.ts';
import { createLogger, redactForLog, secretKeyTreatment } from './logger.ts';

describe('log redaction', () => {
  it('redacts secret-named keys and PHI-named keys at any depth', () => {
    const redacted = redactForLog({
      user: 'ops',
      password: 'hunter2hunter2',
      headers: { authorization: 'Bearer abc', cookie: 'payrixa_session=xyz' },
      nested: [{ smtp_password: 'p', api_key: 'k', ssn: '123-45-6789', dsn: 'https://k@sentry/1' }],
    });
    expect(redacted).toEqual({
      user: 'ops',
      password: '[REDACTED]',
      headers: { authorization: '[REDACTED]', cookie: '[REDACTED]' },
      nested: [{ smtp_password: '[REDACTED]', api_key: '[REDACTED]', ssn: '[REDACTED]', dsn: '[REDACTED]' }],
    });
  });

  it('replaces identifier patterns inside strings and error messages', () => {
    const redacted = redactForLog({
      note: 'row 4 ssn 123-45-6789 mail a@b.org',
      err: new Error('MRN: AB123456 bad'),
    }) as {
      note: string;
      err: { message: string };
    };
    expect(redacted.note).not.toContain('123-45-6789');
    expect(redacted.note).not.toContain('a@b.org');
    expect(redacted.err.message).not.toContain('AB123456');
  });

  it('is applied by a pino logger built with the same formatter', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, callback) {
        lines.push(String(chunk));
        callback();
      },
    });
    const logger = pino(
      { formatters: { log: (object) => redactForLog(object) as Record<string, unknown> } },
      sink,
    );
    logger.info({ token: 'abcdef', payer_note: 'call 555-123-4567' }, 'hello');
    expect(lines.join('')).not.toContain('abcdef');
    expect(lines.join('')).not.toContain('555-123-4567');
  });
});

/** The process logger as built for production (LOG_FORMAT=json), its stdout lines captured. */
function jsonLogger(env: Record<string, string> = {}) {
  const config = loadConfig({ PAYRIXA_ENV: 'test', LOG_FORMAT: 'json', LOG_LEVEL: 'info', ...env });
  const lines: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  const logger = createLogger(config, 'payrixa');
  const records = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, lines, records, restore: () => spy.mockRestore() };
}

describe('process logger (web-api-ops §5.6)', () => {
  let restore: (() => void) | null = null;
  afterEach(() => {
    restore?.();
    restore = null;
  });

  it('writes one JSON object per line with ts, level, logger, msg and pid', () => {
    const log = jsonLogger();
    restore = log.restore;
    log.logger.info({ user_id: 7, customer_id: 3 }, 'upload accepted');
    log.logger.child({ logger: 'http', request_id: 'req-1' }).warn('slow request');
    expect(log.lines).toHaveLength(2);
    for (const line of log.lines) {
      expect(line.endsWith('\n')).toBe(true);
      expect(line.trimEnd()).not.toContain('\n');
      // A child's name replaces its parent's: the key appears once.
      expect(line.match(/"logger":/g)).toHaveLength(1);
    }
    const [first, second] = log.records();
    expect(first).toMatchObject({
      level: 'info',
      logger: 'payrixa',
      msg: 'upload accepted',
      pid: process.pid,
      user_id: 7,
      customer_id: 3,
    });
    expect(new Date(String(first?.['ts'])).toISOString()).toBe(first?.['ts']);
    expect(second).toMatchObject({ level: 'warn', logger: 'http', request_id: 'req-1', msg: 'slow request' });
  });

  it('redacts SSNs, emails, secret keys, nested authorization, and names in error messages', () => {
    const log = jsonLogger();
    restore = log.restore;
    log.logger.info(
      {
        password: 'hunter2hunter2',
        'set-cookie': 'payrixa_session=abcdef; HttpOnly',
        headers: { authorization: 'Bearer eyJ.full.token', accept: 'text/html' },
        note: 'patient mail jane@example.org',
      },
      'row 4 ssn 123-45-6789',
    );
    log.logger.error({ err: new Error('Invalid payer Mary Johnson in row 3') }, 'upload failed');
    log.logger.error(new Error('PRIVACY ALERT: payer value John Smith looks like a patient name'));
    log.logger.warn({ err: 'payer John Smith rejected' }, 'job failed');
    const raw = log.lines.join('');
    for (const leaked of [
      '123-45-6789',
      'jane@example.org',
      'hunter2',
      'abcdef',
      'eyJ.full.token',
      'Mary',
      'Johnson',
      'John',
      'Smith',
    ]) {
      expect(raw).not.toContain(leaked);
    }
    const [info, withErr, bareErr, stringErr] = log.records();
    expect(info).toMatchObject({
      msg: 'row 4 ssn XXX-XX-XXXX',
      password: '[REDACTED]',
      'set-cookie': '[REDACTED]',
      headers: { authorization: '[REDACTED]', accept: 'text/html' },
      note: 'patient mail [EMAIL_REDACTED]',
    });
    expect(withErr?.['err']).toMatchObject({ type: 'Error', message: REDACTED_MESSAGE });
    expect(String((withErr?.['err'] as { stack?: string } | undefined)?.stack)).toMatch(
      /^Error: \[ERROR MESSAGE REDACTED - MAY CONTAIN PHI\]\n {4}at /,
    );
    expect(bareErr).toMatchObject({ msg: REDACTED_MESSAGE, err: { message: REDACTED_MESSAGE } });
    expect(stringErr).toMatchObject({ err: REDACTED_MESSAGE, msg: 'job failed' });
  });

  it('redacts child-logger bindings too (pino writes them without the log formatter)', () => {
    const log = jsonLogger();
    restore = log.restore;
    log.logger.child({ email: 'a@b.org', token: 'full-secret-token', note: 'call 555-123-4567' }).info('x');
    expect(log.records()[0]).toMatchObject({
      email: '[REDACTED]',
      token: '[REDACTED]',
      note: 'call XXX-XXX-XXXX',
    });
  });

  it('keeps error messages that name no one', () => {
    const log = jsonLogger();
    restore = log.restore;
    log.logger.error({ err: new Error('connection timeout after 30 seconds') }, 'query failed');
    expect(log.records()[0]?.['err']).toMatchObject({ message: 'connection timeout after 30 seconds' });
  });

  it('ERROR_LOG_FILE receives warn and above, in the same format', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'payrixa-log-')), 'error.log');
    const log = jsonLogger({ ERROR_LOG_FILE: file });
    restore = log.restore;
    log.logger.info('routine');
    log.logger.warn({ password: 'p' }, 'careful');
    log.logger.error('broken 123-45-6789');
    const written = await waitFor(() => {
      const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
      return text.split('\n').filter(Boolean).length >= 2 ? text : null;
    });
    const records = written
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.map((r) => [r['level'], r['msg']])).toEqual([
      ['warn', 'careful'],
      ['error', 'broken XXX-XX-XXXX'],
    ]);
    expect(records[0]?.['password']).toBe('[REDACTED]');
    expect(log.records().map((r) => r['msg'])).toEqual(['routine', 'careful', 'broken XXX-XX-XXXX']);
  });
});

describe('secret key names (§5.6 list)', () => {
  it.each([
    'password',
    'passwd',
    'secret',
    'token',
    'authorization',
    'cookie',
    'set-cookie',
    'csrf',
    'refresh',
    'access',
    'api_key',
    'dsn',
    'smtp_password',
    'Authorization',
    'refresh_token',
    'accessToken',
    'x-csrf-token',
    'X-Ingestion-Token',
    'apiKey',
    'SENTRY_DSN',
    'new_password',
    'client_secret',
  ])('%s is redacted', (key) => {
    expect(secretKeyTreatment(key)).toBe('redact');
  });

  it.each(['user_id', 'customer_id', 'route', 'status', 'job_kind', 'request_id', 'duration_ms'])(
    '%s is kept',
    (key) => {
      expect(secretKeyTreatment(key)).toBe('keep');
    },
  );

  it('logs at most the 8-character prefix of a token', () => {
    expect(redactForLog({ token_prefix: 'pxi_ab12cd34ef56gh78', token: 'pxi_ab12cd34ef56gh78' })).toEqual({
      token_prefix: 'pxi_ab12',
      token: '[REDACTED]',
    });
  });
});
