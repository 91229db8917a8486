import type { Kysely } from 'kysely';
import type { AnalysisRunRecord } from '../db/repositories/analysis-runs.repository.ts';
import type { DB, ReportArtifactKind } from '../db/schema.ts';

/**
 * The report builders (alerts-reports §13): one function per artifact kind that turns a run into
 * file bytes. Builders read what they need through repositories/queries and hand the rows to a
 * presenter-like pure renderer; they never write (the `report-artifact` command stores and
 * records what they return).
 */

/** The optional download filters of §13.2; a filtered download bypasses the artifact cache. */
export interface ReportFilters {
  /** Findings with severity ≥ this (0–1). */
  minSeverity?: number;
  /** Case-insensitive "contains" on the payer name. */
  payer?: string;
}

export interface ReportBuildInput {
  db: Kysely<DB>;
  customerId: number;
  customerName: string;
  run: AnalysisRunRecord;
  filters: ReportFilters;
}

export interface BuiltReport {
  bytes: Buffer;
  /** Rows of the main table (findings), for the `report_exported` audit's `record_count`. */
  recordCount: number;
}

export type ReportBuilder = (input: ReportBuildInput) => Promise<BuiltReport>;
export type ReportBuilders = Partial<Record<ReportArtifactKind, ReportBuilder>>;

/**
 * The product's builders. Each kind's module registers itself here with one line
 * (pdf: weekly drift summary; xlsx: drift workbook; csv: findings).
 */
export const REPORT_BUILDERS: ReportBuilders = {};
