import type { Kysely } from 'kysely';
import {
  countCriticalAnomaliesOfUpload,
  findQualityReport,
  type QualityReportRecord,
} from '../db/repositories/quality.repository.ts';
import type { DB } from '../db/schema.ts';

/** What the quality report of one upload shows: the stored report and its critical anomalies. */
export interface UploadQualityView {
  report: QualityReportRecord;
  criticalAnomalies: number;
}

/**
 * Read model of `GET /api/v1/uploads/<id>/quality/` and the portal's upload page: the report
 * (undefined while the upload has none) plus the count the recommendations need, fetched
 * here so that `presentQualityReport` stays a pure function.
 */
export async function loadUploadQuality(
  db: Kysely<DB>,
  customerId: number,
  uploadId: number,
): Promise<UploadQualityView | undefined> {
  const report = await findQualityReport(db, customerId, uploadId);
  if (!report) return undefined;
  return { report, criticalAnomalies: await countCriticalAnomaliesOfUpload(db, customerId, uploadId) };
}
