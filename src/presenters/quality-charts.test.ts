import { describe, expect, it } from 'vitest';
import { metricChart, uploadScoreChart } from './quality-charts.ts';

describe('uploadScoreChart', () => {
  it('is null without reports', () => {
    expect(uploadScoreChart([], { id: 'c', title: 'T', withTable: true })).toBeNull();
  });

  it('draws one point per upload, oldest first, with a data table when asked', () => {
    const chart = uploadScoreChart(
      [
        { upload_id: 7, created_at: new Date('2026-03-02T10:00:00Z'), quality_score: '0.5000' },
        { upload_id: 5, created_at: new Date('2026-03-01T09:00:00Z'), quality_score: '0.9750' },
      ],
      { id: 'chart-x', title: 'Quality <Trend>', withTable: true },
    );
    expect(chart).not.toBeNull();
    expect(chart!.svg).toContain('<svg class="chart" id="chart-x"');
    expect(chart!.svg).toContain('<title id="chart-x-title">Quality &lt;Trend&gt;</title>');
    expect(chart!.svg.match(/<circle /g)).toHaveLength(2);
    expect(chart!.svg.indexOf('03-01 #5: 98%')).toBeLessThan(chart!.svg.indexOf('03-02 #7: 50%'));
    expect(chart!.columns).toEqual(['Upload', 'Processed', 'Score', 'Grade']);
    expect(chart!.rows.map((r) => r.slice(0, 3))).toEqual([
      ['#5', '2026-03-01', '98%'],
      ['#7', '2026-03-02', '50%'],
    ]);
  });

  it('leaves the table out when the page shows one already', () => {
    const chart = uploadScoreChart(
      [{ upload_id: 1, created_at: new Date('2026-03-01T00:00:00Z'), quality_score: 1 }],
      { id: 'c', title: 'T', withTable: false },
    );
    expect(chart!.columns).toEqual([]);
    expect(chart!.rows).toEqual([]);
  });
});

describe('metricChart', () => {
  it('is null without measurements', () => {
    expect(metricChart('validity', [])).toBeNull();
  });

  it('plots the daily score ×100 and lists dates, scores and grades', () => {
    const chart = metricChart('completeness', [
      { date: '2026-03-01', score: 0.9 },
      { date: '2026-03-02', score: 0.96 },
    ]);
    expect(chart!.svg).toContain('id="chart-metric-completeness"');
    expect(chart!.svg).toContain('Completeness — daily score');
    expect(chart!.svg).toContain('03-02: 96%');
    expect(chart!.columns).toEqual(['Date', 'Score', 'Grade']);
    expect(chart!.rows[0]!.slice(0, 2)).toEqual(['2026-03-01', '90%']);
  });
});
