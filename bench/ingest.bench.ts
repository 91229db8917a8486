/**
 * Ingestion throughput and memory: a generated CSV (default 200,000 rows with claim ids, all
 * 16 columns) through the real path — `uploadClaimsFile` (spool, hash, file store) and
 * `processUpload` (two passes, row pipeline, COPY into staging, final transaction, rollups) —
 * on an in-memory PGlite, or on PostgreSQL when BENCH_DATABASE_URL is set.
 * BENCH_INGEST_ROWS overrides the row count.
 */
import { processUpload } from '../src/commands/process-upload.ts';
import { uploadClaimsFile } from '../src/commands/upload-claims-file.ts';
import type { JobQueue } from '../src/jobs/types.ts';
import { silentLogger } from '../src/obs/logger.ts';
import { createTestDatabase } from '../test/db.ts';
import type { Benchmark, BenchResult } from './run.ts';

const HEADER =
  'claim_id,payer,cpt,submitted_date,decided_date,outcome,allowed_amount,billed_amount,paid_amount,payment_date,denial_reason_code,denial_reason_text,modifiers,authorization_required,authorization_obtained,place_of_service';
const PAYERS = [
  'Blue Cross Blue Shield',
  'UnitedHealthcare',
  'Aetna',
  'Cigna',
  'Humana',
  'Medicare',
  'Medicaid',
];
const CPTS = ['99213', '99214', '99215', '36415', '85025', '80053', '93000', '71046', 'J3301', '20610'];

function* generate(rows: number): Generator<Buffer> {
  yield Buffer.from(`${HEADER}\n`);
  let chunk = '';
  for (let i = 0; i < rows; i++) {
    const day = new Date(Date.UTC(2025, 0, 1) + (i % 365) * 86_400_000);
    const submitted = day.toISOString().slice(0, 10);
    const decided = new Date(day.getTime() + ((i % 20) + 3) * 86_400_000).toISOString().slice(0, 10);
    const denied = i % 7 === 0;
    const allowed = (50 + (i % 300)).toFixed(2);
    chunk += [
      `RFP-${String(i).padStart(8, '0')}`,
      PAYERS[i % PAYERS.length],
      CPTS[i % CPTS.length],
      submitted,
      decided,
      denied ? 'DENIED' : 'PAID',
      allowed,
      (Number(allowed) * 1.8).toFixed(2),
      denied ? '0.00' : (Number(allowed) * 0.9).toFixed(2),
      denied ? '' : decided,
      denied ? 'CO-97' : '',
      denied ? 'Bundled with another service' : '',
      i % 10 === 0 ? '25' : '',
      'N',
      '',
      '11',
    ].join(',');
    chunk += '\n';
    if (chunk.length > 256 * 1024) {
      yield Buffer.from(chunk);
      chunk = '';
    }
  }
  if (chunk) yield Buffer.from(chunk);
}

export const benchmark: Benchmark = {
  name: 'ingest-csv',
  async run(): Promise<BenchResult> {
    const rows = Number(process.env['BENCH_INGEST_ROWS'] ?? 200_000);
    const handle = await createTestDatabase({
      ...(process.env['BENCH_DATABASE_URL'] && { env: { DATABASE_URL: process.env['BENCH_DATABASE_URL'] } }),
    });
    try {
      const db = handle.database.db;
      const customer = await db
        .insertInto('customers')
        .values({ name: 'Bench' })
        .returning('id')
        .executeTakeFirstOrThrow();
      const queue = { enqueue: async () => ({ id: 0, created: true }) } as unknown as JobQueue;
      const rssBefore = process.memoryUsage().rss;
      let peakRss = rssBefore;
      const sampler = setInterval(() => {
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
      }, 50);
      const t0 = performance.now();
      const { upload } = await uploadClaimsFile(
        { database: handle.database, queue, config: handle.config },
        { customerId: customer.id, filename: 'bench.csv', body: generate(rows), source: 'cli' },
      );
      const t1 = performance.now();
      const result = await processUpload(
        { database: handle.database, config: handle.config, logger: silentLogger() },
        { customerId: customer.id, uploadId: upload.id, attempt: 1, maxAttempts: 2, requestId: 'bench' },
      );
      const t2 = performance.now();
      clearInterval(sampler);
      if (result.insertedRows !== rows)
        throw new Error(`expected ${rows} inserted, got ${result.insertedRows}`);
      return {
        name: 'ingest-csv',
        metrics: {
          rows,
          file_mb: Math.round((upload.file_size_bytes / 1024 / 1024) * 10) / 10,
          submit_ms: Math.round(t1 - t0),
          process_ms: Math.round(t2 - t1),
          rows_per_second: Math.round(rows / ((t2 - t1) / 1000)),
          peak_rss_growth_mb: Math.round((peakRss - rssBefore) / 1024 / 1024),
        },
        notes: `${handle.database.kind}; one upload, all rows inserted`,
      };
    } finally {
      await handle.close();
    }
  },
};
