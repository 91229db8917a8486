import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig, loadEnvFile, SCHEDULE_NAMES } from './env.ts';

const EXAMPLE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'deploy',
  'env.production.example',
);

describe('deploy/env.production.example', () => {
  it('parses into a production configuration with the deployment paths', () => {
    const env: Record<string, string | undefined> = {};
    loadEnvFile(EXAMPLE, env);
    const config = loadConfig(env);
    expect(config.isProduction).toBe(true);
    expect(config.bind).toEqual({ kind: 'unix', path: '/run/payrixa/payrixa.sock' });
    expect(config.staticRoot).toBe('/var/www/payrixa/static');
    expect(config.secureSslRedirect).toBe(true);
    expect(config.sessionCookieSecure).toBe(true);
    expect(config.upload.maxMb).toBe(50);
    expect(config.shutdownGraceMs).toBe(25_000);
  });

  it('names every configuration variable (set, or commented out with its default)', () => {
    const text = readFileSync(EXAMPLE, 'utf8');
    const named = new Set([...text.matchAll(/^#? ?([A-Z][A-Z0-9_]+)=/gm)].map((match) => match[1]));
    const source = readFileSync(path.join(path.dirname(EXAMPLE), '..', 'src', 'config', 'env.ts'), 'utf8');
    const read = [...source.matchAll(/read\.[a-zA-Z]+\('([A-Z][A-Z0-9_]+)'/g)].map((match) => match[1]);
    const expected = [
      'PAYRIXA_ENV',
      'LOG_LEVEL',
      'LOG_FORMAT',
      ...read,
      ...SCHEDULE_NAMES.map((name) => `SCHEDULE_${name.toUpperCase()}`),
    ];
    expect(expected.filter((name) => !named.has(name as string))).toEqual([]);
  });
});
