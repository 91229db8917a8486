import { type Kysely, type Selectable, sql } from 'kysely';
import type { DB, JobsTable, JsonObject } from '../schema.ts';

/** A job record as read from the database. */
export type JobRecord = Selectable<JobsTable>;

export interface NewJob {
  queue: string;
  kind: string;
  payload: JsonObject;
  customerId: number | null;
  uniqueKey: string | null;
  singletonKey: string | null;
  runAt: Date;
  maxAttempts: number;
  backoffMs: number;
  requestId: string | null;
}

export interface InsertJobResult {
  job: JobRecord;
  /** False when an existing job with the same unique or singleton key was returned instead. */
  created: boolean;
}

/**
 * Inserts a job record, honouring de-duplication: a `uniqueKey` that exists returns the
 * existing record untouched; a `singletonKey` with a job still queued moves that job's
 * run_at to the new time (debounce) and returns it.
 */
export async function insertJob(db: Kysely<DB>, job: NewJob): Promise<InsertJobResult> {
  const values = {
    queue: job.queue,
    kind: job.kind,
    payload: JSON.stringify(job.payload),
    customer_id: job.customerId,
    unique_key: job.uniqueKey,
    singleton_key: job.singletonKey,
    run_at: job.runAt,
    max_attempts: job.maxAttempts,
    backoff_ms: job.backoffMs,
    request_id: job.requestId,
  };
  // ON CONFLICT DO NOTHING without a target covers both partial unique indexes.
  const inserted = await db
    .insertInto('jobs')
    .values(values)
    .onConflict((oc) => oc.doNothing())
    .returningAll()
    .executeTakeFirst();
  if (inserted) return { job: inserted, created: true };

  if (job.uniqueKey !== null) {
    const existing = await db
      .selectFrom('jobs')
      .selectAll()
      .where('unique_key', '=', job.uniqueKey)
      .executeTakeFirst();
    if (existing) return { job: existing, created: false };
  }
  if (job.singletonKey !== null) {
    const rescheduled = await db
      .updateTable('jobs')
      .set({ run_at: job.runAt, payload: values.payload })
      .where('singleton_key', '=', job.singletonKey)
      .where('status', '=', 'queued')
      .returningAll()
      .executeTakeFirst();
    if (rescheduled) return { job: rescheduled, created: false };
    // The queued twin started running in between: a fresh queued job is now allowed.
    return insertJob(db, job);
  }
  throw new Error('job insert conflicted without a de-duplication key');
}

export async function findJob(db: Kysely<DB>, id: number): Promise<JobRecord | undefined> {
  return db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Tenant-scoped lookup for the API: another customer's job is "not found". */
export async function findCustomerJob(
  db: Kysely<DB>,
  customerId: number,
  id: number,
): Promise<JobRecord | undefined> {
  return db
    .selectFrom('jobs')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('id', '=', id)
    .executeTakeFirst();
}

/**
 * A job the API exposes (`GET /api/v1/jobs/<id>/`, web-api-ops §4.6): only the listed kinds
 * (alert and maintenance jobs are internal), within the caller's tenant when `customerId` is
 * given (staff: any). Anything else reads as "not found".
 */
export async function findExposedJob(
  db: Kysely<DB>,
  customerId: number | null,
  id: number,
  kinds: readonly string[],
): Promise<JobRecord | undefined> {
  let query = db
    .selectFrom('jobs')
    .selectAll()
    .where('id', '=', id)
    .where('kind', 'in', [...kinds]);
  if (customerId !== null) query = query.where('customer_id', '=', customerId);
  return query.executeTakeFirst();
}

/** The SET list that turns a queued job into a running one held by `workerId`. */
function claimAssignments(workerId: string, leaseMs: number) {
  return sql`status = 'running',
             attempts = attempts + 1,
             locked_by = ${workerId},
             locked_until = now() + ${leaseMs} * interval '1 millisecond',
             started_at = coalesce(started_at, now()),
             error = NULL`;
}

/**
 * Claims the next due queued job of `queues` for `workerId`. `FOR UPDATE SKIP LOCKED`
 * lets any number of workers poll the same table without ever taking the same job.
 */
export async function claimNextJob(
  db: Kysely<DB>,
  queues: readonly string[],
  workerId: string,
  leaseMs: number,
): Promise<JobRecord | undefined> {
  const result = await sql<JobRecord>`
    UPDATE jobs SET ${claimAssignments(workerId, leaseMs)}
     WHERE id = (
       SELECT id FROM jobs
        WHERE status = 'queued'
          AND queue IN (${sql.join(queues)})
          AND run_at <= now()
        ORDER BY run_at, id
        FOR UPDATE SKIP LOCKED
        LIMIT 1)
    RETURNING *`.execute(db);
  return result.rows[0];
}

/** Claims one specific job (BullMQ delivery): only a queued job can be claimed, once. */
export async function claimJobById(
  db: Kysely<DB>,
  id: number,
  workerId: string,
  leaseMs: number,
): Promise<JobRecord | undefined> {
  const result = await sql<JobRecord>`
    UPDATE jobs SET ${claimAssignments(workerId, leaseMs)}
     WHERE id = ${id} AND status = 'queued' AND run_at <= now()
    RETURNING *`.execute(db);
  return result.rows[0];
}

export async function extendLease(
  db: Kysely<DB>,
  id: number,
  workerId: string,
  leaseMs: number,
): Promise<void> {
  await sql`UPDATE jobs SET locked_until = now() + ${leaseMs} * interval '1 millisecond'
             WHERE id = ${id} AND status = 'running' AND locked_by = ${workerId}`.execute(db);
}

export async function recordProgress(
  db: Kysely<DB>,
  id: number,
  done: number,
  total: number | null,
): Promise<void> {
  await db
    .updateTable('jobs')
    .set({ progress_done: done, progress_total: total })
    .where('id', '=', id)
    .execute();
}

export async function markSucceeded(db: Kysely<DB>, id: number, result: JsonObject | null): Promise<void> {
  await db
    .updateTable('jobs')
    .set({
      status: 'succeeded',
      result: result === null ? null : JSON.stringify(result),
      finished_at: new Date(),
      locked_by: null,
      locked_until: null,
    })
    .where('id', '=', id)
    .execute();
}

/**
 * Records a failed attempt: requeued with exponential backoff (backoff_ms × 2^(attempt−1))
 * while attempts remain, otherwise final `failed`. Returns the new status.
 */
export async function markAttemptFailed(
  db: Kysely<DB>,
  job: Pick<JobRecord, 'id' | 'attempts' | 'max_attempts' | 'backoff_ms'>,
  message: string,
  retryable = true,
): Promise<{ status: 'queued' | 'failed'; runAt: Date | null }> {
  if (retryable && job.attempts < job.max_attempts) {
    const runAt = new Date(Date.now() + retryDelayMs(job.backoff_ms, job.attempts));
    await db
      .updateTable('jobs')
      .set({ status: 'queued', run_at: runAt, error: message, locked_by: null, locked_until: null })
      .where('id', '=', job.id)
      .execute();
    return { status: 'queued', runAt };
  }
  await db
    .updateTable('jobs')
    .set({ status: 'failed', error: message, finished_at: new Date(), locked_by: null, locked_until: null })
    .where('id', '=', job.id)
    .execute();
  return { status: 'failed', runAt: null };
}

/** Delay before retry number `attempt` (1-based attempt that just failed). */
export function retryDelayMs(backoffMs: number, attempt: number): number {
  return backoffMs * 2 ** Math.max(0, attempt - 1);
}

/**
 * Returns running jobs whose worker vanished (lease expired, or every running job when
 * `all` — the embedded single process restarting) to the queue, or fails them when
 * no attempts remain. Returns how many were recovered.
 */
export async function recoverAbandonedJobs(db: Kysely<DB>, all = false): Promise<number> {
  const expired = all ? sql`true` : sql`locked_until < now()`;
  const requeued = await sql`
    UPDATE jobs SET status = 'queued', locked_by = NULL, locked_until = NULL, run_at = now(),
                    error = 'worker stopped before the job finished'
     WHERE status = 'running' AND ${expired} AND attempts < max_attempts`.execute(db);
  const failed = await sql`
    UPDATE jobs SET status = 'failed', locked_by = NULL, locked_until = NULL, finished_at = now(),
                    error = 'worker stopped before the job finished; no attempts left'
     WHERE status = 'running' AND ${expired}`.execute(db);
  return Number(requeued.numAffectedRows ?? 0n) + Number(failed.numAffectedRows ?? 0n);
}

/**
 * Hands jobs back to the queue that a stopping worker interrupted (graceful shutdown): they
 * run again at once and the interrupted attempt does not count, so a job is never lost to a
 * restart. `jobId` narrows it to one job of the worker. Returns how many were handed back.
 */
export async function handBackJobs(db: Kysely<DB>, workerId: string, jobId?: number): Promise<number> {
  const result = await sql`
    UPDATE jobs SET status = 'queued', attempts = greatest(attempts - 1, 0), locked_by = NULL,
                    locked_until = NULL, run_at = now(),
                    error = 'interrupted by a shutdown; handed back to the queue'
     WHERE status = 'running' AND locked_by = ${workerId}
       ${jobId === undefined ? sql`` : sql`AND id = ${jobId}`}`.execute(db);
  return Number(result.numAffectedRows ?? 0n);
}

/** Job counts per queue and state, for metrics and the health of the queue. */
export async function countJobsByState(
  db: Kysely<DB>,
): Promise<Array<{ queue: string; state: string; count: number }>> {
  const result = await sql<{ queue: string; state: string; count: number }>`
    SELECT queue,
           CASE WHEN status = 'queued' AND run_at > now() THEN 'delayed'
                WHEN status = 'queued' THEN 'waiting'
                WHEN status = 'running' THEN 'active'
                ELSE status END AS state,
           count(*)::int AS count
      FROM jobs
     WHERE status <> 'succeeded'
     GROUP BY 1, 2`.execute(db);
  return result.rows;
}

/** Deletes finished job records older than `days` (retention). */
export async function deleteFinishedJobsOlderThan(db: Kysely<DB>, days: number): Promise<number> {
  const result = await sql`DELETE FROM jobs WHERE status IN ('succeeded', 'failed')
                            AND finished_at < now() - ${days} * interval '1 day'`.execute(db);
  return Number(result.numAffectedRows ?? 0n);
}
