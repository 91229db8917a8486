import { type Kysely, sql } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../config/env.ts';
import { describeError } from '../config/errors.ts';
import { fieldEncryptionKeys } from '../config/field-key.ts';
import type { Database } from '../db/database.ts';
import {
  analyzeStagingRows,
  applyStagedChunk,
  applyStagedRows,
  deleteStagingRows,
  finishStagedRows,
  lockCustomerClaims,
  openStagingWriter,
  type StagingWriter,
  stagedNonInsertDecisions,
} from '../db/repositories/claims.repository.ts';
import {
  markIngestionRecordsOfUpload,
  recordSystemEvent,
} from '../db/repositories/ingestion-records.repository.ts';
import {
  loadColumnMappingProfiles,
  loadCptGroupMappings,
  loadPayerAllowlist,
  loadPayerMappings,
  markColumnMappingProfileUsed,
} from '../db/repositories/mappings.repository.ts';
import {
  ensureDefaultValidationRules,
  insertAnomalies,
  insertValidationResults,
  listValidationRules,
  metricUploadsCompletedOn,
  replaceQualityMetricsOfDay,
  saveQualityReport,
} from '../db/repositories/quality.repository.ts';
import { deleteUploadFile, readUploadFile } from '../db/repositories/upload-files.repository.ts';
import {
  recordUploadProgress,
  startUploadProcessing,
  type UploadRecord,
  updateUpload,
} from '../db/repositories/uploads.repository.ts';
import type { DB, UploadStatus } from '../db/schema.ts';
import {
  allRejectedMessage,
  createRowPipeline,
  type FileError,
  fileErrors,
  finalStatus,
  passOneVerdict,
  privacyAlert,
  type ResolvedColumns,
  type RowPipeline,
  type RowResult,
  resolveColumns,
  summaryMessage,
  utcToday,
  type ValidationResult,
} from '../domain/claims/index.ts';
import { parseJsonBatch } from '../domain/ingestion/json-batch.ts';
import {
  computeDailyMetrics,
  detectAnomalies,
  type OutcomeMix,
  type UploadQualityReport,
} from '../domain/quality/index.ts';
import { readCsvHead } from '../ingest/csv/columns.ts';
import { countNonBlankRecords } from '../ingest/csv/counter.ts';
import { CsvFileError, readCsvRecords } from '../ingest/csv/reader.ts';
import { type JobQueue, PermanentJobError } from '../jobs/types.ts';
import { recordAudit } from '../obs/audit.ts';
import { type WorkMetrics, workMetrics } from '../obs/work-metrics.ts';
import { requestPostUploadAnalysis } from './request-analysis.ts';

/**
 * The asynchronous half of an upload (ingestion spec §2.3–§2.12), run by the `ingest-upload`
 * job: pass 1 counts records and enforces the limits; pass 2 streams the stored file through
 * the domain row pipeline, COPYing validated rows into staging in batches and writing
 * progress; then ONE transaction under the customer lock upserts claims by identity, recomputes
 * the touched rollup days, writes the quality report, counters, status and messages, the
 * events and audit entries, and deletes staging and the raw file. Claims are written nowhere
 * else, so a crash leaves none: the attempt's staging rows are deleted and the upload is
 * re-queued (or failed after the last attempt).
 */

export interface ProcessUploadDeps {
  database: Database;
  config: Config;
  logger: Logger;
  /** Clock (tests); "today" for the future-date rule is its UTC date. */
  now?: () => Date;
  /** When given, a success/partial upload requests the debounced post-upload analysis (§2.3). */
  queue?: Pick<JobQueue, 'enqueue'>;
  /** Where the processed upload is counted (default the process's work metrics). */
  metrics?: WorkMetrics;
}

export interface ProcessUploadOptions {
  customerId: number;
  uploadId: number;
  /** 1-based attempt of the job; the last one fails the upload on an internal error. */
  attempt: number;
  maxAttempts: number;
  requestId: string;
  signal?: AbortSignal;
  /** Mirrors progress into the job record. */
  progress?: (done: number, total: number | null) => Promise<void>;
  /** Rows per COPY blob on PGlite (default 20,000). */
  stagingBatchRows?: number;
  /** Rows per staging chunk on PostgreSQL, each applied by the open final transaction (25,000). */
  overlapChunkRows?: number;
  /** Fault injection for tests: runs after every row is staged, before the final transaction. */
  afterStaging?: () => Promise<void> | void;
}

export interface ProcessUploadResult {
  uploadId: number;
  /** `skipped`: the upload was not queued/processing (already final, or needs mapping). */
  status: UploadStatus | 'skipped';
  totalRows: number;
  acceptedRows: number;
  insertedRows: number;
  updatedRows: number;
  duplicateRows: number;
  rejectedRows: number;
  /** Wall time of each phase in ms (benchmarks and the completion log line). */
  phases?: UploadPhaseTimings;
}

export interface UploadPhaseTimings {
  /** Counting records and enforcing limits. */
  count: number;
  /** Row pipeline and COPY into staging. */
  stage: number;
  /** The final transaction (claims, rollups, report, state). */
  commit: number;
  /** Anomaly detection and daily quality metrics after the commit. */
  quality: number;
}

const PROGRESS_EVERY_ROWS = 5_000;
/** Staged rows per chunk handed to the overlapped final transaction (PostgreSQL). */
const OVERLAP_CHUNK_ROWS = 25_000;
const PROGRESS_EVERY_MS = 2_000;

/** An internal failure that retrying cannot fix (kept apart from file-level errors). */
class UnsupportedFormat extends Error {}

function emptyResult(uploadId: number, status: ProcessUploadResult['status']): ProcessUploadResult {
  return {
    uploadId,
    status,
    totalRows: 0,
    acceptedRows: 0,
    insertedRows: 0,
    updatedRows: 0,
    duplicateRows: 0,
    rejectedRows: 0,
  };
}

/** Processes one queued upload. Throws (after cleaning up) when an attempt fails internally. */
export async function processUpload(
  deps: ProcessUploadDeps,
  options: ProcessUploadOptions,
): Promise<ProcessUploadResult> {
  const { database, logger } = deps;
  const db = database.db;
  const { customerId, uploadId } = options;
  const upload = await startUploadProcessing(db, customerId, uploadId);
  if (!upload) return emptyResult(uploadId, 'skipped');
  // A crashed earlier attempt may have left staging rows behind.
  await deleteStagingRows(db, customerId, uploadId);
  await markIngestionRecordsOfUpload(db, customerId, uploadId, { status: 'processing' });

  try {
    return await runUpload(deps, options, upload);
  } catch (error) {
    await deleteStagingRows(db, customerId, uploadId).catch(() => {});
    // Cut short by a shutdown (the job's abort signal): not a failure of the file. The upload
    // goes back to queued and the job is handed back, whatever attempt this was.
    const interrupted = options.signal?.aborted === true;
    const final =
      !interrupted && (options.attempt >= options.maxAttempts || error instanceof UnsupportedFormat);
    logger.error(
      {
        err: describeError(error),
        upload_id: uploadId,
        customer_id: customerId,
        attempt: options.attempt,
        final,
        interrupted,
      },
      interrupted ? 'upload processing interrupted by shutdown' : 'upload processing failed',
    );
    if (!final) {
      // processing → queued: the job retries (§2.3).
      await updateUpload(db, customerId, uploadId, { status: 'queued' }).catch(() => {});
    } else {
      const failure =
        error instanceof UnsupportedFormat
          ? { code: 'unsupported_format', message: error.message }
          : fileErrors.internal(options.requestId);
      await failUpload(deps, upload, failure, null, Date.now()).catch((inner) =>
        logger.error({ err: describeError(inner), upload_id: uploadId }, 'could not mark the upload failed'),
      );
    }
    // Retrying cannot help a file this release cannot read: end the job at once.
    if (error instanceof UnsupportedFormat) throw new PermanentJobError(error.message);
    throw error;
  }
}

async function runUpload(
  deps: ProcessUploadDeps,
  options: ProcessUploadOptions,
  upload: UploadRecord,
): Promise<ProcessUploadResult> {
  const { database, config, logger } = deps;
  const db = database.db;
  const { customerId, uploadId, signal } = options;
  const startedAt = Date.now();
  const now = deps.now ?? (() => new Date());

  if (upload.format === 'x12_835') {
    // TODO(x12-835): the 835 reader (src/ingest/x12-835/) plugs in here.
    throw new UnsupportedFormat('X12 835 files cannot be processed by this release yet');
  }

  // ---- Pass 1: read and count the records, enforce limits, fix the columns (§2.3, §6.1).
  const source =
    upload.format === 'json'
      ? await openJsonRecords(deps, upload)
      : await openCsvRecords(deps, options, upload);
  if (!source.ok) return failUpload(deps, upload, source.failure, null, startedAt);
  const { dataRecords, columns } = source;
  const countedAt = Date.now();
  await recordUploadProgress(db, customerId, uploadId, {
    rowsProcessed: 0,
    rowsPerSecond: 0,
    rowsTotal: dataRecords,
  });
  await options.progress?.(0, dataRecords);

  // ---- Customer settings, read once per upload (§5.1).
  await ensureDefaultValidationRules(db, customerId);
  const rules = await listValidationRules(db, customerId);
  const allowList = await loadPayerAllowlist(db, customerId);
  const payerMappings = await loadPayerMappings(db, customerId);
  const cptMappings = await loadCptGroupMappings(db, customerId);
  const pipeline = createRowPipeline({
    ...(columns && { columns }),
    today: utcToday(now()),
    rules,
    allowList,
    payerMappings,
    cptMappings,
    claimIds: { key: fieldEncryptionKeys(config).current, customerId },
  });

  // ---- Pass 2: the row pipeline into staging, and (PostgreSQL) the final transaction at the
  // same time. On PostgreSQL the final transaction opens now, takes the customer lock, and
  // applies each committed staging chunk (decide, insert, update) while the pipeline validates
  // the next rows: PostgreSQL's claim inserts and Node's pipeline run on two cores instead of
  // one after the other. Nothing is visible before its commit, so a failure anywhere still
  // leaves no claims. PGlite (one connection shared with the portal) stages everything first
  // and runs the final transaction afterwards, as the spec's order describes.
  const results: ValidationResult[] = [];
  let minSubmitted: string | null = null;
  let lastProgressRows = 0;
  let lastProgressAt = Date.now();
  const writeProgress = async (done: number): Promise<void> => {
    const seconds = Math.max((Date.now() - startedAt) / 1000, 0.001);
    await recordUploadProgress(db, customerId, uploadId, {
      rowsProcessed: done,
      rowsPerSecond: done / seconds,
    });
    await options.progress?.(done, dataRecords);
    lastProgressRows = done;
    lastProgressAt = Date.now();
  };
  const overlapped = database.kind === 'postgres' ? await db.startTransaction().execute() : null;
  const applier = overlapped ? new StagedChunkApplier(overlapped, customerId, uploadId) : null;
  const chunkRows = overlapped ? (options.overlapChunkRows ?? OVERLAP_CHUNK_ROWS) : Number.POSITIVE_INFINITY;
  const stagingOptions = {
    ...(options.stagingBatchRows !== undefined && { pgliteBatchRows: options.stagingBatchRows }),
  };
  let staging: StagingWriter | null = null;
  let staged = 0;
  let chunk = { from: 0, to: 0, rows: 0 };
  const closeChunk = async (): Promise<void> => {
    if (!staging) return;
    const writer = staging;
    staging = null;
    staged += await writer.end();
    if (chunk.rows > 0) applier?.apply({ from: chunk.from, to: chunk.to });
    chunk = { from: 0, to: 0, rows: 0 };
    applier?.throwIfFailed();
  };
  let stagedAt = 0;
  let trailingMix: OutcomeMix | null = null;
  try {
    if (overlapped) await lockCustomerClaims(overlapped, customerId);
    try {
      for await (const result of source.rows(pipeline)) {
        signal?.throwIfAborted();
        if (result.status === 'skipped') continue;
        for (const r of result.validationResults) results.push(r);
        if (result.status === 'rejected') {
          // The only thing logged about a PHI row: its number and the kind of hit, never a value.
          if (result.logLine) logger.warn({ upload_id: uploadId }, result.logLine);
        } else {
          if (minSubmitted === null || result.row.submittedDate < minSubmitted) {
            minSubmitted = result.row.submittedDate;
          }
          if (result.duplicateOf === null) {
            staging ??= await openStagingWriter(database, customerId, uploadId, stagingOptions);
            await staging.write(result.row);
            if (chunk.rows === 0) chunk.from = result.row.rowNumber;
            chunk.to = result.row.rowNumber;
            chunk.rows++;
            if (chunk.rows >= chunkRows) await closeChunk();
          }
        }
        const done = pipeline.rowsProcessed;
        if (
          done - lastProgressRows >= PROGRESS_EVERY_ROWS ||
          Date.now() - lastProgressAt >= PROGRESS_EVERY_MS
        ) {
          await writeProgress(done);
        }
      }
      await closeChunk();
    } catch (error) {
      const open = staging as StagingWriter | null;
      if (open) await open.abort(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
    await writeProgress(pipeline.rowsProcessed);
    await applier?.drain();
    if (staged > 0 && !overlapped) await analyzeStagingRows(db);
    stagedAt = Date.now();
    await options.afterStaging?.();
    // Last point where a shutdown can stop the upload: the final transaction is not cut short.
    signal?.throwIfAborted();
    // Read before the final transaction changes the rollups: the anomaly baseline (§4.2).
    trailingMix = minSubmitted ? await trailingOutcomeMix(db, customerId, minSubmitted) : null;
  } catch (error) {
    await applier?.settled();
    // A broken connection must not hide the original error or skip the cleanup below.
    if (overlapped)
      await overlapped
        .rollback()
        .execute()
        .catch(() => {});
    if (error instanceof CsvFileError) {
      await deleteStagingRows(db, customerId, uploadId);
      return failUpload(deps, upload, error.fileError, null, startedAt);
    }
    throw error;
  }

  // ---- The final transaction (§2.9).
  const finish = async (trx: Kysely<DB>) => {
    if (staged > 0) {
      if (applier) await finishStagedRows(trx, customerId, uploadId, { anyMatched: applier.anyMatched });
      else await applyStagedRows(trx, customerId, uploadId);
      for await (const decision of stagedNonInsertDecisions(trx, customerId, uploadId)) {
        pipeline.settle(decision.rowNumber, decision.decision);
      }
    }
    const report = pipeline.finish({ pending: 'insert' });
    const status = finalStatus(report);
    const errorMessage = status === 'failed' ? allRejectedMessage(report) : null;
    await saveQualityReport(trx, customerId, uploadId, report);
    await insertValidationResults(trx, customerId, uploadId, results);
    await writeFinalState(trx, upload, report, status, {
      errorCode: status === 'failed' ? 'all_rows_rejected' : null,
      errorMessage,
      startedAt,
    });
    await deleteStagingRows(trx, customerId, uploadId);
    await deleteUploadFile(trx, customerId, uploadId);
    return { report, status };
  };
  let outcome: Awaited<ReturnType<typeof finish>>;
  if (overlapped) {
    try {
      outcome = await finish(overlapped);
      await overlapped.commit().execute();
    } catch (error) {
      await overlapped
        .rollback()
        .execute()
        .catch(() => {});
      throw error;
    }
  } else {
    outcome = await db.transaction().execute(async (trx) => {
      await lockCustomerClaims(trx, customerId);
      return finish(trx);
    });
  }
  const { report, status } = outcome;

  const committedAt = Date.now();
  if (status !== 'failed') {
    await detectQuality(deps, upload, report, trailingMix).catch((error) =>
      logger.error({ err: describeError(error), upload_id: uploadId }, 'anomaly detection / metrics failed'),
    );
    if (deps.queue) {
      await requestPostUploadAnalysis({ database, queue: deps.queue, config }, customerId, {
        requestId: upload.request_id,
        uploadId,
      }).catch((error) =>
        logger.warn(
          { err: describeError(error), upload_id: uploadId },
          'could not request post-upload analysis',
        ),
      );
    }
  }
  countUpload(deps, upload, status, report);
  const phases: UploadPhaseTimings = {
    count: countedAt - startedAt,
    stage: stagedAt - countedAt,
    commit: committedAt - stagedAt,
    quality: Date.now() - committedAt,
  };
  logger.info({ upload_id: uploadId, status, rows: report.totalRows, phases_ms: phases }, 'upload processed');
  return {
    uploadId,
    status,
    phases,
    totalRows: report.totalRows,
    acceptedRows: report.acceptedRows,
    insertedRows: report.insertedRows,
    updatedRows: report.updatedRows,
    duplicateRows: report.duplicateRows,
    rejectedRows: report.rejectedRows,
  };
}

/** The records of an upload, read by format: pass 1 done, pass 2 ready to stream. */
type RecordSource =
  | {
      ok: true;
      dataRecords: number;
      /** CSV: the resolved columns; JSON: none (objects carry canonical keys). */
      columns: ResolvedColumns | null;
      /** Pass 2: each record through the row pipeline, in file order. */
      rows(pipeline: RowPipeline): AsyncIterable<RowResult>;
    }
  | { ok: false; failure: FileError | { code: string; message: string } };

/**
 * CSV (§2.5, §2.3 pass 1): the header from the full parser (its first non-blank record), the
 * rest counted by the quote-aware scanner (same blank-record rule, no cells built); then the
 * column map fixed at submission or in the mapping step, else resolved again.
 */
async function openCsvRecords(
  deps: ProcessUploadDeps,
  options: ProcessUploadOptions,
  upload: UploadRecord,
): Promise<RecordSource> {
  const db = deps.database.db;
  const { customerId, uploadId, signal } = options;
  const maxRows = deps.config.upload.maxRows;
  const head = await readCsvHead(readUploadFile(db, customerId, uploadId));
  if (head.error) return { ok: false, failure: head.error.fileError };
  const header = head.headers;
  const headerLine = head.headerLine;
  let dataRecords = 0;
  if (header !== null) {
    try {
      const counted = await countNonBlankRecords(readUploadFile(db, customerId, uploadId), {
        stopAfter: maxRows + 1,
        ...(signal && { signal }),
      });
      dataRecords = counted.nonBlankRecords - 1;
    } catch (error) {
      if (error instanceof CsvFileError) return { ok: false, failure: error.fileError };
      throw error;
    }
  }
  const verdict = passOneVerdict({ hasHeader: header !== null, dataRecords, maxRows });
  if (verdict || header === null) return { ok: false, failure: verdict ?? fileErrors.empty() };

  const storedMap = upload.column_map;
  const columns = storedMap
    ? resolveColumns(header, { explicitMap: storedMap })
    : resolveColumns(header, { profiles: await loadColumnMappingProfiles(db, customerId) });
  if (!columns.ok) return { ok: false, failure: { code: columns.code, message: columns.message } };
  if (!storedMap) {
    await updateUpload(db, customerId, uploadId, {
      column_map: JSON.stringify(columns.columnMap),
      mapping_profile_id: columns.profileId,
    });
    if (columns.profileId !== null) await markColumnMappingProfileUsed(db, customerId, columns.profileId);
  }
  return {
    ok: true,
    dataRecords,
    columns,
    async *rows(pipeline) {
      for await (const record of readCsvRecords(readUploadFile(db, customerId, uploadId), {
        ...(signal && { signal }),
      })) {
        if (record.line <= headerLine) continue;
        yield pipeline.processRow(record.cells, record.line);
      }
    },
  };
}

/**
 * JSON batch (§6.1): the stored body (≤ INGEST_MAX_BODY_MB) is read whole and parsed again;
 * it was checked at submission, so a failure here means the stored bytes are not what was
 * accepted and the upload fails with the same message. Row number = 1-based array position;
 * profiles never apply.
 */
async function openJsonRecords(deps: ProcessUploadDeps, upload: UploadRecord): Promise<RecordSource> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of readUploadFile(deps.database.db, upload.customer_id, upload.id))
    chunks.push(chunk);
  const batch = parseJsonBatch(Buffer.concat(chunks), deps.config.ingest.maxRecords);
  if (!batch.ok) return { ok: false, failure: { code: `json_${batch.code}`, message: batch.message } };
  return {
    ok: true,
    dataRecords: batch.claims.length,
    columns: null,
    async *rows(pipeline) {
      for (let index = 0; index < batch.claims.length; index++) {
        yield pipeline.processObject(batch.claims[index], index + 1);
      }
    },
  };
}

/**
 * Applies committed staging chunks in the open final transaction one after another, in the
 * background of pass 2 (PostgreSQL). The first failure stops later chunks and is rethrown by
 * `throwIfFailed` / `drain`; a rejected promise is never left unobserved.
 */
class StagedChunkApplier {
  anyMatched = false;
  private queue: Promise<void> = Promise.resolve();
  private failure: { error: unknown } | null = null;

  constructor(
    private readonly trx: Kysely<DB>,
    private readonly customerId: number,
    private readonly uploadId: number,
  ) {}

  apply(rows: { from: number; to: number }): void {
    this.queue = this.queue
      .then(async () => {
        if (this.failure) return;
        const applied = await applyStagedChunk(this.trx, this.customerId, this.uploadId, rows);
        if (applied.matched > 0) this.anyMatched = true;
      })
      .catch((error: unknown) => {
        this.failure ??= { error };
      });
  }

  throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }

  /** Waits for every scheduled chunk; throws the first failure. */
  async drain(): Promise<void> {
    await this.queue;
    this.throwIfFailed();
  }

  /** Waits for every scheduled chunk without throwing (before a rollback). */
  async settled(): Promise<void> {
    await this.queue;
  }
}

/** Counters, status, messages, ingestion record, events and audit of a finished upload. */
async function writeFinalState(
  trx: Kysely<DB>,
  upload: UploadRecord,
  report: UploadQualityReport,
  status: 'success' | 'partial' | 'failed',
  details: { errorCode: string | null; errorMessage: string | null; startedAt: number },
): Promise<void> {
  const customerId = upload.customer_id;
  const uploadId = upload.id;
  const durationMs = Date.now() - details.startedAt;
  const seconds = Math.max(durationMs / 1000, 0.001);
  await updateUpload(trx, customerId, uploadId, {
    status,
    error_code: details.errorCode,
    error_message: details.errorMessage,
    summary_message: summaryMessage(upload.filename, report, status, details.errorMessage ?? undefined),
    privacy_alert: privacyAlert(report),
    rows_total: report.totalRows,
    rows_processed: report.totalRows,
    rows_per_second: Math.min(report.totalRows / seconds, 999_999_999).toFixed(1),
    accepted_rows: report.acceptedRows,
    inserted_rows: report.insertedRows,
    updated_rows: report.updatedRows,
    duplicate_rows: report.duplicateRows,
    rejected_rows: report.rejectedRows,
    warning_rows: report.warningRows,
    date_min: report.dateMin,
    date_max: report.dateMax,
    progress_updated_at: new Date(),
    processing_completed_at: new Date(),
    processing_duration_ms: durationMs,
  });
  await markIngestionRecordsOfUpload(trx, customerId, uploadId, {
    status: status === 'failed' ? 'failed' : 'processed',
    recordCount: report.totalRows,
    errorMessage: details.errorMessage,
  });
  const base = { upload_id: uploadId, source: upload.source, format: upload.format };
  if (status === 'failed') {
    await recordSystemEvent(trx, customerId, {
      eventType: 'ingestion_failed',
      payload: { ...base, error_code: details.errorCode, error: details.errorMessage },
      requestId: upload.request_id,
      relatedUploadId: uploadId,
    });
  } else {
    await recordSystemEvent(trx, customerId, {
      eventType: 'ingestion_processed',
      payload: {
        ...base,
        status,
        total: report.totalRows,
        accepted: report.acceptedRows,
        inserted: report.insertedRows,
        updated: report.updatedRows,
        duplicate: report.duplicateRows,
        rejected: report.rejectedRows,
        phi: report.phiRows,
        quality_score: report.qualityScore,
        grade: report.grade,
      },
      requestId: upload.request_id,
      relatedUploadId: uploadId,
    });
  }
  const audit = {
    customerId,
    userId: upload.uploaded_by,
    entityType: 'upload',
    entityId: uploadId,
    requestId: upload.request_id,
  };
  await recordAudit(trx, {
    ...audit,
    action: 'upload_completed',
    metadata: {
      status,
      counts: {
        total: report.totalRows,
        accepted: report.acceptedRows,
        inserted: report.insertedRows,
        updated: report.updatedRows,
        duplicate: report.duplicateRows,
        rejected: report.rejectedRows,
        warning: report.warningRows,
        phi: report.phiRows,
      },
    },
  });
  if (report.phiRows > 0 || report.identifierColumns.length > 0) {
    await recordAudit(trx, {
      ...audit,
      action: 'phi_detection_in_upload',
      metadata: { phi_rows: report.phiRows, identifier_columns: report.identifierColumns },
    });
  }
}

/**
 * Fails an upload with a file-level error (§2.3–§2.5): no claims, status failed, messages,
 * events, audit; staging and the raw file deleted. `report` is written when the upload
 * reached the row stage.
 */
async function failUpload(
  deps: ProcessUploadDeps,
  upload: UploadRecord,
  failure: FileError | { code: string; message: string },
  report: UploadQualityReport | null,
  startedAt: number,
): Promise<ProcessUploadResult> {
  const db = deps.database.db;
  const { customer_id: customerId, id: uploadId } = upload;
  await db.transaction().execute(async (trx) => {
    if (report) await saveQualityReport(trx, customerId, uploadId, report);
    await updateUpload(trx, customerId, uploadId, {
      status: 'failed',
      error_code: failure.code.slice(0, 40),
      error_message: failure.message,
      summary_message: `Upload failed: ${failure.message}`,
      progress_updated_at: new Date(),
      processing_completed_at: new Date(),
      processing_duration_ms: Date.now() - startedAt,
    });
    await markIngestionRecordsOfUpload(trx, customerId, uploadId, {
      status: 'failed',
      errorMessage: failure.message,
    });
    await recordSystemEvent(trx, customerId, {
      eventType: 'ingestion_failed',
      payload: {
        upload_id: uploadId,
        source: upload.source,
        format: upload.format,
        error_code: failure.code,
        error: failure.message,
      },
      requestId: upload.request_id,
      relatedUploadId: uploadId,
    });
    await recordAudit(trx, {
      customerId,
      userId: upload.uploaded_by,
      entityType: 'upload',
      entityId: uploadId,
      requestId: upload.request_id,
      action: 'upload_completed',
      metadata: { status: 'failed', counts: { total: report?.totalRows ?? 0, accepted: 0, rejected: 0 } },
    });
    await deleteStagingRows(trx, customerId, uploadId);
    await deleteUploadFile(trx, customerId, uploadId);
  });
  deps.logger.info({ upload_id: uploadId, error_code: failure.code }, 'upload failed');
  // A file-level failure writes no rows: only the upload is counted.
  countUpload(deps, upload, 'failed', null);
  return emptyResult(uploadId, 'failed');
}

/** Counts a committed final status and its rows (web-api-ops §5.2); labels are closed sets. */
function countUpload(
  deps: ProcessUploadDeps,
  upload: UploadRecord,
  status: 'success' | 'partial' | 'failed',
  report: UploadQualityReport | null,
): void {
  (deps.metrics ?? workMetrics).uploadProcessed(
    upload,
    status,
    report && {
      inserted: report.insertedRows,
      updated: report.updatedRows,
      duplicate: report.duplicateRows,
      rejected: report.rejectedRows,
      rejectedBy: {
        phi: report.phiRows,
        missing_fields: report.missingFieldsRows,
        invalid_dates: report.invalidDatesRows,
        invalid_values: report.invalidValuesRows,
      },
    },
  );
}

/** PAID/DENIED/OTHER claim counts with submitted_date in the 90 days before `day` (rollups). */
async function trailingOutcomeMix(db: Kysely<DB>, customerId: number, day: string): Promise<OutcomeMix> {
  const rows = await sql<{ outcome: 'PAID' | 'DENIED' | 'OTHER'; n: string }>`
    SELECT outcome, sum(claim_count) AS n FROM claim_daily_rollups
     WHERE customer_id = ${customerId}
       AND day >= ${day}::date - 90 AND day < ${day}::date
     GROUP BY outcome`.execute(db);
  const mix: OutcomeMix = { PAID: 0, DENIED: 0, OTHER: 0 };
  for (const row of rows.rows) mix[row.outcome] = Number(row.n);
  return mix;
}

/**
 * After success/partial (§2.3, §4.2, §4.3): anomaly detection and the day's quality metrics,
 * in their own transaction; failures are logged by the caller and never change the status.
 */
async function detectQuality(
  deps: ProcessUploadDeps,
  upload: UploadRecord,
  report: UploadQualityReport,
  trailingMix: OutcomeMix | null,
): Promise<void> {
  const db = deps.database.db;
  const { customer_id: customerId, id: uploadId } = upload;
  const prior = await sql<{ total_rows: number }>`
    SELECT r.total_rows FROM uploads u
      JOIN upload_quality_reports r ON r.customer_id = u.customer_id AND r.upload_id = u.id
     WHERE u.customer_id = ${customerId} AND u.format = ${upload.format} AND u.id <> ${uploadId}
       AND u.status IN ('success', 'partial')
       AND u.created_at >= ${upload.created_at}::timestamptz - interval '30 days'
       AND u.created_at < ${upload.created_at}::timestamptz`.execute(db);
  const anomalies = detectAnomalies(report, {
    priorUploadTotals: prior.rows.map((row) => Number(row.total_rows)),
    trailingOutcomeMix: trailingMix,
  });
  const today = utcToday(deps.now ? deps.now() : new Date());
  const metrics = computeDailyMetrics(await metricUploadsCompletedOn(db, customerId, today), today);
  await db.transaction().execute(async (trx) => {
    await insertAnomalies(trx, customerId, uploadId, anomalies);
    for (const anomaly of anomalies) {
      await recordSystemEvent(trx, customerId, {
        eventType: 'data_quality_anomaly',
        payload: {
          upload_id: uploadId,
          anomaly_type: anomaly.anomalyType,
          severity: anomaly.severity,
          description: anomaly.description,
        },
        requestId: upload.request_id,
        relatedUploadId: uploadId,
      });
    }
    await replaceQualityMetricsOfDay(trx, customerId, today, metrics);
  });
}
