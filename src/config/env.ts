import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Cron } from 'croner';
import { parseRate, type Rate } from '../domain/accounts/throttle.ts';
import { ConfigError } from './errors.ts';

export type { Rate } from '../domain/accounts/throttle.ts';

/**
 * The typed configuration of Payrixa, read once from environment variables
 * (web-api-ops.md §6.1). Every variable is documented in docs/CONFIGURATION.md.
 * `loadConfig` collects every problem before failing, so an operator fixes them all
 * in one pass instead of one per restart.
 */

export type PayrixaEnv = 'development' | 'test' | 'production';
export type BindAddress = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };
export type TrustProxy =
  | { kind: 'none' }
  | { kind: 'loopback' }
  | { kind: 'all' }
  | { kind: 'cidrs'; cidrs: string[] };
export type EmailBackend = 'smtp' | 'mailbox' | 'log' | 'memory';
export type LogFormat = 'json' | 'pretty';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export const SCHEDULE_NAMES = [
  'driftwatch',
  'denialscope',
  'delayguard',
  'alert_dispatch',
  'retention',
  'cleanup',
  'backup',
] as const;
export type ScheduleName = (typeof SCHEDULE_NAMES)[number];

export interface RetentionConfig {
  claimsDays: number;
  uploadsDays: number;
  validationDays: number;
  findingsDays: number;
  deliveriesDays: number;
  artifactsPdfDays: number;
  artifactsOtherDays: number;
  eventsDays: number;
  jobsDays: number;
  auditDays: number;
}

export interface Config {
  env: PayrixaEnv;
  isProduction: boolean;
  version: string;
  secretKey: string;
  /** True when SECRET_KEY was not set and the development default is in use. */
  secretKeyIsDefault: boolean;
  secretKeyFallbacks: string[];
  jwtSigningKey: string;
  /** Raw FIELD_ENCRYPTION_KEY text (base64), or null when unset (dev derives one). */
  fieldEncryptionKey: string | null;
  fieldEncryptionKeyFallbacks: string[];
  allowedHosts: string[];
  portalBaseUrl: string;
  csrfTrustedOrigins: string[];
  corsAllowedOrigins: string[];
  bind: BindAddress;
  webConcurrency: number;
  requestTimeoutSeconds: number;
  /**
   * SHUTDOWN_GRACE_SECONDS in ms: SIGTERM/SIGINT to serve or worker exits within this time —
   * in-flight requests and jobs get most of it, then jobs are handed back to the queue.
   */
  shutdownGraceMs: number;
  trustProxy: TrustProxy;
  trustProxyText: string;
  secureSslRedirect: boolean;
  sessionCookieSecure: boolean;
  hsts: { seconds: number; includeSubdomains: boolean; preload: boolean };
  cspReportUri: string | null;
  dataDir: string;
  databaseUrl: string | null;
  databasePoolMax: number;
  databaseStatementTimeoutMs: number;
  redisUrl: string | null;
  redisPrefix: string;
  staticRoot: string;
  mediaRoot: string;
  session: { idleMinutes: number; absoluteHours: number };
  jwt: { accessMinutes: number; refreshMinutes: number };
  rateLimits: {
    apiAnon: Rate | null;
    apiUser: Rate | null;
    portal: Rate | null;
    ingest: Rate | null;
    upload: Rate | null;
  };
  login: { maxFailures: number; ipMaxFailures: number; lockoutMinutes: number };
  upload: { maxMb: number; maxRows: number };
  ingest: { maxBodyMb: number; maxRecords: number };
  email: {
    backend: EmailBackend;
    backendExplicit: boolean;
    smtpHost: string | null;
    smtpPort: number;
    smtpUser: string | null;
    smtpPassword: string | null;
    smtpSecurity: 'starttls' | 'tls' | 'none';
    from: string;
  };
  slackEnabled: boolean;
  webhookAllowPrivateTargets: boolean;
  sentry: {
    dsn: string | null;
    environment: string;
    release: string;
    tracesSampleRate: number;
    serverName: string | null;
  };
  log: { level: LogLevel; format: LogFormat; accessFile: string | null; errorFile: string | null };
  metrics: { enabled: boolean; token: string | null };
  apiDocsPublic: boolean;
  worker: { concurrency: number; metricsPort: number };
  scheduler: { enabled: boolean; schedules: Record<ScheduleName, string | null> };
  analysisDebounceSeconds: number;
  backup: { dir: string; keepDays: number };
  codeListsDir: string | null;
  retention: RetentionConfig;
}

export const DEV_SECRET_KEY = 'payrixa-insecure-dev-key-change-me';
export const PRODUCT_VERSION = '1.0.0';

type Env = Record<string, string | undefined>;

/** Reads and validates configuration from `env`; throws ConfigError listing every problem. */
export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const read = new EnvReader(env, problems);

  const envName = read.oneOf<PayrixaEnv>(
    'PAYRIXA_ENV',
    ['development', 'test', 'production'],
    env['NODE_ENV'] === 'production' ? 'production' : 'development',
  );
  const isProduction = envName === 'production';

  const secretKeyRaw = read.string('SECRET_KEY');
  const secretKey = secretKeyRaw ?? (isProduction ? '' : DEV_SECRET_KEY);

  const dataDir = path.resolve(read.string('DATA_DIR') ?? './data');
  const databaseUrl = read.string('DATABASE_URL');
  if (databaseUrl !== null) validateUrl('DATABASE_URL', databaseUrl, ['postgres:', 'postgresql:'], problems);
  const redisUrl = read.string('REDIS_URL');
  if (redisUrl !== null) validateUrl('REDIS_URL', redisUrl, ['redis:', 'rediss:'], problems);

  const bindText = read.string('BIND');
  const portText = read.string('PORT');
  let bind: BindAddress = { kind: 'tcp', host: '127.0.0.1', port: 8000 };
  if (bindText !== null) {
    const parsed = parseBind(bindText);
    if (parsed) bind = parsed;
    else problems.push(`BIND: '${bindText}' is not host:port or unix:<path>`);
  } else if (portText !== null) {
    const port = parsePort(portText);
    if (port === null) problems.push(`PORT: '${portText}' is not a port number (1-65535)`);
    else bind = { kind: 'tcp', host: '127.0.0.1', port };
  }

  const trustProxyText = read.string('TRUST_PROXY') ?? 'loopback';
  const trustProxy = parseTrustProxy(trustProxyText);
  if (!trustProxy)
    problems.push(`TRUST_PROXY: '${trustProxyText}' must be false, loopback, true or a CIDR list`);

  const smtpHost = read.string('SMTP_HOST');
  const emailBackendRaw = read.string('EMAIL_BACKEND');
  const emailBackend = read.oneOf<EmailBackend>(
    'EMAIL_BACKEND',
    ['smtp', 'mailbox', 'log', 'memory'],
    // Outside production, email without SMTP goes to the local mailbox (`payrixa mail`).
    smtpHost ? 'smtp' : isProduction ? 'log' : 'mailbox',
  );
  if (emailBackend === 'smtp' && !smtpHost && emailBackendRaw !== null) {
    problems.push('EMAIL_BACKEND: smtp needs SMTP_HOST');
  }

  const schedules = {} as Record<ScheduleName, string | null>;
  const scheduleDefaults: Record<ScheduleName, string> = {
    driftwatch: '0 6 * * 1',
    denialscope: '0 2 * * *',
    delayguard: '0 2 * * *',
    alert_dispatch: '* * * * *',
    retention: '30 3 * * *',
    cleanup: '15 * * * *',
    backup: '0 2 * * *',
  };
  for (const name of SCHEDULE_NAMES) {
    schedules[name] = read.cron(`SCHEDULE_${name.toUpperCase()}`, scheduleDefaults[name]);
  }

  const retention: RetentionConfig = {
    claimsDays: read.int('RETENTION_CLAIMS_DAYS', 730, 1),
    uploadsDays: read.int('RETENTION_UPLOADS_DAYS', 730, 1),
    validationDays: read.int('RETENTION_VALIDATION_DAYS', 90, 1),
    findingsDays: read.int('RETENTION_FINDINGS_DAYS', 730, 1),
    deliveriesDays: read.int('RETENTION_DELIVERIES_DAYS', 90, 1),
    artifactsPdfDays: read.int('RETENTION_ARTIFACTS_PDF_DAYS', 90, 1),
    artifactsOtherDays: read.int('RETENTION_ARTIFACTS_OTHER_DAYS', 30, 1),
    eventsDays: read.int('RETENTION_EVENTS_DAYS', 365, 1),
    jobsDays: read.int('RETENTION_JOBS_DAYS', 30, 1),
    auditDays: read.int('RETENTION_AUDIT_DAYS', 2190, 1),
  };
  // Claims inside any analytics window are never deleted (ops §7.5): the floor is 120 days.
  retention.claimsDays = Math.max(retention.claimsDays, 120);

  const config: Config = {
    env: envName,
    isProduction,
    version: PRODUCT_VERSION,
    secretKey,
    secretKeyIsDefault: secretKeyRaw === null,
    secretKeyFallbacks: read.list('SECRET_KEY_FALLBACKS', []),
    jwtSigningKey: read.string('JWT_SIGNING_KEY') ?? `jwt:${secretKey}`,
    fieldEncryptionKey: read.string('FIELD_ENCRYPTION_KEY'),
    fieldEncryptionKeyFallbacks: read.list('FIELD_ENCRYPTION_KEY_FALLBACKS', []),
    allowedHosts: read.list('ALLOWED_HOSTS', isProduction ? [] : ['localhost', '127.0.0.1', '[::1]']),
    portalBaseUrl: (read.string('PORTAL_BASE_URL') ?? 'http://localhost:8000').replace(/\/+$/, ''),
    csrfTrustedOrigins: read.list('CSRF_TRUSTED_ORIGINS', []),
    corsAllowedOrigins: read.list(
      'CORS_ALLOWED_ORIGINS',
      isProduction ? [] : ['http://localhost:3000', 'http://127.0.0.1:3000'],
    ),
    bind,
    // The embedded database allows one owner of its data directory, hence one process.
    webConcurrency: databaseUrl === null ? 1 : read.int('WEB_CONCURRENCY', 4, 1, 64),
    requestTimeoutSeconds: read.int('REQUEST_TIMEOUT_SECONDS', 60, 1),
    shutdownGraceMs: read.int('SHUTDOWN_GRACE_SECONDS', 10, 2, 3600) * 1000,
    trustProxy: trustProxy ?? { kind: 'loopback' },
    trustProxyText,
    secureSslRedirect: read.bool('SECURE_SSL_REDIRECT', isProduction),
    sessionCookieSecure: read.bool('SESSION_COOKIE_SECURE', isProduction),
    hsts: {
      seconds: read.int('HSTS_SECONDS', 31_536_000, 0),
      includeSubdomains: read.bool('HSTS_INCLUDE_SUBDOMAINS', true),
      preload: read.bool('HSTS_PRELOAD', false),
    },
    cspReportUri: read.string('CSP_REPORT_URI'),
    dataDir,
    databaseUrl,
    databasePoolMax: read.int('DATABASE_POOL_MAX', 10, 1, 1000),
    databaseStatementTimeoutMs: read.int('DATABASE_STATEMENT_TIMEOUT_MS', 30_000, 0),
    redisUrl,
    redisPrefix: read.string('REDIS_PREFIX') ?? 'payrixa',
    staticRoot: path.resolve(
      read.string('STATIC_ROOT') ?? (isProduction ? '/var/www/payrixa/static' : './static'),
    ),
    mediaRoot: path.resolve(
      read.string('MEDIA_ROOT') ?? (isProduction ? '/var/www/payrixa/media' : './media'),
    ),
    session: {
      idleMinutes: read.int('SESSION_IDLE_MINUTES', 30, 1),
      absoluteHours: read.int('SESSION_ABSOLUTE_HOURS', 12, 1),
    },
    jwt: {
      accessMinutes: read.int('JWT_ACCESS_MINUTES', 30, 1),
      refreshMinutes: read.int('JWT_REFRESH_MINUTES', 1440, 1),
    },
    rateLimits: {
      apiAnon: read.rate('API_THROTTLE_ANON', '100/hour'),
      apiUser: read.rate('API_THROTTLE_USER', '1000/hour'),
      portal: read.rate('PORTAL_RATE_LIMIT', '300/minute'),
      ingest: read.rate('INGEST_THROTTLE', '1000/hour'),
      upload: read.rate('UPLOAD_RATE_LIMIT', '20/hour'),
    },
    login: {
      maxFailures: read.int('LOGIN_MAX_FAILURES', 5, 1),
      ipMaxFailures: read.int('LOGIN_IP_MAX_FAILURES', 20, 1),
      lockoutMinutes: read.int('LOGIN_LOCKOUT_MINUTES', 15, 1),
    },
    upload: { maxMb: read.int('UPLOAD_MAX_MB', 50, 1), maxRows: read.int('UPLOAD_MAX_ROWS', 1_000_000, 1) },
    ingest: {
      maxBodyMb: read.int('INGEST_MAX_BODY_MB', 10, 1),
      maxRecords: read.int('INGEST_MAX_RECORDS', 10_000, 1),
    },
    email: {
      backend: emailBackend,
      backendExplicit: emailBackendRaw !== null,
      smtpHost,
      smtpPort: read.int('SMTP_PORT', 587, 1, 65_535),
      smtpUser: read.string('SMTP_USER'),
      smtpPassword: read.string('SMTP_PASSWORD'),
      smtpSecurity: read.oneOf('SMTP_SECURITY', ['starttls', 'tls', 'none'], 'starttls'),
      from: read.string('EMAIL_FROM') ?? 'Payrixa <alerts@payrixa.com>',
    },
    slackEnabled: read.bool('SLACK_ENABLED', true),
    webhookAllowPrivateTargets: read.bool('WEBHOOK_ALLOW_PRIVATE_TARGETS', false),
    sentry: {
      dsn: read.string('SENTRY_DSN'),
      environment: read.string('SENTRY_ENVIRONMENT') ?? envName,
      release: read.string('SENTRY_RELEASE') ?? `payrixa@${PRODUCT_VERSION}`,
      tracesSampleRate: read.fraction('SENTRY_TRACES_SAMPLE_RATE', 0.1),
      serverName: read.string('SERVER_NAME'),
    },
    log: {
      level: read.oneOf<LogLevel>(
        'LOG_LEVEL',
        ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
        envName === 'test' ? 'silent' : 'info',
      ),
      format: read.oneOf<LogFormat>('LOG_FORMAT', ['json', 'pretty'], isProduction ? 'json' : 'pretty'),
      accessFile: read.string('ACCESS_LOG_FILE'),
      errorFile: read.string('ERROR_LOG_FILE'),
    },
    metrics: { enabled: read.bool('METRICS_ENABLED', true), token: read.string('METRICS_TOKEN') },
    apiDocsPublic: read.bool('API_DOCS_PUBLIC', true),
    worker: {
      concurrency: read.int('WORKER_CONCURRENCY', 2, 1, 64),
      metricsPort: read.int('WORKER_METRICS_PORT', 9808, 1, 65_535),
    },
    scheduler: { enabled: read.bool('SCHEDULER_ENABLED', true), schedules },
    analysisDebounceSeconds: read.int('ANALYSIS_DEBOUNCE_SECONDS', 120, 0),
    backup: {
      dir: path.resolve(
        read.string('BACKUP_DIR') ?? (isProduction ? '/var/backups/payrixa' : path.join(dataDir, 'backups')),
      ),
      keepDays: read.int('BACKUP_KEEP_DAYS', 30, 1),
    },
    codeListsDir: read.string('CODE_LISTS_DIR'),
    retention,
  };

  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/**
 * Loads `KEY=value` lines from a file into `env` without overriding variables that are
 * already set (the process environment wins over files). Missing file → error message.
 */
export function loadEnvFile(filePath: string, env: Env = process.env, required = true): void {
  if (!existsSync(filePath)) {
    if (required) throw new ConfigError([`--env-file: ${filePath} does not exist`]);
    return;
  }
  const text = readFileSync(filePath, 'utf8');
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (!line || line.startsWith('#')) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) continue;
    const key = match[1] as string;
    let value = (match[2] as string).trim();
    if ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'"))) {
      value = value.slice(1, -1);
    } else {
      value = value.replace(/\s+#.*$/, '');
    }
    if (env[key] === undefined) env[key] = value;
  }
}

/** Parses `host:port`, `[ipv6]:port` or `unix:<path>`. */
export function parseBind(text: string): BindAddress | null {
  if (text.startsWith('unix:')) {
    const socketPath = text.slice(5);
    return socketPath ? { kind: 'unix', path: socketPath } : null;
  }
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d+)$/.exec(text);
  if (!match) return null;
  // Port 0 (an ephemeral port chosen by the system) is allowed here for tests and tools.
  const port = match[2] === '0' ? 0 : parsePort(match[2] as string);
  if (port === null) return null;
  const host = (match[1] as string).replace(/^\[(.*)\]$/, '$1');
  return { kind: 'tcp', host, port };
}

function parsePort(text: string): number | null {
  if (!/^\d+$/.test(text)) return null;
  const port = Number(text);
  return port >= 1 && port <= 65_535 ? port : null;
}

function parseTrustProxy(text: string): TrustProxy | null {
  const lowered = text.trim().toLowerCase();
  if (['false', '0', 'no', 'off', 'none'].includes(lowered)) return { kind: 'none' };
  if (lowered === 'loopback') return { kind: 'loopback' };
  if (['true', '1', 'yes'].includes(lowered)) return { kind: 'all' };
  const cidrs = text
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  const cidrPattern = /^([0-9.]+|[0-9a-fA-F:]+)(\/\d{1,3})?$/;
  if (cidrs.length === 0 || !cidrs.every((cidr) => cidr === 'loopback' || cidrPattern.test(cidr)))
    return null;
  return { kind: 'cidrs', cidrs };
}

function validateUrl(name: string, value: string, protocols: string[], problems: string[]): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    problems.push(`${name}: not a valid URL (expected ${protocols[0]}//user:password@host:port/name)`);
    return;
  }
  if (!protocols.includes(url.protocol)) {
    problems.push(`${name}: scheme must be ${protocols.map((p) => p.replace(':', '')).join(' or ')}`);
  }
}

/** Small typed readers that record problems instead of throwing at the first one. */
class EnvReader {
  constructor(
    private readonly env: Env,
    private readonly problems: string[],
  ) {}

  string(name: string): string | null {
    const value = this.env[name];
    if (value === undefined) return null;
    const trimmed = value.trim();
    return trimmed === '' ? null : trimmed;
  }

  list(name: string, fallback: string[]): string[] {
    const value = this.env[name];
    if (value === undefined) return fallback;
    return value
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
  }

  bool(name: string, fallback: boolean): boolean {
    const value = this.string(name);
    if (value === null) return fallback;
    const lowered = value.toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(lowered)) return true;
    if (['false', '0', 'no', 'off'].includes(lowered)) return false;
    this.problems.push(`${name}: '${value}' is not a boolean (true/false/1/0/yes/no)`);
    return fallback;
  }

  int(name: string, fallback: number, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number {
    const value = this.string(name);
    if (value === null) return fallback;
    if (!/^-?\d+$/.test(value)) {
      this.problems.push(`${name}: '${value}' is not a whole number`);
      return fallback;
    }
    const parsed = Number(value);
    if (parsed < min || parsed > max) {
      this.problems.push(`${name}: ${parsed} is out of range (${min}..${max})`);
      return fallback;
    }
    return parsed;
  }

  fraction(name: string, fallback: number): number {
    const value = this.string(name);
    if (value === null) return fallback;
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed < 0 || parsed > 1) {
      this.problems.push(`${name}: '${value}' must be a number between 0 and 1`);
      return fallback;
    }
    return parsed;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.string(name);
    if (value === null) return fallback;
    const lowered = value.toLowerCase() as T;
    if (allowed.includes(lowered)) return lowered;
    this.problems.push(`${name}: '${value}' must be one of ${allowed.join(', ')}`);
    return fallback;
  }

  rate(name: string, fallback: string): Rate | null {
    const value = this.string(name) ?? fallback;
    const parsed = parseRate(value);
    if (parsed.ok) return parsed.rate;
    this.problems.push(`${name}: '${value}' must look like 100/hour (second, minute, hour, day) or off`);
    const defaultRate = parseRate(fallback);
    return defaultRate.ok ? defaultRate.rate : null;
  }

  cron(name: string, fallback: string): string | null {
    const value = this.string(name) ?? fallback;
    if (value.toLowerCase() === 'off') return null;
    try {
      new Cron(value, { paused: true, timezone: 'UTC' }).stop();
      return value;
    } catch {
      this.problems.push(`${name}: '${value}' is not a valid cron expression (or off)`);
      return fallback;
    }
  }
}
