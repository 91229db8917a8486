/**
 * Detection benchmark (issue 9 item 5, docs/DETECTION.md): seeded claim histories with planted
 * payer behaviour changes (bench/detection/generator.ts), loaded into a real database and scored
 * through the production path — the rollup build of the claims repository, then `runAnalysis`
 * for DriftWatch, DenialScope and DelayGuard in strict and reference mode — against the truth:
 * TP / FP / FN, precision, recall and false alarms per unchanged entity, per product and signal.
 *
 * Options (after the filter: `npm run bench -- detection --preset full`; or environment):
 *   --preset quick|full         BENCH_DETECTION_PRESET   seeds per scenario (quick 2 for the
 *                                                        main-setting scenarios, 1 elsewhere;
 *                                                        full 6 and 3)
 *   --seeds N                   BENCH_DETECTION_SEEDS    N seeds for every scenario
 *   --seed-base N               BENCH_DETECTION_SEED_BASE first seed (default 1)
 *   --scenarios a,b*            BENCH_DETECTION_SCENARIOS names, or prefixes ending in *
 *                                                        (default all)
 *   --warmup N                  BENCH_DETECTION_WARMUP   unscored weekly runs before the first
 *                                                        scored one (default 0)
 * PostgreSQL when BENCH_DATABASE_URL is set (use a scratch database), else in-memory PGlite.
 * Same options, same numbers: generation is seeded and the database work is deterministic.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDatabase } from '../test/db.ts';
import { aggregate, formatScenario, LEGEND, type ScenarioAggregate } from './detection/report.ts';
import { MODES, runScenarioSeed, type SeedResult } from './detection/runner.ts';
import { BENCH_AS_OF, SCENARIOS, type Scenario } from './detection/scenarios.ts';
import { falseAlarmRate, PRODUCTS, precision, recall } from './detection/score.ts';
import type { Benchmark, BenchResult } from './run.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

export interface DetectionOptions {
  readonly preset: 'quick' | 'full';
  readonly seeds: number | null;
  readonly seedBase: number;
  readonly scenarios: readonly string[];
  readonly warmupWeeks: number;
}

/** Scenarios in the main setting family (more seeds: their recall is the target). */
const MAIN_FAMILY = new Set(['main', 'main-n50', 'main-n200', 'submission-drift']);

/** `name` exactly, or a prefix ending in `*` (`main*`). */
function matches(s: Scenario, pattern: string): boolean {
  return pattern.endsWith('*') ? s.name.startsWith(pattern.slice(0, -1)) : s.name === pattern;
}

function argValue(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  if (i >= 0) return args[i + 1];
  const inline = args.find((a) => a.startsWith(`--${name}=`));
  return inline?.slice(name.length + 3);
}

function positiveInt(value: string | undefined, name: string, min: number): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}, got ${value}`);
  return n;
}

export function parseOptions(args: readonly string[], env: NodeJS.ProcessEnv): DetectionOptions {
  const preset = argValue(args, 'preset') ?? env['BENCH_DETECTION_PRESET'] ?? 'quick';
  if (preset !== 'quick' && preset !== 'full')
    throw new Error(`--preset must be quick or full, got ${preset}`);
  const scenarios = (argValue(args, 'scenarios') ?? env['BENCH_DETECTION_SCENARIOS'] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = scenarios.filter((s) => !SCENARIOS.some((sc) => matches(sc, s)));
  if (unknown.length > 0)
    throw new Error(
      `unknown scenario ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`,
    );
  return {
    preset,
    seeds: positiveInt(argValue(args, 'seeds') ?? env['BENCH_DETECTION_SEEDS'], 'seeds', 1) ?? null,
    seedBase:
      positiveInt(argValue(args, 'seed-base') ?? env['BENCH_DETECTION_SEED_BASE'], 'seed-base', 0) ?? 1,
    scenarios,
    warmupWeeks: positiveInt(argValue(args, 'warmup') ?? env['BENCH_DETECTION_WARMUP'], 'warmup', 0) ?? 0,
  };
}

export function seedsFor(s: Scenario, o: DetectionOptions): number[] {
  const count =
    o.seeds ?? (o.preset === 'full' ? (MAIN_FAMILY.has(s.name) ? 6 : 3) : MAIN_FAMILY.has(s.name) ? 2 : 1);
  return Array.from({ length: count }, (_, i) => o.seedBase + i);
}

function selected(o: DetectionOptions): Scenario[] {
  return o.scenarios.length === 0
    ? [...SCENARIOS]
    : SCENARIOS.filter((s) => o.scenarios.some((p) => matches(s, p)));
}

/** Headline numbers for the harness: per scenario, run, mode and signal with a truth or findings. */
function headlineMetrics(aggregates: readonly ScenarioAggregate[]): Record<string, number> {
  const metrics: Record<string, number> = {};
  const round = (v: number | null): number => (v === null ? -1 : Math.round(v * 1000) / 1000);
  for (const agg of aggregates) {
    for (const run of agg.runs) {
      const prefix = agg.runs.length > 1 ? `${agg.scenario}.run${run.index}` : agg.scenario;
      for (const mode of MODES) {
        for (const [key, c] of Object.entries(run.findings[mode].signals)) {
          const signal = key.split('/')[1] as string;
          if (c.truth > 0) {
            metrics[`${prefix}.${mode}.${signal}.recall`] = round(recall(c));
            metrics[`${prefix}.${mode}.${signal}.precision`] = round(precision(c));
          }
          if (c.fp > 0) metrics[`${prefix}.${mode}.${signal}.fa_per_unchanged`] = round(falseAlarmRate(c));
        }
        for (const product of PRODUCTS) {
          metrics[`${prefix}.${mode}.${product}.fp`] = run.findings[mode].products[product]?.fp ?? 0;
        }
      }
    }
  }
  return metrics;
}

export async function runDetectionBenchmark(options: DetectionOptions): Promise<BenchResult> {
  const handle = await createTestDatabase({
    ...(process.env['BENCH_DATABASE_URL'] && { env: { DATABASE_URL: process.env['BENCH_DATABASE_URL'] } }),
  });
  const scenarios = selected(options);
  const results: SeedResult[] = [];
  const started = performance.now();
  try {
    process.stdout.write(
      `\n${handle.database.kind}; preset ${options.preset}; first run ${BENCH_AS_OF}; warm-up weeks ${options.warmupWeeks}\n`,
    );
    for (const scenario of scenarios) {
      for (const seed of seedsFor(scenario, options)) {
        const r = await runScenarioSeed(handle.database, scenario, seed, {
          warmupWeeks: options.warmupWeeks,
        });
        results.push(r);
        process.stdout.write(
          `  ${scenario.name} #${seed}: ${r.claims.toLocaleString('en-US')} claims; load ${(r.millis.load / 1000).toFixed(1)} s (COPY ${(r.millis.copy / 1000).toFixed(1)} s, rollups ${(r.millis.rollups / 1000).toFixed(1)} s), analyse ${(r.millis.analyse / 1000).toFixed(1)} s\n`,
        );
      }
    }
  } finally {
    await handle.close();
  }
  const aggregates = scenarios.map((s) =>
    aggregate(
      s.name,
      results.filter((r) => r.scenario === s.name),
    ),
  );
  const report = scenarios.map((s, i) => formatScenario(s, aggregates[i] as ScenarioAggregate)).join('\n\n');
  process.stdout.write(`\n${report}\n\n${LEGEND}\n`);

  const outDir = path.join(here, 'out');
  mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, `detection-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        at: new Date().toISOString(),
        engine: handle.database.kind,
        options,
        first_run: BENCH_AS_OF,
        scenarios: scenarios.map((s, i) => ({ ...s, aggregate: aggregates[i] })),
        seeds: results,
      },
      null,
      2,
    )}\n`,
  );
  const minutes = (performance.now() - started) / 60_000;
  const histories = `${results.length} ${results.length === 1 ? 'history' : 'histories'}`;
  return {
    name: 'detection',
    metrics: headlineMetrics(aggregates),
    notes: `${handle.database.kind}; ${histories} in ${minutes.toFixed(1)} min; details in ${path.relative(process.cwd(), file)}`,
    summaryLine: `${histories} in ${minutes.toFixed(1)} min; tables above; written ${path.relative(process.cwd(), file)}`,
  };
}

export const benchmark: Benchmark = {
  name: 'detection',
  run: () => runDetectionBenchmark(parseOptions(process.argv.slice(3), process.env)),
};
