import type { Kysely } from 'kysely';
import { NotFoundError } from '../config/errors.ts';
import { type AnalysisRunRecord, findRun } from '../db/repositories/analysis-runs.repository.ts';
import { findCustomerById } from '../db/repositories/customers.repository.ts';
import { findingCountsByRun } from '../db/repositories/finding-feed.repository.ts';
import {
  findArtifact,
  type ReportArtifactRecord,
  upsertArtifact,
} from '../db/repositories/report-artifacts.repository.ts';
import type { DB } from '../db/schema.ts';
import {
  ARTIFACT_KIND_OF_FORMAT,
  artifactStorageKey,
  CONTENT_TYPE_OF_FORMAT,
  downloadFormats,
  FORMAT_OF_ARTIFACT_KIND,
  type ReportArtifactKind,
  type ReportFormat,
  reportFileName,
} from '../domain/reports/artifacts.ts';
import { type ArtifactStore, sha256Hex } from '../reports/artifact-store.ts';
import { REPORT_BUILDERS, type ReportBuilders, type ReportFilters } from '../reports/builders.ts';
import type { Clock } from '../services.ts';

/**
 * Report artifacts of a run (alerts-reports §13.1–§13.2, §15 rule 4): build, store and record
 * them, and serve downloads from the stored file when it is still there.
 */
export interface ReportArtifactDeps {
  db: Kysely<DB>;
  clock: Clock;
  store: ArtifactStore;
  /** Defaults to the product's builders; tests may pass their own. */
  builders?: ReportBuilders;
}

export interface RunDownload {
  bytes: Buffer;
  filename: string;
  contentType: string;
  format: ReportFormat;
  /** Findings in the file (the `report_exported` audit's `record_count`). */
  recordCount: number;
  /** The stored artifact served or (re)built; null for a filtered download (never cached). */
  artifact: ReportArtifactRecord | null;
}

function hasFilters(filters: ReportFilters): boolean {
  return filters.minSeverity !== undefined || (filters.payer ?? '').trim() !== '';
}

async function loadRun(
  db: Kysely<DB>,
  customerId: number,
  runId: number,
): Promise<{ run: AnalysisRunRecord; customerName: string }> {
  const run = await findRun(db, customerId, runId);
  const customer = run ? await findCustomerById(db, customerId) : undefined;
  if (!run || !customer) throw new NotFoundError(`Run ${runId} not found`);
  return { run, customerName: customer.name };
}

function builderOf(deps: ReportArtifactDeps, kind: ReportArtifactKind) {
  const builder = (deps.builders ?? REPORT_BUILDERS)[kind];
  if (!builder)
    throw new NotFoundError(`The ${FORMAT_OF_ARTIFACT_KIND[kind].toUpperCase()} report is not available.`);
  return builder;
}

async function buildAndStore(
  deps: ReportArtifactDeps,
  customerId: number,
  loaded: { run: AnalysisRunRecord; customerName: string },
  kind: ReportArtifactKind,
): Promise<{ bytes: Buffer; recordCount: number; artifact: ReportArtifactRecord }> {
  const built = await builderOf(deps, kind)({ db: deps.db, customerId, ...loaded, filters: {} });
  const storageKey = artifactStorageKey(customerId, loaded.run.id, kind);
  const { sizeBytes, sha256 } = await deps.store.write(storageKey, built.bytes);
  const artifact = await upsertArtifact(deps.db, customerId, {
    run_id: loaded.run.id,
    kind,
    format: FORMAT_OF_ARTIFACT_KIND[kind],
    storage_key: storageKey,
    size_bytes: sizeBytes,
    sha256,
    at: deps.clock.now(),
  });
  return { bytes: built.bytes, recordCount: built.recordCount, artifact };
}

/**
 * Builds (or rebuilds) one artifact of a run and records it: the `report_artifact` job after a
 * DriftWatch run, and "Generate now". Unknown run → NotFoundError "Run {id} not found".
 */
export async function generateRunArtifact(
  deps: ReportArtifactDeps,
  input: { customerId: number; runId: number; kind: ReportArtifactKind },
): Promise<ReportArtifactRecord> {
  const loaded = await loadRun(deps.db, input.customerId, input.runId);
  return (await buildAndStore(deps, input.customerId, loaded, input.kind)).artifact;
}

/**
 * A run's download in one format (§13.2). The stored artifact is served when its file is still
 * there and matches the recorded hash; otherwise it is built, stored and recorded first (an
 * expired PDF is rebuilt on click, byte-identical). Filters build a fresh file that is never
 * cached. A format the run does not offer is a 404, like an unknown run.
 */
export async function runDownload(
  deps: ReportArtifactDeps,
  input: { customerId: number; runId: number; format: ReportFormat; filters?: ReportFilters },
): Promise<RunDownload> {
  const loaded = await loadRun(deps.db, input.customerId, input.runId);
  const { run, customerName } = loaded;
  const offered = downloadFormats({ product: run.product, runType: run.run_type, status: run.status });
  if (!offered.includes(input.format)) {
    throw new NotFoundError(`Run ${input.runId} has no ${input.format.toUpperCase()} download.`);
  }
  const kind = ARTIFACT_KIND_OF_FORMAT[input.format];
  const filters = input.filters ?? {};
  const named = {
    filename: reportFileName(input.format, { customerName, asOf: run.as_of, product: run.product }),
    contentType: CONTENT_TYPE_OF_FORMAT[input.format],
    format: input.format,
  };

  if (hasFilters(filters)) {
    const built = await builderOf(
      deps,
      kind,
    )({ db: deps.db, customerId: input.customerId, ...loaded, filters });
    return { ...named, bytes: built.bytes, recordCount: built.recordCount, artifact: null };
  }

  const stored = await findArtifact(deps.db, input.customerId, run.id, kind);
  if (stored) {
    const bytes = await deps.store.read(stored.storage_key);
    if (bytes && sha256Hex(bytes) === stored.sha256) {
      const counts = await findingCountsByRun(deps.db, [run.id]);
      return { ...named, bytes, recordCount: counts.get(run.id) ?? 0, artifact: stored };
    }
  }
  const built = await buildAndStore(deps, input.customerId, loaded, kind);
  return { ...named, bytes: built.bytes, recordCount: built.recordCount, artifact: built.artifact };
}
