import { FINDINGS_CSV_HEADER, findingCsvRow, sortFindingsForReport } from '../presenters/report-rows.ts';
import { findingsOfRun } from '../queries/report-exports.ts';
import type { ReportBuilder } from './builders.ts';
import { csvDocument } from './csv.ts';

/**
 * `findings_csv` (alerts-reports §13.3): a run's findings — DriftWatch, DenialScope or DelayGuard,
 * same columns — with the download filters, ordered as the PDF, through the shared CSV writer.
 */
export const buildFindingsCsv: ReportBuilder = async ({ db, customerId, run, filters }) => {
  const findings = sortFindingsForReport(await findingsOfRun(db, customerId, run.id, filters));
  return {
    bytes: csvDocument(FINDINGS_CSV_HEADER, findings.map(findingCsvRow)),
    recordCount: findings.length,
  };
};
