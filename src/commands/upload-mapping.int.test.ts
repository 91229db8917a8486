import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { onPostgres } from '../../test/db.ts';
import { createIngestionHarness, csv, type IngestionHarness } from '../../test/ingestion.ts';
import { countStagingRows } from '../db/repositories/claims.repository.ts';
import { hasUploadFile } from '../db/repositories/upload-files.repository.ts';
import { findUpload } from '../db/repositories/uploads.repository.ts';
import {
  cancelUploadMapping,
  completeUploadMapping,
  previewUploadColumns,
  sweepUploads,
} from './upload-mapping.ts';

let harness: IngestionHarness | null = null;
afterEach(async () => {
  await harness?.dispose();
  harness = null;
});

const CLEARINGHOUSE = csv('Payer Name,CPT Code,Date Submitted,Adjudication Date,Claim Status', [
  'Aetna,99213,2024-01-15,2024-01-20,PAID',
  'Cigna,99214,2024-01-16,2024-01-21,DENIED',
]);

describe(`column mapping step and sweeper (${onPostgres ? 'PostgreSQL' : 'PGlite'})`, () => {
  it('A3: preview pre-fills all 5 fields, saving a profile processes it, the next file maps itself', async () => {
    harness = await createIngestionHarness();
    const h = harness;
    const db = h.services.database.db;
    const { upload } = await h.submit('export.csv', CLEARINGHOUSE, { source: 'web_ui' });
    expect(upload.status).toBe('needs_mapping');

    const preview = await previewUploadColumns(db, h.customerId, upload.id);
    expect(preview.banner).toBe('Missing required column: payer. Map your columns below.');
    expect(preview.headers).toEqual([
      'Payer Name',
      'CPT Code',
      'Date Submitted',
      'Adjudication Date',
      'Claim Status',
    ]);
    expect(preview.rows).toHaveLength(2);
    expect(preview.suggestions).toMatchObject({
      payer: 'Payer Name',
      cpt: 'CPT Code',
      submitted_date: 'Date Submitted',
      decided_date: 'Adjudication Date',
      outcome: 'Claim Status',
    });
    expect(preview.defaultProfileName).toBe('Profile for export.csv');

    await expect(
      completeUploadMapping(h.services, {
        customerId: h.customerId,
        uploadId: upload.id,
        map: { ...preview.suggestions, outcome: null },
        profileName: 'x',
      }),
    ).rejects.toThrow('Map a column to outcome');

    const done = await completeUploadMapping(h.services, {
      customerId: h.customerId,
      uploadId: upload.id,
      map: preview.suggestions,
      profileName: 'Clearinghouse export',
    });
    expect(done.upload.status).toBe('queued');
    expect(await h.settled(upload.id)).toMatchObject({ status: 'success', accepted_rows: 2 });

    const next = await h.ingest('export-2.csv', CLEARINGHOUSE.replace('PAID', 'APPROVED'), {
      source: 'web_ui',
    });
    expect(next).toMatchObject({ status: 'success', mapping_profile_id: done.upload.mapping_profile_id });
    const profile = await db.selectFrom('column_mapping_profiles').selectAll().executeTakeFirstOrThrow();
    expect(profile).toMatchObject({ name: 'Clearinghouse export', use_count: 2 });

    await expect(
      completeUploadMapping(h.services, {
        customerId: h.customerId,
        uploadId: upload.id,
        map: preview.suggestions,
        profileName: 'Other',
      }),
    ).rejects.toThrow('This upload does not need a column mapping.');
  });

  it('A3: Cancel fails the upload with the missing-column text; another customer cannot see it', async () => {
    harness = await createIngestionHarness();
    const h = harness;
    const db = h.services.database.db;
    const { upload } = await h.submit(
      'no-outcome.csv',
      'payer,cpt,submitted_date,decided_date\nAetna,99213,2024-01-15,2024-01-20\n',
      { source: 'web_ui' },
    );
    const other = await h.addCustomer('Other');
    await expect(previewUploadColumns(db, other, upload.id)).rejects.toThrow('Upload not found.');
    const cancelled = await cancelUploadMapping(h.services, {
      customerId: h.customerId,
      uploadId: upload.id,
    });
    expect(cancelled).toMatchObject({ status: 'failed', error_message: 'Missing required column: outcome' });
    expect(await hasUploadFile(db, h.customerId, upload.id)).toBe(false);
  });

  it('the sweeper re-queues stalled uploads once, then fails them, and expires mapping steps', async () => {
    harness = await createIngestionHarness();
    const h = harness;
    const db = h.services.database.db;
    const ok = csv('payer,cpt,submitted_date,decided_date,outcome', [
      'Aetna,99213,2024-01-15,2024-01-20,PAID',
    ]);
    const first = await h.ingest('a.csv', ok);
    // Pretend a worker died mid-way: processing, no progress for 11 minutes, bytes still stored.
    const { upload: stalled } = await h.submit('b.csv', ok, { allowDuplicate: true });
    await h.settled(stalled.id);
    await db
      .updateTable('uploads')
      .set({ status: 'processing', attempts: 1, progress_updated_at: sql`now() - interval '11 minutes'` })
      .where('id', '=', stalled.id)
      .execute();
    await db
      .insertInto('upload_file_chunks')
      .values({ customer_id: h.customerId, upload_id: stalled.id, seq: 0, bytes: Buffer.from(ok) })
      .execute();
    await db
      .updateTable('uploads')
      .set({ status: 'needs_mapping', created_at: sql`now() - interval '25 hours'` })
      .where('id', '=', first.id)
      .execute();

    const result = await sweepUploads({ database: h.services.database, queue: h.services.queue });
    expect(result).toEqual({ requeued: 1, failed: 0, mappingExpired: 1 });
    expect(await findUpload(db, h.customerId, first.id)).toMatchObject({
      status: 'failed',
      error_message: 'Column mapping was not completed within 24 hours',
    });
    const retried = await h.settled(stalled.id);
    expect(retried).toMatchObject({ status: 'success', attempts: 2, duplicate_rows: 1 });
    expect(await countStagingRows(db, h.customerId, stalled.id)).toBe(0);

    await db
      .updateTable('uploads')
      .set({ status: 'processing', attempts: 2, progress_updated_at: sql`now() - interval '11 minutes'` })
      .where('id', '=', stalled.id)
      .execute();
    expect(await sweepUploads({ database: h.services.database, queue: h.services.queue })).toEqual({
      requeued: 0,
      failed: 1,
      mappingExpired: 0,
    });
    expect(await findUpload(db, h.customerId, stalled.id)).toMatchObject({
      status: 'failed',
      error_message: 'Processing was interrupted and could not be completed. Please upload the file again.',
    });
  });

  it('the sweeper deletes staging rows of uploads that are not processing (staging has no foreign key)', async () => {
    harness = await createIngestionHarness();
    const h = harness;
    const db = h.services.database.db;
    const ok = csv('payer,cpt,submitted_date,decided_date,outcome', [
      'Aetna,99213,2024-01-15,2024-01-20,PAID',
    ]);
    const done = await h.ingest('done.csv', ok);
    const { upload: running } = await h.submit('running.csv', ok, { allowDuplicate: true });
    await h.settled(running.id);
    // A live upload (fresh progress) keeps its rows; a finished one's leftovers go.
    await db
      .updateTable('uploads')
      .set({ status: 'processing', progress_updated_at: sql`now()` })
      .where('id', '=', running.id)
      .execute();
    const stagingRow = (uploadId: number, rowNumber: number) =>
      sql`INSERT INTO upload_staging_rows (customer_id, upload_id, row_number, identity_key, row_hash,
            payer, payer_raw, cpt, cpt_group, submitted_date, decided_date, outcome)
          VALUES (${h.customerId}, ${uploadId}, ${rowNumber}, ${`h:${rowNumber}`}, ${'0'.repeat(64)},
            'Aetna', 'Aetna', '99213', 'E&M', '2024-01-15', '2024-01-20', 'PAID')`.execute(db);
    await stagingRow(done.id, 2);
    await stagingRow(running.id, 2);

    await sweepUploads({ database: h.services.database, queue: h.services.queue });
    expect(await countStagingRows(db, h.customerId, done.id)).toBe(0);
    expect(await countStagingRows(db, h.customerId, running.id)).toBe(1);
  });
});
