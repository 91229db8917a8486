import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/db.ts';
import { migrations } from './migrations/index.ts';
import type { Migration } from './migrations/types.ts';
import { migrate, migrationStatus, planMigrations, resolveTarget } from './migrator.ts';

let handle: TestDatabase | null = null;
afterEach(async () => {
  await handle?.close();
  handle = null;
});

async function tableNames(t: TestDatabase): Promise<string[]> {
  const result = await sql<{ table_name: string }>`
    SELECT table_name FROM information_schema.tables
    WHERE table_schema = 'public' ORDER BY table_name`.execute(t.database.db);
  return result.rows.map((row) => row.table_name);
}

describe('migrations on the test database', () => {
  it('apply up, down to zero and up again, recording each in payrixa_migrations', async () => {
    handle = await createTestDatabase({ migrated: false });
    const lines: string[] = [];
    await migrate(handle.database, migrations, { log: (line) => lines.push(line) });
    expect(lines).toEqual(migrations.map((m) => `Applying ${m.name}... OK`));
    expect(await tableNames(handle)).toEqual(
      expect.arrayContaining(['customers', 'users', 'audit_events', 'system_events', 'jobs']),
    );
    const recorded = await handle.database.db.selectFrom('payrixa_migrations').select('name').execute();
    expect(recorded.map((row) => row.name).sort()).toEqual(migrations.map((m) => m.name));

    lines.length = 0;
    await migrate(handle.database, migrations, { log: (line) => lines.push(line) });
    expect(lines).toEqual(['No migrations to apply.']);

    lines.length = 0;
    await migrate(handle.database, migrations, { to: 'zero', log: (line) => lines.push(line) });
    expect(lines).toEqual([...migrations].reverse().map((m) => `Unapplying ${m.name}... OK`));
    expect(await tableNames(handle)).toEqual(['payrixa_migrations']);

    await migrate(handle.database, migrations);
    const status = await migrationStatus(handle.database, migrations);
    expect(status.migrations.every((state) => state.applied && state.checksumMatches)).toBe(true);
  });

  it('rolls back to a named migration by prefix and forward again', async () => {
    handle = await createTestDatabase({ migrated: true });
    const lines: string[] = [];
    await migrate(handle.database, migrations, { to: '0002', log: (line) => lines.push(line) });
    const later = migrations.slice(2);
    expect(lines).toEqual([...later].reverse().map((m) => `Unapplying ${m.name}... OK`));
    expect(await tableNames(handle)).not.toContain('jobs');
    lines.length = 0;
    await migrate(handle.database, migrations, { to: '0003_jobs', log: (line) => lines.push(line) });
    expect(lines).toEqual(['Applying 0003_jobs... OK']);
  });

  it('--plan prints the steps without applying them', async () => {
    handle = await createTestDatabase({ migrated: false });
    const lines: string[] = [];
    await migrate(handle.database, migrations, { plan: true, log: (line) => lines.push(line) });
    expect(lines).toEqual(migrations.map((m) => `Applying ${m.name}`));
    expect(await tableNames(handle)).toEqual(['payrixa_migrations']);
  });

  it('refuses an edited migration (checksum mismatch) and an irreversible rollback', async () => {
    handle = await createTestDatabase({ migrated: true });
    const edited: Migration[] = migrations.map((m) =>
      m.name === '0001_accounts' ? { ...m, up: [...(m.up as string[]), 'SELECT 1'] } : m,
    );
    await expect(migrate(handle.database, edited)).rejects.toThrow(/0001_accounts differs from this release/);

    const oneWay: Migration = { name: '0099_one_way', up: ['CREATE TABLE one_way (id int)'], down: null };
    await migrate(handle.database, [...migrations, oneWay]);
    await expect(migrate(handle.database, [...migrations, oneWay], { to: '0002' })).rejects.toThrow(
      'Migration 0099_one_way is irreversible.',
    );
    // Nothing was undone.
    expect(await tableNames(handle)).toEqual(expect.arrayContaining(['jobs', 'one_way']));
  });

  it('a failing migration leaves nothing half-applied', async () => {
    handle = await createTestDatabase({ migrated: true });
    const broken: Migration = {
      name: '0099_broken',
      up: ['CREATE TABLE half_done (id int)', 'SELECT * FROM no_such_table'],
      down: ['DROP TABLE half_done'],
    };
    await expect(migrate(handle.database, [...migrations, broken])).rejects.toThrow();
    expect(await tableNames(handle)).not.toContain('half_done');
    const status = await migrationStatus(handle.database, [...migrations, broken]);
    expect(status.migrations.find((s) => s.name === '0099_broken')?.applied).toBe(false);
  });
});

describe('migration planning', () => {
  it('resolves targets by exact name, unique prefix or zero', () => {
    expect(resolveTarget(migrations, 'zero')).toBeNull();
    expect(resolveTarget(migrations, '0002')).toBe('0002_events');
    expect(() => resolveTarget(migrations, '000')).toThrow(/ambiguous/);
    expect(() => resolveTarget(migrations, '9999')).toThrow("Unknown migration '9999'");
  });

  it('plans down steps newest first, then missing up steps', () => {
    const applied = new Set(['0001_accounts', '0003_jobs']);
    const plan = planMigrations(migrations, applied, '0002_events');
    expect(plan.map((s) => `${s.direction} ${s.migration.name}`)).toEqual([
      'down 0003_jobs',
      'up 0002_events',
    ]);
  });
});
