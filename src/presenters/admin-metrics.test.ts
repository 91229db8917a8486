import { describe, expect, it } from 'vitest';
import type { RecentRequest } from '../obs/recent-requests.ts';
import type { AdminMetricsData } from '../queries/admin-metrics.ts';
import {
  cacheHitRateHealth,
  errorRateHealth,
  formatMs,
  formatPercent,
  percentile,
  presentAdminMetrics,
  responseTimeHealth,
  slowRequestsHealth,
  utcTime,
} from './admin-metrics.ts';

describe('thresholds of the deployment checklist (§7.7)', () => {
  it('response time: green < 500 ms, amber 500–1,000 ms, red > 1,000 ms', () => {
    expect(responseTimeHealth(null)).toBe('none');
    expect(responseTimeHealth(0)).toBe('green');
    expect(responseTimeHealth(499.99)).toBe('green');
    expect(responseTimeHealth(500)).toBe('amber');
    expect(responseTimeHealth(1_000)).toBe('amber');
    expect(responseTimeHealth(1_000.01)).toBe('red');
  });

  it('error rate: green < 1 %, amber 1–5 %, red > 5 %', () => {
    expect(errorRateHealth(null)).toBe('none');
    expect(errorRateHealth(0)).toBe('green');
    expect(errorRateHealth(0.99)).toBe('green');
    expect(errorRateHealth(1)).toBe('amber');
    expect(errorRateHealth(5)).toBe('amber');
    expect(errorRateHealth(5.01)).toBe('red');
  });

  it('slow requests per hour: green < 5, amber 5–20, red > 20', () => {
    expect(slowRequestsHealth(0)).toBe('green');
    expect(slowRequestsHealth(4)).toBe('green');
    expect(slowRequestsHealth(5)).toBe('amber');
    expect(slowRequestsHealth(20)).toBe('amber');
    expect(slowRequestsHealth(21)).toBe('red');
  });

  it('cache hit rate: green > 80 %, amber 70–80 %, red < 70 %', () => {
    expect(cacheHitRateHealth(null)).toBe('none');
    expect(cacheHitRateHealth(100)).toBe('green');
    expect(cacheHitRateHealth(80.01)).toBe('green');
    expect(cacheHitRateHealth(80)).toBe('amber');
    expect(cacheHitRateHealth(70)).toBe('amber');
    expect(cacheHitRateHealth(69.99)).toBe('red');
  });
});

describe('formatting', () => {
  it('milliseconds with two decimals, N/A when empty', () => {
    expect(formatMs(12.3456)).toBe('12.35ms');
    expect(formatMs(0)).toBe('0.00ms');
    expect(formatMs(null)).toBe('N/A');
    expect(formatPercent(2.5)).toBe('2.50%');
    expect(formatPercent(null)).toBe('N/A');
  });

  it('times in UTC', () => {
    expect(utcTime('2026-12-07T21:05:09.123Z')).toBe('21:05:09');
  });

  it('p95 is the nearest-rank percentile', () => {
    expect(percentile([], 0.95)).toBeNull();
    expect(percentile([7], 0.95)).toBe(7);
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(hundred, 0.95)).toBe(95);
  });
});

const NOW = new Date('2026-12-07T21:30:00.000Z');

function request(overrides: Partial<RecentRequest>): RecentRequest {
  return {
    timestamp: '2026-12-07T21:29:00.000Z',
    method: 'GET',
    route: '/portal/axis/',
    path: '/portal/axis/',
    status: 200,
    duration_ms: 10,
    user: 'owner_a',
    ...overrides,
  };
}

function data(overrides: Partial<AdminMetricsData['requests']>): AdminMetricsData {
  return {
    now: NOW,
    requests: { recent: [], routes: [], cache: { hits: 0, misses: 0 }, ...overrides },
    queues: [],
    analysisRuns: [
      { product: 'driftwatch', lastSuccessAt: new Date('2026-12-07T06:00:00Z'), lastFailureAt: null },
    ],
    activity: { uploads: 2, rowsIngested: 2_000, alertsSent: 1, webhookFailures: 0 },
    database: {
      version: '15.10',
      mode: 'external',
      name: 'payrixa',
      pool: { total: 10, idle: 9, waiting: 0 },
    },
    versions: { payrixa: '1.0.0', node: 'v20.0.0', postgres: '15.10', redis: 'in-process' },
    cache: { backend: 'memory', hits: 0, misses: 0 },
  };
}

describe('presentAdminMetrics', () => {
  it('an empty buffer shows N/A and no colour rather than a green zero', () => {
    const view = presentAdminMetrics(data({}));
    const card = (key: string) => view.cards.find((c) => c.key === key);
    expect(card('avg_response')).toMatchObject({
      label: 'Average Response Time',
      value: 'N/A',
      health: 'none',
    });
    expect(card('error_rate')).toMatchObject({ value: 'N/A', health: 'none' });
    expect(card('cache_hit_rate')).toMatchObject({ value: 'N/A', health: 'none' });
    expect(card('slow_requests')).toMatchObject({ value: '0', health: 'green' });
    expect(view.recent_requests).toEqual([]);
    expect(view.last_updated).toBe('2026-12-07 21:30:00');
    expect(view.analysis_runs[0]).toEqual({
      product: 'DriftWatch',
      last_success: '2026-12-07 06:00:00 UTC',
      last_failure: '-',
    });
  });

  it('averages the last 100 requests and colours the cards', () => {
    const recent = [
      ...Array.from({ length: 100 }, () => request({ duration_ms: 600 })),
      ...Array.from({ length: 50 }, () => request({ duration_ms: 5_000 })), // older: outside the sample
    ];
    const view = presentAdminMetrics(
      data({
        recent,
        routes: [
          { route: '/api/v1/uploads/', requests: 90, clientErrors: 3, serverErrors: 1, slow: 6 },
          { route: '/portal/axis/', requests: 10, clientErrors: 0, serverErrors: 2, slow: 0 },
        ],
        cache: { hits: 75, misses: 25 },
      }),
    );
    const card = (key: string) => view.cards.find((c) => c.key === key);
    expect(card('avg_response')).toMatchObject({ value: '600.00ms', health: 'amber' });
    expect(card('requests')?.value).toBe('100');
    expect(card('error_rate')).toMatchObject({ value: '3.00%', health: 'amber' });
    expect(card('slow_requests')).toMatchObject({ value: '6', health: 'amber' });
    expect(card('cache_hit_rate')).toMatchObject({ value: '75.00%', health: 'amber' });
    expect(card('active_users')?.value).toBe('1');
    expect(view.recent_requests).toHaveLength(20);
    expect(view.slow_requests).toHaveLength(10);
    expect(view.slow_requests[0]).toMatchObject({ duration: '5000.00ms', duration_class: 'slow' });
    expect(view.errors).toEqual([
      { route: '/portal/axis/', client_errors: 0, server_errors: 2 },
      { route: '/api/v1/uploads/', client_errors: 3, server_errors: 1 },
    ]);
    expect(view.endpoints[0]).toEqual({ route: '/api/v1/uploads/', requests: 90 });
  });

  it('marks 4xx and 5xx rows and shows anonymous users as -', () => {
    const view = presentAdminMetrics(
      data({ recent: [request({ status: 503, user: null }), request({ status: 404 })] }),
    );
    expect(view.recent_requests.map((r) => [r.status_class, r.user])).toEqual([
      ['error', '-'],
      ['warning', 'owner_a'],
    ]);
  });
});
