/**
 * Runs one scenario for one seed through production: generates the history, loads it into the
 * database week by week (`syncToAsOf`: claims rows, then the production rollup build), runs the
 * production command `runAnalysis` for every product at each run date, reads what it stored
 * (the `findings` rows and the run's `summary_json`, whose `emerging` list is scored apart when
 * present) and scores it against the planted truth.
 *
 * Both sensitivities run on the same customer and data at each date, `reference` first and
 * `strict` last, so a run row left for the next week is the strict one (the customer's stored
 * setting is `strict`). Warm-up weeks (unscored, strict only) give detectors that read earlier
 * runs their history.
 */
import type { Kysely } from 'kysely';
import { runAnalysis } from '../../src/commands/run-analysis.ts';
import type { Database } from '../../src/db/database.ts';
import type { DB } from '../../src/db/schema.ts';
import { silentLogger } from '../../src/obs/logger.ts';
import { generateHistory, type History } from './generator.ts';
import { createBenchCustomer, deleteBenchCustomer, syncToAsOf } from './load.ts';
import { historySpec, runDates, type Scenario } from './scenarios.ts';
import {
  type Detection,
  type Direction,
  PRODUCTS,
  type ProductSlug,
  type RunScore,
  scoreRun,
  type Truth,
  truthOf,
} from './score.ts';

export const MODES = ['strict', 'reference'] as const;
export type Mode = (typeof MODES)[number];

/** What one production run stored, reduced to what is scored. */
export interface RunOutput {
  readonly findings: Detection[];
  /** null when the run's summary has no `emerging` list. */
  readonly emerging: Detection[] | null;
}

function entityOf(product: ProductSlug, payer: string, sub: string | null): string {
  return product === 'delayguard' || sub === null || sub === '' ? payer : `${payer} | ${sub}`;
}

function asDirection(value: unknown): Direction | null {
  return value === 'degrading' || value === 'improving' ? value : null;
}

/**
 * One `emerging` entry of a run summary. Its shape is not fixed yet, so the usual names are
 * accepted: signal_type|signal, payer, cpt_group|denial_reason|subkey, direction.
 */
function emergingDetection(product: ProductSlug, item: unknown): Detection | null {
  if (typeof item !== 'object' || item === null) return null;
  const o = item as Record<string, unknown>;
  const signal = o['signal_type'] ?? o['signal'];
  const payer = o['payer'];
  if (typeof signal !== 'string' || typeof payer !== 'string') return null;
  const sub = [o['cpt_group'], o['denial_reason'], o['subkey']].find(
    (v) => typeof v === 'string' && v !== '',
  );
  return {
    product,
    signal,
    entity: entityOf(product, payer, (sub as string | undefined) ?? null),
    direction: asDirection(o['direction']),
  };
}

/**
 * THE place that turns stored output into detections: every `findings` row of the run, and the
 * `emerging` list of its summary. (If "needs more data" items become findings rows with a
 * marker, filter them here.)
 */
export async function readRunOutput(
  db: Kysely<DB>,
  customerId: number,
  product: ProductSlug,
  runId: number,
): Promise<RunOutput> {
  const rows = await db
    .selectFrom('findings')
    .select(['signal_type', 'payer', 'cpt_group', 'denial_reason', 'direction'])
    .where('customer_id', '=', customerId)
    .where('run_id', '=', runId)
    .execute();
  const run = await db
    .selectFrom('analysis_runs')
    .select(['summary_json'])
    .where('customer_id', '=', customerId)
    .where('id', '=', runId)
    .executeTakeFirstOrThrow();
  const summary: unknown =
    typeof run.summary_json === 'string' ? JSON.parse(run.summary_json) : (run.summary_json as unknown);
  const emergingList =
    summary && typeof summary === 'object' ? (summary as Record<string, unknown>)['emerging'] : undefined;
  return {
    findings: rows.map((r) => ({
      product,
      signal: r.signal_type,
      entity: entityOf(product, r.payer, r.cpt_group ?? r.denial_reason),
      direction: asDirection(r.direction),
    })),
    emerging: Array.isArray(emergingList)
      ? emergingList.map((item) => emergingDetection(product, item)).filter((d): d is Detection => d !== null)
      : null,
  };
}

/** Scores of one scored run date in one mode. */
export interface ModeRunResult {
  readonly findings: RunScore;
  /** null when no product's summary had an `emerging` list. */
  readonly emerging: RunScore | null;
}

export interface ScoredRun {
  readonly index: number;
  readonly asOf: string;
  readonly modes: Readonly<Record<Mode, ModeRunResult>>;
}

export interface SeedResult {
  readonly scenario: string;
  readonly seed: number;
  readonly claims: number;
  readonly planted: readonly { kind: string; entities: readonly string[]; claimsChanged: number }[];
  readonly truth: Truth;
  readonly runs: readonly ScoredRun[];
  /** Wall time: generation, loading (of which COPY and rollup build) and the production runs. */
  readonly millis: { generate: number; load: number; copy: number; rollups: number; analyse: number };
}

function plantedSummary(history: History): SeedResult['planted'] {
  return history.planted.map((p) => ({
    kind: p.kind,
    entities:
      'cells' in p
        ? p.cells.map((c) => `${c.payer} | ${c.cptGroup}`)
        : 'payers' in p
          ? [...p.payers]
          : [`${p.payer} | ${p.reason}`],
    claimsChanged: p.claimsChanged,
  }));
}

export interface RunOptions {
  readonly warmupWeeks: number;
  readonly shape?: { payers: number; groups: number };
}

/** Runs one scenario for one seed on `database` (the bench customer is deleted afterwards). */
export async function runScenarioSeed(
  database: Database,
  scenario: Scenario,
  seed: number,
  options: RunOptions,
): Promise<SeedResult> {
  const db = database.db;
  const t0 = performance.now();
  const history = generateHistory(historySpec(scenario, seed, options.shape));
  const truth = truthOf(history);
  const millis = { generate: performance.now() - t0, load: 0, copy: 0, rollups: 0, analyse: 0 };
  const customer = await createBenchCustomer(db, `Detection bench ${scenario.name} #${seed}`, 'strict');
  const deps = { db, logger: silentLogger() };
  const runs: ScoredRun[] = [];
  try {
    for (const date of runDates(scenario, options.warmupWeeks)) {
      const tl = performance.now();
      const sync = await syncToAsOf(database, history, customer, date.asOf);
      millis.copy += sync.millis.copy;
      millis.rollups += sync.millis.rollups;
      const ta = performance.now();
      millis.load += ta - tl;
      const modes: Mode[] = date.scored ? ['reference', 'strict'] : ['strict'];
      const results: Partial<Record<Mode, ModeRunResult>> = {};
      for (const mode of modes) {
        const findings: Detection[] = [];
        let emerging: Detection[] | null = null;
        for (const product of PRODUCTS) {
          const result = await runAnalysis(deps, {
            customerId: customer.id,
            product,
            asOf: date.asOf,
            runType: 'scheduled',
            sensitivity: mode,
          });
          if (!date.scored) continue;
          const output = await readRunOutput(db, customer.id, product, result.run.id);
          findings.push(...output.findings);
          if (output.emerging) emerging = [...(emerging ?? []), ...output.emerging];
        }
        if (date.scored) {
          results[mode] = {
            findings: scoreRun(truth, findings),
            emerging: emerging === null ? null : scoreRun(truth, emerging),
          };
        }
      }
      millis.analyse += performance.now() - ta;
      if (date.scored) {
        runs.push({ index: date.index, asOf: date.asOf, modes: results as Record<Mode, ModeRunResult> });
      }
    }
  } finally {
    await deleteBenchCustomer(database, customer);
  }
  return {
    scenario: scenario.name,
    seed,
    claims: history.claims.length,
    planted: plantedSummary(history),
    truth,
    runs,
    millis: {
      generate: Math.round(millis.generate),
      load: Math.round(millis.load),
      copy: Math.round(millis.copy),
      rollups: Math.round(millis.rollups),
      analyse: Math.round(millis.analyse),
    },
  };
}
