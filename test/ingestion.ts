import {
  ingestUploadJobKey,
  type UploadClaimsFileInput,
  type UploadClaimsFileResult,
  uploadClaimsFile,
} from '../src/commands/upload-claims-file.ts';
import { findUpload, type UploadRecord } from '../src/db/repositories/uploads.repository.ts';
import { createTestServices, type TestServices } from './services.ts';
import { waitFor } from './wait.ts';

/** Test helpers for claims ingestion: a customer, uploads through the real command and job. */

export interface IngestionHarness {
  services: TestServices;
  customerId: number;
  /** Creates another customer (tenant isolation tests). */
  addCustomer(name: string): Promise<number>;
  /** Submits a file through `uploadClaimsFile` (source `api` unless given). */
  submit(
    filename: string,
    content: string | Uint8Array,
    options?: Partial<Omit<UploadClaimsFileInput, 'filename' | 'body'>>,
  ): Promise<UploadClaimsFileResult>;
  /** Submits and waits until the upload reaches a final status. */
  ingest(
    filename: string,
    content: string | Uint8Array,
    options?: Partial<Omit<UploadClaimsFileInput, 'filename' | 'body'>>,
  ): Promise<UploadRecord>;
  /** Waits until the upload is success, partial or failed. */
  settled(uploadId: number, customerId?: number): Promise<UploadRecord>;
  dispose(): Promise<void>;
}

export async function createIngestionHarness(
  options: { env?: Record<string, string>; startWorker?: boolean } = {},
): Promise<IngestionHarness> {
  const services = await createTestServices(options.env ? { env: options.env } : {});
  const db = services.database.db;
  const addCustomer = async (name: string): Promise<number> => {
    const row = await db.insertInto('customers').values({ name }).returning('id').executeTakeFirstOrThrow();
    return row.id;
  };
  const customerId = await addCustomer('Riverside Family Practice');
  if (options.startWorker ?? true) await services.startJobs({ queues: ['ingest'], scheduler: false });

  const submit: IngestionHarness['submit'] = (filename, content, submitOptions = {}) =>
    uploadClaimsFile(services, {
      customerId: submitOptions.customerId ?? customerId,
      filename,
      body: typeof content === 'string' ? Buffer.from(content, 'utf8') : content,
      source: submitOptions.source ?? 'api',
      ...submitOptions,
    });
  const settled: IngestionHarness['settled'] = (uploadId, owner = customerId) =>
    waitFor(async () => {
      const upload = await findUpload(db, owner, uploadId);
      if (!upload || !['success', 'partial', 'failed'].includes(upload.status)) return null;
      // Anomaly detection and metrics run after the final status: wait for the job to end too.
      const job = await db
        .selectFrom('jobs')
        .select('status')
        .where('unique_key', '=', ingestUploadJobKey(owner, uploadId))
        .executeTakeFirst();
      return !job || job.status === 'succeeded' || job.status === 'failed' ? upload : null;
    }, 120_000);
  return {
    services,
    customerId,
    addCustomer,
    submit,
    settled,
    async ingest(filename, content, ingestOptions = {}) {
      const result = await submit(filename, content, ingestOptions);
      return settled(result.upload.id, ingestOptions.customerId ?? customerId);
    },
    dispose: () => services.dispose(),
  };
}

/** A CSV text from a header and rows (LF line ends, trailing newline). */
export function csv(header: string, rows: readonly string[]): string {
  return `${[header, ...rows].join('\n')}\n`;
}
