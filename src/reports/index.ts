import { REPORT_BUILDERS } from './builders.ts';
import { buildDriftWorkbook } from './drift-workbook.ts';
import { buildFindingsCsv } from './findings-csv.ts';

/**
 * Registers every report builder in `REPORT_BUILDERS` (one line per kind); import this module
 * where downloads or the report job run.
 */
REPORT_BUILDERS.drift_workbook = buildDriftWorkbook;
REPORT_BUILDERS.findings_csv = buildFindingsCsv;

export { REPORT_BUILDERS };
