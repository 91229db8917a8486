import { accessSync, constants, existsSync } from 'node:fs';
import type { Config } from './env.ts';
import { DEV_SECRET_KEY } from './env.ts';

/**
 * Start-up and deployment checks (web-api-ops §6.2). `serve`, `worker` and `migrate`
 * refuse to start in production when any check is an error; `payrixa check` prints them
 * all (`--deploy` applies the production rules in any mode). Output lines:
 * `✓ <item>`, `✗ <item>: <problem>`, `! <item>: <warning>`.
 */

export type CheckLevel = 'ok' | 'error' | 'warning';

export interface CheckLine {
  level: CheckLevel;
  item: string;
  message: string;
}

/** What the checks need to know about the outside world, gathered by the caller. */
export interface CheckProbes {
  database?: { reachable: boolean; error?: string; serverVersionNum?: number };
  redis?: { reachable: boolean; error?: string; majorVersion?: number };
  migrations?: { pending: string[]; mismatched: string[] };
  /** Major version of pg_dump on PATH, or null when missing. */
  pgDumpMajor?: number | null;
}

export interface CheckOptions {
  /** Apply the production rules whatever PAYRIXA_ENV says (`check --deploy`). */
  deploy?: boolean;
  /** Include the migrations check (serve/worker; check). */
  migrations?: boolean;
  /**
   * Include STATIC_ROOT (default true). `migrate` leaves it out: the checklist runs
   * `migrate` before `collectstatic` creates the directory, and migrating never reads it.
   */
  staticRoot?: boolean;
}

export function formatCheckLine(line: CheckLine): string {
  const mark = line.level === 'ok' ? '✓' : line.level === 'error' ? '✗' : '!';
  return line.level === 'ok' && !line.message
    ? `${mark} ${line.item}`
    : `${mark} ${line.item}: ${line.message}`;
}

export function runChecks(config: Config, probes: CheckProbes, options: CheckOptions = {}): CheckLine[] {
  const strict = config.isProduction || options.deploy === true;
  const lines: CheckLine[] = [];
  // In development a production-only problem is a warning: visible, not blocking.
  const problem = (item: string, message: string): void => {
    lines.push({ level: strict ? 'error' : 'warning', item, message });
  };
  const ok = (item: string, message = ''): void => {
    lines.push({ level: 'ok', item, message });
  };
  const warn = (item: string, message: string): void => {
    lines.push({ level: 'warning', item, message });
  };
  const error = (item: string, message: string): void => {
    lines.push({ level: 'error', item, message });
  };

  // SECRET_KEY
  const key = config.secretKey;
  if (config.secretKeyIsDefault || !key)
    problem('SECRET_KEY', 'not set (the insecure development default is in use)');
  else if (key === DEV_SECRET_KEY || key.startsWith('payrixa-insecure'))
    problem('SECRET_KEY', 'is the insecure development default');
  else if (key.length < 50)
    problem('SECRET_KEY', `too short (${key.length} characters; at least 50 random characters)`);
  else if (new Set(key).size < 5) problem('SECRET_KEY', 'has fewer than 5 distinct characters');
  else ok('SECRET_KEY');

  // FIELD_ENCRYPTION_KEY
  if (!config.fieldEncryptionKey) {
    problem('FIELD_ENCRYPTION_KEY', 'not set (32 random bytes, base64; e.g. openssl rand -base64 32)');
  } else if (!isBase64Key(config.fieldEncryptionKey, 32)) {
    error('FIELD_ENCRYPTION_KEY', 'must be exactly 32 bytes encoded as base64');
  } else ok('FIELD_ENCRYPTION_KEY');

  // ALLOWED_HOSTS
  if (config.allowedHosts.length === 0)
    problem('ALLOWED_HOSTS', 'empty; list the host names the site is served under');
  else if (config.allowedHosts.includes('*'))
    problem('ALLOWED_HOSTS', "contains '*'; list the real host names");
  else ok('ALLOWED_HOSTS', config.allowedHosts.join(', '));

  // PORTAL_BASE_URL
  let baseUrl: URL | null = null;
  try {
    baseUrl = new URL(config.portalBaseUrl);
  } catch {
    error('PORTAL_BASE_URL', `'${config.portalBaseUrl}' is not a URL`);
  }
  if (baseUrl) {
    const hostListed = config.allowedHosts.some(
      (host) => host === baseUrl.hostname || (host.startsWith('.') && baseUrl.hostname.endsWith(host)),
    );
    if (baseUrl.protocol !== 'https:') problem('PORTAL_BASE_URL', 'must start with https://');
    else if (!hostListed) problem('PORTAL_BASE_URL', `host ${baseUrl.hostname} is not in ALLOWED_HOSTS`);
    else ok('PORTAL_BASE_URL', config.portalBaseUrl);
  }

  // DATABASE_URL
  if (!config.databaseUrl)
    problem('DATABASE_URL', 'not set: the embedded database is for evaluation only, not production');
  if (probes.database) {
    if (!probes.database.reachable)
      error('Database', `unreachable: ${probes.database.error ?? 'unknown error'}`);
    else if (config.databaseUrl && (probes.database.serverVersionNum ?? 0) < 140_000) {
      error(
        'Database',
        `PostgreSQL ${formatPgVersion(probes.database.serverVersionNum)} is too old; 14 or newer is required`,
      );
    } else {
      ok(
        'Database',
        config.databaseUrl
          ? `PostgreSQL ${formatPgVersion(probes.database.serverVersionNum)}`
          : 'embedded PostgreSQL',
      );
    }
  } else if (config.databaseUrl) ok('DATABASE_URL');

  // REDIS_URL
  if (!config.redisUrl)
    problem('REDIS_URL', 'not set: production needs Redis for sessions, caches, rate limits and jobs');
  if (probes.redis) {
    if (!probes.redis.reachable) error('Redis', `unreachable: ${probes.redis.error ?? 'unknown error'}`);
    else if ((probes.redis.majorVersion ?? 0) < 7) {
      error('Redis', `Redis ${probes.redis.majorVersion ?? '?'} is too old; 7 or newer is required`);
    } else ok('Redis', `Redis ${probes.redis.majorVersion}`);
  } else if (config.redisUrl) ok('REDIS_URL');

  // Migrations
  if (options.migrations && probes.migrations) {
    const { pending, mismatched } = probes.migrations;
    if (mismatched.length > 0) error('Migrations', `checksum mismatch: ${mismatched.join(', ')}`);
    else if (pending.length > 0) {
      const message = `${pending.length} pending (${pending.join(', ')}); run 'payrixa migrate'`;
      if (strict) error('Migrations', message);
      else warn('Migrations', message);
    } else ok('Migrations', 'all applied');
  }

  // Cookies
  if (!config.sessionCookieSecure)
    problem('Cookies', 'SESSION_COOKIE_SECURE=false sends session cookies over plain HTTP');
  else ok('Cookies');

  // DEBUG-like flags: nothing in production may expose internals.
  const debugFlag = process.env['DEBUG'];
  if (debugFlag && /^(1|true|yes|on|\*)$/i.test(debugFlag.trim())) {
    problem('DEBUG', 'debug mode must not be enabled in production');
  }
  if (config.log.level === 'debug' || config.log.level === 'trace') {
    warn('Logging', `LOG_LEVEL=${config.log.level} is verbose for production`);
  }

  // Email
  if (config.email.backend === 'smtp') ok('Email', `SMTP ${config.email.smtpHost}:${config.email.smtpPort}`);
  else if (config.email.backend === 'log' && config.email.backendExplicit) {
    warn('Email', 'EMAIL_BACKEND=log: emails are written to the log, not sent');
  } else if (config.email.backend === 'mailbox') {
    warn('Email', 'EMAIL_BACKEND=mailbox: emails are kept in DATA_DIR/mailbox (payrixa mail), not sent');
  } else if (config.email.backend === 'memory') problem('Email', 'EMAIL_BACKEND=memory is for tests only');
  else
    problem(
      'Email',
      'SMTP_HOST not set: password reset and alert emails cannot be sent (set EMAIL_BACKEND=log to accept)',
    );

  // DATA_DIR, STATIC_ROOT
  const directories: [item: string, dir: string, mustExist: boolean][] = [
    ['DATA_DIR', config.dataDir, false],
  ];
  if (options.staticRoot !== false) directories.push(['STATIC_ROOT', config.staticRoot, true]);
  for (const [item, dir, mustExist] of directories) {
    const state = directoryState(dir);
    if (state === 'writable') ok(item, dir);
    else if (state === 'missing' && !mustExist) ok(item, `${dir} (created on first use)`);
    else if (state === 'missing') problem(item, `${dir} does not exist (run 'payrixa collectstatic')`);
    else problem(item, `${dir} is not writable`);
  }

  // Monitoring
  if (!config.sentry.dsn) warn('Monitoring', 'SENTRY_DSN not set: errors are not reported to Sentry');
  if (!config.metrics.token && config.metrics.enabled)
    warn('Monitoring', 'METRICS_TOKEN not set: /metrics is public');
  if (config.sentry.dsn && (config.metrics.token || !config.metrics.enabled)) ok('Monitoring');

  // Transport
  const transport: string[] = [];
  if (!config.secureSslRedirect) transport.push('SECURE_SSL_REDIRECT=false');
  if (config.hsts.seconds === 0) transport.push('HSTS_SECONDS=0');
  if (config.trustProxy.kind === 'none') transport.push('TRUST_PROXY=false');
  const httpOrigins = config.corsAllowedOrigins.filter((origin) => origin.startsWith('http://'));
  if (httpOrigins.length > 0)
    transport.push(`http origin in CORS_ALLOWED_ORIGINS (${httpOrigins.join(', ')})`);
  if (transport.length > 0) warn('Transport', transport.join('; '));
  else ok('Transport');

  // Limits
  const off = Object.entries(config.rateLimits)
    .filter(([, rate]) => rate === null)
    .map(([name]) => name);
  if (off.length > 0) warn('Limits', `throttles switched off: ${off.join(', ')}`);
  else ok('Limits');

  // Backups
  if (config.databaseUrl && probes.pgDumpMajor !== undefined) {
    const serverMajor = Math.floor((probes.database?.serverVersionNum ?? 0) / 10_000);
    if (probes.pgDumpMajor === null) warn('Backups', 'pg_dump/pg_restore not found on PATH');
    else if (serverMajor && probes.pgDumpMajor < serverMajor) {
      warn('Backups', `pg_dump ${probes.pgDumpMajor} is older than the server (${serverMajor})`);
    }
  }
  if (!existsSync(config.backup.dir)) warn('Backups', `BACKUP_DIR ${config.backup.dir} does not exist`);
  else if (!lines.some((line) => line.item === 'Backups')) ok('Backups', config.backup.dir);

  return lines;
}

export function hasErrors(lines: readonly CheckLine[]): boolean {
  return lines.some((line) => line.level === 'error');
}

function isBase64Key(text: string, bytes: number): boolean {
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) return false;
  return Buffer.from(text, 'base64').length === bytes;
}

function formatPgVersion(versionNum: number | undefined): string {
  if (!versionNum) return '?';
  return `${Math.floor(versionNum / 10_000)}.${versionNum % 10_000}`;
}

function directoryState(dir: string): 'writable' | 'missing' | 'readonly' {
  if (!existsSync(dir)) return 'missing';
  try {
    accessSync(dir, constants.W_OK);
    return 'writable';
  } catch {
    return 'readonly';
  }
}
