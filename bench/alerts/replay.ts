/**
 * The weekly replay of one generated year through production (alert-fatigue bench, issue 12
 * item 9). Each Monday of the year: the customer's data is brought to what an export of that
 * Monday holds (`syncToAsOf`: claims rows and the production rollup build), the scheduled runs
 * of DriftWatch, DenialScope and DelayGuard run as of that Monday (`runAnalysis`), and alerts are
 * evaluated and sent (`evaluateAndSendAlertsNow`) with the clock at Monday 06:00 UTC, so the
 * 4-hour cooldown and the 30-day noise memory see the time they would in production. The
 * customer has the default rule only ("High severity findings", severity ≥ 0.70) and one email
 * channel.
 *
 * Two passes over the same runs. Pass 1: no operator feedback. Pass 2: the alert events of pass 1
 * are deleted and the stored runs are evaluated and sent again, week by week, and after each
 * week an operator judges every delivered alert through the real feedback command
 * (`submitAlertFeedback`, Monday 09:00 UTC): `real` when it matches a planted change (or is a
 * legitimate side effect of one), `noise` otherwise. Alert evaluation reads only the run's
 * findings, the rules and the existing alert events, so re-evaluating stored runs is what a
 * second replay would do, without loading and analysing the year twice.
 */
import type { Kysely } from 'kysely';
import { evaluateAndSendAlertsNow } from '../../src/commands/alert-runs-now.ts';
import { createAccount } from '../../src/commands/create-account.ts';
import { createChannel } from '../../src/commands/manage-channels.ts';
import { ANALYSIS_PRODUCTS, runAnalysis } from '../../src/commands/run-analysis.ts';
import { submitAlertFeedback } from '../../src/commands/submit-alert-feedback.ts';
import { insertDefaultAlertRule } from '../../src/db/repositories/alert-rules.repository.ts';
import type { DB } from '../../src/db/schema.ts';
import { toEpochDay } from '../../src/domain/analytics/dates.ts';
import { silentLogger } from '../../src/obs/logger.ts';
import type { Services } from '../../src/services.ts';
import { createBenchCustomer, deleteBenchCustomer, syncToAsOf } from '../detection/load.ts';
import type { Truth } from '../detection/score.ts';
import { type CustomerProfile, generateYear, plantEntities, type YearPlant } from './year.ts';

const HOUR = 3_600_000;

/** How an alert relates to the planted changes. */
export type AlertClass = 'planted' | 'side_effect' | 'false_alarm';

/** One alert event as the report needs it. */
export interface AlertRecord {
  readonly week: number;
  readonly asOf: string;
  /** `product/signal/entity` (entity: `payer | subkey` or a payer), the §6 key in readable form. */
  readonly key: string;
  readonly klass: AlertClass;
  /** Index into the plants of the change it matches (planted or side effect), else null. */
  readonly plant: number | null;
  readonly outcome: 'delivered' | 'cooldown' | 'noise_memory' | 'other';
  /** The key was alerted in an earlier week (any outcome). */
  readonly reminder: boolean;
}

export interface FindingRecord {
  readonly week: number;
  readonly klass: AlertClass;
  readonly plant: number | null;
  readonly severity: number;
}

export interface PassResult {
  readonly alerts: readonly AlertRecord[];
  /** Alerts created per week (index = week). */
  readonly perWeek: readonly number[];
  readonly judgments: { readonly real: number; readonly noise: number };
}

export interface CustomerResult {
  readonly profile: CustomerProfile;
  readonly claims: number;
  readonly cells: number;
  readonly mondays: readonly string[];
  readonly plants: readonly YearPlant[];
  readonly noFeedback: PassResult;
  readonly withFeedback: PassResult;
  readonly millis: { readonly generate: number; readonly load: number; readonly analyse: number };
  /** Every finding of the replayed runs, classified like the alerts. */
  readonly findings: readonly FindingRecord[];
}

function entityOf(product: string, payer: string, sub: string | null): string {
  return product === 'delayguard' || sub === null || sub === '' ? payer : `${payer} | ${sub}`;
}

function matches(
  truth: Truth,
  product: string,
  signal: string,
  entity: string,
): 'planted' | 'side_effect' | null {
  if (truth.expected.some((e) => e.product === product && e.signal === signal && e.entity === entity))
    return 'planted';
  if (
    truth.neutral.some(
      (n) =>
        n.product === product && n.entity === entity && (n.signals === '*' || n.signals.includes(signal)),
    )
  )
    return 'side_effect';
  return null;
}

/**
 * Classifies an alert raised on `asOf`: it matches a change already started by then (any
 * direction: a reverting change's return to normal is a real change of the same entity too),
 * as the signal the change should raise (planted) or as one it legitimately moves (side
 * effect, e.g. the reason keys of a payer whose denial rate doubled); otherwise a false alarm.
 */
function classify(
  plants: readonly YearPlant[],
  asOf: string,
  product: string,
  signal: string,
  entity: string,
): { klass: AlertClass; plant: number | null } {
  let side: number | null = null;
  for (let i = 0; i < plants.length; i++) {
    const plant = plants[i] as YearPlant;
    if (toEpochDay(plant.from) >= toEpochDay(asOf)) continue;
    const m = matches(plant.truth, product, signal, entity);
    if (m === 'planted') return { klass: 'planted', plant: i };
    if (m === 'side_effect' && side === null) side = i;
  }
  return side === null ? { klass: 'false_alarm', plant: null } : { klass: 'side_effect', plant: side };
}

interface WeekAlert {
  id: number;
  key: string;
  klass: AlertClass;
  plant: number | null;
}

/** The alert events created since `knownIds`, classified, with their delivery outcome. */
async function newAlerts(
  db: Kysely<DB>,
  customerId: number,
  known: Set<number>,
  plants: readonly YearPlant[],
  asOf: string,
): Promise<Array<WeekAlert & { outcome: AlertRecord['outcome'] }>> {
  const rows = await db
    .selectFrom('alert_events as a')
    .leftJoin('findings as f', (join) =>
      join.onRef('f.customer_id', '=', 'a.customer_id').onRef('f.id', '=', 'a.finding_id'),
    )
    .select([
      'a.id',
      'a.product',
      'a.signal_type',
      'a.payer',
      'a.suppressed',
      'a.suppression_reason',
      'a.notification_sent_at',
      'f.cpt_group',
      'f.denial_reason',
    ])
    .where('a.customer_id', '=', customerId)
    .orderBy('a.id')
    .execute();
  const out: Array<WeekAlert & { outcome: AlertRecord['outcome'] }> = [];
  for (const row of rows) {
    if (known.has(row.id)) continue;
    known.add(row.id);
    const entity = entityOf(row.product, row.payer, row.cpt_group ?? row.denial_reason);
    const { klass, plant } = classify(plants, asOf, row.product, row.signal_type, entity);
    const outcome: AlertRecord['outcome'] = row.suppressed
      ? (row.suppression_reason ?? 'other')
      : row.notification_sent_at !== null
        ? 'delivered'
        : 'other';
    out.push({ id: row.id, key: `${row.product}/${row.signal_type}/${entity}`, klass, plant, outcome });
  }
  return out;
}

/** Evaluates and sends the runs of every week, optionally judging each week's delivered alerts. */
async function alertPass(
  services: Services,
  customerId: number,
  operator: { id: number; username: string },
  weeks: ReadonlyArray<{ asOf: string; runs: Array<{ id: number; run_type: 'scheduled' }> }>,
  plants: readonly YearPlant[],
  feedback: boolean,
): Promise<PassResult> {
  const db = services.database.db;
  const now = { at: new Date(0) };
  const clock = { now: () => new Date(now.at) };
  const known = new Set<number>();
  const seenKeys = new Set<string>();
  const alerts: AlertRecord[] = [];
  const perWeek: number[] = [];
  const judgments = { real: 0, noise: 0 };
  for (let week = 0; week < weeks.length; week++) {
    const { asOf, runs } = weeks[week] as (typeof weeks)[number];
    const monday = Date.parse(`${asOf}T00:00:00Z`);
    now.at = new Date(monday + 6 * HOUR);
    await evaluateAndSendAlertsNow(
      { db, config: services.config, mailer: services.mailer, clock },
      customerId,
      runs,
    );
    const created = await newAlerts(db, customerId, known, plants, asOf);
    perWeek.push(created.length);
    const keysThisWeek: string[] = [];
    for (const alert of created) {
      alerts.push({
        week,
        asOf,
        key: alert.key,
        klass: alert.klass,
        plant: alert.plant,
        outcome: alert.outcome,
        reminder: seenKeys.has(alert.key),
      });
      keysThisWeek.push(alert.key);
    }
    for (const key of keysThisWeek) seenKeys.add(key);
    if (!feedback) continue;
    // The operator reads Monday's email by 09:00 and judges what was delivered.
    now.at = new Date(monday + 9 * HOUR);
    for (const alert of created) {
      if (alert.outcome !== 'delivered') continue;
      const verdict = alert.klass === 'false_alarm' ? 'noise' : 'real';
      await submitAlertFeedback(
        { db, clock },
        { customerId, alertId: alert.id, operator, body: { verdict } },
      );
      judgments[verdict]++;
    }
  }
  return { alerts, perWeek, judgments };
}

/** Replays the year of one customer (the customer is deleted afterwards). */
export async function replayCustomer(services: Services, profile: CustomerProfile): Promise<CustomerResult> {
  const database = services.database;
  const db = database.db;
  const t0 = performance.now();
  const year = generateYear(profile);
  const millis = { generate: performance.now() - t0, load: 0, analyse: 0 };
  const customer = await createBenchCustomer(db, `Alert fatigue bench: ${profile.name}`, 'strict');
  try {
    await insertDefaultAlertRule(db, customer.id);
    await createChannel(
      { db, clock: services.clock, config: services.config },
      { customerId: customer.id, userId: null },
      { name: 'Billing team', type: 'email', config: { recipients: ['billing@fatigue.example'] } },
    );
    const slug = profile.name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
    const user = await createAccount(db, {
      username: `fatigue-${slug}-${customer.id}`,
      email: `operator-${customer.id}@fatigue.example`,
      password: null,
      membership: { customerId: customer.id, role: 'analyst' },
    });
    const operator = { id: user.id, username: user.username };

    const weeks: Array<{ asOf: string; runs: Array<{ id: number; run_type: 'scheduled' }> }> = [];
    const deps = { db, logger: silentLogger() };
    const findings: FindingRecord[] = [];
    for (const asOf of year.mondays) {
      const tl = performance.now();
      await syncToAsOf(database, year.history, customer, asOf);
      const ta = performance.now();
      millis.load += ta - tl;
      const runs: Array<{ id: number; run_type: 'scheduled' }> = [];
      for (const product of ANALYSIS_PRODUCTS) {
        const result = await runAnalysis(deps, {
          customerId: customer.id,
          product,
          asOf,
          runType: 'scheduled',
        });
        if (result.status === 'success') runs.push({ id: result.run.id, run_type: 'scheduled' });
      }
      millis.analyse += performance.now() - ta;
      weeks.push({ asOf, runs });
      const rows = await db
        .selectFrom('findings')
        .select(['product', 'signal_type', 'payer', 'cpt_group', 'denial_reason', 'severity'])
        .where('customer_id', '=', customer.id)
        .where('run_id', 'in', runs.map((r) => r.id).concat(-1))
        .execute();
      for (const row of rows) {
        const entity = entityOf(row.product, row.payer, row.cpt_group ?? row.denial_reason);
        const { klass, plant } = classify(year.plants, asOf, row.product, row.signal_type, entity);
        findings.push({ week: weeks.length - 1, klass, plant, severity: Number(row.severity) });
      }
    }

    const noFeedback = await alertPass(services, customer.id, operator, weeks, year.plants, false);
    // Pass 2 starts from no alerts at all (deliveries and judgments go with their events).
    await db.deleteFrom('alert_events').where('customer_id', '=', customer.id).execute();
    const withFeedback = await alertPass(services, customer.id, operator, weeks, year.plants, true);
    return {
      profile,
      claims: year.history.claims.length,
      cells: profile.payers * profile.groups,
      mondays: year.mondays,
      plants: year.plants,
      noFeedback,
      withFeedback,
      findings,
      millis: {
        generate: Math.round(millis.generate),
        load: Math.round(millis.load),
        analyse: Math.round(millis.analyse),
      },
    };
  } finally {
    await db.deleteFrom('users').where('username', 'like', 'fatigue-%').execute();
    await deleteBenchCustomer(database, customer);
  }
}

export { plantEntities };
