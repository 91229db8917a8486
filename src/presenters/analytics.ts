import type { AnalysisRunRecord } from '../db/repositories/analysis-runs.repository.ts';
import type { FindingRecord } from '../db/repositories/findings.repository.ts';
import { toStoredFinding } from '../db/repositories/findings.repository.ts';
import type { JobsTable } from '../db/schema.ts';
import { topBySeverity } from '../domain/analytics/dashboard-trend.ts';
import {
  addDays,
  buildEvidencePayload,
  entityLabel,
  fixed,
  formatDays,
  formatDaysDelta,
  formatMoney,
  formatPValue,
  formatRate,
  formatRateDelta,
  formatSeverity,
  formatTimestampTable,
  type Interpretation,
  interpret,
  PRODUCT_NAME,
  SEVERITY_COLOUR,
  SIGNAL_LABEL,
  type SignalType,
  severityLabelTitle,
  severityLabelUpper,
  signedFixed,
} from '../domain/analytics/index.ts';
import type { DashboardView } from '../queries/dashboard.ts';

/** Portal and API presentation of analysis runs and findings (analytics §13.1, §13.8). */

type Unit = FindingRecord['unit'];

function moneyNumber(v: number): string {
  return formatMoney(fixed(v, 2));
}

/** A finding value in its unit (§13.1). */
export function formatUnitValue(unit: Unit, v: number): string {
  switch (unit) {
    case 'rate':
      return formatRate(v);
    case 'days':
      return formatDays(v);
    case 'usd_per_day':
      return `${moneyNumber(v)}/day`;
    case 'count_per_day':
      return `${fixed(v, 1)}/day`;
    default:
      return fixed(v, 0);
  }
}

/** A finding delta in its unit (§13.1). */
export function formatUnitDelta(unit: Unit, d: number): string {
  switch (unit) {
    case 'rate':
      return formatRateDelta(d);
    case 'days':
      return formatDaysDelta(d);
    case 'usd_per_day':
      return `${d < 0 ? '' : '+'}${moneyNumber(d)}/day`;
    case 'count_per_day':
      return `${signedFixed(d, 1)}/day`;
    default:
      return signedFixed(d, 0);
  }
}

export function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export function signalLabel(signal: string): string {
  return SIGNAL_LABEL[signal as SignalType] ?? signal;
}

export function productUrl(product: string): string {
  return `/portal/products/${product}/`;
}

export function findingUrl(id: number): string {
  return `/portal/findings/${id}/`;
}

/** The interpretation of a finding without evidence rows (tables and feeds). */
export function interpretFinding(f: FindingRecord): Interpretation {
  return interpret(
    buildEvidencePayload({
      product: f.product,
      finding: toStoredFinding(f),
      asOf: f.as_of,
      portalUrl: productUrl(f.product),
    }),
  );
}

/** One finding as a row of the portal tables. */
export interface FindingRow {
  id: number;
  url: string;
  product: string;
  productName: string;
  productUrl: string;
  signal: string;
  payer: string;
  sub: string;
  entity: string;
  baseline: string;
  current: string;
  change: string;
  deltaPercent: string;
  severity: string;
  severityLabel: string;
  severityTitle: string;
  severityColour: string;
  confidence: string;
  q: string;
  p: string;
  asOf: string;
  direction: string;
  urgencyLevel: string;
  urgencyLabel: string;
  plain: string;
  noise: boolean;
  impact: string;
  createdAt: string;
}

export function findingRow(f: FindingRecord): FindingRow {
  const i = interpretFinding(f);
  return {
    id: f.id,
    url: findingUrl(f.id),
    product: f.product,
    productName: PRODUCT_NAME[f.product],
    productUrl: productUrl(f.product),
    signal: signalLabel(f.signal_type),
    payer: f.payer,
    sub: f.cpt_group ?? f.denial_reason ?? '',
    entity: entityLabel(f),
    baseline: formatUnitValue(f.unit, f.baseline_value),
    current: formatUnitValue(f.unit, f.current_value),
    change: formatUnitDelta(f.unit, f.delta_value),
    deltaPercent: f.delta_percent === null ? '-' : `${signedFixed(f.delta_percent, 1)}%`,
    severity: formatSeverity(f.severity, f.severity_label),
    severityLabel: f.severity_label,
    severityTitle: severityLabelTitle(f.severity_label),
    severityColour: SEVERITY_COLOUR[f.severity_label],
    confidence: `${f.confidence_label} (${fixed(f.confidence, 2)})`,
    q: formatPValue(f.q_value),
    p: formatPValue(f.p_value),
    asOf: f.as_of,
    direction: f.direction,
    urgencyLevel: i.urgency_level,
    urgencyLabel: i.urgency_label,
    plain: i.plain_language,
    noise: i.is_likely_noise,
    impact: f.estimated_impact === null ? '-' : formatMoney(f.estimated_impact),
    createdAt: formatTimestampTable(f.created_at),
  };
}

// ---- API presenters (§4.6, analytics §13.8) ----

function iso(d: Date | null): string | null {
  return d ? d.toISOString() : null;
}

export function presentReport(run: AnalysisRunRecord, findings: number) {
  return {
    id: run.id,
    product: run.product,
    run_type: run.run_type,
    as_of: run.as_of,
    started_at: iso(run.started_at),
    status: run.status,
    drift_event_count: findings,
  };
}

/** A stored report file of a run (PDF, XLSX, CSV; alerts-reports §13.2), see presentRunArtifacts. */
export interface ReportArtifact {
  kind: string;
  format: string;
  size_bytes: number;
  sha256: string;
  download_url: string;
}

export function presentReportDetail(
  run: AnalysisRunRecord,
  findings: readonly FindingRecord[],
  artifacts: readonly ReportArtifact[] = [],
) {
  return {
    ...presentReport(run, findings.length),
    customer: run.customer_id,
    finished_at: iso(run.finished_at),
    duration_ms: run.duration_ms,
    parameters: run.parameters,
    summary_json: run.summary_json,
    error_message: run.error_message,
    drift_events: findings.filter((f) => f.product === 'driftwatch').map(presentDriftEvent),
    artifacts: [...artifacts],
  };
}

export function presentDriftEvent(f: FindingRecord) {
  return {
    id: f.id,
    customer: f.customer_id,
    report_run: f.run_id,
    payer: f.payer,
    cpt_group: f.cpt_group,
    drift_type: f.signal_type,
    baseline_value: f.baseline_value,
    current_value: f.current_value,
    delta_value: f.delta_value,
    delta_percent: f.delta_percent,
    severity: f.severity,
    severity_label: severityLabelUpper(f.severity_label),
    confidence: f.confidence,
    direction: f.direction,
    p_value: f.p_value,
    q_value: f.q_value,
    baseline_sample_size: f.baseline_count,
    current_sample_size: f.current_count,
    estimated_weekly_revenue_impact: f.estimated_impact,
    fingerprint: f.fingerprint,
    baseline_start: f.baseline_start,
    baseline_end: f.baseline_end,
    current_start: f.current_start,
    current_end: f.current_end,
    created_at: f.created_at.toISOString(),
  };
}

function detail(f: FindingRecord, key: string): unknown {
  const d = f.details as Record<string, unknown>;
  return d[key] ?? null;
}

export function presentDenialSignal(f: FindingRecord) {
  return {
    id: f.id,
    customer: f.customer_id,
    report_run: f.run_id,
    signal_type: f.signal_type,
    payer: f.payer,
    denial_reason: f.denial_reason,
    window_start: f.current_start,
    window_end: f.current_end,
    baseline_start: f.baseline_start,
    baseline_end: f.baseline_end,
    recent_value: f.current_value,
    baseline_value: f.baseline_value,
    relative_increase: detail(f, 'relative_increase'),
    p_value: f.p_value,
    severity: f.severity_label,
    confidence: f.confidence,
    estimated_dollars: f.estimated_impact,
    summary_text: f.summary_text,
    details: f.details,
    fingerprint: f.fingerprint,
    created_at: f.created_at.toISOString(),
  };
}

export function presentDelaySignal(f: FindingRecord) {
  return {
    id: f.id,
    customer: f.customer_id,
    report_run: f.run_id,
    signal_type: f.signal_type,
    payer: f.payer,
    window_start: f.current_start,
    window_end: f.current_end,
    baseline_start: f.baseline_start,
    baseline_end: f.baseline_end,
    baseline_avg_days: f.baseline_value,
    current_avg_days: f.current_value,
    delta_days: f.delta_value,
    delta_percent: f.delta_percent,
    baseline_claim_count: f.baseline_count,
    current_claim_count: f.current_count,
    estimated_dollars_at_risk: f.estimated_impact,
    severity: f.severity_label,
    confidence: f.confidence,
    summary_text: f.summary_text,
    data_quality_warnings: detail(f, 'data_quality_warnings') ?? [],
    fingerprint: f.fingerprint,
    created_at: f.created_at.toISOString(),
  };
}

const PRODUCT_ENDPOINT = {
  driftwatch: 'drift-events',
  denialscope: 'denial-signals',
  delayguard: 'delay-signals',
} as const;

export function presentUnifiedFinding(f: FindingRecord, base: string) {
  return {
    id: `${f.product}:${f.id}`,
    product: f.product,
    signal_type: f.signal_type,
    entity: entityLabel(f),
    severity_label: severityLabelUpper(f.severity_label),
    confidence: f.confidence,
    detected_at: f.created_at.toISOString(),
    summary: f.summary_text,
    api_url: `${base}${PRODUCT_ENDPOINT[f.product]}/${f.id}/`,
  };
}

type JobRow = {
  [K in keyof JobsTable]: JobsTable[K] extends import('kysely').ColumnType<infer S, unknown, unknown>
    ? S
    : JobsTable[K] extends import('kysely').Generated<infer G>
      ? G
      : JobsTable[K];
};

const JOB_KINDS: Record<string, string> = {
  'ingest-upload': 'upload',
  analysis: 'analysis',
  'reapply-mappings': 'reapply_mappings',
  backtest: 'backtest',
};

export function presentJob(
  job: Pick<
    JobRow,
    | 'id'
    | 'kind'
    | 'status'
    | 'progress_done'
    | 'progress_total'
    | 'result'
    | 'error'
    | 'created_at'
    | 'started_at'
    | 'finished_at'
  >,
) {
  const done = job.progress_done ?? 0;
  const total = job.progress_total;
  const status = String(job.status);
  return {
    id: job.id,
    kind: JOB_KINDS[job.kind] ?? job.kind,
    status: status === 'completed' || status === 'success' ? 'succeeded' : status,
    progress: {
      done,
      total,
      percent: total ? Math.min(100, Math.floor((done / total) * 100)) : status === 'succeeded' ? 100 : 0,
    },
    result: job.result,
    error: job.error,
    created_at: iso(job.created_at),
    started_at: iso(job.started_at),
    finished_at: iso(job.finished_at),
  };
}

// ---- Analysis coverage and emerging candidates (issue 9) ----

/** The dashboard line saying how far the latest run reaches. */
export interface AnalysisCoverage {
  /** Last day inside the current window (`as_of − 1`). */
  readonly analysedThrough: string;
  /** Shown when the analysis stops before yesterday; null when it is up to date. */
  readonly notice: string | null;
}

/**
 * "Analysed through …" (issue 9, item 4): runs end where the customer's data ends, so a
 * dashboard says when that is earlier than yesterday — because the latest claims are from then,
 * or (DriftWatch's weekly runs) because newer decisions wait for the next run.
 */
export function analysisCoverage(
  run: { readonly as_of: string } | undefined,
  today: string,
  latestDecision: string | null,
): AnalysisCoverage | null {
  if (!run) return null;
  const analysedThrough = addDays(run.as_of, -1);
  if (analysedThrough >= addDays(today, -1) || latestDecision === null)
    return { analysedThrough, notice: null };
  const notice =
    latestDecision <= analysedThrough
      ? `Analysed through ${analysedThrough}: your latest claims are from then.`
      : `Analysed through ${analysedThrough}. Claims decided up to ${latestDecision} are included in the next run.`;
  return { analysedThrough, notice };
}

/** One row of a dashboard's "Emerging" table. */
export interface EmergingRow {
  readonly signal: string;
  readonly payer: string;
  readonly subkey: string;
  readonly baseline: string;
  readonly current: string;
  readonly change: string;
  readonly reason: string;
  readonly evidence: string;
  readonly runs: string;
}

const EMERGING_REASON: Readonly<Record<string, string>> = {
  not_significant: 'Not significant yet',
  needs_more_data: 'Needs more data',
};

const DENIAL_SIGNALS: ReadonlySet<string> = new Set([
  'new_denial_reason',
  'denial_rate_spike',
  'denial_dollars_spike',
  'denial_volume_spike',
]);

function ordinalRuns(n: number): string {
  if (n <= 1) return 'First seen';
  return `${n} runs in a row`;
}

/**
 * The run's emerging candidates (`summary_json.emerging`) as table rows: changes that met a
 * threshold but are not findings — not significant after false-discovery control, or on too few
 * claims. They raise no alert; a change that persists shows "n runs in a row".
 */
export function emergingRows(summary: Readonly<Record<string, unknown>> | null | undefined): EmergingRow[] {
  const list = summary?.['emerging'];
  if (!Array.isArray(list)) return [];
  const rows: EmergingRow[] = [];
  for (const item of list) {
    if (typeof item !== 'object' || item === null) continue;
    const e = item as Record<string, unknown>;
    const unit = (typeof e['unit'] === 'string' ? e['unit'] : 'rate') as Unit;
    const num = (k: string) => (typeof e[k] === 'number' ? (e[k] as number) : Number.NaN);
    const p = typeof e['p_value'] === 'number' ? e['p_value'] : null;
    const q = typeof e['q_value'] === 'number' ? e['q_value'] : null;
    // DenialScope counts denials of the payer × reason key; the others count claims.
    const noun = DENIAL_SIGNALS.has(String(e['signal_type'])) ? 'denials' : 'claims';
    const counts = `${num('baseline_count')} → ${num('current_count')} ${noun}`;
    rows.push({
      signal: SIGNAL_LABEL[e['signal_type'] as SignalType] ?? String(e['signal_type'] ?? ''),
      payer: String(e['payer'] ?? ''),
      subkey: String(e['subkey'] ?? ''),
      baseline: formatUnitValue(unit, num('baseline_value')),
      current: formatUnitValue(unit, num('current_value')),
      change: formatUnitDelta(unit, num('delta_value')),
      reason: EMERGING_REASON[String(e['reason'])] ?? String(e['reason'] ?? ''),
      evidence:
        p === null
          ? counts
          : `${counts} · p ${formatPValue(p)}${q === null ? '' : ` · q ${formatPValue(q)}`}`,
      runs: ordinalRuns(typeof e['consecutive_runs'] === 'number' ? e['consecutive_runs'] : 1),
    });
  }
  return rows;
}

/** `GET /api/v1/dashboard/` (web-api-ops §4.6). */
export function presentDashboard(view: DashboardView) {
  return {
    total_claims: view.totalClaims,
    total_uploads: view.totalUploads,
    active_drift_events: view.driftFindings.length,
    last_report_date: view.latestDriftRun?.finished_at ? iso(view.latestDriftRun.finished_at) : null,
    denial_rate_trend: view.denialRateTrend.map((w) => ({
      week_start: w.weekStart,
      total_claims: w.totalClaims,
      denied_claims: w.deniedClaims,
      denial_rate: w.denialRate,
    })),
    top_drift_payers: topBySeverity(view.driftFindings).map((f) => ({
      payer: f.payer,
      severity: f.severity,
      delta_value: f.delta_value,
    })),
    open_alerts: view.openAlerts,
    recovered_this_month: view.recoveredThisMonth,
  };
}
