import type { Logger } from 'pino';
import type { Config } from '../config/env.ts';
import type { Database } from '../db/database.ts';
import { insertCptGroupMapping, insertPayerMapping } from '../db/repositories/mappings.repository.ts';
import { ensureDefaultValidationRules, findQualityReport } from '../db/repositories/quality.repository.ts';
import type { UploadStatus } from '../db/schema.ts';
import type { RejectionCategory } from '../domain/claims/index.ts';
import {
  createSyntheticGenerator,
  DEMO_CPT_GROUPS,
  DEMO_PAYER_MAPPINGS,
  demoGeneratorInput,
  type FileResult,
  type GeneratorInput,
  type Manifest,
} from '../domain/synthetic/index.ts';
import type { EnqueueOptions, JobQueue } from '../jobs/types.ts';
import { processUpload } from './process-upload.ts';
import { INGEST_UPLOAD_JOB, uploadClaimsFile } from './upload-claims-file.ts';

/**
 * Loads the demo claims of ingestion spec §7.2 into an existing customer: the demo payer and
 * CPT-group mappings and the default rules, then the generated monthly files (seed 20261127,
 * dirty rate 0.01, format variety 0.05, the six demo scenarios, pending claims omitted as in a
 * real export at `today`), oldest first, each through the
 * normal upload path (`uploadClaimsFile`, source `cli`) and the ingest job's body
 * (`processUpload`, run inline so the files land in order). Checks what §7.2 asks ingestion to
 * assert and returns the problems found (empty when all is well). `payrixa demo` calls this
 * after creating the customer; the analytics request follows each upload as for any other.
 */

export interface DemoUploadSummary {
  uploadId: number;
  filename: string;
  status: UploadStatus | 'skipped';
  total: number;
  accepted: number;
  rejected: number;
  rejectedByCategory: Record<RejectionCategory, number>;
}

export interface DemoClaimsResult {
  uploads: DemoUploadSummary[];
  manifest: Manifest;
  /** Violations of §7.2's ingestion checks; empty when the load is as expected. */
  problems: string[];
}

const UNMAPPED_ALIASES = ['BCBS', 'BC/BS', 'UHC', 'United Health'];

export async function loadDemoClaims(
  deps: { database: Database; config: Config; logger: Logger; queue?: Pick<JobQueue, 'enqueue'> },
  input: {
    customerId: number;
    /** Generator options; default the §7.2 demo set ending `today`. */
    generator?: GeneratorInput;
    today?: string;
    /** Progress callback per file (1-based index). */
    onFile?: (name: string, index: number, count: number) => void;
  },
): Promise<DemoClaimsResult> {
  const { database } = deps;
  const db = database.db;
  const { customerId } = input;
  for (const [rawName, normalizedName] of DEMO_PAYER_MAPPINGS) {
    await insertPayerMapping(db, customerId, { rawName, normalizedName });
  }
  for (const [cptCode, cptGroup] of DEMO_CPT_GROUPS) {
    await insertCptGroupMapping(db, customerId, { cptCode, cptGroup });
  }
  await ensureDefaultValidationRules(db, customerId);

  const generator = createSyntheticGenerator(input.generator ?? demoGeneratorInput(input.today));
  // The files are processed inline (in order), so the upload's own job is not enqueued; any
  // other job (the post-upload analysis request) goes to the real queue when there is one.
  const inlineQueue: Pick<JobQueue, 'enqueue'> = {
    async enqueue(kind: string, payload, options?: EnqueueOptions) {
      if (kind === INGEST_UPLOAD_JOB || !deps.queue) return { id: 0, created: false };
      return deps.queue.enqueue(kind, payload, options);
    },
  };
  const results: FileResult[] = [];
  const uploads: DemoUploadSummary[] = [];
  const count = generator.files.length;
  for (const [index, file] of generator.files.entries()) {
    input.onFile?.(file.name, index + 1, count);
    const stream = generator.stream(file);
    const body = (function* () {
      for (const chunk of stream.chunks) yield Buffer.from(chunk, 'utf8');
    })();
    const { upload } = await uploadClaimsFile(
      { database, queue: inlineQueue as JobQueue, config: deps.config },
      { customerId, filename: file.name, body, source: 'cli', allowDuplicate: true },
    );
    results.push(stream.result());
    const outcome =
      upload.status === 'queued'
        ? await processUpload(
            { database, config: deps.config, logger: deps.logger, queue: inlineQueue },
            { customerId, uploadId: upload.id, attempt: 1, maxAttempts: 1, requestId: `demo-${upload.id}` },
          )
        : null;
    const report = await findQualityReport(db, customerId, upload.id);
    uploads.push({
      uploadId: upload.id,
      filename: file.name,
      status: outcome?.status ?? upload.status,
      total: report?.total_rows ?? 0,
      accepted: report?.accepted_rows ?? 0,
      rejected: report?.rejected_rows ?? 0,
      rejectedByCategory: {
        phi: report?.phi_rows ?? 0,
        missing_fields: report?.missing_fields_rows ?? 0,
        invalid_dates: report?.invalid_dates_rows ?? 0,
        invalid_values: report?.invalid_values_rows ?? 0,
      },
    });
  }
  const manifest = generator.manifest(results);

  const problems: string[] = [];
  if (uploads.length !== manifest.files.length) {
    problems.push(`expected ${manifest.files.length} uploads, made ${uploads.length}`);
  }
  for (const upload of uploads) {
    if (upload.status === 'failed') problems.push(`upload #${upload.uploadId} (${upload.filename}) failed`);
  }
  const sum = (pick: (u: DemoUploadSummary) => number): number => uploads.reduce((a, u) => a + pick(u), 0);
  const expected = manifest.totals.expected;
  if (sum((u) => u.accepted) !== expected.accepted) {
    problems.push(`accepted rows ${sum((u) => u.accepted)} ≠ manifest ${expected.accepted}`);
  }
  for (const category of ['phi', 'missing_fields', 'invalid_dates', 'invalid_values'] as const) {
    const got = sum((u) => u.rejectedByCategory[category]);
    if (got !== expected.rejected_by_category[category]) {
      problems.push(`${category} rows ${got} ≠ manifest ${expected.rejected_by_category[category]}`);
    }
  }
  const aliases = await db
    .selectFrom('claims')
    .select('payer')
    .where('customer_id', '=', customerId)
    .where('payer', 'in', UNMAPPED_ALIASES)
    .limit(1)
    .execute();
  if (aliases.length > 0) problems.push(`stored payer '${aliases[0]?.payer}' was not normalised`);
  return { uploads, manifest, problems };
}
