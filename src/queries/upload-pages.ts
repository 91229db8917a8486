import type { Kysely } from 'kysely';
import {
  findQualityReport,
  findQualityReportsOfUploads,
  type QualityReportRecord,
} from '../db/repositories/quality.repository.ts';
import {
  countCurrentClaimsOfUpload,
  countUploads,
  listUploads,
  type UploadRecord,
} from '../db/repositories/uploads.repository.ts';
import { usernamesByIds } from '../db/repositories/users.repository.ts';
import type { DB } from '../db/schema.ts';
import { uploaderNames } from './uploader-names.ts';

/**
 * Read models of the portal's upload pages: what the list and the detail page show, read in a
 * fixed number of queries per page (never one per row). Presenting is presenters/upload-pages.ts.
 */

export interface UploadListPage {
  total: number;
  uploads: UploadRecord[];
  /** `u<userId>` / `t<tokenId>` → name (see uploaderNames). */
  names: Map<string, string>;
  reports: Map<number, QualityReportRecord>;
}

/** One page of the customer's uploads (newest first), who sent them and their quality reports. */
export async function loadUploadListPage(
  db: Kysely<DB>,
  customerId: number,
  options: { page: number; pageSize: number },
): Promise<UploadListPage> {
  const total = await countUploads(db, customerId);
  const uploads = await listUploads(db, customerId, {
    limit: options.pageSize,
    offset: (options.page - 1) * options.pageSize,
  });
  const names = await uploaderNames(db, customerId, uploads);
  const reports = await findQualityReportsOfUploads(
    db,
    customerId,
    uploads.map((u) => u.id),
  );
  return { total, uploads, names, reports };
}

/** Who sent the upload and who deleted it (detail page). */
export async function loadUploadPeople(
  db: Kysely<DB>,
  upload: UploadRecord,
): Promise<{ names: Map<string, string>; deletedBy: string | null }> {
  const names = await uploaderNames(db, upload.customer_id, [upload]);
  if (upload.deleted_by === null) return { names, deletedBy: null };
  const deleted = await usernamesByIds(db, [upload.deleted_by]);
  return { names, deletedBy: deleted.get(upload.deleted_by) ?? 'Unknown user' };
}

/** The rejection rows of an upload's report (empty without a report). */
export async function loadUploadRejections(db: Kysely<DB>, upload: UploadRecord) {
  const report = await findQualityReport(db, upload.customer_id, upload.id);
  return report?.rejection_details ?? [];
}

/** How many stored claims a deletion would remove. */
export function countClaimsOfUpload(db: Kysely<DB>, upload: UploadRecord): Promise<number> {
  return countCurrentClaimsOfUpload(db, upload.customer_id, upload.id);
}
