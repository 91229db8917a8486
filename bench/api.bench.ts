import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import type { ServerFailed, ServerReady } from './api-server.ts';
import { type LoadSummary, percentile, ratio, summarise } from './latency.ts';
import type { Benchmark } from './run.ts';

/**
 * `npm run bench api`: the REST API under load (issue 11 "Speed"). Two checkouts are served
 * side by side in one run — this one (HEAD) and the last commit before the schema work
 * (API_BENCH_BEFORE, default 0346d08; API_BENCH_BEFORE=none skips it) — each by its own child
 * process (bench/api-server.ts) that seeds the demo customer on its own fresh database, scales
 * it to API_BENCH_CLAIMS claims (default 1,000,000) and listens on 127.0.0.1. Then, endpoint
 * by endpoint and alternating which checkout goes first (so a change of machine load hits both
 * alike), autocannon warms up and loads each list and detail endpoint with a bearer token at
 * API_BENCH_CONNECTIONS (50) for API_BENCH_SECONDS (10), keeping every response's latency for
 * p50/p95/p99, and counts non-2xx answers; then one connection sends requests one after the
 * other for the server's own time (X-Request-Duration-Ms) and the unqueued latency.
 *
 * The load generator runs in this process and the servers in theirs: on a 2-core machine the
 * generator takes one core, so absolute numbers are a floor of what the code can do. Compare
 * before and after within one run. Runs on the embedded PGlite unless TEST_DATABASE_URL (and
 * TEST_REDIS_URL) are set, as the tests do. The before checkout is a git worktree: the one at
 * API_BENCH_BEFORE_DIR, else one created (once, with `npm ci`) under the system temp directory.
 */

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..');

const settings = {
  claims: Number(process.env['API_BENCH_CLAIMS'] ?? 1_000_000),
  connections: Number(process.env['API_BENCH_CONNECTIONS'] ?? 50),
  seconds: Number(process.env['API_BENCH_SECONDS'] ?? 10),
  warmupSeconds: Number(process.env['API_BENCH_WARMUP_SECONDS'] ?? 3),
  serialSeconds: Number(process.env['API_BENCH_SERIAL_SECONDS'] ?? 3),
  laterPage: Number(process.env['API_BENCH_LATER_PAGE'] ?? 100),
  before: process.env['API_BENCH_BEFORE'] ?? '0346d08',
};

interface Tree {
  label: 'before' | 'HEAD';
  root: string;
  commit: string;
}

interface Served {
  tree: Tree;
  ready: ServerReady;
  child: ChildProcess;
  base: string;
  headers: Record<string, string>;
  paths: Map<string, string>;
}

interface SerialSummary {
  /** Median X-Request-Duration-Ms: the time the server spent on one request, unqueued. */
  serverMs: number;
  /** Median latency at one connection (server time plus loopback and parsing). */
  latencyMs: number;
  requests: number;
}

interface Measurement {
  load: LoadSummary;
  serial: SerialSummary;
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();
}

function headTree(): Tree {
  const dirty = git(repoRoot, 'status', '--porcelain', '--untracked-files=no') !== '';
  return {
    label: 'HEAD',
    root: repoRoot,
    commit: `${git(repoRoot, 'rev-parse', '--short', 'HEAD')}${dirty ? '+' : ''}`,
  };
}

/** The before checkout: an existing worktree, or one created and installed once. */
function beforeTree(): Tree | null {
  if (settings.before === 'none') return null;
  const sha = git(repoRoot, 'rev-parse', '--verify', `${settings.before}^{commit}`);
  const root =
    process.env['API_BENCH_BEFORE_DIR'] ?? path.join(os.tmpdir(), `payrixa-bench-before-${sha.slice(0, 12)}`);
  if (!existsSync(root)) {
    process.stderr.write(
      `\n  creating the before checkout ${root} (${sha.slice(0, 7)}) and running npm ci…\n`,
    );
    git(repoRoot, 'worktree', 'add', '--detach', root, sha);
  }
  if (!existsSync(path.join(root, 'node_modules'))) {
    execFileSync('npm', ['ci', '--no-audit', '--no-fund'], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  const checkedOut = git(root, 'rev-parse', 'HEAD');
  if (checkedOut !== sha)
    throw new Error(`${root} has ${checkedOut.slice(0, 7)} checked out, not ${sha.slice(0, 7)}`);
  return { label: 'before', root, commit: sha.slice(0, 7) };
}

function startServer(tree: Tree): Promise<{ child: ChildProcess; ready: ServerReady }> {
  const child = fork(path.join(here, 'api-server.ts'), [], {
    cwd: tree.root,
    execArgv: ['--import', import.meta.resolve('tsx')],
    env: {
      ...process.env,
      API_BENCH_TREE: tree.root,
      API_BENCH_CLAIMS: String(settings.claims),
      // The token must outlive a slow seeding plus the whole run.
      JWT_ACCESS_MINUTES: '720',
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (message: ServerReady | ServerFailed) => {
      if (message.kind === 'ready') resolve({ child, ready: message });
      else reject(new Error(`${tree.label} server: ${message.error}`));
    });
    child.once('exit', (code) =>
      reject(new Error(`${tree.label} server exited (${code}) before it was ready`)),
    );
  });
}

async function stopServer(served: { child: ChildProcess }): Promise<void> {
  if (served.child.exitCode !== null) return;
  const exited = new Promise((resolve) => served.child.once('exit', resolve));
  served.child.send('stop');
  const timer = setTimeout(() => served.child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}

async function getJson(base: string, url: string, headers: Record<string, string>): Promise<unknown> {
  const response = await fetch(base + url, { headers });
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
  return response.json();
}

/** The items of a list answer: the paginated envelope's `results` or a bare array. */
function items(body: unknown): Array<Record<string, unknown>> {
  if (Array.isArray(body)) return body as Array<Record<string, unknown>>;
  const results = (body as { results?: unknown }).results;
  return Array.isArray(results) ? (results as Array<Record<string, unknown>>) : [];
}

/**
 * Logs in (JWT) and resolves the endpoints on this server's own data: the ids of the first
 * claim, upload, payer mapping (one is created when the demo has none) and report.
 */
async function prepare(tree: Tree, child: ChildProcess, ready: ServerReady): Promise<Served> {
  const base = `http://127.0.0.1:${ready.port}`;
  const login = await fetch(`${base}/api/v1/auth/token/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: ready.username, password: ready.password }),
  });
  if (!login.ok) throw new Error(`${tree.label}: token answered ${login.status}`);
  const { access } = (await login.json()) as { access: string };
  const headers = { authorization: `Bearer ${access}`, accept: 'application/json' };

  const claim = items(await getJson(base, '/api/v1/claims/?page_size=1', headers))[0];
  const upload = items(await getJson(base, '/api/v1/uploads/', headers))[0];
  if (!claim || !upload) throw new Error(`${tree.label}: the demo has no claims or uploads`);
  let mapping = items(await getJson(base, '/api/v1/payer-mappings/', headers))[0];
  if (!mapping) {
    const created = await fetch(`${base}/api/v1/payer-mappings/`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ raw_name: 'BENCH PAYER', normalized_name: String(claim['payer']) }),
    });
    if (created.status !== 201) throw new Error(`${tree.label}: payer mapping answered ${created.status}`);
    mapping = (await created.json()) as Record<string, unknown>;
  }
  const report = items(await getJson(base, '/api/v1/reports/', headers))[0];

  const payer = encodeURIComponent(String(claim['payer']));
  const paths = new Map<string, string>([
    ['claims/', '/api/v1/claims/'],
    ['claims/ filtered', `/api/v1/claims/?payer=${payer}&outcome=DENIED`],
    [`claims/ page ${settings.laterPage}`, `/api/v1/claims/?page=${settings.laterPage}`],
    ['claims/<id>/', `/api/v1/claims/${claim['id']}/`],
    ['claims/payer_summary/', '/api/v1/claims/payer_summary/'],
    ['uploads/', '/api/v1/uploads/'],
    ['uploads/<id>/', `/api/v1/uploads/${upload['id']}/`],
    ['uploads/stats/', '/api/v1/uploads/stats/'],
    ['payer-mappings/', '/api/v1/payer-mappings/'],
    ['payer-mappings/<id>/', `/api/v1/payer-mappings/${mapping['id']}/`],
    ['drift-events/', '/api/v1/drift-events/'],
    ['drift-events/active/', '/api/v1/drift-events/active/'],
    ['findings/', '/api/v1/findings/'],
    ['reports/', '/api/v1/reports/'],
    ...(report ? [['reports/<id>/', `/api/v1/reports/${report['id']}/`] as [string, string]] : []),
    ['me/', '/api/v1/me/'],
    ['dashboard/', '/api/v1/dashboard/'],
  ]);
  return { tree, ready, child, base, headers, paths };
}

function runCannon(
  url: string,
  headers: Record<string, string>,
  seconds: number,
  onResponse?: (statusCode: number, responseTime: number) => void,
): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      { url, headers, connections: settings.connections, duration: seconds, timeout: 30 },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
    if (onResponse) {
      instance.on('response', (_client, statusCode, _bytes, responseTime) =>
        onResponse(statusCode, responseTime),
      );
    }
  });
}

async function loadEndpoint(served: Served, url: string): Promise<LoadSummary> {
  await runCannon(served.base + url, served.headers, settings.warmupSeconds);
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  const started = performance.now();
  const result = await runCannon(served.base + url, served.headers, settings.seconds, (status, time) => {
    latencies.push(time);
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
  });
  const seconds = (performance.now() - started) / 1000;
  return summarise({
    latencies,
    statuses,
    errors: result.errors + result.timeouts,
    seconds: Math.min(seconds, result.duration || seconds),
    connections: settings.connections,
  });
}

/** One connection, requests one after the other: the server's time without queueing. */
async function serialEndpoint(served: Served, url: string): Promise<SerialSummary> {
  const server: number[] = [];
  const latency: number[] = [];
  const until = performance.now() + settings.serialSeconds * 1000;
  while (performance.now() < until || server.length < 5) {
    const started = performance.now();
    const response = await fetch(served.base + url, { headers: served.headers });
    await response.arrayBuffer();
    latency.push(performance.now() - started);
    if (!response.ok) throw new Error(`${served.tree.label} ${url} answered ${response.status}`);
    server.push(Number(response.headers.get('x-request-duration-ms') ?? Number.NaN));
  }
  const median = (values: number[]) => percentile(Float64Array.from(values).sort(), 50);
  return { serverMs: median(server), latencyMs: median(latency), requests: server.length };
}

const fmt = (value: number, digits = 1) =>
  Number.isFinite(value) ? value.toLocaleString('en-US', { maximumFractionDigits: digits }) : '–';

function statusNote(load: LoadSummary): string {
  const bad = Object.entries(load.non2xx).map(([status, count]) => `${count}×${status}`);
  if (load.errors > 0) bad.push(`${load.errors} errors`);
  return bad.length === 0 ? 'all 2xx' : bad.join(', ');
}

function headTable(results: Map<string, Map<Tree['label'], Measurement>>, label: Tree['label']): string {
  const lines = [
    '| Endpoint | req/s | p50 ms | p95 ms | p99 ms | 50 ÷ req/s ms | server ms (1 conn) | latency ms (1 conn) | responses |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const [name, byTree] of results) {
    const m = byTree.get(label);
    if (!m) continue;
    lines.push(
      `| \`${name}\` | ${fmt(m.load.rps, 0)} | ${fmt(m.load.p50)} | ${fmt(m.load.p95)} | ${fmt(m.load.p99)} | ${fmt(m.load.littleMs)} | ${fmt(m.serial.serverMs, 2)} | ${fmt(m.serial.latencyMs, 2)} | ${fmt(m.load.requests, 0)}, ${statusNote(m.load)} |`,
    );
  }
  return lines.join('\n');
}

function comparisonTable(results: Map<string, Map<Tree['label'], Measurement>>): string {
  const lines = [
    '| Endpoint | req/s before → HEAD | ratio | p95 ms before → HEAD | ratio | server ms before → HEAD | ratio |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const [name, byTree] of results) {
    const before = byTree.get('before');
    const after = byTree.get('HEAD');
    if (!before || !after) continue;
    lines.push(
      `| \`${name}\` | ${fmt(before.load.rps, 0)} → ${fmt(after.load.rps, 0)} | ${fmt(ratio(after.load.rps, before.load.rps), 2)} | ${fmt(before.load.p95)} → ${fmt(after.load.p95)} | ${fmt(ratio(after.load.p95, before.load.p95), 2)} | ${fmt(before.serial.serverMs, 2)} → ${fmt(after.serial.serverMs, 2)} | ${fmt(ratio(after.serial.serverMs, before.serial.serverMs), 2)} |`,
    );
  }
  return lines.join('\n');
}

const loadAverage = () =>
  os
    .loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');

export const benchmark: Benchmark = {
  name: 'api',
  async run() {
    const trees = [beforeTree(), headTree()].filter((tree): tree is Tree => tree !== null);
    const loadAtStart = loadAverage();
    const database = process.env['TEST_DATABASE_URL'] ? 'PostgreSQL' : 'PGlite (embedded, in memory)';
    process.stderr.write(
      `\n  seeding ${trees.map((t) => `${t.label} ${t.commit}`).join(' and ')} at ~${settings.claims} claims on ${database}…\n`,
    );
    const seedStarted = performance.now();
    // Seeded side by side: each server is idle while the other is measured.
    const started = await Promise.allSettled(trees.map((tree) => startServer(tree)));
    const servers: Served[] = [];
    try {
      for (const [index, outcome] of started.entries()) {
        if (outcome.status === 'rejected') throw outcome.reason;
        servers.push(await prepare(trees[index] as Tree, outcome.value.child, outcome.value.ready));
      }
      const seedSeconds = Math.round((performance.now() - seedStarted) / 1000);
      const loadAtMeasure = loadAverage();
      const results = new Map<string, Map<Tree['label'], Measurement>>();
      const names = [...(servers.at(-1)?.paths.keys() ?? [])];
      for (const [index, name] of names.entries()) {
        const order = index % 2 === 0 ? servers : [...servers].reverse();
        const byTree = new Map<Tree['label'], Measurement>();
        for (const served of order) {
          const url = served.paths.get(name);
          if (!url) continue;
          process.stderr.write(`  ${served.tree.label} ${name}\n`);
          const load = await loadEndpoint(served, url);
          const serial = await serialEndpoint(served, url);
          byTree.set(served.tree.label, { load, serial });
        }
        results.set(name, byTree);
      }
      const loadAtEnd = loadAverage();

      const head = servers.find((s) => s.tree.label === 'HEAD') as Served;
      const before = servers.find((s) => s.tree.label === 'before');
      const header = [
        `Run ${new Date().toISOString()} on ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, Node ${process.version}; ${database}.`,
        `HEAD ${head.tree.commit} (${fmt(head.ready.claims, 0)} claims)${before ? `; before ${before.tree.commit} (${fmt(before.ready.claims, 0)} claims)` : ''}; seeding and scaling ${seedSeconds} s.`,
        `${settings.connections} connections, ${settings.warmupSeconds} s warm-up then ${settings.seconds} s per endpoint and checkout; then 1 connection for ${settings.serialSeconds} s.`,
        `Load average (1/5/15 min): ${loadAtStart} at start, ${loadAtMeasure} before the load, ${loadAtEnd} at the end.`,
      ].join('\n');
      const report = [
        header,
        '',
        `HEAD (${head.tree.commit}):`,
        '',
        headTable(results, 'HEAD'),
        ...(before
          ? [
              '',
              `Before (${before.tree.commit}):`,
              '',
              headTable(results, 'before'),
              '',
              'HEAD against before (ratio = HEAD ÷ before):',
              '',
              comparisonTable(results),
            ]
          : []),
      ].join('\n');
      console.log(`\n${report}\n`);
      const outDir = path.join(here, 'out');
      mkdirSync(outDir, { recursive: true });
      const file = path.join(outDir, `api-${new Date().toISOString().replace(/[:.]/g, '-')}.md`);
      writeFileSync(file, `${report}\n`);

      const metrics: Record<string, number> = { seed_seconds: seedSeconds, claims: head.ready.claims };
      for (const [name, byTree] of results) {
        for (const [label, m] of byTree) {
          metrics[`${label} ${name} rps`] = Math.round(m.load.rps);
          metrics[`${label} ${name} p50_ms`] = m.load.p50;
          metrics[`${label} ${name} p95_ms`] = m.load.p95;
          metrics[`${label} ${name} p99_ms`] = m.load.p99;
          metrics[`${label} ${name} server_ms`] = m.serial.serverMs;
          metrics[`${label} ${name} non_2xx`] =
            Object.values(m.load.non2xx).reduce((a, b) => a + b, 0) + m.load.errors;
        }
      }
      return {
        name: 'api',
        metrics,
        notes: `markdown report: ${path.relative(process.cwd(), file)}`,
        summaryLine: `written ${path.relative(process.cwd(), file)}`,
      };
    } finally {
      await Promise.all(
        started.map((outcome) => (outcome.status === 'fulfilled' ? stopServer(outcome.value) : undefined)),
      );
    }
  },
};
