import { AppError } from '../config/errors.ts';
import { presentWeeklyReport } from '../presenters/weekly-report.ts';
import { loadWeeklyReport } from '../queries/weekly-report.ts';
import type { ReportBuilder } from './builders.ts';
import { renderWeeklyPdf } from './weekly-pdf-renderer.ts';

/**
 * Builder of the `weekly_drift_summary` artifact (alerts-reports §13.1): read model → view model
 * → PDF. Depends only on the customer name, the run and its findings, so the bytes are the same
 * whenever those are (the artifact's SHA-256 is stable across rebuilds and re-runs).
 * Any failure is reported as "PDF generation failed: {message}".
 */
export const buildWeeklyDriftPdf: ReportBuilder = async ({ db, customerId, customerName, run, filters }) => {
  try {
    const data = await loadWeeklyReport(db, customerId, run.id, filters);
    const view = presentWeeklyReport({ customerName, run, data });
    const bytes = await renderWeeklyPdf(view, {
      asOf: run.as_of,
      documentTitle: `Weekly Payer Drift Report - ${customerName} - ${run.as_of}`,
    });
    return { bytes, recordCount: data.findings.length };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new AppError('pdf_generation_failed', `PDF generation failed: ${message}`, 500);
  }
};
