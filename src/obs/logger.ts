import { createWriteStream } from 'node:fs';
import pino, { type Logger, type StreamEntry } from 'pino';
import type { Config } from '../config/env.ts';
import { PHI_KEYS, sanitizeString } from '../domain/claims/sanitize.ts';

export type { Logger } from 'pino';

/**
 * Keys whose values never reach a log line (web-api-ops §5.6). Matching is on the key
 * name anywhere in the logged object, case-insensitive.
 */
const SECRET_KEY_PATTERN =
  /^(password|passwd|secret|token|authorization|cookie|set-cookie|csrf|refresh|access|api_key|dsn|smtp_password)$|password|secret|token|authorization|cookie|csrf|api_key|dsn/i;

/** Every logged string goes through ingestion's PHI sanitizer (SSN, email, MRN, phone, dates). */
const textSanitizer = sanitizeString;

/** Deep copy of `value` with secret-named keys redacted and strings sanitized. */
export function redactForLog(value: unknown, depth = 0): unknown {
  if (depth > 8) return '[Truncated]';
  if (typeof value === 'string') return textSanitizer(value);
  if (Array.isArray(value)) return value.map((item) => redactForLog(item, depth + 1));
  if (value instanceof Error) {
    return {
      type: value.name,
      message: textSanitizer(value.message),
      stack: value.stack && textSanitizer(value.stack),
    };
  }
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      const redact = SECRET_KEY_PATTERN.test(key) || PHI_KEYS.has(key.toLowerCase());
      out[key] = redact ? '[REDACTED]' : redactForLog(inner, depth + 1);
    }
    return out;
  }
  return value;
}

/**
 * Creates the process logger: JSON lines (production) or pretty output, with `logger`,
 * `pid` and ISO `ts` on each line, secrets and PHI patterns redacted before writing.
 * ERROR_LOG_FILE receives warn and above; ACCESS_LOG_FILE is written by the request log.
 */
export function createLogger(config: Config, name = 'payrixa'): Logger {
  const streams: StreamEntry[] = [];
  if (config.log.format === 'pretty' && config.log.level !== 'silent') {
    // pino-pretty is a dependency so development output is readable without piping.
    const pretty = pino.transport({
      target: 'pino-pretty',
      options: { colorize: process.stdout.isTTY, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' },
    });
    streams.push({ level: config.log.level, stream: pretty });
  } else {
    streams.push({
      level: config.log.level === 'silent' ? 'fatal' : config.log.level,
      stream: process.stdout,
    });
  }
  if (config.log.errorFile) {
    streams.push({ level: 'warn', stream: createWriteStream(config.log.errorFile, { flags: 'a' }) });
  }
  return pino(
    {
      name,
      level: config.log.level,
      base: { pid: process.pid },
      messageKey: 'msg',
      timestamp: () => `,"ts":"${new Date().toISOString()}"`,
      formatters: {
        level: (label) => ({ level: label }),
        bindings: (bindings) => ({ pid: bindings['pid'], logger: bindings['name'] }),
        log: (object) => redactForLog(object) as Record<string, unknown>,
      },
      hooks: {
        logMethod(args, method) {
          const sanitized = args.map((arg) => (typeof arg === 'string' ? textSanitizer(arg) : arg));
          return method.apply(this, sanitized as Parameters<typeof method>);
        },
      },
    },
    pino.multistream(streams),
  );
}

/** A logger that writes nothing (tests, library use). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
