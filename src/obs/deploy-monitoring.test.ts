import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { isSpecSeries } from './metric-names.ts';

/**
 * The shipped Prometheus and Grafana files (web-api-ops §7.3) parse, scrape what the spec says,
 * carry the six alerts, and query only metrics of §5.2: a renamed metric fails here, not on a
 * production dashboard.
 */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

/** PromQL words that are not series names: functions, aggregations, keywords. */
const PROMQL_WORDS = new Set([
  'sum',
  'avg',
  'min',
  'max',
  'count',
  'rate',
  'irate',
  'increase',
  'histogram_quantile',
  'clamp_min',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
]);

/** Series Prometheus itself provides (not the application's). */
const PROMETHEUS_SERIES = new Set(['up']);

/** The series names a PromQL expression reads. */
function seriesIn(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // label values and strings
    .replace(/\{[^}]*\}/g, '') // label matchers
    .replace(/\[[^\]]*\]/g, '') // range selectors ($__rate_interval, 5m)
    .replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, '') // grouping label lists
    .replace(/(?<![A-Za-z0-9_:])\d+(\.\d+)?(e[-+]?\d+)?/gi, ''); // numbers (0.95, 1e-9)
  const words = bare.match(/[A-Za-z_:][A-Za-z0-9_:]*/g) ?? [];
  return words.filter((word) => !PROMQL_WORDS.has(word));
}

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

interface Panel {
  title: string;
  targets?: Array<{ expr: string }>;
}

describe('PromQL series extraction', () => {
  it('finds the series and skips functions, labels, ranges and numbers', () => {
    expect(
      seriesIn(
        'histogram_quantile(0.95, sum by (le, route) (rate(payrixa_http_request_duration_seconds_bucket{job="web"}[5m]))) / clamp_min(x_total, 1e-9)',
      ),
    ).toEqual(['payrixa_http_request_duration_seconds_bucket', 'x_total']);
  });
});

describe('deploy/prometheus', () => {
  const config = parse(read('deploy/prometheus/prometheus.yml')) as {
    rule_files: string[];
    scrape_configs: Array<{
      job_name: string;
      metrics_path: string;
      scrape_interval?: string;
      static_configs: Array<{ targets: string[] }>;
    }>;
  };
  const alerts = parse(read('deploy/prometheus/alerts.yml')) as { groups: Array<{ rules: Rule[] }> };
  const rules = alerts.groups.flatMap((group) => group.rules);
  const rule = (name: string) => {
    const found = rules.find((r) => r.alert === name);
    if (!found) throw new Error(`no alert ${name}`);
    return found;
  };

  it('scrapes payrixa-web /metrics every 15 s and payrixa-worker on 127.0.0.1:9808', () => {
    expect(config.rule_files).toEqual(['alerts.yml']);
    const web = config.scrape_configs.find((job) => job.job_name === 'payrixa-web');
    expect(web).toMatchObject({ metrics_path: '/metrics', scrape_interval: '15s' });
    const worker = config.scrape_configs.find((job) => job.job_name === 'payrixa-worker');
    expect(worker?.metrics_path).toBe('/metrics');
    expect(worker?.static_configs.flatMap((c) => c.targets)).toEqual(['127.0.0.1:9808']);
  });

  it('has the six alerts of §7.3 with their thresholds and durations', () => {
    expect(rules.map((r) => r.alert).sort()).toEqual(
      [
        'PayrixaHighErrorRate',
        'PayrixaHighLatency',
        'PayrixaJobsFailed',
        'PayrixaLowCacheHitRatio',
        'PayrixaSlowRequests',
        'PayrixaTargetDown',
      ].sort(),
    );
    expect(rule('PayrixaHighErrorRate')).toMatchObject({ for: '5m' });
    expect(rule('PayrixaHighErrorRate').expr).toMatch(/> 0\.05\s*$/);
    expect(rule('PayrixaHighLatency')).toMatchObject({ for: '10m' });
    expect(rule('PayrixaHighLatency').expr).toMatch(/> 1\s*$/);
    expect(rule('PayrixaLowCacheHitRatio')).toMatchObject({ for: '30m' });
    expect(rule('PayrixaLowCacheHitRatio').expr).toMatch(/\[30m\][\s\S]*< 0\.7\s*$/);
    expect(rule('PayrixaSlowRequests').expr).toMatch(/\[1h\][\s\S]*> 20\s*$/);
    expect(rule('PayrixaJobsFailed').expr).toMatch(/result="failed"\}\[15m\]\)\) > 0$/);
    expect(rule('PayrixaTargetDown')).toMatchObject({ for: '2m' });
    for (const r of rules) {
      expect(r.labels?.['severity'], r.alert).toMatch(/^(warning|critical)$/);
      expect(r.annotations?.['summary'], r.alert).toBeTruthy();
    }
  });

  it('alert expressions use only metrics of §5.2 (and Prometheus `up`)', () => {
    for (const r of rules) {
      const used = seriesIn(r.expr);
      expect(used.length, r.alert).toBeGreaterThan(0);
      for (const name of used) {
        expect(isSpecSeries(name) || PROMETHEUS_SERIES.has(name), `${r.alert}: ${name}`).toBe(true);
      }
    }
  });
});

describe('deploy/grafana/payrixa-dashboard.json', () => {
  const dashboard = JSON.parse(read('deploy/grafana/payrixa-dashboard.json')) as {
    title: string;
    panels: Panel[];
  };

  it('is "Payrixa Application Monitoring" with the panels of §7.3', () => {
    expect(dashboard.title).toBe('Payrixa Application Monitoring');
    const titles = dashboard.panels.map((panel) => panel.title);
    for (const title of [
      'Request rate by route',
      'p95 latency by route',
      '4xx and 5xx rates',
      'Database pool',
      'Job queues',
      'Ingest rows',
      'Alert deliveries',
      'Cache hit ratio',
    ]) {
      expect(titles).toContain(title);
    }
  });

  it('queries only metrics of §5.2', () => {
    const queries = dashboard.panels.flatMap((panel) =>
      (panel.targets ?? []).map((target) => ({ panel: panel.title, expr: target.expr })),
    );
    expect(queries.length).toBeGreaterThanOrEqual(8);
    for (const { panel, expr } of queries) {
      const used = seriesIn(expr);
      expect(used.length, panel).toBeGreaterThan(0);
      for (const name of used) expect(isSpecSeries(name), `${panel}: ${name}`).toBe(true);
    }
  });
});
