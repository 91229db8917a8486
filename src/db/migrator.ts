import { createHash } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { AppError } from '../config/errors.ts';
import type { Database } from './database.ts';
import type { Migration, MigrationStep } from './migrations/types.ts';
import type { DB } from './schema.ts';

/**
 * Forward and backward migrations recorded in `payrixa_migrations` (name, checksum,
 * applied_at), run under an advisory lock so two processes never migrate at once, each
 * migration in its own transaction (web-api-ops §7.1, §7.2).
 */

export interface MigrationState {
  name: string;
  applied: boolean;
  appliedAt: Date | null;
  /** False when the applied migration's recorded checksum differs from the code's. */
  checksumMatches: boolean;
}

export interface MigrationStatus {
  migrations: MigrationState[];
  /** Applied in the database but unknown to this release (a newer release ran them). */
  unknownApplied: string[];
}

export interface MigratePlanStep {
  direction: 'up' | 'down';
  migration: Migration;
}

// An arbitrary constant identifying "the Payrixa migration lock" among advisory locks.
const MIGRATION_LOCK_ID = 72_797_201;

/** Checksum of a migration's definition: editing a shipped migration changes it. */
export function migrationChecksum(migration: Migration): string {
  const text = (step: MigrationStep | null): string =>
    step === null ? 'irreversible' : typeof step === 'function' ? step.toString() : step.join('\n;\n');
  return createHash('sha256')
    .update(`${migration.name}\n${text(migration.up)}\n--down--\n${text(migration.down)}`)
    .digest('hex');
}

export async function ensureMigrationsTable(db: Kysely<DB>): Promise<void> {
  await sql`CREATE TABLE IF NOT EXISTS payrixa_migrations (
    name varchar(255) PRIMARY KEY,
    checksum char(64) NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`.execute(db);
}

export async function migrationStatus(
  database: Database,
  all: readonly Migration[],
): Promise<MigrationStatus> {
  await ensureMigrationsTable(database.db);
  const rows = await database.db.selectFrom('payrixa_migrations').selectAll().orderBy('name').execute();
  const applied = new Map(rows.map((row) => [row.name, row]));
  const known = new Set(all.map((migration) => migration.name));
  return {
    migrations: all.map((migration) => {
      const row = applied.get(migration.name);
      return {
        name: migration.name,
        applied: row !== undefined,
        appliedAt: row?.applied_at ?? null,
        checksumMatches: row === undefined || row.checksum.trim() === migrationChecksum(migration),
      };
    }),
    unknownApplied: rows.map((row) => row.name).filter((name) => !known.has(name)),
  };
}

/** Resolves `zero`, a full name or a unique prefix (`0007`) to a migration name (or null for zero). */
export function resolveTarget(all: readonly Migration[], target: string): string | null {
  if (target === 'zero') return null;
  const exact = all.find((migration) => migration.name === target);
  if (exact) return exact.name;
  const matches = all.filter((migration) => migration.name.startsWith(target));
  if (matches.length === 1) return (matches[0] as Migration).name;
  if (matches.length > 1) {
    throw new AppError(
      'migration_ambiguous',
      `Migration name '${target}' is ambiguous: ${matches.map((m) => m.name).join(', ')}.`,
    );
  }
  throw new AppError(
    'migration_unknown',
    `Unknown migration '${target}'. Run 'payrixa migrations' to list them.`,
  );
}

/** The steps that bring the database to `target` (undefined = latest, null = zero). */
export function planMigrations(
  all: readonly Migration[],
  appliedNames: ReadonlySet<string>,
  target?: string | null,
): MigratePlanStep[] {
  if (target === undefined) {
    return all
      .filter((migration) => !appliedNames.has(migration.name))
      .map((migration) => ({ direction: 'up', migration }));
  }
  const targetIndex = target === null ? -1 : all.findIndex((migration) => migration.name === target);
  const steps: MigratePlanStep[] = [];
  // Unapply everything after the target, newest first ...
  for (let index = all.length - 1; index > targetIndex; index--) {
    const migration = all[index] as Migration;
    if (appliedNames.has(migration.name)) steps.push({ direction: 'down', migration });
  }
  // ... and apply anything up to and including it that is missing.
  for (let index = 0; index <= targetIndex; index++) {
    const migration = all[index] as Migration;
    if (!appliedNames.has(migration.name)) steps.push({ direction: 'up', migration });
  }
  return steps;
}

export interface MigrateOptions {
  /** `zero`, a name or a unique prefix; omitted = latest. */
  to?: string;
  /** Print the plan only. */
  plan?: boolean;
  log?: (line: string) => void;
}

/**
 * Applies or unapplies migrations to reach the target. Returns the steps taken (or
 * planned). Output lines follow web-api-ops §7.1: `Applying 0007_alerting... OK`.
 */
export async function migrate(
  database: Database,
  all: readonly Migration[],
  options: MigrateOptions = {},
): Promise<MigratePlanStep[]> {
  const log = options.log ?? (() => {});
  const target = options.to === undefined ? undefined : resolveTarget(all, options.to);
  await ensureMigrationsTable(database.db);

  return database.db.connection().execute(async (connection) => {
    await sql`SELECT pg_advisory_lock(${MIGRATION_LOCK_ID})`.execute(connection);
    try {
      const status = await migrationStatus({ ...database, db: connection }, all);
      const mismatched = status.migrations.filter((state) => !state.checksumMatches);
      if (mismatched.length > 0) {
        throw new AppError(
          'migration_checksum',
          `Applied migration ${mismatched.map((m) => m.name).join(', ')} differs from this release (checksum mismatch). Shipped migrations must not be edited.`,
        );
      }
      if (status.unknownApplied.length > 0 && target === undefined) {
        throw new AppError(
          'migration_newer',
          `The database has migrations this release does not know (${status.unknownApplied.join(', ')}); upgrade Payrixa first.`,
        );
      }
      const appliedNames = new Set(status.migrations.filter((s) => s.applied).map((s) => s.name));
      const steps = planMigrations(all, appliedNames, target);
      if (steps.length === 0) {
        log('No migrations to apply.');
        return steps;
      }
      for (const step of steps) {
        const verb = step.direction === 'up' ? 'Applying' : 'Unapplying';
        if (options.plan) {
          log(`${verb} ${step.migration.name}`);
          continue;
        }
        const definition = step.direction === 'up' ? step.migration.up : step.migration.down;
        if (definition === null) {
          throw new AppError('migration_irreversible', `Migration ${step.migration.name} is irreversible.`);
        }
        await connection.transaction().execute(async (trx) => {
          await runStep(trx, definition);
          if (step.direction === 'up') {
            await trx
              .insertInto('payrixa_migrations')
              .values({ name: step.migration.name, checksum: migrationChecksum(step.migration) })
              .execute();
          } else {
            await trx.deleteFrom('payrixa_migrations').where('name', '=', step.migration.name).execute();
          }
        });
        log(`${verb} ${step.migration.name}... OK`);
      }
      return steps;
    } finally {
      await sql`SELECT pg_advisory_unlock(${MIGRATION_LOCK_ID})`.execute(connection);
    }
  });
}

async function runStep(db: Kysely<DB>, step: MigrationStep): Promise<void> {
  if (typeof step === 'function') {
    await step(db);
    return;
  }
  for (const statement of step) await sql.raw(statement).execute(db);
}

/** Names of migrations not yet applied, and applied ones whose checksum changed. */
export async function pendingMigrations(
  database: Database,
  all: readonly Migration[],
): Promise<{ pending: string[]; mismatched: string[] }> {
  const status = await migrationStatus(database, all);
  return {
    pending: status.migrations.filter((s) => !s.applied).map((s) => s.name),
    mismatched: status.migrations.filter((s) => !s.checksumMatches).map((s) => s.name),
  };
}
