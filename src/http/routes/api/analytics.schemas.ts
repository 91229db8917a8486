import { Type } from 'typebox';
import { REPORT_ORDER_FIELDS } from '../../../queries/reports.ts';
import {
  DateString,
  DateTimeString,
  Id,
  ListQuery,
  Money,
  Nullable,
  PageQuery,
  Text,
} from '../../schemas/index.ts';
import { CustomerParam } from './mappings.schemas.ts';

/**
 * Schemas of the analytics resources (web-api-ops §4.5–§4.6): `reports/` (+ `trigger/`),
 * `jobs/<id>/`, `drift-events/`, `denial-signals/`, `delay-signals/`, `findings/`, `dashboard/`.
 */

export const PRODUCTS = ['driftwatch', 'denialscope', 'delayguard'] as const;
export const RUN_STATUSES = ['queued', 'running', 'success', 'failed'] as const;
export const RUN_TYPES = ['scheduled', 'manual', 'post_upload', 'backtest'] as const;
export const SEVERITY_LABELS = ['critical', 'high', 'medium', 'low'] as const;
export const DIRECTIONS = ['degrading', 'improving'] as const;

/** `[dD][rR]…`: the value matched ignoring case (JSON Schema patterns have no `i` flag). */
function caseless(value: string): string {
  return [...value]
    .map((ch) =>
      ch.toLowerCase() === ch.toUpperCase()
        ? ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
        : `[${ch.toLowerCase()}${ch.toUpperCase()}]`,
    )
    .join('');
}

/**
 * A filter naming one of `values`, in any letter case (`?severity_label=HIGH`); the handler
 * lower-cases it. Anything else is a 400 field error, as a bad choice always was.
 */
export function CaselessChoice(values: readonly string[], description: string) {
  return Type.Optional(
    Type.String({
      maxLength: 32,
      pattern: `^(?:${values.map(caseless).join('|')})$`,
      description: `${description} One of ${values.map((v) => `\`${v}\``).join(', ')} (any letter case).`,
      examples: [values[0] ?? ''],
    }),
  );
}

/** The value of a {@link CaselessChoice} filter in the stored (lower) case. */
export const lower = <T extends string>(value: string | undefined): T | undefined =>
  value === undefined ? undefined : (value.toLowerCase() as T);

const FilterText = (description: string) =>
  Type.Optional(Text({ maxLength: 200, required: false, description }));

// ---- reports -------------------------------------------------------------------------------

export const ReportListQuery = ListQuery(
  {
    customer: CustomerParam,
    product: CaselessChoice(PRODUCTS, 'Product of the run.'),
    status: CaselessChoice(RUN_STATUSES, 'Status of the run.'),
    run_type: CaselessChoice(RUN_TYPES, 'How the run was started.'),
    as_of: Type.Optional(DateString),
  },
  { fields: REPORT_ORDER_FIELDS, default: '-started_at' },
);

const reportItemProperties = {
  id: Id,
  product: Type.Enum(PRODUCTS),
  run_type: Type.Enum(RUN_TYPES),
  as_of: DateString,
  started_at: Nullable(DateTimeString),
  status: Type.Enum(RUN_STATUSES),
  drift_event_count: Type.Integer({ minimum: 0, description: 'Number of findings of the run.' }),
};

export const Report = Type.Object(reportItemProperties, { title: 'Report' });

const JsonObject = Type.Record(Type.String(), Type.Unknown());

// ---- findings ------------------------------------------------------------------------------

export const DriftEvent = Type.Object(
  {
    id: Id,
    customer: Id,
    report_run: Id,
    payer: Type.String(),
    cpt_group: Nullable(Type.String()),
    drift_type: Type.String({ examples: ['DENIAL_RATE'] }),
    baseline_value: Type.Number(),
    current_value: Type.Number(),
    delta_value: Type.Number(),
    delta_percent: Nullable(Type.Number()),
    severity: Type.Number({ minimum: 0, maximum: 1 }),
    severity_label: Type.String({ examples: ['HIGH'] }),
    confidence: Type.Number(),
    direction: Type.Enum(DIRECTIONS),
    p_value: Nullable(Type.Number()),
    q_value: Nullable(Type.Number()),
    baseline_sample_size: Type.Integer(),
    current_sample_size: Type.Integer(),
    estimated_weekly_revenue_impact: Nullable(Money),
    fingerprint: Type.String(),
    baseline_start: DateString,
    baseline_end: DateString,
    current_start: DateString,
    current_end: DateString,
    created_at: DateTimeString,
  },
  { title: 'DriftEvent' },
);

export const ReportDetail = Type.Object(
  {
    ...reportItemProperties,
    customer: Id,
    finished_at: Nullable(DateTimeString),
    duration_ms: Nullable(Type.Integer()),
    parameters: JsonObject,
    summary_json: JsonObject,
    error_message: Nullable(Type.String()),
    drift_events: Type.Array(DriftEvent),
    artifacts: Type.Array(
      Type.Object({
        kind: Type.String(),
        format: Type.String(),
        size_bytes: Type.Integer(),
        sha256: Type.String(),
        download_url: Type.String(),
      }),
      {
        description:
          'The stored report files of the run (PDF, XLSX, CSV), each with its relative `download_url`. ' +
          'A format the run offers but that was not built yet is built on its first download.',
      },
    ),
  },
  { title: 'ReportDetail' },
);

export const TriggerBody = Type.Object({
  product: Type.Optional(
    Type.Enum([...PRODUCTS, ''], {
      type: 'string',
      description: 'Product to run; default (or empty) `driftwatch`.',
      examples: ['driftwatch'],
    }),
  ),
  as_of: Type.Optional(
    Type.Union([DateString, Type.Literal(''), Type.Null()], {
      description: 'Analysis date (not in the future); default today (UTC).',
    }),
  ),
  customer: CustomerParam,
});

export const TriggerAccepted = Type.Object(
  {
    ...ReportDetail.properties,
    job_id: Nullable(Id),
    status_url: Nullable(
      Type.String({
        examples: ['/api/v1/jobs/17/'],
        description: 'Relative URL of the job (also `Location`).',
      }),
    ),
  },
  { title: 'TriggerAccepted' },
);

export const DenialSignal = Type.Object(
  {
    id: Id,
    customer: Id,
    report_run: Id,
    signal_type: Type.String(),
    payer: Type.String(),
    denial_reason: Nullable(Type.String()),
    window_start: DateString,
    window_end: DateString,
    baseline_start: DateString,
    baseline_end: DateString,
    recent_value: Type.Number(),
    baseline_value: Type.Number(),
    relative_increase: Type.Unknown({ description: 'Number, or null when the baseline is 0.' }),
    p_value: Nullable(Type.Number()),
    severity: Type.Enum(SEVERITY_LABELS),
    confidence: Type.Number(),
    estimated_dollars: Nullable(Money),
    summary_text: Type.String(),
    details: JsonObject,
    fingerprint: Type.String(),
    created_at: DateTimeString,
  },
  { title: 'DenialSignal' },
);

export const DelaySignal = Type.Object(
  {
    id: Id,
    customer: Id,
    report_run: Id,
    signal_type: Type.String(),
    payer: Type.String(),
    window_start: DateString,
    window_end: DateString,
    baseline_start: DateString,
    baseline_end: DateString,
    baseline_avg_days: Type.Number(),
    current_avg_days: Type.Number(),
    delta_days: Type.Number(),
    delta_percent: Nullable(Type.Number()),
    baseline_claim_count: Type.Integer(),
    current_claim_count: Type.Integer(),
    estimated_dollars_at_risk: Nullable(Money),
    severity: Type.Enum(SEVERITY_LABELS),
    confidence: Type.Number(),
    summary_text: Type.String(),
    data_quality_warnings: Type.Unknown({ description: 'List of warnings (may be empty).' }),
    fingerprint: Type.String(),
    created_at: DateTimeString,
  },
  { title: 'DelaySignal' },
);

export const UnifiedFinding = Type.Object(
  {
    id: Type.String({ examples: ['driftwatch:12'] }),
    product: Type.Enum(PRODUCTS),
    signal_type: Type.String(),
    entity: Type.String(),
    severity_label: Type.String({ examples: ['HIGH'] }),
    confidence: Type.Number(),
    detected_at: DateTimeString,
    summary: Type.String(),
    api_url: Type.String({ format: 'uri' }),
  },
  { title: 'Finding' },
);

export const DriftEventQuery = PageQuery({
  customer: CustomerParam,
  min_severity: Type.Optional(
    Type.Number({ minimum: 0, maximum: 1, description: 'Severity at least this.' }),
  ),
  payer: FilterText('Payer (case-insensitive exact).'),
  drift_type: FilterText('Signal type (upper-cased exact), e.g. `DENIAL_RATE`.'),
  cpt_group: FilterText('CPT group (exact).'),
  direction: CaselessChoice(DIRECTIONS, 'Direction of the change.'),
  report_run: Type.Optional(Id),
});

/** `drift-events/active/` takes the same filters but is unpaginated. */
export const ActiveDriftEventQuery = Type.Object({
  customer: CustomerParam,
  min_severity: DriftEventQuery.properties.min_severity,
  payer: DriftEventQuery.properties.payer,
  drift_type: DriftEventQuery.properties.drift_type,
  cpt_group: DriftEventQuery.properties.cpt_group,
  direction: DriftEventQuery.properties.direction,
  report_run: DriftEventQuery.properties.report_run,
});

export const SignalQuery = PageQuery({
  customer: CustomerParam,
  payer: FilterText('Payer (case-insensitive exact).'),
  signal_type: FilterText('Signal type (exact).'),
  severity: CaselessChoice(SEVERITY_LABELS, 'Severity label.'),
  report_run: Type.Optional(Id),
});

export const FindingQuery = PageQuery({
  customer: CustomerParam,
  product: CaselessChoice(PRODUCTS, 'Product.'),
  payer: FilterText('Payer (case-insensitive exact).'),
  severity_label: CaselessChoice(SEVERITY_LABELS, 'Severity label.'),
});

export const CustomerOnlyQuery = Type.Object({ customer: CustomerParam });

// ---- jobs and dashboard --------------------------------------------------------------------

export const Job = Type.Object(
  {
    id: Id,
    kind: Type.String({
      examples: ['analysis'],
      description: 'upload, analysis, reapply_mappings, backtest, report_artifact.',
    }),
    status: Type.String({ examples: ['succeeded'], description: 'queued, running, succeeded or failed.' }),
    progress: Type.Object({
      done: Type.Integer({ minimum: 0 }),
      total: Nullable(Type.Integer({ minimum: 0 })),
      percent: Type.Integer({ minimum: 0, maximum: 100 }),
    }),
    result: Nullable(JsonObject),
    error: Nullable(Type.String()),
    created_at: Nullable(DateTimeString),
    started_at: Nullable(DateTimeString),
    finished_at: Nullable(DateTimeString),
  },
  { title: 'Job' },
);

export const Dashboard = Type.Object(
  {
    total_claims: Type.Integer({ minimum: 0 }),
    total_uploads: Type.Integer({ minimum: 0, description: 'Uploads with status success or partial.' }),
    active_drift_events: Type.Integer({ minimum: 0 }),
    last_report_date: Nullable(DateTimeString),
    denial_rate_trend: Type.Array(
      Type.Object({
        week_start: DateString,
        total_claims: Type.Integer({ minimum: 0 }),
        denied_claims: Type.Integer({ minimum: 0 }),
        denial_rate: Type.Number({ minimum: 0, maximum: 100, description: 'Percent, 2 decimals.' }),
      }),
      { description: 'The last 12 ISO weeks by submitted date, oldest first.' },
    ),
    top_drift_payers: Type.Array(
      Type.Object({ payer: Type.String(), severity: Type.Number(), delta_value: Type.Number() }),
      { maxItems: 5 },
    ),
    open_alerts: Type.Integer({ minimum: 0 }),
    recovered_this_month: Money,
  },
  { title: 'Dashboard' },
);
