import { Gauge, type Registry, register } from 'prom-client';
import type { AnalysisProduct, AnalysisRunType, UploadFormat, UploadSource } from '../db/schema.ts';
import { QUEUE_NAMES } from '../jobs/types.ts';
import { forwardableCounter, forwardableHistogram } from './thread-metrics.ts';

/**
 * The background-work metrics of web-api-ops §5.2: job queues, jobs, ingestion, analysis runs.
 * Labels are closed sets (queue, job kind, format, category, source, status, product, trigger,
 * signal type): never a customer, payer, user or file name.
 *
 * Like `AlertMetrics`, code takes a {@link WorkMetrics} port (tests pass one on their own
 * registry); the default, {@link workMetrics}, is on prom-client's global registry. Counts made
 * in a job thread reach the owning process's registry through the bridge of thread-metrics.ts.
 */

export type JobResult = 'succeeded' | 'failed';
export type UploadOutcome = 'success' | 'partial' | 'failed';
export type RejectionCategory = 'phi' | 'missing_fields' | 'invalid_dates' | 'invalid_values';
export const JOB_QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

export interface UploadCounts {
  inserted: number;
  updated: number;
  duplicate: number;
  rejected: number;
  /** Rejected rows by reason; each rejected row has one. */
  rejectedBy: Record<RejectionCategory, number>;
}

/** Job counts per queue and state, read at scrape time (jobs repository `countJobsByState`). */
export type QueueCountSource = () => Promise<ReadonlyArray<{ queue: string; state: string; count: number }>>;

export interface WorkMetrics {
  /** One attempt of a job ended (a hand-back at shutdown is not an attempt and is not counted). */
  jobFinished(queue: string, kind: string, result: JobResult, seconds: number): void;
  /** An upload reached its final status in processing (file-level failures included). */
  uploadProcessed(
    upload: { source: UploadSource; format: UploadFormat },
    status: UploadOutcome,
    counts: UploadCounts | null,
  ): void;
  /** One execution of an analysis run ended; `newSignals` are the findings new to the run, by type. */
  analysisRunFinished(
    product: AnalysisProduct,
    trigger: AnalysisRunType,
    status: 'success' | 'failed',
    seconds: number,
    newSignals: readonly string[],
  ): void;
  /** Where `payrixa_job_queue_jobs` reads its counts at scrape time; null stops sampling. */
  sampleQueuesFrom(source: QueueCountSource | null): void;
}

/** Seconds: from a quick webhook delivery to a long upload or analysis (spec gives none for jobs). */
export const WORK_DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];

/** Per registry, where its queue gauge samples (ports created twice on one registry share it). */
const queueSources = new WeakMap<Registry, { source: QueueCountSource | null }>();

export function createWorkMetrics(registry: Registry = register): WorkMetrics {
  const known = queueSources.get(registry);
  const sampling = known ?? { source: null };
  if (!known) {
    queueSources.set(registry, sampling);
    new Gauge({
      name: 'payrixa_job_queue_jobs',
      help: 'Jobs per queue and state, sampled at scrape from the jobs table',
      labelNames: ['queue', 'state'],
      registers: [registry],
      // Several processes of one `serve --workers` cluster must not add up one table's counts.
      aggregator: 'max',
      async collect() {
        this.reset();
        if (!sampling.source) return;
        let rows: Awaited<ReturnType<QueueCountSource>>;
        try {
          rows = await sampling.source();
        } catch {
          // The database is unreachable: no sample rather than a failed scrape (the DB and
          // health metrics say why).
          return;
        }
        for (const queue of QUEUE_NAMES) for (const state of JOB_QUEUE_STATES) this.set({ queue, state }, 0);
        for (const row of rows) {
          if ((JOB_QUEUE_STATES as readonly string[]).includes(row.state)) {
            this.set({ queue: row.queue, state: row.state }, row.count);
          }
        }
      },
    });
  }

  const jobsProcessed = forwardableCounter(
    registry,
    'payrixa_jobs_processed_total',
    'Job attempts by result',
    ['queue', 'kind', 'result'],
  );
  const jobDuration = forwardableHistogram(
    registry,
    'payrixa_job_duration_seconds',
    'Duration of job attempts',
    ['queue', 'kind'],
    WORK_DURATION_BUCKETS,
  );
  const ingestRows = forwardableCounter(registry, 'payrixa_ingest_rows_total', 'Ingested rows by result', [
    'format',
    'result',
  ]);
  const rejectedRows = forwardableCounter(
    registry,
    'payrixa_ingest_rejected_rows_total',
    'Rejected rows by category',
    ['category'],
  );
  const uploads = forwardableCounter(
    registry,
    'payrixa_uploads_total',
    'Processed uploads by source and status',
    ['source', 'status'],
  );
  const analysisRuns = forwardableCounter(
    registry,
    'payrixa_analysis_runs_total',
    'Analysis run executions by product, trigger and status',
    ['product', 'trigger', 'status'],
  );
  const analysisDuration = forwardableHistogram(
    registry,
    'payrixa_analysis_run_duration_seconds',
    'Duration of analysis run executions',
    ['product'],
    WORK_DURATION_BUCKETS,
  );
  const findingsCreated = forwardableCounter(
    registry,
    'payrixa_findings_created_total',
    'Findings new to their run, by product and signal type',
    ['product', 'signal_type'],
  );

  return {
    jobFinished(queue, kind, result, seconds) {
      jobsProcessed({ queue, kind, result });
      jobDuration({ queue, kind }, seconds);
    },
    uploadProcessed(upload, status, counts) {
      uploads({ source: upload.source, status });
      if (!counts) return;
      const format = upload.format;
      const results = [
        ['inserted', counts.inserted],
        ['updated', counts.updated],
        ['duplicate', counts.duplicate],
        ['rejected', counts.rejected],
      ] as const;
      for (const [result, rows] of results) if (rows > 0) ingestRows({ format, result }, rows);
      for (const [category, rows] of Object.entries(counts.rejectedBy)) {
        if (rows > 0) rejectedRows({ category }, rows);
      }
    },
    analysisRunFinished(product, trigger, status, seconds, newSignals) {
      analysisRuns({ product, trigger, status });
      analysisDuration({ product }, seconds);
      for (const signalType of newSignals) findingsCreated({ product, signal_type: signalType });
    },
    sampleQueuesFrom(source) {
      sampling.source = source;
    },
  };
}

/** The process's work metrics (prom-client's global registry). */
export const workMetrics: WorkMetrics = createWorkMetrics();
