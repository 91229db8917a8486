import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLAIMS_A, CLAIMS_HEADER, type ClaimsFixtures, createClaimsFixtures } from '../../test/claims.ts';
import { csv } from '../../test/ingestion.ts';
import { expectRollupsMatchClaims } from '../../test/rollups.ts';
import { waitFor } from '../../test/wait.ts';
import { NotFoundError } from '../config/errors.ts';
import { listDecisionRollups } from '../db/repositories/claims.repository.ts';
import {
  countFilteredClaims,
  payerSummary,
  searchClaims,
} from '../db/repositories/claims-browser.repository.ts';
import { listQualityReportsSince } from '../db/repositories/quality.repository.ts';
import { hasUploadFile, writeUploadFile } from '../db/repositories/upload-files.repository.ts';
import {
  findUpload,
  insertUpload,
  type UploadRecord,
  uploadStats,
} from '../db/repositories/uploads.repository.ts';
import type { UploadStatus } from '../db/schema.ts';
import { deleteUpload, UploadNotDeletableError } from './delete-upload.ts';
import { DuplicateFileError, uploadClaimsFile } from './upload-claims-file.ts';

let fixtures: ClaimsFixtures;
/** A later upload of customer A: re-adjudicates CLM-1001 (now DENIED) and adds CLM-3001. */
let laterUpload: UploadRecord;

const LATER_ROWS = [
  'CLM-1001,PayerOne,99213,2024-01-02,2024-01-20,DENIED,100.00,,CO-45,',
  'CLM-3001,PayerThree,99213,2024-03-01,2024-03-05,PAID,90,90,,',
];

async function settled(customerId: number, uploadId: number): Promise<UploadRecord> {
  return waitFor(async () => {
    const upload = await findUpload(fixtures.services.database.db, customerId, uploadId);
    return upload && ['success', 'partial', 'failed'].includes(upload.status) ? upload : null;
  }, 120_000);
}

async function rollupClaimCount(customerId: number): Promise<number> {
  const row = await fixtures.services.database.db
    .selectFrom('claim_daily_rollups')
    .select((eb) => eb.fn.sum<string>('claim_count').as('n'))
    .where('customer_id', '=', customerId)
    .executeTakeFirstOrThrow();
  return Number(row.n ?? 0);
}

async function rollupDays(customerId: number): Promise<string[]> {
  const rows = await fixtures.services.database.db
    .selectFrom('claim_daily_rollups')
    .select('day')
    .distinct()
    .where('customer_id', '=', customerId)
    .orderBy('day')
    .execute();
  return rows.map((r) => String(r.day).slice(0, 10));
}

/** An upload row in any status, without processing (for the status rules). */
async function uploadInStatus(status: UploadStatus): Promise<UploadRecord> {
  return insertUpload(fixtures.services.database.db, fixtures.fx.customerA.id, {
    filename: `${status}.csv`,
    format: 'csv',
    source: 'api',
    status,
    file_sha256: status.padEnd(64, '0').slice(0, 64),
  });
}

beforeAll(async () => {
  fixtures = await createClaimsFixtures();
  const { upload } = await uploadClaimsFile(fixtures.services, {
    customerId: fixtures.fx.customerA.id,
    filename: 'later.csv',
    body: Buffer.from(csv(CLAIMS_HEADER, LATER_ROWS), 'utf8'),
    source: 'api',
  });
  laterUpload = await settled(fixtures.fx.customerA.id, upload.id);
  expect(laterUpload.status).toBe('success');
}, 180_000);

afterAll(async () => {
  await fixtures?.services.dispose();
});

describe('deleteUpload', () => {
  it('refuses uploads that are not final, and another customer’s upload', async () => {
    for (const status of ['queued', 'processing', 'needs_mapping'] as const) {
      const upload = await uploadInStatus(status);
      const attempt = deleteUpload(fixtures.services, {
        customerId: fixtures.fx.customerA.id,
        uploadId: upload.id,
        userId: fixtures.fx.users['owner_a']!,
      });
      await expect(attempt).rejects.toBeInstanceOf(UploadNotDeletableError);
      await expect(attempt).rejects.toMatchObject({ statusCode: 409, code: 'upload_not_deletable' });
      const after = await findUpload(fixtures.services.database.db, fixtures.fx.customerA.id, upload.id);
      expect(after?.status).toBe(status);
    }
    await expect(
      deleteUpload(fixtures.services, {
        customerId: fixtures.fx.customerA.id,
        uploadId: fixtures.uploadB.id,
        userId: fixtures.fx.users['owner_a']!,
      }),
    ).rejects.toBeInstanceOf(NotFoundError);
    expect(await countFilteredClaims(fixtures.services.database.db, fixtures.fx.customerB.id, {})).toBe(1);
  });

  it('reverses the claims the upload last wrote, recomputes rollups, audits and records an event', async () => {
    const db = fixtures.services.database.db;
    const customerId = fixtures.fx.customerA.id;
    const ownerId = fixtures.fx.users['owner_a']!;
    // 8 claims of a.csv, CLM-1001 since re-adjudicated by later.csv, plus CLM-3001.
    expect(await countFilteredClaims(db, customerId, {})).toBe(9);
    expect(await rollupClaimCount(customerId)).toBe(9);
    const statsBefore = await uploadStats(db, customerId);

    const result = await deleteUpload(fixtures.services, {
      customerId,
      uploadId: fixtures.uploadA.id,
      userId: ownerId,
      requestId: 'req-delete-1',
      ip: '127.0.0.1',
    });
    // CLM-1001's current version belongs to later.csv: it stays.
    expect(result.claimsRemoved).toBe(CLAIMS_A.length - 1);
    expect(result.upload).toMatchObject({ status: 'deleted', deleted_by: ownerId });
    expect(result.upload.deleted_at).toBeInstanceOf(Date);

    const remaining = await searchClaims(db, customerId, {}, { limit: 50, offset: 0 });
    expect(remaining.map((c) => c.upload_id)).toEqual([laterUpload.id, laterUpload.id]);
    expect(await countFilteredClaims(db, customerId, {})).toBe(2);
    expect(await countFilteredClaims(db, customerId, { uploadId: fixtures.uploadA.id })).toBe(0);
    expect((await payerSummary(db, customerId, {})).map((r) => [r.payer, r.total_claims])).toEqual([
      ['PayerOne', 1],
      ['PayerThree', 1],
    ]);
    // The rows are still there (never hard-deleted), marked reversed.
    const reversed = await db
      .selectFrom('claims')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('customer_id', '=', customerId)
      .where('upload_id', '=', fixtures.uploadA.id)
      .where('reversed', '=', true)
      .executeTakeFirstOrThrow();
    expect(Number(reversed.n)).toBe(CLAIMS_A.length - 1);
    // Rollups: only the two live claims' days are left.
    expect(await rollupClaimCount(customerId)).toBe(2);
    expect(await rollupDays(customerId)).toEqual(['2024-01-02', '2024-03-01']);
    // … and, on the decision timeline, their decided days (CLM-1001's first decision, 2024-01-10,
    // was moved to 2024-01-20 by later.csv; a.csv's other days are gone).
    expect((await listDecisionRollups(db, customerId)).map((r) => [r.day, r.claim_count])).toEqual([
      ['2024-01-20', 1],
      ['2024-03-05', 1],
    ]);
    await expectRollupsMatchClaims(db, customerId);
    const statsAfter = await uploadStats(db, customerId);
    expect(statsAfter.total_rows).toBe(2);
    expect(statsAfter.total).toBe(statsBefore.total - 1);
    // Customer B untouched.
    expect(await rollupClaimCount(fixtures.fx.customerB.id)).toBe(1);
    // The quality dashboard and trends no longer weigh the deleted upload.
    const reports = await listQualityReportsSince(db, customerId, new Date(0));
    expect(reports.map((r) => r.upload_id)).toEqual([laterUpload.id]);
    // The daily validity metric counts only the rows of the uploads still standing.
    const validity = await db
      .selectFrom('data_quality_metrics')
      .select(['sample_size'])
      .where('customer_id', '=', customerId)
      .where('metric_type', '=', 'validity')
      .execute();
    expect(validity.map((m) => m.sample_size)).toEqual([reports[0]!.total_rows]);

    const audit = await db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'upload_deleted')
      .where('entity_id', '=', String(fixtures.uploadA.id))
      .execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      customer_id: customerId,
      user_id: ownerId,
      entity_type: 'upload',
      request_id: 'req-delete-1',
    });
    expect(audit[0]!.metadata).toEqual({
      previous_status: 'success',
      claims_removed: CLAIMS_A.length - 1,
      rollup_days_recomputed: CLAIMS_A.length - 1,
    });
    const events = await db
      .selectFrom('system_events')
      .selectAll()
      .where('customer_id', '=', customerId)
      .where('event_type', '=', 'upload_deleted')
      .execute();
    expect(events).toHaveLength(1);
    expect(events[0]!.related_upload_id).toBe(fixtures.uploadA.id);
    expect(events[0]!.payload).toEqual({
      upload_id: fixtures.uploadA.id,
      claims_removed: CLAIMS_A.length - 1,
      rollup_days_recomputed: CLAIMS_A.length - 1,
    });
    // No value, no filename in what was recorded.
    expect(JSON.stringify([audit, events])).not.toMatch(/a\.csv|PayerOne|CLM-/);
  });

  it('refuses to delete a deleted upload again', async () => {
    await expect(
      deleteUpload(fixtures.services, {
        customerId: fixtures.fx.customerA.id,
        uploadId: fixtures.uploadA.id,
        userId: fixtures.fx.users['owner_a']!,
      }),
    ).rejects.toThrow(`Upload #${fixtures.uploadA.id} was already deleted.`);
  });

  it('deletes a failed upload with no claims and drops leftover raw bytes', async () => {
    const db = fixtures.services.database.db;
    const upload = await uploadInStatus('failed');
    await writeUploadFile(db, fixtures.fx.customerA.id, upload.id, [Buffer.from('leftover')]);
    const result = await deleteUpload(fixtures.services, {
      customerId: fixtures.fx.customerA.id,
      uploadId: upload.id,
      userId: fixtures.fx.users['admin_a']!,
    });
    expect(result).toMatchObject({ claimsRemoved: 0, rollupDaysRecomputed: 0 });
    expect(await hasUploadFile(db, fixtures.fx.customerA.id, upload.id)).toBe(false);
  });

  it('accepts the same file again after its upload was deleted (no duplicate refusal)', async () => {
    const customerId = fixtures.fx.customerA.id;
    const sameBytes = Buffer.from(csv(CLAIMS_HEADER, CLAIMS_A), 'utf8');
    const { upload } = await uploadClaimsFile(fixtures.services, {
      customerId,
      filename: 'a.csv',
      body: sameBytes,
      source: 'api',
    });
    expect(upload.forced_duplicate_of).toBeNull();
    const done = await settled(customerId, upload.id);
    expect(['success', 'partial']).toContain(done.status);
    // The removed claims come back: a reversed twin is revived by an update, never skipped as
    // a duplicate, and every claim the new upload wrote is live again.
    expect(done.duplicate_rows).toBe(0);
    expect(done.updated_rows).toBeGreaterThan(0);
    const written = await fixtures.services.database.db
      .selectFrom('claims')
      .select('reversed')
      .where('customer_id', '=', customerId)
      .where('upload_id', '=', upload.id)
      .execute();
    expect(written.length).toBe(done.inserted_rows + done.updated_rows);
    expect(written.filter((claim) => claim.reversed)).toEqual([]);
    await expectRollupsMatchClaims(fixtures.services.database.db, customerId);
    // The new upload is live, so the same bytes are a duplicate again.
    await expect(
      uploadClaimsFile(fixtures.services, { customerId, filename: 'a.csv', body: sameBytes, source: 'api' }),
    ).rejects.toBeInstanceOf(DuplicateFileError);
  });
});
