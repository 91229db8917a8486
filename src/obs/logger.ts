import { createWriteStream } from 'node:fs';
import pino, { type DestinationStream, type Logger, type StreamEntry } from 'pino';
import type { Config } from '../config/env.ts';
import { PHI_KEYS, sanitizeString, scrubErrorMessage } from '../domain/claims/sanitize.ts';

export type { Logger } from 'pino';

/**
 * The secret key names of web-api-ops §5.6. A key matches when it is one of them (any case,
 * `-` or `_`), or when one of its words is (`refresh_token`, `x-csrf-token`, `newPassword`,
 * `SENTRY_DSN`): names are compound far more often than not, and a missed secret costs more
 * than a redacted harmless value.
 */
const SECRET_KEYS: ReadonlySet<string> = new Set([
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
]);
const SECRET_WORDS: ReadonlySet<string> = new Set(
  [...SECRET_KEYS].filter((key) => !/[-_]/.test(key)).concat(['cookies', 'tokens', 'passwords', 'secrets']),
);
/** At most this much of a secret is ever logged (the prefix of a `*_prefix` key, §5.6). */
export const TOKEN_PREFIX_LENGTH = 8;

/** `refresh_token` → [refresh, token]; `newPassword` → [new, password]; `X-CSRF-Token` → [x, csrf, token]. */
function keyWords(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/** How a key's value is logged: whole, redacted, or cut to the 8-character prefix. */
export function secretKeyTreatment(key: string): 'keep' | 'redact' | 'prefix' {
  const lower = key.toLowerCase();
  const words = keyWords(key);
  const secret =
    SECRET_KEYS.has(lower) ||
    SECRET_KEYS.has(lower.replace(/-/g, '_')) ||
    words.some((word, index) => SECRET_WORDS.has(word) || (word === 'api' && words[index + 1] === 'key'));
  if (!secret) return PHI_KEYS.has(lower) ? 'redact' : 'keep';
  // `token_prefix: "pxi_ab12"` identifies a token without revealing it; longer values are cut.
  return words.at(-1) === 'prefix' ? 'prefix' : 'redact';
}

/** Keys whose string values are error messages: a name in them is PHI (§5.5's rule). */
const ERROR_KEYS: ReadonlySet<string> = new Set(['err', 'error']);

/** An error message as logged: replaced whole when it may name a person, else sanitized. */
function errorMessageForLog(message: string): string {
  return sanitizeString(scrubErrorMessage(message));
}

/** An Error as a plain object: type, message and stack, the message scrubbed in both. */
function errorForLog(error: Error, depth: number): Record<string, unknown> {
  const message = errorMessageForLog(error.message);
  const out: Record<string, unknown> = { type: error.name, message };
  if (error.stack) {
    // The stack's first line repeats the message: the scrubbed one replaces it there too.
    const stack = error.message ? error.stack.split(error.message).join(message) : error.stack;
    out['stack'] = sanitizeString(stack);
  }
  const code = (error as NodeJS.ErrnoException).code;
  if (typeof code === 'string') out['code'] = code;
  if (error.cause !== undefined) out['cause'] = redactForLog(error.cause, depth + 1);
  return out;
}

/**
 * Deep copy of `value` as it may be logged (§5.6): secret-named and PHI-named keys redacted
 * (a `*_prefix` key of a secret cut to 8 characters), identifier patterns in every string
 * replaced (ingestion `sanitize`), Errors turned into `{type, message, stack}` with a message
 * that may name a person replaced whole.
 */
export function redactForLog(value: unknown, depth = 0, key?: string): unknown {
  if (depth > 8) return '[Truncated]';
  if (typeof value === 'string') {
    return key !== undefined && ERROR_KEYS.has(key) ? errorMessageForLog(value) : sanitizeString(value);
  }
  if (Array.isArray(value)) return value.map((item) => redactForLog(item, depth + 1));
  if (value instanceof Error) return errorForLog(value, depth);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [innerKey, inner] of Object.entries(value)) {
      const treatment = secretKeyTreatment(innerKey);
      out[innerKey] =
        treatment === 'redact'
          ? '[REDACTED]'
          : treatment === 'prefix'
            ? typeof inner === 'string'
              ? inner.slice(0, TOKEN_PREFIX_LENGTH)
              : '[REDACTED]'
            : redactForLog(inner, depth + 1, innerKey);
    }
    return out;
  }
  return value;
}

/**
 * The last line of defence, on the serialized line itself: pino writes a child logger's
 * bindings (`logger.child({…})`, Fastify's request logger) without the `log` formatter, so
 * they are redacted here, and a child's `logger` name replaces its parent's instead of
 * appearing twice. Lines that are not JSON (never expected) pass through sanitized.
 */
export function redactLogLine(line: string): string {
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    return sanitizeString(line);
  }
  return `${JSON.stringify(redactForLog(record))}\n`;
}

/** Wraps a destination so every line goes through {@link redactLogLine}. */
function redacting(destination: { write(chunk: string): unknown }): { write(chunk: string): void } {
  return {
    write(chunk: string) {
      destination.write(redactLogLine(chunk));
    },
  };
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
    streams.push({ level: config.log.level, stream: redacting(pretty) });
  } else {
    streams.push({
      level: config.log.level === 'silent' ? 'fatal' : config.log.level,
      stream: redacting(process.stdout),
    });
  }
  if (config.log.errorFile) {
    streams.push({
      level: 'warn',
      stream: redacting(createWriteStream(config.log.errorFile, { flags: 'a' })),
    });
  }
  return payrixaLogger(name, config.log.level, pino.multistream(streams));
}

/**
 * A logger in the process log's format on `destination`: `ts`, `level`, `logger`, `pid`, `msg`,
 * fields and messages redacted before the line is built. The process logger and the access log
 * (request-log.ts) share it so their lines cannot drift apart.
 */
export function payrixaLogger(name: string, level: string, destination: DestinationStream): Logger {
  return pino(
    {
      name,
      level,
      base: { pid: process.pid },
      messageKey: 'msg',
      timestamp: () => `,"ts":"${new Date().toISOString()}"`,
      formatters: {
        level: (label) => ({ level: label }),
        bindings: (bindings) => ({ pid: bindings['pid'], logger: bindings['name'] }),
        log: (object) => redactForLog(object) as Record<string, unknown>,
      },
      // Errors are already plain objects (formatters.log); pino's own serializer would
      // rebuild them from the copy and lose their type.
      serializers: { err: (value: unknown) => value },
      hooks: {
        logMethod(args, method) {
          // `logger.error(err)` logs the message as `msg`: scrub it as an error message.
          const [first, ...rest] = args as unknown[];
          if (first instanceof Error) {
            const msg = rest.length > 0 ? rest : [errorMessageForLog(first.message)];
            return method.apply(this, [{ err: first }, ...msg] as Parameters<typeof method>);
          }
          const sanitized = args.map((arg) => (typeof arg === 'string' ? sanitizeString(arg) : arg));
          return method.apply(this, sanitized as Parameters<typeof method>);
        },
      },
    },
    destination,
  );
}

/** A logger that writes nothing (tests, library use). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
