import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { onPostgres } from '../../test/db.ts';
import { createIngestionHarness, csv, type IngestionHarness } from '../../test/ingestion.ts';
import {
  countClaims,
  listClaimsOfUpload,
  listDecisionRollups,
  listRollups,
} from '../db/repositories/claims.repository.ts';
import { insertCptGroupMapping, insertPayerMapping } from '../db/repositories/mappings.repository.ts';
import { findQualityReport, listValidationResults } from '../db/repositories/quality.repository.ts';
import { hasUploadFile } from '../db/repositories/upload-files.repository.ts';
import { countUploads, findUploadProgress } from '../db/repositories/uploads.repository.ts';
import { POST_UPLOAD_ANALYSIS_JOB } from './request-analysis.ts';
import { DuplicateFileError, FileTooLargeError, sniffFormat } from './upload-claims-file.ts';

let harness: IngestionHarness | null = null;
afterEach(async () => {
  await harness?.dispose();
  harness = null;
});

const A1 = csv('payer,cpt,submitted_date,decided_date,outcome,allowed_amount', [
  'Blue Cross Blue Shield,99213,2024-01-15,2024-02-01,PAID,150.00',
  'Medicare,99214,2024-01-16,2024-02-02,PAID,200.00',
  'John Smith,99215,2024-01-17,2024-02-03,DENIED,0.00',
  'Aetna,99213,2024-01-18,2024-02-04,PAID,150.00',
  'Mary Johnson,99214,2024-01-19,2024-02-05,DENIED,0.00',
  'UnitedHealthcare,99213,,2024-02-06,PAID,150.00',
  'Cigna,99214,2024-01-21,invalid-date,PAID,200.00',
  'Anthem,99213,2024-01-22,2024-02-08,APPROVED,145.00',
  'Humana,,2024-01-23,2024-02-09,PAID,180.00',
  'TriCare,99215,2024-01-24,2024-02-10,PAID,250.00',
]);

/** Every text column of the tables ingestion writes, as one string (PHI leak checks). */
async function everythingStored(h: IngestionHarness): Promise<string> {
  const db = h.services.database.db;
  const parts: unknown[] = [];
  for (const table of [
    'uploads',
    'claims',
    'upload_quality_reports',
    'validation_results',
    'system_events',
    'audit_events',
    'claim_daily_rollups',
    'claim_decision_rollups',
    'claim_settlement_rollups',
  ] as const) {
    parts.push(await db.selectFrom(table).selectAll().execute());
  }
  return JSON.stringify(parts);
}

describe(`claims CSV ingestion (${onPostgres ? 'PostgreSQL' : 'PGlite'})`, () => {
  it('A1: a 10-row mixed file → partial, 5 accepted / 5 rejected, exact reasons, no PHI stored', async () => {
    harness = await createIngestionHarness();
    const h = harness;
    const db = h.services.database.db;
    const submitted = await h.submit('test_quality.csv', A1, { source: 'web_ui' });
    expect(submitted.message).toBe('Upload received: test_quality.csv. Processing has started.');
    expect(submitted.upload.status).toBe('queued');
    expect(submitted.upload.file_sha256).toMatch(/^[0-9a-f]{64}$/);
    const upload = await h.settled(submitted.upload.id);

    expect(upload.status).toBe('partial');
    expect(upload.rows_total).toBe(10);
    expect(upload.rows_processed).toBe(10);
    expect(upload.accepted_rows).toBe(5);
    expect(upload.rejected_rows).toBe(5);
    expect(upload.inserted_rows).toBe(5);
    expect(upload.attempts).toBe(1);
    expect(upload.summary_message).toBe(
      'Uploaded test_quality.csv: 5 of 10 rows accepted (50.0%). 5 rows were rejected. See quality report below for details.',
    );
    expect(upload.privacy_alert).toBe(
      "PRIVACY ALERT: payer values in 2 rows (rows 4, 6) look like patient names. Please use payer organization names only (e.g., 'Blue Cross Blue Shield', 'Medicare', 'Aetna'). NEVER include patient names, DOB, SSN, or addresses in uploads.",
    );
    expect(upload.date_min).toBe('2024-01-15');
    expect(upload.date_max).toBe('2024-02-10');
    expect(await hasUploadFile(db, h.customerId, upload.id)).toBe(false);

    const report = await findQualityReport(db, h.customerId, upload.id);
    expect(report).toMatchObject({
      total_rows: 10,
      accepted_rows: 5,
      rejected_rows: 5,
      phi_rows: 2,
      missing_fields_rows: 2,
      invalid_dates_rows: 1,
      invalid_values_rows: 0,
      quality_score: '0.5000',
      grade: 'F',
    });
    expect(report?.rejection_details).toEqual([
      { row: 4, category: 'phi', reason: 'PHI detected: payer looks like a person name' },
      { row: 6, category: 'phi', reason: 'PHI detected: payer looks like a person name' },
      { row: 7, category: 'missing_fields', reason: 'Missing required field: submitted_date' },
      {
        row: 8,
        category: 'invalid_dates',
        reason:
          "Invalid decided_date format in row 8: 'invalid-date'. Expected formats: YYYY-MM-DD, MM/DD/YYYY, YYYY/MM/DD, YYYYMMDD or ISO 8601 date-time",
      },
      { row: 10, category: 'missing_fields', reason: 'Missing required field: cpt' },
    ]);

    const claims = await listClaimsOfUpload(db, h.customerId, upload.id);
    expect(claims.map((c) => [c.source_row_number, c.payer, c.outcome, c.cpt_group])).toEqual([
      [2, 'Blue Cross Blue Shield', 'PAID', 'E&M'],
      [3, 'Medicare', 'PAID', 'E&M'],
      [5, 'Aetna', 'PAID', 'E&M'],
      [9, 'Anthem', 'PAID', 'E&M'],
      [11, 'TriCare', 'PAID', 'E&M'],
    ]);
    expect(claims[0]?.allowed_amount).toBe('150.00');
    expect(claims[0]?.first_upload_id).toBe(upload.id);
    expect(claims[0]?.revision).toBe(1);

    const results = await listValidationResults(db, h.customerId, upload.id);
    expect(results.length).toBeGreaterThanOrEqual(5);

    const stored = await everythingStored(h);
    expect(stored).not.toContain('John Smith');
    expect(stored).not.toContain('Mary Johnson');

    const audits = await db
      .selectFrom('audit_events')
      .selectAll()
      .where('customer_id', '=', h.customerId)
      .orderBy('id')
      .execute();
    expect(audits.map((a) => a.action)).toEqual([
      'upload_created',
      'upload_completed',
      'phi_detection_in_upload',
    ]);
    expect(audits[2]?.metadata).toMatchObject({ phi_rows: 2 });
    const events = await db
      .selectFrom('system_events')
      .selectAll()
      .where('customer_id', '=', h.customerId)
      .orderBy('id')
      .execute();
    expect(events.map((e) => e.event_type)).toEqual(['ingestion_received', 'ingestion_processed']);
    expect(events[1]?.payload).toMatchObject({
      upload_id: upload.id,
      total: 10,
      accepted: 5,
      phi: 2,
      grade: 'F',
    });
    expect(JSON.stringify(events)).not.toContain('test_quality.csv');

    const progress = await findUploadProgress(db, h.customerId, upload.id);
    expect(progress).toMatchObject({ rows_done: 10, rows_total: 10, percent: 100, status: 'partial' });
    const record = await db.selectFrom('ingestion_records').selectAll().executeTakeFirstOrThrow();
    expect(record).toMatchObject({ upload_id: upload.id, status: 'processed', record_count: 10 });
  });

  it('A7: extra patient columns are ignored with warnings and never stored', async () => {
    harness = await createIngestionHarness();
    const upload = await harness.ingest(
      'extra.csv',
      csv('payer,cpt,submitted_date,decided_date,outcome,patient_name,ssn', [
        'Aetna,99213,2024-01-15,2024-01-20,PAID,John Doe,123-45-6789',
      ]),
    );
    expect(upload).toMatchObject({ status: 'success', accepted_rows: 1 });
    const report = await findQualityReport(harness.services.database.db, harness.customerId, upload.id);
    expect(report?.warnings.map((w) => w.message)).toEqual([
      'Ignored 2 unrecognized column(s): patient_name, ssn',
      'Possible patient identifiers in column(s): patient_name, ssn. These columns were NOT stored. Remove patient data from your export.',
    ]);
    expect(report?.identifier_columns).toEqual(['patient_name', 'ssn']);
    const stored = await everythingStored(harness);
    expect(stored).not.toContain('John Doe');
    expect(stored).not.toContain('123-45-6789');
    const audit = await harness.services.database.db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'phi_detection_in_upload')
      .executeTakeFirstOrThrow();
    expect(audit.metadata).toEqual({ phi_rows: 0, identifier_columns: ['patient_name', 'ssn'] });
  });

  it('A2: a valid file → success with 3 claims; the DENIED row warns', async () => {
    harness = await createIngestionHarness();
    const upload = await harness.ingest(
      'test.csv',
      csv('payer,cpt,submitted_date,decided_date,outcome,allowed_amount', [
        'UnitedHealthcare,99213,2023-01-15,2023-01-20,PAID,100.50',
        'Aetna,99214,2023-01-16,2023-01-21,DENIED,150.75',
        'Cigna,99213,01/17/2023,01/22/2023,paid,125.00',
      ]),
    );
    expect(upload.status).toBe('success');
    expect(upload.summary_message).toBe(
      'Uploaded test.csv: 3 of 3 rows accepted (100.0%). 0 rows were rejected. See quality report below for details.',
    );
    const claims = await listClaimsOfUpload(harness.services.database.db, harness.customerId, upload.id);
    expect(claims).toHaveLength(3);
    expect(claims[0]).toMatchObject({
      payer: 'UnitedHealthcare',
      cpt: '99213',
      outcome: 'PAID',
      allowed_amount: '100.50',
    });
    expect(claims[2]).toMatchObject({ submitted_date: '2023-01-17', decided_date: '2023-01-22' });
    // A success requests the debounced post-upload analysis (one pending job per customer).
    const trigger = await harness.services.database.db
      .selectFrom('jobs')
      .selectAll()
      .where('kind', '=', POST_UPLOAD_ANALYSIS_JOB)
      .where('customer_id', '=', harness.customerId)
      .execute();
    expect(trigger).toHaveLength(1);
  });

  it('A8: empty, blank and header-only files fail with the spec messages and store nothing', async () => {
    harness = await createIngestionHarness();
    const h = harness;
    const empty = await h.ingest('empty.csv', '');
    expect(empty).toMatchObject({
      status: 'failed',
      error_message: 'File is empty',
      summary_message: 'Upload failed: File is empty',
    });
    const blank = await h.ingest('blank.csv', '\n  \n\n');
    expect(blank.error_message).toBe('File is empty');
    const headerOnly = await h.ingest('header.csv', 'payer,cpt,submitted_date,decided_date,outcome\n\n');
    expect(headerOnly).toMatchObject({
      status: 'failed',
      error_code: 'no_data_rows',
      error_message: 'File has a header row but no data rows',
    });
    expect(await countClaims(h.services.database.db, h.customerId)).toBe(0);
    expect(await hasUploadFile(h.services.database.db, h.customerId, headerOnly.id)).toBe(false);
  });

  it('invalid UTF-8 and broken quoting fail the upload with the §2.5 messages', async () => {
    harness = await createIngestionHarness();
    const latin1 = Buffer.concat([
      Buffer.from('payer,cpt,submitted_date,decided_date,outcome\nSoci'),
      Buffer.from([0xe9]),
      Buffer.from('t\u00e9,99213,2024-01-15,2024-01-20,PAID\n'),
    ]);
    const notUtf8 = await harness.ingest('latin1.csv', latin1);
    expect(notUtf8).toMatchObject({
      status: 'failed',
      error_code: 'invalid_utf8',
      error_message:
        'File is not valid UTF-8 (invalid byte at offset 50). Save it as “CSV UTF-8” and upload again.',
    });
    const broken = await harness.ingest(
      'quotes.csv',
      'payer,cpt,submitted_date,decided_date,outcome\nAetna,"99213,2024-01-15,2024-01-20,PAID\n',
    );
    expect(broken.status).toBe('failed');
    expect(broken.error_message).toMatch(/^Malformed CSV at line 2: Quote Not Closed/);
    expect(await countClaims(harness.services.database.db, harness.customerId)).toBe(0);
  });

  it('A8: all rows rejected → failed with the all-rejected message and the report kept', async () => {
    harness = await createIngestionHarness();
    const upload = await harness.ingest(
      'bad.csv',
      csv('payer,cpt,submitted_date,decided_date,outcome', ['Aetna,99213,2024-01-15,invalid-date,PAID']),
    );
    expect(upload.status).toBe('failed');
    expect(upload.error_message).toContain('All 1 rows were rejected');
    expect(upload.error_message).toContain('Invalid dates: 1');
    expect(upload.error_message).toContain('Error processing row 2: Invalid decided_date format in row 2');
    const report = await findQualityReport(harness.services.database.db, harness.customerId, upload.id);
    expect(report?.rejected_rows).toBe(1);
  });

  it('A8: the row limit and the size limit', async () => {
    harness = await createIngestionHarness({ env: { UPLOAD_MAX_ROWS: '5', UPLOAD_MAX_MB: '1' } });
    const rows = Array.from({ length: 6 }, (_, i) => `Aetna,99213,2024-01-${10 + i},2024-02-01,PAID`);
    const limited = await harness.ingest(
      'six.csv',
      csv('payer,cpt,submitted_date,decided_date,outcome', rows),
    );
    expect(limited).toMatchObject({ status: 'failed', error_message: 'Maximum row limit exceeded: 5 rows' });
    expect(await countClaims(harness.services.database.db, harness.customerId)).toBe(0);

    const big = Buffer.alloc(1024 * 1024 + 1, 0x61);
    await expect(harness.submit('big.csv', big)).rejects.toBeInstanceOf(FileTooLargeError);
    await expect(harness.submit('big.csv', big)).rejects.toThrow('File too large: the limit is 1 MB');
    expect(await countUploads(harness.services.database.db, harness.customerId)).toBe(1);
  });

  it('A3: a missing column fails API uploads and sends portal uploads to the mapping step', async () => {
    harness = await createIngestionHarness();
    const header = 'payer,cpt,submitted_date,decided_date\nAetna,99213,2024-01-15,2024-01-20\n';
    const api = await harness.submit('api.csv', header);
    expect(api.upload).toMatchObject({ status: 'failed', error_message: 'Missing required column: outcome' });
    expect(api.message).toBe('Upload failed: Missing required column: outcome');
    const portal = await harness.submit('portal.csv', `${header}\n`, { source: 'web_ui' });
    expect(portal.upload.status).toBe('needs_mapping');
    expect(portal.message).toBeNull();
    expect(await hasUploadFile(harness.services.database.db, harness.customerId, portal.upload.id)).toBe(
      true,
    );

    const bom = await harness.ingest(
      'bom.csv',
      Buffer.concat([
        Buffer.from([0xef, 0xbb, 0xbf]),
        Buffer.from(
          ' Payer , CPT ,Submitted_Date,DECIDED_DATE,outcome\r\nAetna,99213,2024-01-15,2024-01-20,PAID\r\n',
        ),
      ]),
    );
    expect(bom.status).toBe('success');
  });

  it('X12: an 837 is refused at once; an 835 is recorded as x12_835', async () => {
    harness = await createIngestionHarness();
    const file837 = path.resolve('../shared/realdata/x12-837/lfh_example1.837');
    const bytes837 = existsSync(file837)
      ? readFileSync(file837)
      : Buffer.from(
          'ISA*00*          *00*          *ZZ*A*ZZ*B*020101*1200*^*00501*000000001*0*T*:~ST*837*0001~',
        );
    const refused = await harness.submit('claim.837', bytes837);
    expect(refused.upload).toMatchObject({
      status: 'failed',
      format: 'x12_835',
      error_message: 'Unsupported X12 transaction set 837: only 835 remittances can be uploaded',
    });
    expect(sniffFormat(Buffer.from('\uFEFF  ST*835*0001~BPR*I~'))).toEqual({
      format: 'x12_835',
      transactionSet: '835',
    });
    expect(sniffFormat(Buffer.from('payer,cpt\n'))).toEqual({ format: 'csv', transactionSet: null });
    expect(sniffFormat(Buffer.from('ISA|00|x~GS|HP~ST|835|1~'))).toEqual({
      format: 'x12_835',
      transactionSet: '835',
    });
  });

  it('A9: a duplicate file is refused, and processed as duplicates with "Upload again"', async () => {
    harness = await createIngestionHarness();
    const h = harness;
    const rows = Array.from(
      { length: 20 },
      (_, i) => `Aetna,99213,2024-03-${String(i + 1).padStart(2, '0')},2024-03-28,PAID,${100 + i}.00`,
    );
    const file = csv('payer,cpt,submitted_date,decided_date,outcome,allowed_amount', rows);
    const first = await h.ingest('clean.csv', file);
    expect(first).toMatchObject({ status: 'success', inserted_rows: 20 });

    const refused = h.submit('clean.csv', file);
    await expect(refused).rejects.toBeInstanceOf(DuplicateFileError);
    const today = new Date().toISOString().slice(0, 10);
    await expect(h.submit('clean.csv', file)).rejects.toThrow(
      `This file was already uploaded as upload #${first.id} on ${today}. Tick “Upload again” to process it anyway.`,
    );
    expect(await countUploads(h.services.database.db, h.customerId)).toBe(1);

    const again = await h.ingest('clean.csv', file, { allowDuplicate: true });
    expect(again).toMatchObject({
      status: 'success',
      accepted_rows: 20,
      inserted_rows: 0,
      duplicate_rows: 20,
      forced_duplicate_of: first.id,
    });
    expect(again.summary_message).toMatch(/New: 0, updated: 0, duplicates skipped: 20\.$/);
    expect(await countClaims(h.services.database.db, h.customerId)).toBe(20);
    const audit = await h.services.database.db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'upload_duplicate_override')
      .executeTakeFirstOrThrow();
    expect(audit.metadata).toEqual({ existing_upload_id: first.id });
    const anomalies = await h.services.database.db.selectFrom('data_anomalies').selectAll().execute();
    expect(anomalies.map((a) => [a.anomaly_type, a.severity])).toContainEqual(['duplicate_spike', 'high']);
  });

  it('exact duplicates inside one file: 1 inserted, 1 duplicate "identical to row 2"', async () => {
    harness = await createIngestionHarness();
    const upload = await harness.ingest(
      'twins.csv',
      csv('payer,cpt,submitted_date,decided_date,outcome', [
        'Aetna,99213,2024-01-15,2024-01-20,PAID',
        'Aetna,99213,2024-01-15,2024-01-20,PAID',
      ]),
    );
    expect(upload).toMatchObject({
      status: 'success',
      inserted_rows: 1,
      duplicate_rows: 1,
      accepted_rows: 2,
    });
    const report = await findQualityReport(harness.services.database.db, harness.customerId, upload.id);
    expect(report?.warnings).toContainEqual({
      row: 3,
      code: 'duplicate_row',
      severity: 'warning',
      message: 'Duplicate row skipped: identical to row 2',
    });
  });

  it('A10: re-adjudication updates the claim in place and moves it between rollup buckets', async () => {
    harness = await createIngestionHarness();
    const h = harness;
    const db = h.services.database.db;
    await insertPayerMapping(db, h.customerId, { rawName: 'BCBS', normalizedName: 'Blue Cross Blue Shield' });
    await insertCptGroupMapping(db, h.customerId, { cptCode: '99213', cptGroup: 'E&M Office Visit' });
    const header = 'claim_id,payer,cpt,submitted_date,decided_date,outcome,denial_reason_code,paid_amount';
    const first = await h.ingest(
      'one.csv',
      csv(header, ['C-1001,BCBS,99213,2026-03-02,2026-03-10,DENIED,CO-197,']),
    );
    expect(first).toMatchObject({ status: 'success', inserted_rows: 1 });
    const [inserted] = await listClaimsOfUpload(db, h.customerId, first.id);
    expect(inserted).toMatchObject({
      payer: 'Blue Cross Blue Shield',
      cpt_group: 'E&M Office Visit',
      revision: 1,
    });
    expect(inserted?.claim_id_last4).toBe('1001');
    expect(JSON.stringify(inserted)).not.toContain('C-1001');
    expect(await listRollups(db, h.customerId)).toMatchObject([
      {
        day: '2026-03-02',
        outcome: 'DENIED',
        denial_reason: 'CO-197',
        claim_count: 1,
        decision_days_hist: { '8': 1 },
      },
    ]);
    expect(await listDecisionRollups(db, h.customerId)).toMatchObject([
      { day: '2026-03-10', outcome: 'DENIED', denial_reason: 'CO-197', claim_count: 1 },
    ]);

    const secondFile = csv(header, ['C-1001,BCBS,99213,2026-03-02,2026-04-02,PAID,,80.00']);
    const second = await h.ingest('two.csv', secondFile);
    expect(second).toMatchObject({ status: 'success', updated_rows: 1, inserted_rows: 0 });
    expect(second.summary_message).toBe('Successfully uploaded two.csv with 1 records (1 updated)');
    const [updated] = await listClaimsOfUpload(db, h.customerId, second.id);
    expect(updated).toMatchObject({
      id: inserted?.id,
      revision: 2,
      upload_id: second.id,
      first_upload_id: first.id,
      outcome: 'PAID',
      paid_amount: '80.00',
      denial_reason_code: null,
    });
    expect(await listRollups(db, h.customerId)).toMatchObject([
      {
        day: '2026-03-02',
        outcome: 'PAID',
        denial_reason: '',
        claim_count: 1,
        decision_days_hist: { '31': 1 },
      },
    ]);
    // The decision timeline moves it from its first decision day to the new one.
    expect(await listDecisionRollups(db, h.customerId)).toMatchObject([
      { day: '2026-04-02', outcome: 'PAID', denial_reason: '', claim_count: 1, paid_sum: '80.00' },
    ]);
    expect(await countClaims(db, h.customerId)).toBe(1);

    const third = await h.ingest('two.csv', secondFile, { allowDuplicate: true });
    expect(third).toMatchObject({ status: 'success', duplicate_rows: 1, updated_rows: 0 });
    const [unchanged] = await listClaimsOfUpload(db, h.customerId, second.id);
    expect(unchanged?.revision).toBe(2);
  });

  it('keeps tenants apart: another customer sees no upload, progress or claim', async () => {
    harness = await createIngestionHarness();
    const h = harness;
    const db = h.services.database.db;
    const other = await h.addCustomer('Other Practice');
    const upload = await h.ingest(
      'mine.csv',
      csv('payer,cpt,submitted_date,decided_date,outcome', ['Aetna,99213,2024-01-15,2024-01-20,PAID']),
    );
    expect(upload.status).toBe('success');
    const { findUpload, listUploads } = await import('../db/repositories/uploads.repository.ts');
    expect(await findUpload(db, other, upload.id)).toBeUndefined();
    expect(await findUploadProgress(db, other, upload.id)).toBeUndefined();
    expect(await listUploads(db, other)).toEqual([]);
    expect(await listClaimsOfUpload(db, other, upload.id)).toEqual([]);
    expect(await countClaims(db, other)).toBe(0);
    expect(await findQualityReport(db, other, upload.id)).toBeUndefined();
    // The same bytes are not a duplicate for another customer.
    const theirs = await h.ingest(
      'mine.csv',
      csv('payer,cpt,submitted_date,decided_date,outcome', ['Aetna,99213,2024-01-15,2024-01-20,PAID']),
      { customerId: other },
    );
    expect(theirs).toMatchObject({ status: 'success', inserted_rows: 1, forced_duplicate_of: null });
  });
});
