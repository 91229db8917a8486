/**
 * Per-upload quality report (ingestion spec §2.11, table upload_quality_reports §1.3):
 * aggregation of row outcomes into counts, score, grade, capped rejection details and warnings.
 * Built incrementally so a million-row upload keeps only counters, a byte per row and the
 * capped lists in memory.
 */
import type { PhiKind } from '../claims/phi.ts';
import type { RejectionCategory, Severity } from '../claims/types.ts';
import { type Grade, grade, qualityScore } from './grades.ts';

/** A rejected row as listed in the report. */
export interface RejectionDetail {
  row: number;
  category: RejectionCategory;
  reason: string;
}

/** A warning as listed in the report; `row` null for file-level warnings. */
export interface ReportWarning {
  row: number | null;
  code: string;
  severity: 'info' | 'warning' | 'critical';
  message: string;
}

/** Failure counts of one rule or check by severity. */
export interface SeverityCounts {
  error: number;
  warning: number;
  info: number;
}

/** PHI details for the privacy alert (row numbers only — never values). */
export interface PrivacySummary {
  /** Rows whose payer looks like a person name: count and the first 10 row numbers. */
  nameRowCount: number;
  nameRows: number[];
  /** Rows rejected by the pattern scan: count, first 10 rows, kinds in first-seen order. */
  patternRowCount: number;
  patternRows: number[];
  patternKinds: PhiKind[];
}

/** The per-upload quality report (camel-cased columns of upload_quality_reports plus extras). */
export interface UploadQualityReport {
  totalRows: number;
  acceptedRows: number;
  insertedRows: number;
  updatedRows: number;
  duplicateRows: number;
  rejectedRows: number;
  warningRows: number;
  completeRows: number;
  phiRows: number;
  missingFieldsRows: number;
  invalidDatesRows: number;
  invalidValuesRows: number;
  reversals: number;
  /** accepted / total, 4 decimals (0 when total = 0). */
  qualityScore: number;
  grade: Grade;
  rejectionDetails: RejectionDetail[];
  rejectionDetailsTruncated: boolean;
  /** File-level warnings first, then the first 1,000 row-level ones in row order. */
  warnings: ReportWarning[];
  warningCounts: Record<string, number>;
  ignoredColumns: string[];
  identifierColumns: string[];
  ruleFailureCounts: Record<string, SeverityCounts>;
  privacy: PrivacySummary;
  /** Min/max of submitted and decided dates of accepted rows (ISO), null when none. */
  dateMin: string | null;
  dateMax: string | null;
  /** Inputs of the missing_data_spike and distribution_shift detectors (§4.2). */
  fieldStats: FieldStats;
}

/**
 * Per-upload field statistics: empty required cells over all data rows (rejected ones too),
 * DENIED accepted rows and those without a denial code, and the outcome mix of accepted rows.
 */
export interface FieldStats {
  emptyRequired: Record<'payer' | 'cpt' | 'submitted_date' | 'decided_date' | 'outcome', number>;
  deniedRows: number;
  deniedWithoutCode: number;
  outcomeCounts: { PAID: number; DENIED: number; OTHER: number };
}

function emptyFieldStats(): FieldStats {
  return {
    emptyRequired: { payer: 0, cpt: 0, submitted_date: 0, decided_date: 0, outcome: 0 },
    deniedRows: 0,
    deniedWithoutCode: 0,
    outcomeCounts: { PAID: 0, DENIED: 0, OTHER: 0 },
  };
}

/** Final write of an accepted row (§2.8); `superseded` = replaced by a later row of the same 835. */
export type RowDecision = 'insert' | 'update' | 'duplicate' | 'superseded';

const FLAG_ACCEPTED = 1;
const FLAG_WARNED = 2;
const FLAG_COMPLETE = 4;
const DECISION_SHIFT = 3; // 3 bits: 0 pending, 1 insert, 2 update, 3 duplicate, 4 superseded
const DECISION_CODES: Record<RowDecision, number> = { insert: 1, update: 2, duplicate: 3, superseded: 4 };

/** Caps of the stored lists (§1.3). */
export interface ReportLimits {
  rejectionDetails: number;
  rowWarnings: number;
}

export const DEFAULT_REPORT_LIMITS: ReportLimits = { rejectionDetails: 1000, rowWarnings: 1000 };

/**
 * Accumulates row outcomes. Accepted rows are "pending" until `decide` records what the final
 * transaction did with them (in-upload duplicates are decided at once).
 */
export class QualityReportBuilder {
  private flags = new Uint8Array(1024);
  private total = 0;
  private accepted = 0;
  private readonly categoryCounts: Record<RejectionCategory, number> = {
    phi: 0,
    missing_fields: 0,
    invalid_dates: 0,
    invalid_values: 0,
  };
  private readonly rejections: RejectionDetail[] = [];
  private rejectionsTruncated = false;
  private readonly rowWarnings: ReportWarning[] = [];
  private readonly fileWarnings: ReportWarning[] = [];
  private readonly warningCounts: Record<string, number> = {};
  private readonly ruleFailures: Record<string, SeverityCounts> = {};
  private readonly privacy: PrivacySummary = {
    nameRowCount: 0,
    nameRows: [],
    patternRowCount: 0,
    patternRows: [],
    patternKinds: [],
  };
  private ignoredColumns: string[] = [];
  private identifierColumns: string[] = [];
  private dateMin: string | null = null;
  private dateMax: string | null = null;
  private reversals = 0;
  private readonly stats: FieldStats = emptyFieldStats();
  private readonly limits: ReportLimits;

  constructor(limits: Partial<ReportLimits> = {}) {
    this.limits = { ...DEFAULT_REPORT_LIMITS, ...limits };
  }

  private ensure(row: number): void {
    if (row < this.flags.length) return;
    let size = this.flags.length;
    while (size <= row) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.flags);
    this.flags = next;
  }

  /** A rejected row (one reason). `phi` feeds the privacy alert. */
  addRejection(
    row: number,
    category: RejectionCategory,
    reason: string,
    phi?: { type: 'person_name' } | { type: 'pattern'; kind: PhiKind },
  ): void {
    this.total++;
    this.categoryCounts[category]++;
    if (this.rejections.length < this.limits.rejectionDetails)
      this.rejections.push({ row, category, reason });
    else this.rejectionsTruncated = true;
    if (phi?.type === 'person_name') {
      this.privacy.nameRowCount++;
      if (this.privacy.nameRows.length < 10) this.privacy.nameRows.push(row);
    } else if (phi?.type === 'pattern') {
      this.privacy.patternRowCount++;
      if (this.privacy.patternRows.length < 10) this.privacy.patternRows.push(row);
      if (!this.privacy.patternKinds.includes(phi.kind)) this.privacy.patternKinds.push(phi.kind);
    }
  }

  /** An accepted row with its warnings; `complete` per §2.11; dates feed date_min/max. */
  addAccepted(
    row: number,
    warnings: ReadonlyArray<{ code: string; message: string }>,
    complete: boolean,
    dates: readonly string[] = [],
  ): void {
    this.total++;
    this.accepted++;
    this.ensure(row);
    let f = FLAG_ACCEPTED;
    if (complete) f |= FLAG_COMPLETE;
    this.flags[row] = f;
    for (const w of warnings) this.addRowWarning(row, w.code, w.message);
    for (const d of dates) {
      if (this.dateMin === null || d < this.dateMin) this.dateMin = d;
      if (this.dateMax === null || d > this.dateMax) this.dateMax = d;
    }
  }

  /** Add a warning to an accepted row (also used for the stored-duplicate warning). */
  addRowWarning(row: number, code: string, message: string, severity: 'info' | 'warning' = 'warning'): void {
    this.ensure(row);
    this.flags[row] = (this.flags[row] ?? 0) | FLAG_WARNED;
    this.warningCounts[code] = (this.warningCounts[code] ?? 0) + 1;
    if (this.rowWarnings.length < this.limits.rowWarnings)
      this.rowWarnings.push({ row, code, severity, message });
  }

  /** Record what happened to an accepted row. Re-deciding a row replaces the earlier decision. */
  decide(row: number, decision: RowDecision): void {
    this.ensure(row);
    const f = this.flags[row] ?? 0;
    if (!(f & FLAG_ACCEPTED)) throw new Error(`row ${row} was not accepted`);
    this.flags[row] = (f & ((1 << DECISION_SHIFT) - 1)) | (DECISION_CODES[decision] << DECISION_SHIFT);
  }

  /** True when the row was accepted and has no decision yet. */
  isPending(row: number): boolean {
    const f = row < this.flags.length ? (this.flags[row] ?? 0) : 0;
    return (f & FLAG_ACCEPTED) !== 0 && f >> DECISION_SHIFT === 0;
  }

  /** Count the empty required cells of a data row (accepted or not). */
  countEmptyRequired(fields: Iterable<keyof FieldStats['emptyRequired']>): void {
    for (const f of fields) this.stats.emptyRequired[f]++;
  }

  /** Count an accepted row's outcome (and DENIED rows lacking a denial code). */
  countOutcome(outcome: 'PAID' | 'DENIED' | 'OTHER', hasDenialCode: boolean): void {
    this.stats.outcomeCounts[outcome]++;
    if (outcome === 'DENIED') {
      this.stats.deniedRows++;
      if (!hasDenialCode) this.stats.deniedWithoutCode++;
    }
  }

  /** A failed check / rule (every severity), for `rule_failure_counts`. */
  addRuleFailure(code: string, severity: Severity): void {
    const c = this.ruleFailures[code] ?? { error: 0, warning: 0, info: 0 };
    c[severity]++;
    this.ruleFailures[code] = c;
  }

  /** A file-level warning (ignored columns, X12 findings without a row …). */
  addFileWarning(w: { code: string; severity: 'info' | 'warning' | 'critical'; message: string }): void {
    this.fileWarnings.push({ row: null, code: w.code, severity: w.severity, message: w.message });
    this.warningCounts[w.code] = (this.warningCounts[w.code] ?? 0) + 1;
  }

  /** Ignored and identifier columns (§3.3) for the report. */
  setColumns(ignored: readonly string[], identifiers: readonly string[]): void {
    this.ignoredColumns = [...ignored];
    this.identifierColumns = [...identifiers];
  }

  /** 835 reversals counted in the report (§6.4). */
  addReversals(n: number): void {
    this.reversals += n;
  }

  /** Number of data rows counted so far. */
  get totalRows(): number {
    return this.total;
  }

  /**
   * The report. Accepted rows still pending are an error unless `pending: 'insert'` says the
   * caller knows they were all inserted (e.g. a first upload into an empty customer).
   */
  build(options: { pending?: 'error' | 'insert' } = {}): UploadQualityReport {
    let inserted = 0;
    let updated = 0;
    let duplicates = 0;
    let warned = 0;
    let complete = 0;
    let pending = 0;
    const flags = this.flags;
    for (let i = 0; i < flags.length; i++) {
      const f = flags[i] ?? 0;
      if (!(f & FLAG_ACCEPTED)) continue;
      if (f & FLAG_WARNED) warned++;
      if (f & FLAG_COMPLETE) complete++;
      switch (f >> DECISION_SHIFT) {
        case 0:
          pending++;
          break;
        case 1:
          inserted++;
          break;
        case 2:
        case 4:
          updated++;
          break;
        case 3:
          duplicates++;
          break;
      }
    }
    if (pending > 0) {
      if (options.pending !== 'insert') throw new Error(`${pending} accepted rows have no write decision`);
      inserted += pending;
    }
    const rowWarnings = [...this.rowWarnings].sort((a, b) => (a.row ?? 0) - (b.row ?? 0));
    const score = qualityScore(this.accepted, this.total);
    return {
      totalRows: this.total,
      acceptedRows: this.accepted,
      insertedRows: inserted,
      updatedRows: updated,
      duplicateRows: duplicates,
      rejectedRows: this.total - this.accepted,
      warningRows: warned,
      completeRows: complete,
      phiRows: this.categoryCounts.phi,
      missingFieldsRows: this.categoryCounts.missing_fields,
      invalidDatesRows: this.categoryCounts.invalid_dates,
      invalidValuesRows: this.categoryCounts.invalid_values,
      reversals: this.reversals,
      qualityScore: score,
      grade: grade(score),
      rejectionDetails: [...this.rejections],
      rejectionDetailsTruncated: this.rejectionsTruncated,
      warnings: [...this.fileWarnings, ...rowWarnings],
      warningCounts: { ...this.warningCounts },
      ignoredColumns: [...this.ignoredColumns],
      identifierColumns: [...this.identifierColumns],
      ruleFailureCounts: structuredClone(this.ruleFailures),
      privacy: structuredClone(this.privacy),
      dateMin: this.dateMin,
      dateMax: this.dateMax,
      fieldStats: structuredClone(this.stats),
    };
  }
}

/**
 * Category labels shown on the upload and quality pages (§2.11), only the non-zero ones, in
 * the order PHI, missing, dates, values, duplicates.
 */
export function categoryLabels(r: UploadQualityReport): string[] {
  const out: string[] = [];
  if (r.phiRows) out.push(`PHI detected: ${r.phiRows} rows (patient-like names or identifiers)`);
  if (r.missingFieldsRows) out.push(`Missing fields: ${r.missingFieldsRows} rows`);
  if (r.invalidDatesRows) out.push(`Invalid dates: ${r.invalidDatesRows} rows`);
  if (r.invalidValuesRows) out.push(`Invalid values: ${r.invalidValuesRows} rows`);
  if (r.duplicateRows) out.push(`Duplicates skipped: ${r.duplicateRows} rows`);
  return out;
}
