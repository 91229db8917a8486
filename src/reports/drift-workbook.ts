import {
  DRIFT_EVENT_COLUMNS,
  driftEventRow,
  sortFindingsForReport,
  workbookSummaryRows,
} from '../presenters/report-rows.ts';
import { alertEventsOfRunFindings, findingsOfRun } from '../queries/report-exports.ts';
import { alertEventsSheet } from './alert-events-sheet.ts';
import type { ReportBuilder } from './builders.ts';
import { writeWorkbook } from './xlsx.ts';

/**
 * `drift_workbook` (alerts-reports §13.2): sheets Summary, Drift Events and Alert Events of a
 * DriftWatch run. The download filters narrow the findings; the summary and the alert events
 * follow them (a filtered file describes what it contains). The document dates are the run's
 * as_of at midnight UTC, never the wall clock.
 */
export const buildDriftWorkbook: ReportBuilder = async ({ db, customerId, customerName, run, filters }) => {
  const findings = sortFindingsForReport(await findingsOfRun(db, customerId, run.id, filters));
  const alerts = await alertEventsOfRunFindings(db, customerId, run.id, filters);
  const bytes = await writeWorkbook(
    [
      {
        kind: 'pairs',
        name: 'Summary',
        rows: workbookSummaryRows({ customerName, run, findings, alertEventCount: alerts.length }),
      },
      {
        kind: 'table',
        name: 'Drift Events',
        columns: DRIFT_EVENT_COLUMNS,
        rows: findings.map(driftEventRow),
      },
      alertEventsSheet(alerts),
    ],
    { createdAt: new Date(`${run.as_of}T00:00:00Z`) },
  );
  return { bytes, recordCount: findings.length };
};
