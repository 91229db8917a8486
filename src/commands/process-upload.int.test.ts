import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { onPostgres } from '../../test/db.ts';
import { createIngestionHarness, csv, type IngestionHarness } from '../../test/ingestion.ts';
import {
  expectRollupsMatchClaims as expectBothRollupsMatchClaims,
  GENERATED_HEADER,
  generatedRows,
} from '../../test/rollups.ts';
import {
  countClaims,
  countStagingRows,
  listDecisionRollups,
  listRollups,
} from '../db/repositories/claims.repository.ts';
import { insertColumnMappingProfile } from '../db/repositories/mappings.repository.ts';
import { hasUploadFile } from '../db/repositories/upload-files.repository.ts';
import { findUpload } from '../db/repositories/uploads.repository.ts';
import { silentLogger } from '../obs/logger.ts';
import { processUpload } from './process-upload.ts';

let harness: IngestionHarness | null = null;
afterEach(async () => {
  await harness?.dispose();
  harness = null;
});

const HEADER = GENERATED_HEADER;

/** Both rollup tables equal their recomputation from the stored claims. */
const expectRollupsMatchClaims = (h: IngestionHarness): Promise<void> =>
  expectBothRollupsMatchClaims(h.services.database.db, h.customerId);

describe(`upload processing (${onPostgres ? 'PostgreSQL' : 'PGlite'})`, () => {
  it('a crash after staging leaves no claims; the retry then commits everything once', async () => {
    harness = await createIngestionHarness({ startWorker: false });
    const h = harness;
    const db = h.services.database.db;
    const { upload } = await h.submit('crash.csv', csv(HEADER, generatedRows(300, 7)));
    const deps = { database: h.services.database, config: h.services.config, logger: silentLogger() };
    const base = { customerId: h.customerId, uploadId: upload.id, maxAttempts: 2, requestId: 'req-crash' };
    let stagedAtCrash = -1;
    await expect(
      processUpload(deps, {
        ...base,
        attempt: 1,
        stagingBatchRows: 64,
        // PostgreSQL: several chunks already applied inside the open final transaction.
        overlapChunkRows: 64,
        afterStaging: async () => {
          stagedAtCrash = await countStagingRows(db, h.customerId, upload.id);
          throw new Error('worker killed');
        },
      }),
    ).rejects.toThrow('worker killed');
    expect(stagedAtCrash).toBe(300);
    expect(await countClaims(db, h.customerId)).toBe(0);
    expect(await countStagingRows(db, h.customerId, upload.id)).toBe(0);
    expect(await listRollups(db, h.customerId)).toEqual([]);
    expect(await listDecisionRollups(db, h.customerId)).toEqual([]);
    const requeued = await findUpload(db, h.customerId, upload.id);
    expect(requeued).toMatchObject({ status: 'queued', attempts: 1 });
    expect(await hasUploadFile(db, h.customerId, upload.id)).toBe(true);

    const result = await processUpload(deps, { ...base, attempt: 2 });
    expect(result).toMatchObject({ status: 'success', insertedRows: 300 });
    expect(await countClaims(db, h.customerId)).toBe(300);
    expect(await findUpload(db, h.customerId, upload.id)).toMatchObject({ status: 'success', attempts: 2 });
    await expectRollupsMatchClaims(h);
  });

  it('a crash on the last attempt fails the upload with the internal-error message and no claims', async () => {
    harness = await createIngestionHarness({ startWorker: false });
    const h = harness;
    const db = h.services.database.db;
    const { upload } = await h.submit('crash.csv', csv(HEADER, generatedRows(50, 8)));
    const deps = { database: h.services.database, config: h.services.config, logger: silentLogger() };
    await expect(
      processUpload(deps, {
        customerId: h.customerId,
        uploadId: upload.id,
        attempt: 2,
        maxAttempts: 2,
        requestId: 'req-42',
        afterStaging: () => {
          throw new Error('out of memory');
        },
      }),
    ).rejects.toThrow('out of memory');
    const failed = await findUpload(db, h.customerId, upload.id);
    expect(failed).toMatchObject({
      status: 'failed',
      error_message: 'Processing failed: internal error (request req-42)',
    });
    expect(await countClaims(db, h.customerId)).toBe(0);
    expect(await countStagingRows(db, h.customerId, upload.id)).toBe(0);
    // A final upload is never processed again.
    const again = await processUpload(deps, {
      customerId: h.customerId,
      uploadId: upload.id,
      attempt: 1,
      maxAttempts: 2,
      requestId: 'x',
    });
    expect(again.status).toBe('skipped');
  });

  it('a shutdown in the middle (abort signal) on the LAST attempt re-queues the upload with nothing applied', async () => {
    harness = await createIngestionHarness({ startWorker: false });
    const h = harness;
    const db = h.services.database.db;
    const { upload } = await h.submit('interrupted.csv', csv(HEADER, generatedRows(12_000, 21)));
    const deps = { database: h.services.database, config: h.services.config, logger: silentLogger() };
    const base = { customerId: h.customerId, uploadId: upload.id, maxAttempts: 2, requestId: 'req-stop' };
    const shutdown = new AbortController();
    const seen: number[] = [];
    await expect(
      processUpload(deps, {
        ...base,
        attempt: 2,
        signal: shutdown.signal,
        stagingBatchRows: 100,
        overlapChunkRows: 100,
        // The worker stops while pass 2 is under way (after the first progress with rows done).
        progress: async (done) => {
          seen.push(done);
          if (done > 0) shutdown.abort(new Error('worker stopping'));
        },
      }),
    ).rejects.toThrow();
    expect(seen.at(-1)).toBeGreaterThan(0);
    expect(seen.at(-1)).toBeLessThan(12_000);
    // Not failed although it was the last attempt: queued again, no claims, no staging, file kept.
    expect(await findUpload(db, h.customerId, upload.id)).toMatchObject({ status: 'queued' });
    expect(await countClaims(db, h.customerId)).toBe(0);
    expect(await countStagingRows(db, h.customerId, upload.id)).toBe(0);
    expect(await listRollups(db, h.customerId)).toEqual([]);
    expect(await hasUploadFile(db, h.customerId, upload.id)).toBe(true);

    const result = await processUpload(deps, { ...base, attempt: 2 });
    expect(result).toMatchObject({ status: 'success', insertedRows: 12_000 });
    expect(await countClaims(db, h.customerId)).toBe(12_000);
    await expectRollupsMatchClaims(h);
  });

  it('rollups always equal a recomputation from claims, across inserts and re-adjudications', async () => {
    harness = await createIngestionHarness();
    const h = harness;
    const first = await h.ingest('first.csv', csv(HEADER, generatedRows(400, 11)));
    expect(first).toMatchObject({ status: 'success', inserted_rows: 400 });
    await expectRollupsMatchClaims(h);
    // Same claim ids, other values and submitted dates shifted: updates move claims between days.
    const second = await h.ingest('second.csv', csv(HEADER, generatedRows(300, 12, { shiftDays: 5 })));
    expect(second.status).toBe('success');
    expect(second.updated_rows + second.duplicate_rows).toBe(300);
    expect(second.updated_rows).toBeGreaterThan(250);
    expect(await countClaims(h.services.database.db, h.customerId)).toBe(400);
    await expectRollupsMatchClaims(h);
    const third = await h.ingest('third.csv', csv(HEADER, generatedRows(200, 13, { offset: 1000 })));
    expect(third).toMatchObject({ status: 'success', inserted_rows: 200 });
    await expectRollupsMatchClaims(h);
  });

  it('applied chunk by chunk inside the open final transaction, uploads give the same result', async () => {
    harness = await createIngestionHarness({ startWorker: false });
    const h = harness;
    const deps = { database: h.services.database, config: h.services.config, logger: silentLogger() };
    const run = async (name: string, body: string) => {
      const { upload } = await h.submit(name, body);
      // 37: chunk boundaries fall anywhere (PGlite ignores the option and stages everything).
      return processUpload(deps, {
        customerId: h.customerId,
        uploadId: upload.id,
        attempt: 1,
        maxAttempts: 2,
        requestId: `req-${name}`,
        overlapChunkRows: 37,
      });
    };
    expect(await run('first.csv', csv(HEADER, generatedRows(400, 11)))).toMatchObject({
      status: 'success',
      insertedRows: 400,
    });
    await expectRollupsMatchClaims(h);
    const second = await run('second.csv', csv(HEADER, generatedRows(300, 12, { shiftDays: 5 })));
    expect(second.updatedRows + second.duplicateRows).toBe(300);
    expect(second.updatedRows).toBeGreaterThan(250);
    await expectRollupsMatchClaims(h);
    // C-300…C-399 are unchanged since the first file: duplicates; 50 new claims.
    const third = await run(
      'third.csv',
      csv(HEADER, [...generatedRows(400, 11).slice(300), ...generatedRows(50, 14, { offset: 2000 })]),
    );
    expect(third).toMatchObject({ status: 'success', insertedRows: 50, duplicateRows: 100, updatedRows: 0 });
    expect(await countClaims(h.services.database.db, h.customerId)).toBe(450);
    expect(await countStagingRows(h.services.database.db, h.customerId, third.uploadId)).toBe(0);
    await expectRollupsMatchClaims(h);
  });

  it('reports progress at least every 5,000 rows while processing', async () => {
    harness = await createIngestionHarness({ startWorker: false });
    const h = harness;
    const { upload } = await h.submit('big.csv', csv(HEADER, generatedRows(12_000, 5, { offset: 0 })));
    const seen: Array<[number, number | null]> = [];
    const rowsOnUpload: number[] = [];
    const result = await processUpload(
      { database: h.services.database, config: h.services.config, logger: silentLogger() },
      {
        customerId: h.customerId,
        uploadId: upload.id,
        attempt: 1,
        maxAttempts: 2,
        requestId: 'req-progress',
        progress: async (done, total) => {
          seen.push([done, total]);
          const row = await findUpload(h.services.database.db, h.customerId, upload.id);
          rowsOnUpload.push(row?.rows_processed ?? -1);
        },
      },
    );
    expect(result).toMatchObject({ status: 'success', insertedRows: 12_000 });
    expect(seen[0]).toEqual([0, 12_000]);
    expect(seen.at(-1)).toEqual([12_000, 12_000]);
    for (let i = 1; i < seen.length; i++) {
      expect((seen[i]?.[0] ?? 0) - (seen[i - 1]?.[0] ?? 0)).toBeLessThanOrEqual(5_000);
    }
    // The upload row carries the same numbers the job record gets.
    expect(rowsOnUpload).toEqual(seen.map(([done]) => done));
  }, 300_000);

  it('writes progress to the upload row and the job record', async () => {
    harness = await createIngestionHarness();
    const h = harness;
    const upload = await h.ingest('progress.csv', csv(HEADER, generatedRows(120, 21)));
    expect(upload).toMatchObject({ rows_total: 120, rows_processed: 120 });
    expect(Number(upload.rows_per_second)).toBeGreaterThan(0);
    expect(upload.progress_updated_at).toBeInstanceOf(Date);
    expect(upload.processing_duration_ms).toBeGreaterThanOrEqual(0);
    const job = await h.services.database.db
      .selectFrom('jobs')
      .selectAll()
      .where('unique_key', '=', `ingest-upload:${h.customerId}:${upload.id}`)
      .executeTakeFirstOrThrow();
    expect(job).toMatchObject({
      status: 'succeeded',
      progress_done: 120,
      progress_total: 120,
      queue: 'ingest',
    });
  });

  const realFile = path.resolve(
    '../shared/realdata/claims-csv/cms-desynpuf-claimsdb/carrier_claims_500benes_2008-2009.csv',
  );
  it.skipIf(!existsSync(realFile))(
    'A13: CMS DE-SynPUF carrier claims through a saved column-mapping profile (skipped when ../shared/realdata is absent)',
    async () => {
      harness = await createIngestionHarness();
      const h = harness;
      const db = h.services.database.db;
      // The test helper of A13: one row per non-empty HCPCS_CD_n, in a clearinghouse-like layout.
      const records = parse(readFileSync(realFile), { columns: true }) as Record<string, string>[];
      const lines: string[] = [];
      for (const r of records) {
        for (let n = 1; n <= 5; n++) {
          const code = r[`HCPCS_CD_${n}`];
          if (!code) continue;
          const status = r[`LINE_PRCSG_IND_CD_${n}`] === 'A' ? 'PAID' : 'DENIED';
          lines.push(
            [
              r['CLM_ID'],
              'Medicare',
              code,
              r['CLM_FROM_DT'],
              r['CLM_THRU_DT'],
              status,
              r[`LINE_ALOWD_CHRG_AMT_${n}`],
              r[`LINE_NCH_PMT_AMT_${n}`],
            ].join(','),
          );
        }
      }
      expect(lines).toHaveLength(28_922);
      const header =
        'Claim Number,Insurance,Procedure Code,Claim Date,Date Processed,Claim Status,Allowed,Paid';
      const profile = await insertColumnMappingProfile(db, h.customerId, {
        name: 'DE-SynPUF carrier export',
        mapping: {
          claim_id: 'Claim Number',
          payer: 'Insurance',
          cpt: 'Procedure Code',
          submitted_date: 'Claim Date',
          decided_date: 'Date Processed',
          outcome: 'Claim Status',
          allowed_amount: 'Allowed',
          paid_amount: 'Paid',
        },
        used: true,
      });
      const upload = await h.ingest('carrier.csv', csv(header, lines));
      expect(upload).toMatchObject({
        status: 'success',
        rows_total: 28_922,
        accepted_rows: 28_922,
        rejected_rows: 0,
        inserted_rows: 28_922,
        mapping_profile_id: profile?.id,
      });
      const used = await db
        .selectFrom('column_mapping_profiles')
        .select('use_count')
        .where('id', '=', profile?.id ?? 0)
        .executeTakeFirstOrThrow();
      expect(used.use_count).toBe(2);

      const outcomes = await sql<{ outcome: string; n: string }>`
        SELECT outcome, count(*) AS n FROM claims WHERE customer_id = ${h.customerId} GROUP BY outcome`.execute(
        db,
      );
      expect(Object.fromEntries(outcomes.rows.map((r) => [r.outcome, Number(r.n)]))).toEqual({
        PAID: 25_061,
        DENIED: 3_861,
      });
      const groups = await sql<{ cpt_group: string; n: string }>`
        SELECT cpt_group, sum(claim_count) AS n FROM claim_daily_rollups
         WHERE customer_id = ${h.customerId} GROUP BY cpt_group`.execute(db);
      expect(Object.fromEntries(groups.rows.map((r) => [r.cpt_group, Number(r.n)]))).toEqual({
        'E&M': 8_137,
        Medicine: 5_661,
        'Pathology & Lab': 5_539,
        Surgery: 3_156,
        Radiology: 2_804,
        HCPCS: 2_773,
        Anesthesia: 269,
        OTHER: 583,
      });
      await expectRollupsMatchClaims(h);
    },
    600_000,
  );
});
