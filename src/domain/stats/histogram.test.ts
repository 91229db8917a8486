import { describe, expect, it } from 'vitest';
import {
  histogramCount,
  histogramFromValues,
  histogramMean,
  histogramMedian,
  histogramPercentile,
  histogramSum,
  mergeHistograms,
} from './histogram.ts';

describe('day histograms', () => {
  it('merges across days and cells', () => {
    expect(mergeHistograms([{ '5': 2, '10': 1 }, { '5': 3, '2': 1 }, {}])).toEqual({
      '2': 1,
      '5': 5,
      '10': 1,
    });
  });

  it('counts, sums and means (DelayGuard mean = Σ days × count / Σ count)', () => {
    const h = { '20': 5, '21': 5, '22': 5 };
    expect(histogramCount(h)).toBe(15);
    expect(histogramSum(h)).toBe(315);
    expect(histogramMean(h)).toBe(21);
    expect(histogramMean({})).toBeNull();
  });

  it('median: middle value, or mean of the two middle values (may be x.5)', () => {
    expect(histogramMedian({ '5': 40 })).toBe(5);
    expect(histogramMedian({ '1': 1, '2': 1, '3': 1, '4': 1 })).toBe(2.5);
    expect(histogramMedian({ '3': 5, '4': 8, '5': 9, '6': 5, '8': 3 })).toBe(5); // A7 baseline
    expect(histogramMedian({ '5': 4, '7': 6, '9': 8, '10': 6, '12': 6 })).toBe(9); // A7 current
    expect(histogramMedian({})).toBeNull();
  });

  it('percentiles interpolate like NumPy (type 7)', () => {
    const h = histogramFromValues([1, 2, 2, 3, 7, 9, 9, 9, 10]);
    expect(histogramPercentile(h, 0)).toBe(1);
    expect(histogramPercentile(h, 25)).toBe(2);
    expect(histogramPercentile(h, 50)).toBe(7);
    expect(histogramPercentile(h, 90)).toBeCloseTo(9.2, 12);
    expect(histogramPercentile(h, 100)).toBe(10);
  });

  it('rejects malformed histograms', () => {
    expect(() => histogramCount({ x: 1 })).toThrow(RangeError);
    expect(() => histogramCount({ '3': -1 })).toThrow(RangeError);
    expect(() => histogramCount({ '3': 1.5 })).toThrow(RangeError);
  });
});
