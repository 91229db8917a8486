/**
 * Aggregation over seeds and the printed tables of the detection benchmark (pure). Counts are
 * pooled over seeds before ratios are taken (precision = ΣTP / (ΣTP + ΣFP), …).
 */
import type { Mode, SeedResult } from './runner.ts';
import { MODES } from './runner.ts';
import type { Scenario } from './scenarios.ts';
import {
  addCounts,
  type Counts,
  emptyCounts,
  falseAlarmRate,
  PRODUCT_SIGNALS,
  PRODUCTS,
  type ProductSlug,
  precision,
  type RunScore,
  recall,
} from './score.ts';

const PRODUCT_LABEL: Readonly<Record<ProductSlug, string>> = {
  driftwatch: 'DriftWatch',
  denialscope: 'DenialScope',
  delayguard: 'DelayGuard',
};

/** Pooled counts of one run index in one mode. */
export interface PooledScore {
  /** `product/signal` → counts. */
  readonly signals: Record<string, Counts>;
  readonly products: Record<string, Counts>;
}

export interface PooledRun {
  readonly index: number;
  readonly asOf: string;
  readonly findings: Record<Mode, PooledScore>;
  /** null when no run had an `emerging` list. */
  readonly emerging: Record<Mode, PooledScore> | null;
  /** Planted entities found in at least one run up to this one (findings only), per signal. */
  readonly foundSoFar: Record<Mode, Record<string, number>>;
}

export interface ScenarioAggregate {
  readonly scenario: string;
  readonly seeds: readonly number[];
  readonly meanClaims: number;
  readonly runs: readonly PooledRun[];
}

function emptyPooled(): PooledScore {
  const signals: Record<string, Counts> = {};
  for (const product of PRODUCTS)
    for (const s of PRODUCT_SIGNALS[product]) signals[`${product}/${s}`] = emptyCounts();
  const products: Record<string, Counts> = {};
  for (const product of PRODUCTS) products[product] = emptyCounts();
  return { signals, products };
}

function addScore(into: PooledScore, score: RunScore): void {
  for (const [key, s] of Object.entries(score.signals))
    addCounts(into.signals[key] ?? emptyCounts(), s.counts);
  for (const [key, c] of Object.entries(score.products)) addCounts(into.products[key] ?? emptyCounts(), c);
}

/** Pools the seeds of one scenario. */
export function aggregate(scenario: string, results: readonly SeedResult[]): ScenarioAggregate {
  const byIndex = new Map<number, PooledRun>();
  for (const seed of results) {
    const foundBefore: Record<Mode, Map<string, Set<string>>> = { strict: new Map(), reference: new Map() };
    for (const run of [...seed.runs].sort((a, b) => a.index - b.index)) {
      let pooled = byIndex.get(run.index);
      if (!pooled) {
        pooled = {
          index: run.index,
          asOf: run.asOf,
          findings: { strict: emptyPooled(), reference: emptyPooled() },
          emerging: null,
          foundSoFar: { strict: {}, reference: {} },
        };
        byIndex.set(run.index, pooled);
      }
      for (const mode of MODES) {
        const result = run.modes[mode];
        addScore(pooled.findings[mode], result.findings);
        if (result.emerging) {
          if (!pooled.emerging) {
            (pooled as { emerging: Record<Mode, PooledScore> | null }).emerging = {
              strict: emptyPooled(),
              reference: emptyPooled(),
            };
          }
          addScore((pooled.emerging as Record<Mode, PooledScore>)[mode], result.emerging);
        }
        for (const [key, s] of Object.entries(result.findings.signals)) {
          const set = foundBefore[mode].get(key) ?? new Set<string>();
          for (const entity of s.found) set.add(entity);
          foundBefore[mode].set(key, set);
          pooled.foundSoFar[mode][key] = (pooled.foundSoFar[mode][key] ?? 0) + set.size;
        }
      }
    }
  }
  return {
    scenario,
    seeds: results.map((r) => r.seed),
    meanClaims:
      results.length === 0 ? 0 : Math.round(results.reduce((s, r) => s + r.claims, 0) / results.length),
    runs: [...byIndex.values()].sort((a, b) => a.index - b.index),
  };
}

function pct(value: number | null): string {
  return value === null ? '—' : `${(value * 100).toFixed(1)}%`;
}

function pad(text: string | number, width: number, left = false): string {
  const s = String(text);
  return left ? s.padEnd(width) : s.padStart(width);
}

const LABEL_WIDTH = 34;

function countsCells(c: Counts): string {
  return [
    pad(c.tp, 4),
    pad(c.fp, 4),
    pad(c.fn, 4),
    pad(c.neutral, 4),
    pad(pct(precision(c)), 7),
    pad(pct(recall(c)), 7),
    pad(pct(falseAlarmRate(c)), 7),
    pad(c.unchanged, 5),
  ].join(' ');
}

function header(): string[] {
  const cols = `${pad('TP', 4)} ${pad('FP', 4)} ${pad('FN', 4)} ${pad('ign', 4)} ${pad('prec', 7)} ${pad('recall', 7)} ${pad('FA/unch', 7)} ${pad('unch', 5)}`;
  const width = cols.length;
  const title = (t: string): string => {
    const dashes = Math.max(0, width - t.length - 2);
    const left = Math.floor(dashes / 2);
    return `${'-'.repeat(left)} ${t} ${'-'.repeat(dashes - left)}`;
  };
  return [
    `${pad('', LABEL_WIDTH, true)} ${pad('', 5)} | ${title('strict')} | ${title('reference')}`,
    `${pad('signal', LABEL_WIDTH, true)} ${pad('truth', 5)} | ${cols} | ${cols}`,
  ];
}

function rows(score: Record<Mode, PooledScore>, prefix: string, onlyActive: boolean): string[] {
  const out: string[] = [];
  for (const product of PRODUCTS) {
    for (const signal of PRODUCT_SIGNALS[product]) {
      const key = `${product}/${signal}`;
      const s = score.strict.signals[key] ?? emptyCounts();
      const r = score.reference.signals[key] ?? emptyCounts();
      if (onlyActive && s.truth + s.tp + s.fp + s.neutral + r.tp + r.fp + r.neutral === 0) continue;
      out.push(
        `${pad(`${prefix}${PRODUCT_LABEL[product]} ${signal}`, LABEL_WIDTH, true)} ${pad(s.truth, 5)} | ${countsCells(s)} | ${countsCells(r)}`,
      );
    }
    if (!onlyActive) {
      const s = score.strict.products[product] ?? emptyCounts();
      const r = score.reference.products[product] ?? emptyCounts();
      out.push(
        `${pad(`${prefix}${PRODUCT_LABEL[product]} (all signals)`, LABEL_WIDTH, true)} ${pad(s.truth, 5)} | ${countsCells(s)} | ${countsCells(r)}`,
      );
    }
  }
  return out;
}

/** The printed block of one scenario. */
export function formatScenario(s: Scenario, agg: ScenarioAggregate): string {
  const lines: string[] = [];
  const seeds =
    agg.seeds.length === 0 ? 'no seeds' : `seed${agg.seeds.length > 1 ? 's' : ''} ${agg.seeds.join(', ')}`;
  lines.push(`== ${s.name} (${s.item}): ${s.description}`);
  lines.push(`   ${seeds}; ~${agg.meanClaims.toLocaleString('en-US')} claims per history (all submitted)`);
  for (const run of agg.runs) {
    lines.push('');
    lines.push(
      agg.runs.length > 1
        ? `-- run ${run.index} at ${run.asOf} (first run + ${(run.index - 1) * 7} days)`
        : `-- run at ${run.asOf}`,
    );
    lines.push(...header());
    lines.push(...rows(run.findings, '', false));
    if (run.emerging) {
      lines.push('   emerging candidates (summary_json.emerging), scored apart:');
      lines.push(...rows(run.emerging, '~ ', true));
    }
    if (agg.runs.length > 1) {
      const detected = Object.entries(run.foundSoFar.strict)
        .filter(([key]) => (run.findings.strict.signals[key]?.truth ?? 0) > 0)
        .map(([key, n]) => {
          const truth = run.findings.strict.signals[key]?.truth ?? 0;
          const ref = run.foundSoFar.reference[key] ?? 0;
          return `${key.split('/')[1]} ${n}/${truth} strict, ${ref}/${truth} reference`;
        });
      if (detected.length > 0) lines.push(`   detected in some run so far: ${detected.join('; ')}`);
    }
  }
  return lines.join('\n');
}

export const LEGEND = [
  'TP/FP/FN: findings on a planted entity in its direction / on any other entity / planted entities not found.',
  'ign: findings on neutral entities (touched by a planted change this signal may legitimately see), not scored.',
  'prec = TP/(TP+FP); recall = TP/truth; FA/unch = FP per unchanged entity (cell, payer x reason key, payer);',
  'unch = unchanged entities pooled over seeds. "(all signals)": sums over the product\'s signals (unch: entity x signal).',
  'Counts are pooled over seeds. DelayGuard has no sensitivity setting: strict and reference run the same rule.',
].join('\n');
