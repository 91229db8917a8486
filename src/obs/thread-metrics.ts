import { Counter, Histogram, type LabelValues, type Registry, register } from 'prom-client';

/**
 * The metric bridge between job threads and the process that owns them (docs/OPERATIONS.md,
 * "Metrics from jobs and workers").
 *
 * A job thread has its own module instances and therefore its own prom-client global registry,
 * which nothing scrapes. So the recorders below, when their metric lives on the global registry
 * and this thread forwards (`forwardMetricsTo`, called by job-thread.ts), do not touch the
 * thread's metric object: they queue `{name, labels, values}` and a flush posts the batch to the
 * parent, which applies it to its own metric of that name (`applyMetricUpdates`). Counters are
 * summed per label set before sending; histogram observations travel one by one (a handful per
 * job), so the parent's buckets, sum and count are exact.
 *
 * A batch is sent at the end of every job (the executor calls `flushMetrics`) and at the latest
 * `FLUSH_INTERVAL_MS` after its first update, so a job thread posts at most one message per job
 * plus one per 100 ms of activity.
 */

export interface MetricUpdate {
  name: string;
  labels: Record<string, string>;
  /** A counter: one summed increment. A histogram: each observation. */
  values: number[];
}

export const FLUSH_INTERVAL_MS = 100;

type Send = (updates: MetricUpdate[]) => void;

let send: Send | null = null;
let pending = new Map<string, MetricUpdate & { kind: 'counter' | 'histogram' }>();
let timer: NodeJS.Timeout | null = null;

/** Makes this thread forward its global-registry counts through `sender` (job threads only). */
export function forwardMetricsTo(sender: Send): void {
  send = sender;
}

/** Whether increments on the global registry are forwarded (true inside a job thread). */
export function forwardingMetrics(): boolean {
  return send !== null;
}

/** Posts the queued updates now (no-op when nothing is queued or this thread does not forward). */
export function flushMetrics(): void {
  if (timer) clearTimeout(timer);
  timer = null;
  if (!send || pending.size === 0) return;
  const batch = [...pending.values()].map(({ name, labels, values }) => ({ name, labels, values }));
  pending = new Map();
  send(batch);
}

function queue(
  kind: 'counter' | 'histogram',
  name: string,
  labels: Record<string, string>,
  value: number,
): void {
  // Label values are closed sets; JSON of the object (keys in the port's fixed order) is a
  // stable key for summing.
  const key = `${name}${JSON.stringify(labels)}`;
  const entry = pending.get(key);
  if (!entry) pending.set(key, { kind, name, labels, values: [value] });
  else if (kind === 'counter') entry.values[0] = (entry.values[0] ?? 0) + value;
  else entry.values.push(value);
  if (!timer) {
    timer = setTimeout(flushMetrics, FLUSH_INTERVAL_MS);
    timer.unref();
  }
}

/** Records increments of counter `name`: on `registry`, or forwarded from a job thread. */
export type CountFn<L extends string> = (labels: LabelValues<L>, value?: number) => void;
/** Records observations of histogram `name`: on `registry`, or forwarded from a job thread. */
export type ObserveFn<L extends string> = (labels: LabelValues<L>, value: number) => void;

function asLabels(labels: LabelValues<string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(labels)) if (value !== undefined) out[key] = String(value);
  return out;
}

/**
 * The counter `name` on `registry` (created on first use: a registry refuses duplicates) and
 * its recorder. Only the global registry forwards; a test's own registry always counts here.
 */
export function forwardableCounter<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly L[],
): CountFn<L> {
  const existing = registry.getSingleMetric(name);
  const counter =
    (existing as Counter<L> | undefined) ?? new Counter({ name, help, labelNames, registers: [registry] });
  const global = registry === register;
  return (labels, value = 1) => {
    if (global && send) queue('counter', name, asLabels(labels), value);
    else counter.inc(labels, value);
  };
}

/** The histogram `name` on `registry` and its recorder (see {@link forwardableCounter}). */
export function forwardableHistogram<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly L[],
  buckets: readonly number[],
): ObserveFn<L> {
  const existing = registry.getSingleMetric(name);
  const histogram =
    (existing as Histogram<L> | undefined) ??
    new Histogram({ name, help, labelNames, buckets: [...buckets], registers: [registry] });
  const global = registry === register;
  return (labels, value) => {
    if (global && send) queue('histogram', name, asLabels(labels), value);
    else histogram.observe(labels, value);
  };
}

/**
 * Applies a job thread's batch to this process's metrics of the same names (the parent side).
 * A name this process has not registered is skipped: the modules defining the forwarded
 * metrics are imported by job-threads.ts, so that only happens for a metric added in a thread
 * alone, which no scrape of this process could show anyway.
 */
export function applyMetricUpdates(updates: readonly MetricUpdate[], registry: Registry = register): void {
  for (const update of updates) {
    const metric = registry.getSingleMetric(update.name);
    if (metric instanceof Counter) {
      for (const value of update.values) metric.inc(update.labels, value);
    } else if (metric instanceof Histogram) {
      for (const value of update.values) metric.observe(update.labels, value);
    }
  }
}

/** Whether a thread message is a metrics batch (`{type: 'metrics', updates}`). */
export function isMetricsMessage(message: unknown): message is { type: 'metrics'; updates: MetricUpdate[] } {
  return (
    typeof message === 'object' &&
    message !== null &&
    (message as { type?: unknown }).type === 'metrics' &&
    Array.isArray((message as { updates?: unknown }).updates)
  );
}
