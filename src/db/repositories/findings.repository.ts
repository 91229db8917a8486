import { type Kysely, type Selectable, sql } from 'kysely';
import type { StoredFinding } from '../../domain/analytics/evidence.ts';
import type { FindingDraft, ImpactKind, SignalType } from '../../domain/analytics/findings.ts';
import type { ConfidenceLabel } from '../../domain/analytics/labels.ts';
import type { AnalysisProduct, DB, FindingsTable, JsonObject } from '../schema.ts';
import { findLatestRun } from './analysis-runs.repository.ts';

/**
 * `findings` (analytics spec §8): every product's findings, unique per (customer, fingerprint).
 * Every function takes `customerId` first; another customer's ids find nothing.
 */

export type FindingRecord = Selectable<FindingsTable>;

/** Result of replacing a run's findings. */
export interface ReplacedFindings {
  /** The stored rows, in the detector's creation order. */
  findings: FindingRecord[];
  /** Fingerprints that were not among the run's findings before (drive signal events, §10.1 rule 5). */
  newFingerprints: Set<string>;
  /** How many rows were deleted. */
  deleted: number;
}

/**
 * Replaces the findings of one run (§10.1 rule 1). Call inside the run's transaction: deletes the
 * run's previous findings and inserts `drafts`, so a finding that reappears keeps its fingerprint
 * (alert events and judgments re-link through it; new row ids are allowed).
 */
export async function replaceRunFindings(
  trx: Kysely<DB>,
  customerId: number,
  run: { id: number; as_of: string },
  drafts: readonly FindingDraft[],
): Promise<ReplacedFindings> {
  const previous = await trx
    .deleteFrom('findings')
    .where('customer_id', '=', customerId)
    .where('run_id', '=', run.id)
    .returning('fingerprint')
    .execute();
  const before = new Set(previous.map((r) => r.fingerprint));
  const findings: FindingRecord[] = [];
  for (let i = 0; i < drafts.length; i += 200) {
    const chunk = drafts.slice(i, i + 200);
    const rows = await trx
      .insertInto('findings')
      .values(chunk.map((d) => toInsert(customerId, run, d)))
      .returningAll()
      .execute();
    // RETURNING keeps the VALUES order on PostgreSQL; sort by id to be explicit.
    findings.push(...rows.sort((a, b) => a.id - b.id));
  }
  const newFingerprints = new Set(drafts.map((d) => d.fingerprint).filter((f) => !before.has(f)));
  return { findings, newFingerprints, deleted: previous.length };
}

function toInsert(customerId: number, run: { id: number; as_of: string }, d: FindingDraft) {
  if (String(customerId) !== d.customer_id) {
    // A detector is always called with the run's customer; anything else is a programming error.
    throw new Error('finding belongs to another customer');
  }
  return {
    customer_id: customerId,
    run_id: run.id,
    product: d.product,
    as_of: run.as_of,
    signal_type: d.signal_type,
    fingerprint: d.fingerprint,
    payer: d.payer,
    cpt_group: d.cpt_group,
    denial_reason: d.denial_reason,
    baseline_start: d.baseline_start,
    baseline_end: d.baseline_end,
    current_start: d.current_start,
    current_end: d.current_end,
    baseline_value: d.baseline_value,
    current_value: d.current_value,
    delta_value: d.delta_value,
    unit: d.unit,
    delta_percent: d.delta_percent,
    baseline_count: d.baseline_count,
    current_count: d.current_count,
    direction: d.direction,
    severity: d.severity,
    severity_label: d.severity_label,
    confidence: d.confidence,
    confidence_label: d.confidence_label,
    test: d.test,
    p_value: d.p_value,
    q_value: d.q_value,
    estimated_impact: d.estimated_impact,
    impact_kind: d.impact_kind,
    summary_text: d.summary_text,
    details: JSON.stringify(d.details as JsonObject),
  };
}

/** The findings of one run, by severity desc, then payer, subkey and signal (evidence order). */
export async function listRunFindings(
  db: Kysely<DB>,
  customerId: number,
  runId: number,
): Promise<FindingRecord[]> {
  return db
    .selectFrom('findings')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('run_id', '=', runId)
    .orderBy('severity', 'desc')
    .orderBy('payer')
    .orderBy(sql`coalesce(cpt_group, denial_reason, '')`)
    .orderBy('signal_type')
    .orderBy('id')
    .execute();
}

/**
 * Findings of the product's latest run (§10.1 "latest run"): what dashboards count as "active".
 * Empty when the product never ran successfully.
 */
export async function listLatestRunFindings(
  db: Kysely<DB>,
  customerId: number,
  product: AnalysisProduct,
): Promise<{ runId: number | null; asOf: string | null; findings: FindingRecord[] }> {
  const run = await findLatestRun(db, customerId, product);
  if (!run) return { runId: null, asOf: null, findings: [] };
  return { runId: run.id, asOf: run.as_of, findings: await listRunFindings(db, customerId, run.id) };
}

/** One finding of the customer. */
export async function findFinding(
  db: Kysely<DB>,
  customerId: number,
  findingId: number,
): Promise<FindingRecord | undefined> {
  return db
    .selectFrom('findings')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('id', '=', findingId)
    .executeTakeFirst();
}

/** The current finding with this fingerprint (alert events and judgments link through it). */
export async function findFindingByFingerprint(
  db: Kysely<DB>,
  customerId: number,
  fingerprint: string,
): Promise<FindingRecord | undefined> {
  return db
    .selectFrom('findings')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('fingerprint', '=', fingerprint)
    .executeTakeFirst();
}

/** Filters of the findings feeds. */
export interface FindingFilter {
  products?: readonly AnalysisProduct[];
  signalType?: string;
  payer?: string;
  /** `as_of >= since` (e.g. "last 90 days" tables). */
  since?: string;
  limit?: number;
  offset?: number;
}

/**
 * Findings of the customer, newest first (`as_of` desc, then severity desc, then id) — the drift
 * feed and the per-product "recent findings" tables. Backtests never store findings.
 */
export async function listFindings(
  db: Kysely<DB>,
  customerId: number,
  filter: FindingFilter = {},
): Promise<FindingRecord[]> {
  let query = db.selectFrom('findings').selectAll().where('customer_id', '=', customerId);
  if (filter.products) {
    if (filter.products.length === 0) return [];
    query = query.where('product', 'in', [...filter.products]);
  }
  if (filter.signalType) query = query.where('signal_type', '=', filter.signalType);
  if (filter.payer) query = query.where('payer', '=', filter.payer);
  if (filter.since) query = query.where('as_of', '>=', filter.since);
  return query
    .orderBy('as_of', 'desc')
    .orderBy('severity', 'desc')
    .orderBy('id', 'desc')
    .limit(filter.limit ?? 50)
    .offset(filter.offset ?? 0)
    .execute();
}

/** Number of findings matching the filter (pagination). */
export async function countFindings(
  db: Kysely<DB>,
  customerId: number,
  filter: Omit<FindingFilter, 'limit' | 'offset'> = {},
): Promise<number> {
  let query = db
    .selectFrom('findings')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('customer_id', '=', customerId);
  if (filter.products) {
    if (filter.products.length === 0) return 0;
    query = query.where('product', 'in', [...filter.products]);
  }
  if (filter.signalType) query = query.where('signal_type', '=', filter.signalType);
  if (filter.payer) query = query.where('payer', '=', filter.payer);
  if (filter.since) query = query.where('as_of', '>=', filter.since);
  const row = await query.executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** Distinct payers seen in the customer's findings (feed filter), sorted. */
export async function listFindingPayers(db: Kysely<DB>, customerId: number): Promise<string[]> {
  const rows = await db
    .selectFrom('findings')
    .select('payer')
    .distinct()
    .where('customer_id', '=', customerId)
    .orderBy('payer')
    .execute();
  return rows.map((r) => r.payer);
}

/**
 * A stored finding in the domain's shape (`StoredFinding`: the detector's draft plus id and
 * run id), for the evidence payload, interpretation and presenters.
 */
export function toStoredFinding(record: FindingRecord): StoredFinding {
  return {
    id: record.id,
    run_id: record.run_id,
    customer_id: String(record.customer_id),
    product: record.product,
    signal_type: record.signal_type as SignalType,
    fingerprint: record.fingerprint,
    payer: record.payer,
    cpt_group: record.cpt_group,
    denial_reason: record.denial_reason,
    baseline_start: record.baseline_start,
    baseline_end: record.baseline_end,
    current_start: record.current_start,
    current_end: record.current_end,
    baseline_value: record.baseline_value,
    current_value: record.current_value,
    delta_value: record.delta_value,
    unit: record.unit,
    delta_percent: record.delta_percent,
    baseline_count: record.baseline_count,
    current_count: record.current_count,
    direction: record.direction,
    severity: record.severity,
    severity_label: record.severity_label,
    confidence: record.confidence,
    confidence_label: record.confidence_label as ConfidenceLabel,
    test: record.test,
    p_value: record.p_value,
    q_value: record.q_value,
    estimated_impact: record.estimated_impact,
    impact_kind: record.impact_kind as ImpactKind | null,
    summary_text: record.summary_text,
    details: record.details as FindingDraft['details'],
  };
}
