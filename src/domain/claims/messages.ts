/**
 * Upload-level outcome and texts (ingestion spec §2.3, §2.10, §3.1): final status, the
 * "All rows were rejected" error, summary_message and privacy_alert. None of them ever
 * contains a cell value.
 */
import { percent1 } from '../quality/grades.ts';
import type { UploadQualityReport } from '../quality/report.ts';

/** Final status of an upload that reached the row stage. */
export type FinalStatus = 'success' | 'partial' | 'failed';

/** success: ≥ 1 row, none rejected; partial: some rejected, ≥ 1 accepted; failed: otherwise. */
export function finalStatus(
  r: Pick<UploadQualityReport, 'totalRows' | 'acceptedRows' | 'rejectedRows'>,
): FinalStatus {
  if (r.totalRows === 0 || r.acceptedRows === 0) return 'failed';
  return r.rejectedRows === 0 ? 'success' : 'partial';
}

/**
 * `error_message` when every row was rejected: counts by category, then the first 5 rejected
 * rows as "Error processing row <n>: <reason>".
 */
export function allRejectedMessage(r: UploadQualityReport): string {
  const first = r.rejectionDetails
    .slice(0, 5)
    .map((d) => `Error processing row ${d.row}: ${d.reason}`)
    .join('; ');
  return (
    `All ${r.totalRows} rows were rejected. PHI detected: ${r.phiRows}, Missing fields: ${r.missingFieldsRows}, ` +
    `Invalid dates: ${r.invalidDatesRows}, Invalid values: ${r.invalidValuesRows}. ` +
    first +
    '. Please fix the data and try again.'
  );
}

/**
 * `summary_message` when processing ends (§2.10). `errorMessage` is required for a failed
 * upload (file-level error or the all-rejected message).
 */
export function summaryMessage(
  filename: string,
  r: Pick<
    UploadQualityReport,
    | 'totalRows'
    | 'acceptedRows'
    | 'rejectedRows'
    | 'warningRows'
    | 'insertedRows'
    | 'updatedRows'
    | 'duplicateRows'
  >,
  status: FinalStatus,
  errorMessage?: string,
): string {
  if (status === 'failed') return `Upload failed: ${errorMessage ?? ''}`;
  if (r.rejectedRows === 0 && r.warningRows === 0) {
    return (
      `Successfully uploaded ${filename} with ${r.acceptedRows} records` +
      (r.updatedRows > 0 ? ` (${r.updatedRows} updated)` : '')
    );
  }
  let msg =
    `Uploaded ${filename}: ${r.acceptedRows} of ${r.totalRows} rows accepted (${percent1(r.acceptedRows, r.totalRows)}%). ` +
    `${r.rejectedRows} rows were rejected. See quality report below for details.`;
  if (r.updatedRows > 0 || r.duplicateRows > 0) {
    msg += ` New: ${r.insertedRows}, updated: ${r.updatedRows}, duplicates skipped: ${r.duplicateRows}.`;
  }
  return msg;
}

const ALERT_TAIL =
  "Please use payer organization names only (e.g., 'Blue Cross Blue Shield', 'Medicare', 'Aetna'). " +
  'NEVER include patient names, DOB, SSN, or addresses in uploads.';

function rowList(rows: readonly number[], count: number): string {
  return rows.join(', ') + (count > rows.length ? ', …' : '');
}

/**
 * `privacy_alert` (§3.1): row numbers only (up to 10 then ", …"), never a value. Null when no
 * row was rejected for PHI.
 */
export function privacyAlert(r: Pick<UploadQualityReport, 'privacy'>): string | null {
  const p = r.privacy;
  const parts: string[] = [];
  if (p.nameRowCount === 1) {
    parts.push(
      `PRIVACY ALERT: the payer value in row ${p.nameRows[0]} looks like a patient name. ${ALERT_TAIL}`,
    );
  } else if (p.nameRowCount > 1) {
    parts.push(
      `PRIVACY ALERT: payer values in ${p.nameRowCount} rows (rows ${rowList(p.nameRows, p.nameRowCount)}) look like patient names. ${ALERT_TAIL}`,
    );
  }
  if (p.patternRowCount > 0) {
    const kinds = p.patternKinds.join(', ');
    const text =
      p.patternRowCount === 1
        ? `1 row contains text that looks like patient identifiers (${kinds}) (row ${p.patternRows[0]}). ` +
          'This row was rejected and the values were not stored.'
        : `${p.patternRowCount} rows contain text that looks like patient identifiers (${kinds}) ` +
          `(rows ${rowList(p.patternRows, p.patternRowCount)}). These rows were rejected and the values were not stored.`;
    parts.push(parts.length === 0 ? `PRIVACY ALERT: ${text}` : text);
  }
  return parts.length > 0 ? parts.join(' ') : null;
}
