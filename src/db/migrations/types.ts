import type { Kysely } from 'kysely';

/** One step of a migration: SQL statements run in order, or code for data changes. */
// biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was at that point, not today's DB type.
export type MigrationStep = readonly string[] | ((db: Kysely<any>) => Promise<void>);

/**
 * A schema change, named `NNNN_description`. `down` undoes `up`; null marks an
 * irreversible migration. Shipped migrations are never edited: the runner records a
 * checksum of each and refuses to start when an applied one changed.
 */
export interface Migration {
  name: string;
  up: MigrationStep;
  down: MigrationStep | null;
}
