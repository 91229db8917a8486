import type { Logger } from 'pino';
import { processUpload } from '../../commands/process-upload.ts';
import { REAPPLY_MAPPINGS_JOB, reapplyMappings } from '../../commands/reapply-mappings.ts';
import { INGEST_UPLOAD_JOB } from '../../commands/upload-claims-file.ts';
import { sweepUploads } from '../../commands/upload-mapping.ts';
import type { Config } from '../../config/env.ts';
import type { Database } from '../../db/database.ts';
import type { JobDefinition, JobQueue } from '../types.ts';

/** Payload of `ingest-upload`: which upload of which customer. */
export type IngestUploadPayload = { customer_id: number; upload_id: number };

/** Uploads are processed at most twice (ingestion spec §1.2 `attempts`, §2.3). */
export const INGEST_UPLOAD_MAX_ATTEMPTS = 2;

/**
 * `ingest-upload` (queue `ingest`, enqueued once per upload with unique key
 * `ingest-upload:<customer_id>:<upload_id>`): runs `processUpload`. An internal failure
 * re-queues the upload and the job retries once; the second failure fails the upload.
 */
export function ingestUploadJob(
  deps: { database: Database; config: Config; logger?: Logger; queue?: Pick<JobQueue, 'enqueue'> },
  options: { afterStaging?: () => Promise<void> | void } = {},
): JobDefinition<IngestUploadPayload> {
  return {
    kind: INGEST_UPLOAD_JOB,
    queue: 'ingest',
    maxAttempts: INGEST_UPLOAD_MAX_ATTEMPTS,
    backoffMs: 5_000,
    async handler({ job, payload, attempt, progress, signal, logger }) {
      const result = await processUpload(
        {
          database: deps.database,
          config: deps.config,
          logger: deps.logger ?? logger,
          ...(deps.queue && { queue: deps.queue }),
        },
        {
          customerId: Number(payload.customer_id),
          uploadId: Number(payload.upload_id),
          attempt,
          maxAttempts: job.max_attempts ?? INGEST_UPLOAD_MAX_ATTEMPTS,
          requestId: job.request_id ?? `job-${job.id}`,
          signal,
          progress,
          ...(options.afterStaging && { afterStaging: options.afterStaging }),
        },
      );
      return {
        upload_id: result.uploadId,
        status: result.status,
        total: result.totalRows,
        accepted: result.acceptedRows,
        inserted: result.insertedRows,
        updated: result.updatedRows,
        duplicate: result.duplicateRows,
        rejected: result.rejectedRows,
      };
    },
  };
}

/**
 * `ingest.sweep` (queue `maintenance`): the upload sweeper of ingestion spec §2.3 — re-queues
 * or fails uploads stuck in processing, fails mapping steps left for 24 hours. Meant to run at
 * worker start and every 5 minutes.
 */
export function sweepUploadsJob(deps: {
  database: Database;
  queue: Pick<JobQueue, 'enqueue'>;
}): JobDefinition {
  return {
    kind: 'ingest.sweep',
    queue: 'maintenance',
    maxAttempts: 1,
    async handler({ logger }) {
      const result = await sweepUploads({ database: deps.database, queue: deps.queue, logger });
      return { requeued: result.requeued, failed: result.failed, mapping_expired: result.mappingExpired };
    },
  };
}

/** `reapply-mappings` (queue `ingest`): re-applies payer/CPT mappings to stored claims (§5.3). */
export function reapplyMappingsJob(deps: {
  database: Database;
  config: Config;
  queue?: Pick<JobQueue, 'enqueue'>;
}): JobDefinition<{ customer_id: number; user_id: number | null }> {
  return {
    kind: REAPPLY_MAPPINGS_JOB,
    queue: 'ingest',
    maxAttempts: 2,
    backoffMs: 10_000,
    async handler({ job, payload, logger }) {
      const result = await reapplyMappings(
        { database: deps.database, config: deps.config, logger, ...(deps.queue && { queue: deps.queue }) },
        {
          customerId: Number(payload.customer_id),
          userId: payload.user_id === null ? null : Number(payload.user_id),
          requestId: job.request_id,
        },
      );
      return { claims_updated: result.claimsUpdated, days_recomputed: result.daysRecomputed };
    },
  };
}
