/**
 * Ingestion throughput and memory: a generated CSV (default 200,000 rows with claim ids, all
 * 16 columns) through the real path — `uploadClaimsFile` (spool, hash, file store) and
 * `processUpload` (two passes, row pipeline, COPY into staging, final transaction, rollups) —
 * on an in-memory PGlite, or on PostgreSQL when BENCH_DATABASE_URL is set.
 * BENCH_INGEST_ROWS overrides the row count. Afterwards the three rollup recomputations (by
 * submitted, decided and settlement date) are timed apart on the loaded claims.
 */
import { type Kysely, type RawBuilder, sql } from 'kysely';
import { processUpload } from '../src/commands/process-upload.ts';
import { uploadClaimsFile } from '../src/commands/upload-claims-file.ts';
import type { Database } from '../src/db/database.ts';
import {
  recomputeDecisionRollupDays,
  recomputeRollupDays,
  recomputeSettlementRollupDays,
} from '../src/db/repositories/claims.repository.ts';
import type { DB } from '../src/db/schema.ts';
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

const HEADER_COLUMNS = HEADER.split(',');

/**
 * The reference of issue 4: a plain `COPY` of the same file (header skipped) into an
 * unindexed table of text columns, through the same client path as the product (one
 * streaming COPY on PostgreSQL, a blob on PGlite). Returns milliseconds.
 */
async function plainCopyMs(database: Database, file: readonly Buffer[]): Promise<number> {
  const table = `bench_plain_copy_${Date.now()}`;
  const columns = HEADER_COLUMNS.map((name) => `${name} text`).join(', ');
  await sql.raw(`CREATE TABLE ${table} (${columns})`).execute(database.db);
  try {
    const started = performance.now();
    const statement = `COPY ${table} FROM STDIN WITH (FORMAT csv, HEADER true)`;
    const pglite = database.pglite;
    if (pglite) {
      await pglite.query(statement.replace('STDIN', "'/dev/blob'"), [], { blob: new Blob([...file]) });
    } else {
      const pool = database.pool;
      if (!pool) throw new Error('PostgreSQL without its pool');
      const client = await pool.connect();
      try {
        const { from: copyFrom } = await import('pg-copy-streams');
        const { pipeline } = await import('node:stream/promises');
        const { Readable } = await import('node:stream');
        await pipeline(Readable.from(file), client.query(copyFrom(statement)));
      } finally {
        client.release();
      }
    }
    return performance.now() - started;
  } finally {
    await sql.raw(`DROP TABLE ${table}`).execute(database.db);
  }
}

/**
 * The three rollup recomputations of the final transaction, timed apart: every submitted day
 * (`claim_daily_rollups`), every decided day (`claim_decision_rollups`, issue 9) and every
 * settlement day (`claim_settlement_rollups`, issue 9) of the upload's claims, as a first
 * upload recomputes them, each in its own transaction. Alternated `BENCH_ROLLUP_REPEATS` times
 * (default 5), medians: on a shared machine the load moves between runs, and the ratios are
 * what matters.
 */
async function rollupRecomputeMs(
  database: Database,
  customerId: number,
): Promise<{ dailyMs: number; decisionMs: number; settlementMs: number }> {
  const days = async (date: RawBuilder<unknown>): Promise<string[]> => {
    const rows = await sql<{ day: string }>`
      SELECT DISTINCT ${date} AS day FROM claims WHERE customer_id = ${customerId}
       ORDER BY day`.execute(database.db);
    return rows.rows.map((row) => row.day);
  };
  const submitted = await days(sql`submitted_date`);
  const decided = await days(sql`decided_date`);
  const settled = await days(sql`coalesce(payment_date, decided_date)`);
  const timed = async (recompute: (trx: Kysely<DB>) => Promise<void>): Promise<number> => {
    const started = performance.now();
    await database.db.transaction().execute(recompute);
    return performance.now() - started;
  };
  const daily: number[] = [];
  const decision: number[] = [];
  const settlement: number[] = [];
  const repeats = Number(process.env['BENCH_ROLLUP_REPEATS'] ?? 5);
  for (let i = 0; i < repeats; i++) {
    daily.push(await timed((trx) => recomputeRollupDays(trx, customerId, submitted)));
    decision.push(await timed((trx) => recomputeDecisionRollupDays(trx, customerId, decided)));
    settlement.push(await timed((trx) => recomputeSettlementRollupDays(trx, customerId, settled)));
  }
  const median = (values: number[]): number =>
    Math.round([...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? -1);
  return { dailyMs: median(daily), decisionMs: median(decision), settlementMs: median(settlement) };
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
        .values({ name: `Bench ${Date.now()}` })
        .returning('id')
        .executeTakeFirstOrThrow();
      const queue = { enqueue: async () => ({ id: 0, created: true }) } as unknown as JobQueue;
      // Generated once up front, so neither path pays for generating it.
      const file = [...generate(rows)];
      const rssBefore = process.memoryUsage().rss;
      let peakRss = rssBefore;
      const sampler = setInterval(() => {
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
      }, 50);
      const t0 = performance.now();
      const { upload } = await uploadClaimsFile(
        { database: handle.database, queue, config: handle.config },
        { customerId: customer.id, filename: 'bench.csv', body: file, source: 'cli' },
      );
      const t1 = performance.now();
      const result = await processUpload(
        { database: handle.database, config: handle.config, logger: silentLogger() },
        { customerId: customer.id, uploadId: upload.id, attempt: 1, maxAttempts: 2, requestId: 'bench' },
      );
      const t2 = performance.now();
      clearInterval(sampler);
      const copyMs = await plainCopyMs(handle.database, file);
      const rollups = await rollupRecomputeMs(handle.database, customer.id);
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
          end_to_end_ms: Math.round(t2 - t0),
          end_to_end_rows_per_second: Math.round(rows / ((t2 - t0) / 1000)),
          plain_copy_ms: Math.round(copyMs),
          end_to_end_vs_plain_copy: Math.round(((t2 - t0) / copyMs) * 10) / 10,
          peak_rss_growth_mb: Math.round((peakRss - rssBefore) / 1024 / 1024),
          peak_rss_mb: Math.round(peakRss / 1024 / 1024),
          count_ms: result.phases?.count ?? -1,
          stage_ms: result.phases?.stage ?? -1,
          commit_ms: result.phases?.commit ?? -1,
          quality_ms: result.phases?.quality ?? -1,
          rollups_daily_recompute_ms: rollups.dailyMs,
          rollups_decision_recompute_ms: rollups.decisionMs,
          rollups_settlement_recompute_ms: rollups.settlementMs,
        },
        notes: `${handle.database.kind}; one upload, all rows inserted`,
      };
    } finally {
      await handle.close();
    }
  },
};
