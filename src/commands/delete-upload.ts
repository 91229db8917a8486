import type { Logger } from 'pino';
import type { Config } from '../config/env.ts';
import { AppError, describeError, NotFoundError } from '../config/errors.ts';
import type { Database } from '../db/database.ts';
import {
  deleteStagingRows,
  lockCustomerClaims,
  recomputeRollups,
} from '../db/repositories/claims.repository.ts';
import { recordSystemEvent } from '../db/repositories/ingestion-records.repository.ts';
import {
  metricUploadsCompletedOn,
  replaceQualityMetricsOfDay,
} from '../db/repositories/quality.repository.ts';
import { deleteUploadFile } from '../db/repositories/upload-files.repository.ts';
import {
  DELETABLE_UPLOAD_STATUSES,
  findUploadForUpdate,
  markUploadDeleted,
  reverseClaimsOfUpload,
  type UploadRecord,
} from '../db/repositories/uploads.repository.ts';
import type { UploadStatus } from '../db/schema.ts';
import { utcToday } from '../domain/claims/index.ts';
import { computeDailyMetrics } from '../domain/quality/index.ts';
import type { JobQueue } from '../jobs/types.ts';
import { recordAudit } from '../obs/audit.ts';
import { requestPostUploadAnalysis } from './request-analysis.ts';

/**
 * Deleting an upload (issue 4; docs/DECISIONS.md "Deleting an upload"). The ingestion spec never
 * hard-deletes claims and keeps every upload a claim references, so deletion is a soft removal:
 * the upload row stays with status `deleted`, and every claim whose current version it wrote
 * (`claims.upload_id`) is marked `reversed`, which takes it out of the rollups, analytics, the
 * claims pages and the exports. Claims another upload re-adjudicated since keep that upload's
 * version and stay.
 *
 * One transaction under the customer claims lock (so it serialises with uploads and mapping
 * re-apply runs): reverse the claims, recompute the rollups of every submitted_date (daily) and
 * decided_date (decision rollups) they touch,
 * mark the upload, recompute the quality metrics of its completion day, write audit
 * `upload_deleted` and event `upload_deleted` (counts only), and drop
 * any leftover staging rows and raw bytes.
 */

export interface DeleteUploadDeps {
  database: Database;
  /** When given, the debounced post-upload analysis is requested: findings may have changed. */
  queue?: Pick<JobQueue, 'enqueue'>;
  config?: Pick<Config, 'analysisDebounceSeconds'>;
  logger?: Pick<Logger, 'warn'>;
}

export interface DeleteUploadInput {
  customerId: number;
  uploadId: number;
  userId: number | null;
  requestId?: string | null;
  ip?: string | null;
  /** Staff acting for the customer (audited with `acting_as_operator`). */
  actingAsOperator?: boolean;
}

export interface DeleteUploadResult {
  upload: UploadRecord;
  /** Claims taken out of analytics (were current and not reversed). */
  claimsRemoved: number;
  /** Distinct submitted dates whose rollups were recomputed. */
  rollupDaysRecomputed: number;
}

/** The upload is not in a final processing status (or already deleted): HTTP 409. */
export class UploadNotDeletableError extends AppError {
  readonly status: UploadStatus;
  constructor(upload: Pick<UploadRecord, 'id' | 'status'>) {
    super('upload_not_deletable', notDeletableMessage(upload), 409);
    this.name = 'UploadNotDeletableError';
    this.status = upload.status;
  }
}

function notDeletableMessage(upload: Pick<UploadRecord, 'id' | 'status'>): string {
  switch (upload.status) {
    case 'deleted':
      return `Upload #${upload.id} was already deleted.`;
    case 'needs_mapping':
      return `Upload #${upload.id} is waiting for a column mapping and cannot be deleted. Map its columns or cancel it first.`;
    default:
      return `Upload #${upload.id} is still being processed and cannot be deleted yet. Try again when it has finished.`;
  }
}

/** True when an upload in this status may be deleted (success, partial, failed). */
export function isDeletableStatus(status: UploadStatus): boolean {
  return DELETABLE_UPLOAD_STATUSES.includes(status);
}

/**
 * Deletes (soft-removes) an upload of the customer. Throws NotFoundError for another customer's
 * or an unknown upload and UploadNotDeletableError when it is not final or already deleted.
 */
export async function deleteUpload(
  deps: DeleteUploadDeps,
  input: DeleteUploadInput,
): Promise<DeleteUploadResult> {
  const { customerId, uploadId } = input;
  const requestId = input.requestId ?? null;
  const result = await deps.database.db.transaction().execute(async (trx) => {
    // Lock first (§2.9 order): an upload finishing at the same moment may be re-writing these
    // claims; after the lock its final transaction has either committed or not started.
    await lockCustomerClaims(trx, customerId);
    const upload = await findUploadForUpdate(trx, customerId, uploadId);
    if (!upload) throw new NotFoundError('Upload not found.');
    if (!isDeletableStatus(upload.status)) throw new UploadNotDeletableError(upload);

    const reversal = await reverseClaimsOfUpload(trx, customerId, uploadId);
    await recomputeRollups(trx, customerId, {
      submitted: reversal.submittedDays,
      decided: reversal.decidedDays,
      settled: reversal.settledDays,
    });
    const deleted = await markUploadDeleted(trx, customerId, uploadId, input.userId);
    // Its completion day's quality metrics counted it: compute them again without it.
    if ((upload.status === 'success' || upload.status === 'partial') && upload.processing_completed_at) {
      const day = utcToday(new Date(upload.processing_completed_at));
      const remaining = await metricUploadsCompletedOn(trx, customerId, day);
      await replaceQualityMetricsOfDay(trx, customerId, day, computeDailyMetrics(remaining, day));
    }
    const counts = {
      claims_removed: reversal.claimsReversed,
      rollup_days_recomputed: reversal.submittedDays.length,
    };
    await recordAudit(trx, {
      action: 'upload_deleted',
      customerId,
      userId: input.userId,
      entityType: 'upload',
      entityId: uploadId,
      requestId,
      ip: input.ip ?? null,
      metadata: {
        previous_status: upload.status,
        ...counts,
        ...(input.actingAsOperator ? { acting_as_operator: true } : {}),
      },
    });
    await recordSystemEvent(trx, customerId, {
      eventType: 'upload_deleted',
      payload: { upload_id: uploadId, ...counts },
      requestId,
      relatedUploadId: uploadId,
    });
    // A final upload has neither normally; a crash between the last COPY and the final
    // transaction of an older version could have left some behind.
    await deleteStagingRows(trx, customerId, uploadId);
    await deleteUploadFile(trx, customerId, uploadId);
    return {
      upload: deleted,
      claimsRemoved: reversal.claimsReversed,
      rollupDaysRecomputed: reversal.submittedDays.length,
    };
  });

  // Findings were computed with these claims; re-run analysis like after an upload. Best effort:
  // the deletion itself is committed and must not fail because the queue is unavailable.
  if (result.claimsRemoved > 0 && deps.queue && deps.config) {
    await requestPostUploadAnalysis(
      { database: deps.database, queue: deps.queue, config: deps.config },
      customerId,
      { requestId },
    ).catch((error: unknown) =>
      deps.logger?.warn(
        { err: describeError(error), upload_id: uploadId },
        'could not request analysis after upload delete',
      ),
    );
  }
  return result;
}
