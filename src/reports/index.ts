import { REPORT_BUILDERS } from './builders.ts';
import { buildWeeklyDriftPdf } from './weekly-pdf.ts';

/**
 * Fills the report builder registry (alerts-reports §13): one line per artifact kind. Imported
 * for its effect wherever builders run — the job definitions (web process and job threads both
 * register them) and the commands that build reports outside a job (`payrixa analyze`).
 */
REPORT_BUILDERS.weekly_drift_summary = buildWeeklyDriftPdf;

export { REPORT_BUILDERS };
