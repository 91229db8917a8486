import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnv, runCli } from '../../test/cli.ts';
import { createTestDatabase, type TestDatabase, testDatabaseUrl, testRedisUrl } from '../../test/db.ts';
import { loadConfig } from '../config/env.ts';
import { createDatabase } from '../db/database.ts';
import { migrations } from '../db/migrations/index.ts';
import { STATIC_DIR } from '../http/app.ts';
import { refuseInsecureProduction } from './commands/startup.ts';

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)));
}

describe('payrixa collectstatic', () => {
  it('copies CSS, JS and images and counts them all', async () => {
    const dest = path.join(mkdtempSync(path.join(tmpdir(), 'payrixa-static-')), 'static');
    const result = await runCli(['collectstatic', '--dest', dest], cliEnv());
    const sources = filesUnder(STATIC_DIR);
    expect(result).toMatchObject({ code: 0, stdout: `${sources.length} static files copied to ${dest}.\n` });
    const copied = filesUnder(dest);
    expect(copied.sort()).toEqual(sources.sort());
    expect(copied).toContain(path.join('css', 'payrixa.css'));
    expect(copied.some((file) => file.startsWith(`js${path.sep}`))).toBe(true);
    for (const image of ['favicon.svg', 'favicon.png', 'favicon.ico'])
      expect(copied).toContain(path.join('img', image));
  });
});

// The checklist's order (steps 1, 2, 5) in production mode on PostgreSQL + Redis: migrate
// before collectstatic has created STATIC_ROOT, then the checks serve runs before it starts.
describe.skipIf(!testDatabaseUrl || !testRedisUrl)('production deployment order', () => {
  let handle: TestDatabase;
  let env: Record<string, string>;

  beforeAll(async () => {
    handle = await createTestDatabase({ migrated: false });
    const root = mkdtempSync(path.join(tmpdir(), 'payrixa-deploy-'));
    env = {
      PAYRIXA_ENV: 'production',
      LOG_LEVEL: 'silent',
      SECRET_KEY: 'k7Qx9vR2mP4wT8yL1nB6cF3hJ5sD0gA-zE7uI2oK9qW4xV8tY1rM6pN3bH5jL0f',
      FIELD_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
      ALLOWED_HOSTS: 'payrixa.example',
      PORTAL_BASE_URL: 'https://payrixa.example',
      DATABASE_URL: handle.url as string,
      REDIS_URL: testRedisUrl as string,
      REDIS_PREFIX: `payrixa-deploy-${path.basename(root)}`,
      EMAIL_BACKEND: 'log',
      DATA_DIR: path.join(root, 'data'),
      STATIC_ROOT: path.join(root, 'static'),
      BACKUP_DIR: path.join(root, 'backups'),
    };
  });

  afterAll(async () => {
    await handle?.close();
  });

  it('migrate, then collectstatic, then the serve checks pass', async () => {
    const serveChecks = async (): Promise<{ refused: boolean; stderr: string }> => {
      const config = loadConfig(env);
      const database = await createDatabase(config);
      let stderr = '';
      const errors = new PassThrough();
      errors.on('data', (text) => {
        stderr += String(text);
      });
      const io = { stdout: new PassThrough(), stderr: errors, stdin: new PassThrough(), env };
      try {
        return {
          refused: await refuseInsecureProduction(config, io, { database, migrations: true }),
          stderr,
        };
      } finally {
        await database.close();
      }
    };

    // Before step 1, serve refuses: pending migrations and no STATIC_ROOT yet.
    const early = await serveChecks();
    expect(early.refused).toBe(true);
    expect(early.stderr).toContain('✗ Migrations:');
    expect(early.stderr).toContain(`✗ STATIC_ROOT: ${env['STATIC_ROOT']} does not exist`);

    // Step 1: migrate does not need STATIC_ROOT.
    expect(existsSync(env['STATIC_ROOT'] as string)).toBe(false);
    const migrated = await runCli(['migrate'], env);
    expect(migrated.stderr).toBe('');
    expect(migrated).toMatchObject({
      code: 0,
      stdout: `${migrations.map((m) => `Applying ${m.name}... OK`).join('\n')}\n`,
    });
    expect((await runCli(['migrations', '--check'], env)).code).toBe(0);

    // Between steps 1 and 2 serve still refuses, for STATIC_ROOT alone.
    const between = await serveChecks();
    expect(between.refused).toBe(true);
    expect(between.stderr).not.toContain('Migrations');
    expect(between.stderr).toContain('✗ STATIC_ROOT');

    // Step 2.
    const collected = await runCli(['collectstatic'], env);
    expect(collected.code).toBe(0);
    expect(collected.stdout).toMatch(/^\d+ static files copied to .*\.\n$/);

    // Step 5: what serve checks before starting, and the unit's ExecStartPre.
    const ready = await serveChecks();
    expect(ready.stderr).toBe('');
    expect(ready.refused).toBe(false);
    const deploy = await runCli(['check', '--deploy'], env);
    expect(deploy.stdout).not.toContain('✗');
    expect(deploy.code).toBe(0);
  });
});
