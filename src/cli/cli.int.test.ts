import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnv, runCli } from '../../test/cli.ts';
import { createTestDatabase, type TestDatabase } from '../../test/db.ts';
import { createDatabase } from '../db/database.ts';
import { migrations } from '../db/migrations/index.ts';

// One database for the file: embedded on disk, or a fresh PostgreSQL database in CI.
let env: Record<string, string>;
let pgHandle: TestDatabase | null = null;

beforeAll(async () => {
  env = cliEnv();
  if (process.env['TEST_DATABASE_URL']) {
    pgHandle = await createTestDatabase({ migrated: false });
    await pgHandle.database.close();
    env['DATABASE_URL'] = pgHandle.url as string;
  }
});

afterAll(async () => {
  await pgHandle?.close();
});

describe('payrixa migrate / migrations', () => {
  it('lists pending migrations, applies them, and lists them applied', async () => {
    const before = await runCli(['migrations'], env);
    expect(before.code).toBe(0);
    expect(before.stdout).toBe(`${migrations.map((m) => ` [ ] ${m.name}`).join('\n')}\n`);
    expect((await runCli(['migrations', '--check'], env)).code).toBe(1);

    const applied = await runCli(['migrate'], env);
    expect(applied.code).toBe(0);
    expect(applied.stdout).toBe(`${migrations.map((m) => `Applying ${m.name}... OK`).join('\n')}\n`);

    const after = await runCli(['migrations', '--check'], env);
    expect(after.code).toBe(0);
    expect(after.stdout).toBe(`${migrations.map((m) => ` [X] ${m.name}`).join('\n')}\n`);
    expect((await runCli(['migrate'], env)).stdout).toBe('No migrations to apply.\n');
  });

  it('rolls back with --to and forward again', async () => {
    const last = migrations[migrations.length - 1]!.name;
    const previous = migrations[migrations.length - 2]!.name;
    const plan = await runCli(['migrate', '--to', previous, '--plan'], env);
    expect(plan.stdout).toBe(`Unapplying ${last}\n`);
    const back = await runCli(['migrate', '--to', previous], env);
    expect(back.stdout).toBe(`Unapplying ${last}... OK\n`);
    expect((await runCli(['migrations'], env)).stdout).toContain(` [ ] ${last}\n`);
    expect((await runCli(['migrate'], env)).stdout).toBe(`Applying ${last}... OK\n`);
  });

  it('reports an unknown target clearly', async () => {
    const result = await runCli(['migrate', '--to', '9999'], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe("Error: Unknown migration '9999'. Run 'payrixa migrations' to list them.\n");
  });
});

describe('payrixa createsuperuser', () => {
  it('creates a staff superuser non-interactively from PAYRIXA_SUPERUSER_PASSWORD, with an audit event', async () => {
    const result = await runCli(
      ['createsuperuser', '--username', 'admin', '--email', 'admin@example.org', '--no-input'],
      {
        ...env,
        PAYRIXA_SUPERUSER_PASSWORD: 'Correct-horse-42!',
      },
    );
    expect(result).toMatchObject({ code: 0, stdout: 'Superuser created successfully.\n', stderr: '' });
    const database = await createDatabase({ ...(await import('../config/env.ts')).loadConfig(env) });
    try {
      const user = await database.db
        .selectFrom('users')
        .selectAll()
        .where('username', '=', 'admin')
        .executeTakeFirstOrThrow();
      expect(user).toMatchObject({
        email: 'admin@example.org',
        is_staff: true,
        is_superuser: true,
        is_active: true,
      });
      expect(user.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      const audit = await database.db
        .selectFrom('audit_events')
        .selectAll()
        .where('action', '=', 'staff_created')
        .execute();
      expect(audit).toHaveLength(1);
      expect(JSON.stringify(audit[0]!.metadata)).not.toContain('Correct-horse');
    } finally {
      await database.close();
    }
  });

  it('prompts interactively, refusing mismatched and weak passwords, never echoing them', async () => {
    const input = [
      '',
      'ops@example.org',
      'Correct-horse-42!',
      'different-one-42!',
      'short',
      'short',
      'Orange-lantern-77#',
      'Orange-lantern-77#',
      '',
    ].join('\n');
    // Blank username → 'admin' is taken by the previous test, so give a name after the error.
    const result = await runCli(
      ['createsuperuser'],
      env,
      `operator\n${input.split('\n').slice(1).join('\n')}`,
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Username (leave blank to use 'admin'): ");
    expect(result.stdout).toContain('Email address: ');
    expect(result.stdout).toContain('Password: ');
    expect(result.stdout).toContain('Password (again): ');
    expect(result.stdout).toContain('Superuser created successfully.');
    expect(result.stderr).toContain("Error: Your passwords didn't match.");
    expect(result.stderr).toContain('This password is too short. It must contain at least 12 characters.');
    expect(result.stdout + result.stderr).not.toContain('Orange-lantern');
  });

  it('refuses a taken username and a missing password in --no-input mode', async () => {
    const taken = await runCli(
      ['createsuperuser', '--username', 'ADMIN', '--email', 'x@example.org', '--no-input'],
      {
        ...env,
        PAYRIXA_SUPERUSER_PASSWORD: 'Correct-horse-42!',
      },
    );
    expect(taken).toMatchObject({ code: 1, stderr: 'Error: That username is already taken.\n' });
    const missing = await runCli(
      ['createsuperuser', '--username', 'other', '--email', 'o@example.org', '--no-input'],
      env,
    );
    expect(missing).toMatchObject({
      code: 1,
      stderr: 'Error: PAYRIXA_SUPERUSER_PASSWORD is not set (needed with --no-input).\n',
    });
    const usage = await runCli(['createsuperuser', '--no-input'], env);
    expect(usage.code).toBe(2);
  });
});

describe('payrixa check', () => {
  it('--database prints exactly "Database connected: True"', async () => {
    const result = await runCli(['check', '--database'], env);
    expect(result).toMatchObject({ code: 0, stdout: 'Database connected: True\n' });
  });

  it('fails an insecure production configuration listing each problem', async () => {
    const result = await runCli(['check'], {
      ...env,
      PAYRIXA_ENV: 'production',
      SECRET_KEY: 'too-short',
      ALLOWED_HOSTS: '',
    });
    expect(result.code).toBe(1);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toContain('✗ SECRET_KEY: too short (9 characters; at least 50 random characters)');
    expect(lines).toContain('✗ ALLOWED_HOSTS: empty; list the host names the site is served under');
    expect(lines).toContain(
      '✗ FIELD_ENCRYPTION_KEY: not set (32 random bytes, base64; e.g. openssl rand -base64 32)',
    );
    expect(lines).toContain(
      '✗ REDIS_URL: not set: production needs Redis for sessions, caches, rate limits and jobs',
    );
    expect(lines.every((line) => /^[✓✗!] /.test(line))).toBe(true);
  });

  it('serve and migrate refuse to start with an insecure production configuration', async () => {
    const result = await runCli(['migrate'], { ...env, PAYRIXA_ENV: 'production', SECRET_KEY: 'too-short' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Refusing to start');
    expect(result.stderr).toContain('✗ SECRET_KEY: too short');
    const serve = await runCli(['serve', '--bind', '127.0.0.1:0'], {
      ...env,
      PAYRIXA_ENV: 'production',
      SECRET_KEY: 'too-short',
    });
    expect(serve.code).toBe(1);
    expect(serve.stderr).toContain('✗ ALLOWED_HOSTS');
  });
});

describe('bad input', () => {
  it('unknown commands and flags are usage errors (exit 2) with one line', async () => {
    const unknownCommand = await runCli(['frobnicate'], env);
    expect(unknownCommand).toMatchObject({
      code: 2,
      stderr: "Error: Unknown command 'frobnicate'. Run 'payrixa --help' for the list of commands.\n",
    });
    const unknownFlag = await runCli(['migrations', '--verbose'], env);
    expect(unknownFlag).toMatchObject({
      code: 2,
      stderr: "Error: Unknown option '--verbose'. Run 'payrixa migrations --help' for usage.\n",
    });
  });

  it('a malformed DATABASE_URL is one clear error', async () => {
    const result = await runCli(['migrate'], { ...env, DATABASE_URL: 'postgres//broken' });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'Error: invalid configuration:\n  DATABASE_URL: not a valid URL (expected postgres://user:password@host:port/name)\n',
    );
  });

  it('an unreachable database or Redis is one line without credentials or stack', async () => {
    const db = await runCli(['migrate'], {
      ...env,
      DATABASE_URL: 'postgres://u:secretpw@127.0.0.1:1/payrixa',
    });
    expect(db.code).toBe(1);
    expect(db.stderr).toMatch(
      /^Error: Cannot connect to the database at postgres:\/\/127\.0\.0\.1:1\/payrixa: .*ECONNREFUSED.*\n$/,
    );
    expect(db.stderr).not.toContain('secretpw');
    const redis = await runCli(['worker'], { ...env, REDIS_URL: 'redis://:pw@127.0.0.1:1/0' });
    expect(redis.code).toBe(1);
    expect(redis.stderr).toMatch(/^Error: Cannot connect to Redis at redis:\/\/127\.0\.0\.1:1\/0: .*\n$/);
    expect(redis.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('worker without REDIS_URL and several embedded web workers are refused with the spec messages', async () => {
    const { REDIS_URL: _ignored, ...noRedis } = env;
    const worker = await runCli(['worker'], noRedis);
    expect(worker).toMatchObject({
      code: 1,
      stderr: 'Error: payrixa worker requires REDIS_URL; without it, jobs run inside payrixa serve.\n',
    });
    if (!env['DATABASE_URL']) {
      const serve = await runCli(['serve', '--workers', '2'], env);
      expect(serve).toMatchObject({
        code: 1,
        stderr:
          'Error: The embedded database supports a single process; set DATABASE_URL to run several workers.\n',
      });
    }
  });

  it('prints the version and help', async () => {
    expect(await runCli(['--version'], env)).toMatchObject({ code: 0, stdout: '1.0.0\n' });
    const help = await runCli(['--help'], env);
    expect(help.stdout).toContain('Usage: payrixa [--env-file <path>] <command> [options]');
    for (const name of ['serve', 'worker', 'migrate', 'migrations', 'check', 'createsuperuser']) {
      expect(help.stdout).toContain(`  ${name}`);
      const commandHelp = await runCli([name, '--help'], env);
      expect(commandHelp.code).toBe(0);
      expect(commandHelp.stdout).toContain(`Usage: payrixa ${name}`);
    }
  });

  it('--env-file loads variables, and a missing file is a clear error', async () => {
    const missing = await runCli(['--env-file', '/nonexistent/.env', 'migrations'], env);
    expect(missing).toMatchObject({ code: 1 });
    expect(missing.stderr).toContain('--env-file: /nonexistent/.env does not exist');
  });
});
