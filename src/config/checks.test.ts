import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatCheckLine, hasErrors, runChecks } from './checks.ts';
import { loadConfig } from './env.ts';

const tmp = (): string => mkdtempSync(path.join(tmpdir(), 'payrixa-checks-'));
const GOOD_SECRET = 'k3J9-vQ2x!pL8mZ7rT4wY1nB6cD0fG5hJ2kL9qW3eR8tY7uI4oP1aS';

function secureEnv(): Record<string, string> {
  const dir = tmp();
  return {
    PAYRIXA_ENV: 'production',
    SECRET_KEY: GOOD_SECRET,
    FIELD_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
    ALLOWED_HOSTS: 'payrixa.example.org',
    PORTAL_BASE_URL: 'https://payrixa.example.org',
    DATABASE_URL: 'postgres://payrixa@db.internal:5432/payrixa',
    REDIS_URL: 'redis://cache.internal:6379/0',
    SMTP_HOST: 'smtp.example.org',
    SENTRY_DSN: 'https://key@sentry.example.org/1',
    METRICS_TOKEN: 'metrics-token-value',
    DATA_DIR: dir,
    STATIC_ROOT: dir,
    BACKUP_DIR: dir,
  };
}

const healthyProbes = {
  database: { reachable: true, serverVersionNum: 160_004 },
  redis: { reachable: true, majorVersion: 7 },
  migrations: { pending: [], mismatched: [] },
};

describe('production start-up checks', () => {
  it('pass for a secure production configuration', () => {
    const lines = runChecks(loadConfig(secureEnv()), healthyProbes, { migrations: true });
    expect(lines.filter((line) => line.level === 'error')).toEqual([]);
    expect(hasErrors(lines)).toBe(false);
    expect(lines.map(formatCheckLine)).toContain('✓ SECRET_KEY');
  });

  it('list every problem of an insecure production configuration', () => {
    const dir = tmp();
    const config = loadConfig({
      PAYRIXA_ENV: 'production',
      SECRET_KEY: 'short-key',
      ALLOWED_HOSTS: '*',
      PORTAL_BASE_URL: 'http://payrixa.example.org',
      SESSION_COOKIE_SECURE: 'false',
      DATA_DIR: dir,
      STATIC_ROOT: path.join(dir, 'missing-static'),
      BACKUP_DIR: dir,
    });
    const lines = runChecks(
      config,
      { database: { reachable: true, serverVersionNum: 160_000 } },
      { migrations: true },
    );
    const errors = lines.filter((line) => line.level === 'error').map(formatCheckLine);
    expect(errors).toEqual([
      '✗ SECRET_KEY: too short (9 characters; at least 50 random characters)',
      '✗ FIELD_ENCRYPTION_KEY: not set (32 random bytes, base64; e.g. openssl rand -base64 32)',
      "✗ ALLOWED_HOSTS: contains '*'; list the real host names",
      '✗ PORTAL_BASE_URL: must start with https://',
      '✗ DATABASE_URL: not set: the embedded database is for evaluation only, not production',
      '✗ REDIS_URL: not set: production needs Redis for sessions, caches, rate limits and jobs',
      '✗ Cookies: SESSION_COOKIE_SECURE=false sends session cookies over plain HTTP',
      '✗ Email: SMTP_HOST not set: password reset and alert emails cannot be sent (set EMAIL_BACKEND=log to accept)',
      `✗ STATIC_ROOT: ${path.join(dir, 'missing-static')} does not exist (run 'payrixa collectstatic')`,
    ]);
    const warnings = lines.filter((line) => line.level === 'warning').map(formatCheckLine);
    expect(warnings).toEqual(
      expect.arrayContaining([
        '! Monitoring: SENTRY_DSN not set: errors are not reported to Sentry',
        '! Monitoring: METRICS_TOKEN not set: /metrics is public',
      ]),
    );
  });

  it('refuses the development default key, a key of few distinct characters, and DEBUG', () => {
    const base = secureEnv();
    const defaults = runChecks(loadConfig({ ...base, SECRET_KEY: '' }), healthyProbes);
    expect(defaults.map(formatCheckLine)).toContain(
      '✗ SECRET_KEY: not set (the insecure development default is in use)',
    );
    const repetitive = runChecks(loadConfig({ ...base, SECRET_KEY: 'abab'.repeat(20) }), healthyProbes);
    expect(repetitive.map(formatCheckLine)).toContain('✗ SECRET_KEY: has fewer than 5 distinct characters');
    const insecurePrefix = runChecks(
      loadConfig({ ...base, SECRET_KEY: `payrixa-insecure-${GOOD_SECRET}` }),
      healthyProbes,
    );
    expect(insecurePrefix.map(formatCheckLine)).toContain(
      '✗ SECRET_KEY: is the insecure development default',
    );
    process.env['DEBUG'] = 'true';
    try {
      const debug = runChecks(loadConfig(base), healthyProbes);
      expect(debug.map(formatCheckLine)).toContain('✗ DEBUG: debug mode must not be enabled in production');
    } finally {
      delete process.env['DEBUG'];
    }
  });

  it('fails on unreachable or old dependencies and pending migrations', () => {
    const lines = runChecks(
      loadConfig(secureEnv()),
      {
        database: { reachable: true, serverVersionNum: 130_011 },
        redis: { reachable: false, error: 'connect ECONNREFUSED 10.0.0.5:6379' },
        migrations: { pending: ['0003_jobs'], mismatched: [] },
      },
      { migrations: true },
    ).map(formatCheckLine);
    expect(lines).toContain('✗ Database: PostgreSQL 13.11 is too old; 14 or newer is required');
    expect(lines).toContain('✗ Redis: unreachable: connect ECONNREFUSED 10.0.0.5:6379');
    expect(lines).toContain("✗ Migrations: 1 pending (0003_jobs); run 'payrixa migrate'");
  });

  it('in development reports production-only problems as warnings, not errors', () => {
    const lines = runChecks(loadConfig({ DATA_DIR: tmp(), STATIC_ROOT: tmp() }), {
      database: { reachable: true, serverVersionNum: 170_000 },
    });
    expect(hasErrors(lines)).toBe(false);
    expect(lines.map(formatCheckLine)).toContain(
      '! SECRET_KEY: not set (the insecure development default is in use)',
    );
  });

  it('--deploy applies the production rules in development mode', () => {
    const lines = runChecks(loadConfig({ DATA_DIR: tmp() }), {}, { deploy: true });
    expect(hasErrors(lines)).toBe(true);
  });
});
