/**
 * Benchmark harness (`npm run bench`). Benchmarks are not tests: they report timings and
 * ratios measured in one run on this machine, written to bench/out/ and summarised in
 * docs/PERFORMANCE.md. Each benchmark module exports `name` and `run(): Promise<Result>`;
 * later issues add ingestion, analytics and HTTP load benchmarks here. `detection` scores the
 * detectors (not speed) and is summarised in docs/DETECTION.md; options after the filter
 * (`npm run bench -- detection --preset full`) are the benchmark's own.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface BenchResult {
  name: string;
  /** Named measurements (milliseconds, rows/s, MB …) with their unit in the key. */
  metrics: Record<string, number>;
  notes?: string;
  /** Printed instead of the metrics when the benchmark printed its own report (detection). */
  summaryLine?: string;
}

export interface Benchmark {
  name: string;
  run(): Promise<BenchResult>;
}

const here = path.dirname(fileURLToPath(import.meta.url));

async function loadBenchmarks(filter: string | undefined): Promise<Benchmark[]> {
  const modules = [
    await import('./startup.bench.ts'),
    await import('./ingest.bench.ts'),
    await import('./analytics.bench.ts'),
    await import('./detection.bench.ts'),
    await import('./responsive.bench.ts'),
    await import('./pages.bench.ts'),
    await import('./api.bench.ts'),
    await import('./serialization.bench.ts'),
    await import('./alerts.bench.ts'),
    await import('./report-exports.bench.ts'),
    await import('./report-pdf.bench.ts'),
  ];
  return modules
    .map((module) => module.benchmark as Benchmark)
    .filter((b) => !filter || b.name.includes(filter));
}

function machine(): Record<string, string | number> {
  const cpus = os.cpus();
  return {
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memory_gb: Math.round(os.totalmem() / 1024 ** 3),
  };
}

const filter = process.argv[2];
const results: BenchResult[] = [];
for (const benchmark of await loadBenchmarks(filter)) {
  process.stdout.write(`${benchmark.name} … `);
  const result = await benchmark.run();
  results.push(result);
  process.stdout.write(`${result.summaryLine ?? JSON.stringify(result.metrics)}\n`);
}
const outDir = path.join(here, 'out');
mkdirSync(outDir, { recursive: true });
const file = path.join(outDir, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(
  file,
  `${JSON.stringify({ machine: machine(), at: new Date().toISOString(), results }, null, 2)}\n`,
);
console.log(`\nMachine: ${JSON.stringify(machine())}\nWritten ${path.relative(process.cwd(), file)}`);
