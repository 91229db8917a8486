import { type ExpressionBuilder, type Kysely, type Selectable, sql } from 'kysely';
import type {
  AlertDeliveriesTable,
  AlertEventsTable,
  AlertStatus,
  AnalysisProduct,
  DB,
  FindingSeverityLabel,
  OperatorJudgmentsTable,
} from '../db/schema.ts';

/**
 * Read side of the alert list (API `alerts/`, portal `/portal/alerts/`; alerts-reports §10, §12):
 * alert events with their deliveries and judgments. Tenant-scoped: `customerId` is the caller's
 * customer, or null only for platform staff listing across customers in the API. Ids of other
 * customers find nothing.
 */

export type AlertRecord = Selectable<AlertEventsTable>;
export type DeliveryRecord = Selectable<AlertDeliveriesTable>;
export type JudgmentRow = Selectable<OperatorJudgmentsTable>;

export interface AlertListFilter {
  customerId: number | null;
  status?: AlertStatus;
  product?: AnalysisProduct;
  /** The finding severity label of the alert (critical, high, medium, low). */
  severity?: FindingSeverityLabel;
  /** Case-insensitive exact payer name. */
  payer?: string;
  /** Inclusive bounds on `triggered_at`. */
  triggeredAfter?: Date;
  triggeredBefore?: Date;
}

/** An alert row of the list with the verdict that currently decides its status. */
export interface AlertListRow extends AlertRecord {
  latest_verdict: OperatorJudgmentsTable['verdict'] | null;
}

/** Alert events matching the filter (the base of the count, the page and the Excel export). */
export function filteredAlerts(db: Kysely<DB>, filter: AlertListFilter) {
  let base = db.selectFrom('alert_events as a');
  if (filter.customerId !== null) base = base.where('a.customer_id', '=', filter.customerId);
  if (filter.status) base = base.where('a.status', '=', filter.status);
  if (filter.product) base = base.where('a.product', '=', filter.product);
  if (filter.severity) base = base.where('a.severity_label', '=', filter.severity);
  if (filter.payer) base = base.where(sql`lower(a.payer)`, '=', filter.payer.trim().toLowerCase());
  if (filter.triggeredAfter) base = base.where('a.triggered_at', '>=', filter.triggeredAfter);
  if (filter.triggeredBefore) base = base.where('a.triggered_at', '<=', filter.triggeredBefore);
  return base;
}

/** How many alerts match the filter. */
export async function countAlerts(db: Kysely<DB>, filter: AlertListFilter): Promise<number> {
  const counted = await filteredAlerts(db, filter)
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(counted.n);
}

/**
 * The alert's latest verdict (newest `verdict_at`, then id) as a `latest_verdict` column of a
 * query over `alert_events as a`: the list, the Axis card and the Excel export all show it.
 */
export function latestVerdict(eb: ExpressionBuilder<DB & { a: DB['alert_events'] }, 'a'>) {
  return eb
    .selectFrom('operator_judgments as j')
    .select('j.verdict')
    .whereRef('j.customer_id', '=', 'a.customer_id')
    .whereRef('j.alert_event_id', '=', 'a.id')
    .orderBy('j.verdict_at', 'desc')
    .orderBy('j.id', 'desc')
    .limit(1)
    .as('latest_verdict');
}

/**
 * One page of alerts, newest first unless `oldestFirst` (`triggered_at`, then `id` desc: the index
 * alert_events_customer_triggered). The latest verdict is a correlated lookup on the judgments'
 * (customer, alert, operator) key — a handful of rows per alert.
 */
export async function listAlerts(
  db: Kysely<DB>,
  filter: AlertListFilter,
  page: { limit: number; offset: number; oldestFirst?: boolean },
): Promise<AlertListRow[]> {
  return filteredAlerts(db, filter)
    .selectAll('a')
    .select(latestVerdict)
    .orderBy('a.triggered_at', page.oldestFirst ? 'asc' : 'desc')
    .orderBy('a.id', 'desc')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
}

/** One page of alerts (see {@link listAlerts}) and the count of all that match (the API list). */
export async function listAlertsPage(
  db: Kysely<DB>,
  filter: AlertListFilter,
  page: { limit: number; offset: number; oldestFirst?: boolean },
): Promise<{ count: number; rows: AlertListRow[] }> {
  const count = await countAlerts(db, filter);
  return { count, rows: await listAlerts(db, filter, page) };
}

/** What the portal's alert list shows (alerts-reports §12), for one customer. */
export interface AlertsListPage {
  /** Alerts matching the filters. */
  count: number;
  /** The page shown: the one asked for, clamped to 1…lastPage. */
  page: number;
  lastPage: number;
  rows: AlertListRow[];
  /** Deliveries of the rows by {@link alertKey}. */
  deliveries: Map<string, DeliveryRecord[]>;
  /** Payers with alerts (the payer filter's options). */
  payers: string[];
}

/**
 * The portal list: counts first, so a page past the end reads the last page instead (one page
 * query, never two), then the page's deliveries and the payer options. Four queries per page.
 */
export async function loadAlertsListPage(
  db: Kysely<DB>,
  filter: AlertListFilter & { customerId: number },
  options: { page: number; pageSize: number },
): Promise<AlertsListPage> {
  const count = await countAlerts(db, filter);
  const lastPage = Math.max(1, Math.ceil(count / options.pageSize));
  const page = Math.min(lastPage, Math.max(1, options.page));
  const rows =
    count === 0
      ? []
      : await listAlerts(db, filter, { limit: options.pageSize, offset: (page - 1) * options.pageSize });
  const [deliveries, payers] = await Promise.all([
    deliveriesOfAlerts(db, rows),
    alertPayers(db, filter.customerId),
  ]);
  return { count, page, lastPage, rows, deliveries, payers };
}

/** One alert of the caller's customer (staff without one: any); another customer's → undefined. */
export async function findAlertScoped(
  db: Kysely<DB>,
  customerId: number | null,
  id: number,
): Promise<AlertRecord | undefined> {
  let query = db.selectFrom('alert_events').selectAll().where('id', '=', id);
  if (customerId !== null) query = query.where('customer_id', '=', customerId);
  return query.executeTakeFirst();
}

type AlertKey = Pick<AlertRecord, 'customer_id' | 'id'>;

function keyOf(customerId: number, alertId: number): string {
  return `${customerId}:${alertId}`;
}

/**
 * Deliveries of the given alerts by alert key, in creation order (id). Selected by the alerts'
 * customers and ids, then matched on both, so a staff list across tenants never mixes them.
 */
export async function deliveriesOfAlerts(
  db: Kysely<DB>,
  alerts: readonly AlertKey[],
): Promise<Map<string, DeliveryRecord[]>> {
  const byAlert = new Map<string, DeliveryRecord[]>(alerts.map((a) => [keyOf(a.customer_id, a.id), []]));
  if (alerts.length === 0) return byAlert;
  const rows = await db
    .selectFrom('alert_deliveries')
    .selectAll()
    .where('customer_id', 'in', [...new Set(alerts.map((a) => a.customer_id))])
    .where(
      'alert_event_id',
      'in',
      alerts.map((a) => a.id),
    )
    .orderBy('id')
    .execute();
  for (const row of rows) byAlert.get(keyOf(row.customer_id, row.alert_event_id))?.push(row);
  return byAlert;
}

/** Judgments of the given alerts by alert key, newest verdict first (verdict_at, then id). */
export async function judgmentsOfAlerts(
  db: Kysely<DB>,
  alerts: readonly AlertKey[],
): Promise<Map<string, JudgmentRow[]>> {
  const byAlert = new Map<string, JudgmentRow[]>(alerts.map((a) => [keyOf(a.customer_id, a.id), []]));
  if (alerts.length === 0) return byAlert;
  const rows = await db
    .selectFrom('operator_judgments')
    .selectAll()
    .where('customer_id', 'in', [...new Set(alerts.map((a) => a.customer_id))])
    .where(
      'alert_event_id',
      'in',
      alerts.map((a) => a.id),
    )
    .orderBy('verdict_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  for (const row of rows) byAlert.get(keyOf(row.customer_id, row.alert_event_id))?.push(row);
  return byAlert;
}

/** The key the two maps above use. */
export function alertKey(alert: AlertKey): string {
  return keyOf(alert.customer_id, alert.id);
}

/** Payers that have alerts (the portal's payer filter), alphabetical. */
export async function alertPayers(db: Kysely<DB>, customerId: number): Promise<string[]> {
  const rows = await db
    .selectFrom('alert_events')
    .select('payer')
    .distinct()
    .where('customer_id', '=', customerId)
    .orderBy('payer')
    .execute();
  return rows.map((r) => r.payer);
}

/**
 * Alerts still waiting for an operator's resolution (the dashboards' "open alerts"): every status
 * but `acknowledged` and `resolved` — `needs_followup` is explicitly unresolved (§11), and a
 * `pending`, `sent` or `failed` alert has no verdict yet.
 */
export const OPEN_ALERT_STATUSES: readonly AlertStatus[] = ['pending', 'sent', 'failed', 'needs_followup'];

export async function countOpenAlerts(db: Kysely<DB>, customerId: number): Promise<number> {
  const row = await db
    .selectFrom('alert_events')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('customer_id', '=', customerId)
    .where('status', 'in', [...OPEN_ALERT_STATUSES])
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * How many alerts the customer has and how many went out by email (successful email
 * deliveries: one message each). `payrixa demo` prints them for a demo it keeps.
 */
export async function alertTotals(
  db: Kysely<DB>,
  customerId: number,
): Promise<{ alerts: number; emailed: number }> {
  const alerts = await db
    .selectFrom('alert_events')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('customer_id', '=', customerId)
    .executeTakeFirstOrThrow();
  const emailed = await db
    .selectFrom('alert_deliveries')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('customer_id', '=', customerId)
    .where('channel_type', '=', 'email')
    .where('status', '=', 'success')
    .executeTakeFirstOrThrow();
  return { alerts: Number(alerts.n), emailed: Number(emailed.n) };
}
