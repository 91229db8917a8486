import { REPORT_BUILDERS } from './builders.ts';
import { buildDriftWorkbook } from './drift-workbook.ts';
import { buildFindingsCsv } from './findings-csv.ts';
import { buildWeeklyDriftPdf } from './weekly-pdf.ts';

/**
 * Fills the report builder registry (alerts-reports §13): one line per artifact kind. Imported
 * for its effect wherever builders run — the job definitions (web process and job threads both
 * register them), the download routes and the commands that build reports outside a job
 * (`payrixa analyze`).
 */
REPORT_BUILDERS.weekly_drift_summary = buildWeeklyDriftPdf;
REPORT_BUILDERS.drift_workbook = buildDriftWorkbook;
REPORT_BUILDERS.findings_csv = buildFindingsCsv;

export { REPORT_BUILDERS };
