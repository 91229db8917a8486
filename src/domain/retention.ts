/**
 * Retention (alerts-reports §15, web-api-ops §7.5): the categories `payrixa retention` and the
 * daily `maintenance.retention` job delete, and the cutoffs they delete before. Pure — "today"
 * comes from the caller's clock, the periods from RETENTION_* (src/config/env.ts).
 */

/** The RETENTION_* periods (days) this module reads; `RetentionConfig` satisfies it. */
export interface RetentionPeriods {
  claimsDays: number;
  uploadsDays: number;
  validationDays: number;
  findingsDays: number;
  deliveriesDays: number;
  artifactsPdfDays: number;
  artifactsOtherDays: number;
  eventsDays: number;
  jobsDays: number;
  auditDays: number;
}

/**
 * §7.5: claims still inside any analytics window are never deleted — the longest window is 104
 * days, plus margin. The configuration clamps RETENTION_CLAIMS_DAYS to this too; the cutoff
 * clamps again so no caller can pass a shorter period.
 */
export const MIN_CLAIMS_RETENTION_DAYS = 120;

/**
 * §15 rule 2 / §7.5: "a run is kept while an alert with a judgment in the last 730 days points to
 * it". The spec fixes the number (it is not RETENTION_FINDINGS_DAYS), so a shorter findings period
 * never drops a run an operator judged recently.
 */
export const JUDGMENT_KEEPS_DAYS = 730;

/**
 * The counts a retention run reports, in output order. `key` names the count in the audit
 * metadata; `label` is the CLI's `Found <n> <label>` / `Deleted <n> <label>`. Claim daily rollups
 * are the rows of days whose claims all went; rejected-row details are quality reports whose
 * per-row rejection list was emptied (the report and its counts stay with the upload).
 */
export const RETENTION_COUNTS = [
  { key: 'claims', label: 'claims' },
  { key: 'claim_daily_rollups', label: 'claim daily rollups' },
  { key: 'validation_results', label: 'validation results' },
  { key: 'rejected_row_details', label: 'rejected-row details' },
  { key: 'uploads', label: 'uploads' },
  { key: 'quality_reports', label: 'quality reports' },
  { key: 'report_artifacts', label: 'report artifacts' },
  { key: 'analysis_runs', label: 'analysis runs' },
  { key: 'findings', label: 'findings' },
  { key: 'alert_events', label: 'alert events' },
  { key: 'operator_judgments', label: 'operator judgments' },
  { key: 'webhook_deliveries', label: 'webhook deliveries' },
  { key: 'system_events', label: 'system events' },
  { key: 'jobs', label: 'job records' },
  { key: 'audit_events', label: 'audit events' },
] as const;
export type RetentionCountKey = (typeof RETENTION_COUNTS)[number]['key'];
export type RetentionCounts = Record<RetentionCountKey, number>;

export function emptyRetentionCounts(): RetentionCounts {
  return Object.fromEntries(RETENTION_COUNTS.map(({ key }) => [key, 0])) as RetentionCounts;
}

/**
 * What is old enough to go. "Older than N days" means N whole days before today: with today
 * 2026-03-20 and 90 days, anything stamped before 2025-12-20T00:00Z (dated 2025-12-19 or earlier,
 * i.e. 91+ days old) goes, and a row of 2025-12-20 (exactly 90 days old) stays. Timestamps
 * compare against UTC midnight so a run at 03:30 and a run at 23:00 delete the same rows.
 */
export interface RetentionCutoffs {
  /** UTC date the run counts from (YYYY-MM-DD). */
  today: string;
  /** PDF artifacts last built before this go (RETENTION_ARTIFACTS_PDF_DAYS). */
  pdfArtifactsBefore: Date;
  /** Excel and CSV artifacts last built before this go (RETENTION_ARTIFACTS_OTHER_DAYS). */
  otherArtifactsBefore: Date;
  /** Runs (and their findings) with `as_of` before this date go (RETENTION_FINDINGS_DAYS). */
  runsAsOfBefore: string;
  /** Alert events triggered before this go, judgments with them (RETENTION_FINDINGS_DAYS). */
  alertEventsBefore: Date;
  /** A judgment given at or after this keeps its alert event and the run it points to. */
  judgedSince: Date;
  /** Webhook delivery logs created before this go (RETENTION_DELIVERIES_DAYS). */
  webhookDeliveriesBefore: Date;
  /** Claims submitted before this date go (RETENTION_CLAIMS_DAYS, never under 120 days). */
  claimsSubmittedBefore: string;
  /** Uploads created before this go once no kept claim references them (RETENTION_UPLOADS_DAYS). */
  uploadsBefore: Date;
  /** Validation results and rejected-row details created before this go (RETENTION_VALIDATION_DAYS). */
  validationBefore: Date;
  /** System events created before this go (RETENTION_EVENTS_DAYS). */
  systemEventsBefore: Date;
  /** Finished jobs that finished before this go (RETENTION_JOBS_DAYS). */
  jobsFinishedBefore: Date;
  /** Audit events created before this go (RETENTION_AUDIT_DAYS). */
  auditEventsBefore: Date;
}

const DAY_MS = 86_400_000;

function utcMidnight(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}

function daysBefore(midnight: Date, days: number): Date {
  return new Date(midnight.getTime() - days * DAY_MS);
}

export function retentionCutoffs(now: Date, periods: RetentionPeriods): RetentionCutoffs {
  const midnight = utcMidnight(now);
  const findings = daysBefore(midnight, periods.findingsDays);
  return {
    today: midnight.toISOString().slice(0, 10),
    pdfArtifactsBefore: daysBefore(midnight, periods.artifactsPdfDays),
    otherArtifactsBefore: daysBefore(midnight, periods.artifactsOtherDays),
    runsAsOfBefore: findings.toISOString().slice(0, 10),
    alertEventsBefore: findings,
    judgedSince: daysBefore(midnight, JUDGMENT_KEEPS_DAYS),
    webhookDeliveriesBefore: daysBefore(midnight, periods.deliveriesDays),
    claimsSubmittedBefore: daysBefore(midnight, Math.max(periods.claimsDays, MIN_CLAIMS_RETENTION_DAYS))
      .toISOString()
      .slice(0, 10),
    uploadsBefore: daysBefore(midnight, periods.uploadsDays),
    validationBefore: daysBefore(midnight, periods.validationDays),
    systemEventsBefore: daysBefore(midnight, periods.eventsDays),
    jobsFinishedBefore: daysBefore(midnight, periods.jobsDays),
    auditEventsBefore: daysBefore(midnight, periods.auditDays),
  };
}

/** Sum of every count (the CLI's `Total: <n>`). */
export function retentionTotal(counts: RetentionCounts): number {
  return RETENTION_COUNTS.reduce((sum, { key }) => sum + counts[key], 0);
}

/**
 * The CLI report (web-api-ops §7.5): a dry run announces itself and says `Found`, a real run
 * `Deleted`; one line per count, then the total.
 */
export function retentionReportLines(counts: RetentionCounts, dryRun: boolean): string[] {
  const verb = dryRun ? 'Found' : 'Deleted';
  return [
    ...(dryRun ? ['DRY RUN MODE - No data will be deleted'] : []),
    ...RETENTION_COUNTS.map(({ key, label }) => `${verb} ${counts[key]} ${label}`),
    `Total: ${retentionTotal(counts)}`,
  ];
}

/**
 * Per-customer retention periods (issue 13 item 6): a customer's contract may keep data longer
 * (an RCM firm's 7-year audit rule) or shorter (data minimisation) than the RETENTION_* defaults.
 * Staff set them with `payrixa customer retention`; they are stored as `{ "<name>": days }` on
 * the customer's settings and override the matching default for that customer only. Jobs are not
 * here: job records belong to the system, not to a tenant.
 *
 * Bounds: claims never under 120 days (the analytics windows, §7.5), audit never under one year
 * (an audit trail a tenant could shorten to days would not be one), everything at most 10 years.
 */
export const CUSTOMER_RETENTION_PERIODS = [
  { name: 'claims', field: 'claimsDays', min: MIN_CLAIMS_RETENTION_DAYS },
  { name: 'uploads', field: 'uploadsDays', min: 1 },
  { name: 'validation', field: 'validationDays', min: 1 },
  { name: 'findings', field: 'findingsDays', min: 1 },
  { name: 'deliveries', field: 'deliveriesDays', min: 1 },
  { name: 'artifacts_pdf', field: 'artifactsPdfDays', min: 1 },
  { name: 'artifacts_other', field: 'artifactsOtherDays', min: 1 },
  { name: 'events', field: 'eventsDays', min: 1 },
  { name: 'audit', field: 'auditDays', min: 365 },
] as const satisfies readonly { name: string; field: keyof RetentionPeriods; min: number }[];

export const MAX_RETENTION_DAYS = 3650;

export type CustomerRetentionName = (typeof CUSTOMER_RETENTION_PERIODS)[number]['name'];
/** A customer's overrides as stored: only the periods that differ from the defaults. */
export type CustomerRetentionOverrides = Partial<Record<CustomerRetentionName, number>>;

/**
 * Checks one `name=days` setting: a known name and whole days within its bounds. Returns the
 * problem in words, or the parsed setting.
 */
export function parseRetentionSetting(
  text: string,
): { ok: true; name: CustomerRetentionName; days: number } | { ok: false; problem: string } {
  const match = /^([a-z_]+)=(\d{1,6})$/.exec(text.trim());
  const names = CUSTOMER_RETENTION_PERIODS.map((p) => p.name).join(', ');
  if (!match) return { ok: false, problem: `'${text}' is not <period>=<days> (periods: ${names}).` };
  const period = CUSTOMER_RETENTION_PERIODS.find((p) => p.name === match[1]);
  if (!period) return { ok: false, problem: `Unknown retention period '${match[1]}' (periods: ${names}).` };
  const days = Number(match[2]);
  if (days < period.min || days > MAX_RETENTION_DAYS) {
    return {
      ok: false,
      problem: `${period.name} must be between ${period.min} and ${MAX_RETENTION_DAYS} days (got ${days}).`,
    };
  }
  return { ok: true, name: period.name, days };
}

/**
 * The stored overrides read back defensively: unknown names and out-of-bounds values (written by
 * hand, or by an older release with other bounds) are ignored rather than trusted.
 */
export function readRetentionOverrides(stored: unknown): CustomerRetentionOverrides {
  const out: CustomerRetentionOverrides = {};
  if (!stored || typeof stored !== 'object' || Array.isArray(stored)) return out;
  for (const period of CUSTOMER_RETENTION_PERIODS) {
    const days = (stored as Record<string, unknown>)[period.name];
    if (
      typeof days === 'number' &&
      Number.isInteger(days) &&
      days >= period.min &&
      days <= MAX_RETENTION_DAYS
    ) {
      out[period.name] = days;
    }
  }
  return out;
}

/** The periods that apply to one customer: the defaults with its overrides laid over them. */
export function effectiveRetentionPeriods<P extends RetentionPeriods>(
  defaults: P,
  overrides: CustomerRetentionOverrides,
): P {
  const periods = { ...defaults };
  for (const period of CUSTOMER_RETENTION_PERIODS) {
    const days = overrides[period.name];
    if (days !== undefined) periods[period.field] = days;
  }
  return periods;
}
