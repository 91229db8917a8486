import type { Kysely, Selectable } from 'kysely';
import type { DB, ReportArtifactKind, ReportArtifactsTable } from '../schema.ts';

/**
 * `report_artifacts` (alerts-reports §13): one row per (customer, run, kind). The file itself is
 * in the artifact store (src/reports/artifact-store.ts); the row says where, how big and its hash.
 */
export type ReportArtifactRecord = Selectable<ReportArtifactsTable>;

export async function findArtifact(
  db: Kysely<DB>,
  customerId: number,
  runId: number,
  kind: ReportArtifactKind,
): Promise<ReportArtifactRecord | undefined> {
  return db
    .selectFrom('report_artifacts')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('run_id', '=', runId)
    .where('kind', '=', kind)
    .executeTakeFirst();
}

/** The artifacts of several runs (the reports page's Downloads column), in one indexed read. */
export async function listArtifactsOfRuns(
  db: Kysely<DB>,
  customerId: number,
  runIds: readonly number[],
): Promise<ReportArtifactRecord[]> {
  if (runIds.length === 0) return [];
  return db
    .selectFrom('report_artifacts')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('run_id', 'in', runIds)
    .orderBy('run_id')
    .orderBy('kind')
    .execute();
}

/**
 * Records an artifact, replacing the previous one of the same (customer, run, kind): a rebuild
 * after expiry or a re-run keeps one row whose hash says whether the bytes changed.
 */
export async function upsertArtifact(
  db: Kysely<DB>,
  customerId: number,
  input: Pick<
    ReportArtifactRecord,
    'run_id' | 'kind' | 'format' | 'storage_key' | 'size_bytes' | 'sha256'
  > & {
    at: Date;
  },
): Promise<ReportArtifactRecord> {
  const { at, ...fields } = input;
  return db
    .insertInto('report_artifacts')
    .values({ customer_id: customerId, ...fields, created_at: at, updated_at: at })
    .onConflict((oc) =>
      oc.columns(['customer_id', 'run_id', 'kind']).doUpdateSet({
        format: fields.format,
        storage_key: fields.storage_key,
        size_bytes: fields.size_bytes,
        sha256: fields.sha256,
        updated_at: at,
      }),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function deleteArtifact(db: Kysely<DB>, customerId: number, id: number): Promise<void> {
  await db
    .deleteFrom('report_artifacts')
    .where('customer_id', '=', customerId)
    .where('id', '=', id)
    .execute();
}
