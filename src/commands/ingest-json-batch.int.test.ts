import { afterEach, describe, expect, it } from 'vitest';
import { onPostgres } from '../../test/db.ts';
import { createIngestionHarness, type IngestionHarness } from '../../test/ingestion.ts';
import { AppError } from '../config/errors.ts';
import { listClaimsOfUpload, listRollups } from '../db/repositories/claims.repository.ts';
import { findQualityReport } from '../db/repositories/quality.repository.ts';
import { hasUploadFile } from '../db/repositories/upload-files.repository.ts';
import { IdempotencyConflictError, ingestJsonBatch } from './ingest-json-batch.ts';
import { POST_UPLOAD_ANALYSIS_JOB } from './request-analysis.ts';

let harness: IngestionHarness | null = null;
afterEach(async () => {
  await harness?.dispose();
  harness = null;
});

/** The A1 rows of the CSV test as JSON objects (row numbers are array positions here). */
const A1_JSON = [
  {
    payer: 'Blue Cross Blue Shield',
    cpt: '99213',
    submitted_date: '2024-01-15',
    decided_date: '2024-02-01',
    outcome: 'PAID',
    allowed_amount: 150,
  },
  {
    payer: 'Medicare',
    cpt: 99214,
    submitted_date: '2024-01-16',
    decided_date: '2024-02-02',
    outcome: 'PAID',
    allowed_amount: '200.00',
  },
  {
    payer: 'John Smith',
    cpt: '99215',
    submitted_date: '2024-01-17',
    decided_date: '2024-02-03',
    outcome: 'DENIED',
    allowed_amount: 0,
  },
  {
    payer: 'Aetna',
    cpt: '99213',
    submitted_date: '2024-01-18',
    decided_date: '2024-02-04',
    outcome: 'PAID',
    allowed_amount: 150,
  },
  {
    payer: 'Mary Johnson',
    cpt: '99214',
    submitted_date: '2024-01-19',
    decided_date: '2024-02-05',
    outcome: 'DENIED',
  },
  {
    payer: 'UnitedHealthcare',
    cpt: '99213',
    submitted_date: null,
    decided_date: '2024-02-06',
    outcome: 'PAID',
  },
  {
    payer: 'Cigna',
    cpt: '99214',
    submitted_date: '2024-01-21',
    decided_date: 'invalid-date',
    outcome: 'PAID',
  },
  {
    payer: 'Anthem',
    cpt: '99213',
    submitted_date: '2024-01-22',
    decided_date: '2024-02-08',
    outcome: 'APPROVED',
    allowed_amount: 145,
  },
  { payer: 'Humana', submitted_date: '2024-01-23', decided_date: '2024-02-09', outcome: 'PAID' },
  {
    PAYER: 'TriCare',
    cpt: '99215',
    submitted_date: '2024-01-24',
    decided_date: '2024-02-10',
    outcome: 'PAID',
    patient_name: 'Jane Roe',
  },
];

function batch(h: IngestionHarness, body: unknown, idempotencyKey: string | null = null, raw?: string) {
  return ingestJsonBatch(h.services, {
    customerId: h.customerId,
    tokenId: 1,
    body: Buffer.from(raw ?? JSON.stringify(body), 'utf8'),
    idempotencyKey,
    requestId: 'req-json-1',
  });
}

describe(`JSON batch ingestion through the CSV row pipeline (${onPostgres ? 'PostgreSQL' : 'PGlite'})`, () => {
  it('stores accepted rows, refuses PHI rows exactly as CSV, updates rollups and requests analysis', async () => {
    harness = await createIngestionHarness();
    const h = harness;
    const db = h.services.database.db;
    const accepted = await batch(h, { claims: A1_JSON });
    expect(accepted.replayed).toBe(false);
    const upload = await h.settled(accepted.uploadId);

    expect(upload).toMatchObject({
      filename: `api-batch-${accepted.ingestionId}.json`,
      format: 'json',
      source: 'ingest',
      status: 'partial',
      rows_total: 10,
      accepted_rows: 5,
      rejected_rows: 5,
      token_id: 1,
    });
    expect(upload.privacy_alert).toContain('payer values in 2 rows (rows 3, 5) look like patient names');
    const report = await findQualityReport(db, h.customerId, upload.id);
    expect(report?.rejection_details).toEqual([
      { row: 3, category: 'phi', reason: 'PHI detected: payer looks like a person name' },
      { row: 5, category: 'phi', reason: 'PHI detected: payer looks like a person name' },
      { row: 6, category: 'missing_fields', reason: 'Missing required field: submitted_date' },
      {
        row: 7,
        category: 'invalid_dates',
        reason:
          "Invalid decided_date format in row 7: 'invalid-date'. Expected formats: YYYY-MM-DD, MM/DD/YYYY, YYYY/MM/DD, YYYYMMDD or ISO 8601 date-time",
      },
      { row: 9, category: 'missing_fields', reason: 'Missing required field: cpt' },
    ]);
    expect(report?.identifier_columns).toEqual(['patient_name']);

    const claims = await listClaimsOfUpload(db, h.customerId, upload.id);
    expect(claims.map((c) => [c.source_row_number, c.payer, c.cpt, c.allowed_amount])).toEqual([
      [1, 'Blue Cross Blue Shield', '99213', '150.00'],
      [2, 'Medicare', '99214', '200.00'],
      [4, 'Aetna', '99213', '150.00'],
      [8, 'Anthem', '99213', '145.00'],
      [10, 'TriCare', '99215', null],
    ]);
    const rollups = await listRollups(db, h.customerId);
    expect(rollups.reduce((n, r) => n + Number(r.claim_count), 0)).toBe(5);

    // The raw body is gone once processed; no PHI anywhere.
    expect(await hasUploadFile(db, h.customerId, upload.id)).toBe(false);
    const stored = JSON.stringify([
      await db.selectFrom('claims').selectAll().execute(),
      await db.selectFrom('uploads').selectAll().execute(),
      await db.selectFrom('upload_quality_reports').selectAll().execute(),
      await db.selectFrom('validation_results').selectAll().execute(),
      await db.selectFrom('audit_events').selectAll().execute(),
      await db.selectFrom('system_events').selectAll().execute(),
    ]);
    for (const phi of ['John Smith', 'Mary Johnson', 'Jane Roe']) expect(stored).not.toContain(phi);

    const record = await db.selectFrom('ingestion_records').selectAll().executeTakeFirstOrThrow();
    expect(record).toMatchObject({
      id: accepted.ingestionId,
      upload_id: upload.id,
      source: 'ingest',
      status: 'processed',
      record_count: 10,
      token_id: 1,
    });
    const analysis = await db
      .selectFrom('jobs')
      .select('id')
      .where('kind', '=', POST_UPLOAD_ANALYSIS_JOB)
      .where('customer_id', '=', h.customerId)
      .execute();
    expect(analysis).toHaveLength(1);
  });

  it('idempotency: same key and body → the first answer, nothing stored again; other body → conflict', async () => {
    harness = await createIngestionHarness({ startWorker: false });
    const h = harness;
    const db = h.services.database.db;
    const body = [A1_JSON[0]];
    const first = await batch(h, body, 'key-1');
    const again = await batch(h, body, 'key-1');
    expect(again).toEqual({ ...first, replayed: true });
    await expect(batch(h, [A1_JSON[1]], 'key-1')).rejects.toBeInstanceOf(IdempotencyConflictError);
    // Another key with the same body is a new batch.
    const other = await batch(h, body, 'key-2');
    expect(other.uploadId).not.toBe(first.uploadId);
    expect(await db.selectFrom('uploads').select('id').execute()).toHaveLength(2);
    expect(await db.selectFrom('ingestion_records').select('id').execute()).toHaveLength(2);
  });

  it('refuses empty, non-JSON, wrong-shaped and oversized batches with nothing stored', async () => {
    harness = await createIngestionHarness({ startWorker: false, env: { INGEST_MAX_RECORDS: '2' } });
    const h = harness;
    const cases: Array<[string, number, string]> = [
      ['', 400, 'Empty payload'],
      ['[]', 400, 'Empty payload'],
      ['{"claims": [', 400, 'Request body is not valid JSON'],
      ['{"rows": []}', 400, "Payload must be a JSON array of claims or an object with a 'claims' array."],
      ['[{}, {}, {}]', 413, 'Batch must contain between 1 and 2 claims'],
    ];
    for (const [raw, status, message] of cases) {
      const error = await batch(h, null, 'k', raw).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AppError);
      expect(error).toMatchObject({ statusCode: status, message });
    }
    const db = h.services.database.db;
    expect(await db.selectFrom('uploads').select('id').execute()).toEqual([]);
    expect(await db.selectFrom('ingestion_records').select('id').execute()).toEqual([]);
    expect(await db.selectFrom('upload_file_chunks').select('seq').execute()).toEqual([]);
  });
});
