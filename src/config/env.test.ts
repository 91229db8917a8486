import { describe, expect, it } from 'vitest';
import { DEV_SECRET_KEY, loadConfig, parseBind } from './env.ts';
import { ConfigError } from './errors.ts';

describe('loadConfig', () => {
  it('gives a runnable development configuration with no variables at all', () => {
    const config = loadConfig({});
    expect(config.env).toBe('development');
    expect(config.secretKey).toBe(DEV_SECRET_KEY);
    expect(config.secretKeyIsDefault).toBe(true);
    expect(config.databaseUrl).toBeNull();
    expect(config.redisUrl).toBeNull();
    expect(config.bind).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 8000 });
    expect(config.allowedHosts).toEqual(['localhost', '127.0.0.1', '[::1]']);
    expect(config.session.idleMinutes).toBe(30);
    expect(config.rateLimits.portal).toEqual({ limit: 300, unit: 'minute', periodMs: 60_000 });
    expect(loadConfig({ API_THROTTLE_ANON: 'off' }).rateLimits.apiAnon).toBeNull();
    expect(config.scheduler.schedules.driftwatch).toBe('0 6 * * 1');
    // Outside production, email without SMTP_HOST goes to the local mailbox (DATA_DIR/mailbox).
    expect(config.email.backend).toBe('mailbox');
    expect(config.email.backendExplicit).toBe(false);
    expect(config.log.format).toBe('pretty');
    expect(config.webConcurrency).toBe(1);
  });

  it('switches to production with NODE_ENV=production and secure defaults', () => {
    const config = loadConfig({ NODE_ENV: 'production', SECRET_KEY: 'x'.repeat(60) });
    expect(config.isProduction).toBe(true);
    expect(config.allowedHosts).toEqual([]);
    expect(config.sessionCookieSecure).toBe(true);
    expect(config.secureSslRedirect).toBe(true);
    expect(config.log.format).toBe('json');
    expect(config.corsAllowedOrigins).toEqual([]);
    // Production without SMTP_HOST keeps the log backend (and `payrixa check` reports it).
    expect(config.email.backend).toBe('log');
    expect(
      loadConfig({ NODE_ENV: 'production', SECRET_KEY: 'x'.repeat(60), SMTP_HOST: 'mx' }).email.backend,
    ).toBe('smtp');
    expect(loadConfig({ EMAIL_BACKEND: 'log' }).email.backend).toBe('log');
  });

  it('binds 127.0.0.1:<PORT> when only PORT is set, and BIND wins over PORT', () => {
    expect(loadConfig({ PORT: '9100' }).bind).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 9100 });
    expect(loadConfig({ PORT: '9100', BIND: '0.0.0.0:80' }).bind).toEqual({
      kind: 'tcp',
      host: '0.0.0.0',
      port: 80,
    });
    expect(loadConfig({ BIND: 'unix:/run/payrixa/payrixa.sock' }).bind).toEqual({
      kind: 'unix',
      path: '/run/payrixa/payrixa.sock',
    });
  });

  it('collects every problem in one error instead of stopping at the first', () => {
    let error: unknown;
    try {
      loadConfig({
        DATABASE_URL: 'mysql://nope',
        REDIS_URL: '::::',
        PORT: '99999',
        SESSION_IDLE_MINUTES: 'soon',
        SLACK_ENABLED: 'maybe',
        PORTAL_RATE_LIMIT: 'lots',
        SCHEDULE_DRIFTWATCH: 'every monday',
        LOG_LEVEL: 'loud',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toEqual([
      'DATABASE_URL: scheme must be postgres or postgresql',
      'REDIS_URL: not a valid URL (expected redis://user:password@host:port/name)',
      "PORT: '99999' is not a port number (1-65535)",
      "SCHEDULE_DRIFTWATCH: 'every monday' is not a valid cron expression (or off)",
      "SESSION_IDLE_MINUTES: 'soon' is not a whole number",
      "PORTAL_RATE_LIMIT: 'lots' must look like 100/hour (second, minute, hour, day) or off",
      "SLACK_ENABLED: 'maybe' is not a boolean (true/false/1/0/yes/no)",
      "LOG_LEVEL: 'loud' must be one of fatal, error, warn, info, debug, trace, silent",
    ]);
  });

  it('never echoes the password of a malformed database URL', () => {
    expect(() => loadConfig({ DATABASE_URL: 'postgres://user:s3cret@' })).toThrow(ConfigError);
    try {
      loadConfig({ DATABASE_URL: 'postgres://user:s3cret@' });
    } catch (error) {
      expect((error as Error).message).not.toContain('s3cret');
    }
  });

  it('keeps the claims retention floor at 120 days and honours off schedules', () => {
    const config = loadConfig({ RETENTION_CLAIMS_DAYS: '30', SCHEDULE_BACKUP: 'off' });
    expect(config.retention.claimsDays).toBe(120);
    expect(config.scheduler.schedules.backup).toBeNull();
  });
});

describe('parsers', () => {
  it('parses bind addresses', () => {
    expect(parseBind('[::1]:8000')).toEqual({ kind: 'tcp', host: '::1', port: 8000 });
    expect(parseBind('localhost')).toBeNull();
    expect(parseBind('unix:')).toBeNull();
  });
});
