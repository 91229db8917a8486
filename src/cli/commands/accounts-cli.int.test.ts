import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnv, runCli } from '../../../test/cli.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/db.ts';

let env: Record<string, string>;
let pgHandle: TestDatabase | null = null;

beforeAll(async () => {
  env = { ...cliEnv(), EMAIL_BACKEND: 'log', LOG_LEVEL: 'silent' };
  if (process.env['TEST_DATABASE_URL']) {
    pgHandle = await createTestDatabase({ migrated: false });
    await pgHandle.database.close();
    env['DATABASE_URL'] = pgHandle.url as string;
  }
  expect((await runCli(['migrate'], env)).code).toBe(0);
});

afterAll(async () => {
  await pgHandle?.close();
});

describe('payrixa customer', () => {
  it('creates customers with the exact output and refuses duplicates', async () => {
    const created = await runCli(['customer', 'create', '--name', 'Acme Clinic'], env);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    expect(created.stdout).toMatch(
      /^Customer \d+ 'Acme Clinic' created \(products: driftwatch, denialscope, delayguard\)\.\n$/,
    );
    const some = await runCli(
      ['customer', 'create', '--name', 'Beta', '--products', 'delayguard,driftwatch'],
      env,
    );
    expect(some.stdout).toMatch(/^Customer \d+ 'Beta' created \(products: driftwatch, delayguard\)\.\n$/);
    const dup = await runCli(['customer', 'create', '--name', 'acme clinic'], env);
    expect(dup).toMatchObject({ code: 1, stderr: "Error: A customer named 'acme clinic' already exists.\n" });
    const bad = await runCli(['customer', 'create', '--name', 'X', '--products', 'nope'], env);
    expect(bad.code).toBe(2);
    expect((await runCli(['customer'], env)).code).toBe(2);
  });

  it('lists customers as a table', async () => {
    const listed = await runCli(['customer', 'list'], env);
    expect(listed.code).toBe(0);
    const lines = listed.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+NAME\s+ACTIVE\s+PRODUCTS\s+MEMBERS\s+CLAIMS$/);
    expect(listed.stdout).toContain('Acme Clinic');
    expect(listed.stdout).toMatch(/Beta\s+yes\s+driftwatch, delayguard\s+0\s+0/);
  });
});

describe('payrixa createuser', () => {
  it('creates a customer user from stdin and a staff user', async () => {
    const user = await runCli(
      [
        'createuser',
        '--username',
        'jane',
        '--email',
        'jane@example.org',
        '--customer',
        'Acme Clinic',
        '--role',
        'owner',
        '--password-stdin',
      ],
      env,
      'Correct-horse-42!\n',
    );
    expect(user).toMatchObject({
      code: 0,
      stdout: "User 'jane' created (customer 'Acme Clinic', role owner).\n",
    });
    const viewer = await runCli(
      [
        'createuser',
        '--username',
        'joe',
        '--email',
        'joe@example.org',
        '--customer',
        'Beta',
        '--send-invite',
      ],
      env,
    );
    expect(viewer.stdout).toBe("User 'joe' created (customer 'Beta', role viewer).\n");
    const staff = await runCli(
      ['createuser', '--username', 'operator1', '--email', 'op@example.org', '--staff'],
      env,
      'Correct-horse-42!\nCorrect-horse-42!\n',
    );
    expect(staff).toMatchObject({ code: 0 });
    expect(staff.stdout).toContain("Staff user 'operator1' created.");
    expect(staff.stdout + staff.stderr).not.toContain('Correct-horse');
    const listed = await runCli(['customer', 'list'], env);
    expect(listed.stdout).toMatch(/Acme Clinic\s+yes\s+driftwatch, denialscope, delayguard\s+1\s+0/);
  });

  it('enforces the password policy, uniqueness and usage rules', async () => {
    const weak = await runCli(
      ['createuser', '--username', 'weak', '--email', 'weak@example.org', '--staff', '--password-stdin'],
      env,
      '12345\n',
    );
    expect(weak.code).toBe(1);
    expect(weak.stderr).toContain('This password is too short. It must contain at least 12 characters.');
    const taken = await runCli(
      ['createuser', '--username', 'JANE', '--email', 'other@example.org', '--staff', '--password-stdin'],
      env,
      'Correct-horse-42!\n',
    );
    expect(taken).toMatchObject({ code: 1, stderr: 'Error: A user with that username already exists.\n' });
    const unknown = await runCli(
      ['createuser', '--username', 'u1', '--email', 'u1@example.org', '--customer', 'Nope', '--send-invite'],
      env,
    );
    expect(unknown).toMatchObject({ code: 1, stderr: "Error: Customer 'Nope' not found.\n" });
    expect((await runCli(['createuser', '--username', 'u2', '--email', 'u2@example.org'], env)).code).toBe(2);
    expect(
      (
        await runCli(
          ['createuser', '--username', 'u2', '--email', 'u2@example.org', '--staff', '--role', 'owner'],
          env,
        )
      ).code,
    ).toBe(2);
  });
});
