import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { type RunningServer, startServer } from '../src/cli/serve.ts';
import { uploadClaimsFile } from '../src/commands/upload-claims-file.ts';
import { loadConfig } from '../src/config/env.ts';
import { copyRows } from '../src/db/copy.ts';
import { createDatabase, type Database } from '../src/db/database.ts';
import { findUpload } from '../src/db/repositories/uploads.repository.ts';
import { silentLogger } from '../src/obs/logger.ts';
import type { JobRunner } from '../src/services.ts';
import type { Benchmark } from './run.ts';

/**
 * The costs and the gain of issue 10's arrangement (docs/ARCHITECTURE.md "Embedded
 * PostgreSQL", "Jobs off the web thread"):
 * - a query and a 50k-row COPY on an in-process PGlite versus through the embedded server's
 *   socket (what every product process does now);
 * - `/health/` latency sampled every 20 ms while a 60k-row upload is processed, with the job
 *   on the web thread (the old arrangement, reproduced with jobRunner in-process) and in a
 *   job thread.
 */

const QUERIES = 2_000;
const COPY_ROWS = 50_000;
const UPLOAD_ROWS = 60_000;

function dataDirConfig(extra: Record<string, string> = {}) {
  return loadConfig({
    PAYRIXA_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATA_DIR: mkdtempSync(path.join(tmpdir(), 'payrixa-bench-')),
    BIND: '127.0.0.1:0',
    UPLOAD_MAX_MB: '50',
    WORKER_CONCURRENCY: '1',
    ...extra,
  });
}

async function queriesMs(database: Database): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < QUERIES; i++) await sql`SELECT ${i}::int AS i`.execute(database.db);
  return (performance.now() - started) / QUERIES;
}

async function copyMs(database: Database): Promise<number> {
  await sql`CREATE TABLE bench_copy (id int, label text, amount numeric(12,2))`.execute(database.db);
  const rows = Array.from({ length: COPY_ROWS }, (_, i) => [i, `label ${i}`, '12.50']);
  const started = performance.now();
  await copyRows(database, 'bench_copy', ['id', 'label', 'amount'], rows);
  return performance.now() - started;
}

function csv(rows: number): Buffer {
  const lines = ['claim_id,payer,cpt,submitted_date,decided_date,outcome,allowed_amount,paid_amount'];
  for (let i = 0; i < rows; i++) {
    const day = String(1 + (i % 28)).padStart(2, '0');
    lines.push(`B-${i},PayerOne,99213,2025-05-${day},2025-06-${day},PAID,100.00,80.00`);
  }
  return Buffer.from(`${lines.join('\n')}\n`);
}

/** Max and p95 of /health/ latency (ms) while an upload is processed; and the upload's wall time. */
async function healthDuringUpload(jobRunner: JobRunner) {
  const config = dataDirConfig();
  const server: RunningServer = await startServer(config, silentLogger(), { jobRunner });
  try {
    const db = server.services.database.db;
    const customer = await db
      .insertInto('customers')
      .values({ name: 'Bench' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const started = performance.now();
    const { upload } = await uploadClaimsFile(server.services, {
      customerId: customer.id,
      filename: 'bench.csv',
      body: csv(UPLOAD_ROWS),
      source: 'api',
    });
    const latencies: number[] = [];
    const sampler = (async () => {
      for (;;) {
        const t = performance.now();
        await fetch(`${server.url}/health/`);
        latencies.push(performance.now() - t);
        const current = await findUpload(db, customer.id, upload.id);
        if (current && ['success', 'partial', 'failed'].includes(current.status)) return;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    await sampler;
    const uploadMs = performance.now() - started;
    latencies.sort((a, b) => a - b);
    return {
      maxMs: latencies.at(-1) ?? 0,
      p95Ms: latencies[Math.floor(latencies.length * 0.95)] ?? 0,
      samples: latencies.length,
      uploadMs,
    };
  } finally {
    await server.stop(5_000);
  }
}

export const benchmark: Benchmark = {
  name: 'responsive',
  async run() {
    const memory = await createDatabase(loadConfig({ PAYRIXA_ENV: 'test', LOG_LEVEL: 'silent' }), {
      embeddedDataDir: 'memory',
    });
    const inProcessQuery = await queriesMs(memory);
    const inProcessCopy = await copyMs(memory);
    await memory.close();
    const served = await createDatabase(dataDirConfig(), { embedded: { role: 'bench' } });
    const socketQuery = await queriesMs(served);
    const socketCopy = await copyMs(served);
    await served.close();
    const before = await healthDuringUpload('in-process');
    const after = await healthDuringUpload('threads');
    return {
      name: 'responsive',
      metrics: {
        query_in_process_ms: Number(inProcessQuery.toFixed(3)),
        query_socket_ms: Number(socketQuery.toFixed(3)),
        copy_50k_in_process_ms: Math.round(inProcessCopy),
        copy_50k_socket_ms: Math.round(socketCopy),
        health_max_ms_job_on_web_thread: Math.round(before.maxMs),
        health_p95_ms_job_on_web_thread: Math.round(before.p95Ms),
        upload_60k_ms_job_on_web_thread: Math.round(before.uploadMs),
        health_max_ms_job_in_thread: Math.round(after.maxMs),
        health_p95_ms_job_in_thread: Math.round(after.p95Ms),
        upload_60k_ms_job_in_thread: Math.round(after.uploadMs),
      },
      notes: `${before.samples} / ${after.samples} health samples`,
    };
  },
};
