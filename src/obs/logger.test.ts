import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { redactForLog } from './logger.ts';

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
