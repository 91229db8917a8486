import { describe, expect, it } from 'vitest';
import { percentile, ratio, summarise } from './latency.ts';

describe('percentile (nearest rank)', () => {
  const hundred = Float64Array.from({ length: 100 }, (_, i) => i + 1); // 1..100

  it('is the value at rank ceil(p/100 · n)', () => {
    expect(percentile(hundred, 50)).toBe(50);
    expect(percentile(hundred, 95)).toBe(95);
    expect(percentile(hundred, 99)).toBe(99);
    expect(percentile(hundred, 100)).toBe(100);
    expect(percentile([10, 20, 30], 50)).toBe(20);
    expect(percentile([10, 20, 30], 95)).toBe(30);
  });

  it('returns an observed value, never an interpolation', () => {
    expect(percentile([1, 1000], 50)).toBe(1);
    expect(percentile([1, 1000], 51)).toBe(1000);
    expect(percentile([7], 95)).toBe(7);
  });

  it('is NaN without values and refuses p outside (0, 100]', () => {
    expect(percentile([], 95)).toBeNaN();
    expect(() => percentile([1], 0)).toThrow(RangeError);
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });
});

describe('summarise', () => {
  it('sorts the latencies numerically, counts requests per second and non-2xx statuses', () => {
    // 20 responses over 2 s: 1..20 ms in shuffled order (a lexical sort would put 10 before 2).
    const latencies = [12, 3, 20, 7, 1, 15, 9, 2, 18, 10, 5, 14, 4, 19, 6, 11, 8, 16, 13, 17];
    const summary = summarise({
      latencies,
      statuses: new Map([
        [200, 19],
        [304, 0],
        [503, 1],
      ]),
      errors: 2,
      seconds: 2,
      connections: 5,
    });
    expect(summary.requests).toBe(20);
    expect(summary.rps).toBe(10);
    expect(summary.p50).toBe(10);
    expect(summary.p95).toBe(19);
    expect(summary.p99).toBe(20);
    expect(summary.max).toBe(20);
    expect(summary.non2xx).toEqual({ '304': 0, '503': 1 });
    expect(summary.errors).toBe(2);
    // Little's law: 5 busy connections at 10 responses/s → 500 ms each on average.
    expect(summary.littleMs).toBe(500);
  });

  it('reports an empty run as NaN latencies and 0 req/s', () => {
    const summary = summarise({
      latencies: [],
      statuses: new Map(),
      errors: 0,
      seconds: 10,
      connections: 50,
    });
    expect(summary.requests).toBe(0);
    expect(summary.rps).toBe(0);
    expect(summary.p95).toBeNaN();
    expect(summary.littleMs).toBeNaN();
  });
});

describe('ratio', () => {
  it('is after / before to 2 decimals, NaN without a before', () => {
    expect(ratio(1, 3)).toBe(0.33);
    expect(ratio(250, 200)).toBe(1.25);
    expect(ratio(5, 0)).toBeNaN();
    expect(ratio(Number.NaN, 2)).toBeNaN();
  });
});
