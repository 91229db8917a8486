import { describe, expect, it } from 'vitest';
import { barChartSvg, escapeXml, lineChartSvg } from './charts.ts';

describe('SVG charts', () => {
  it('line chart: accessible, escaped, baseline band, hollow points, markers and gaps', () => {
    const svg = lineChartSvg({
      id: 'c1',
      title: 'Rate — <Aetna> & "Co"',
      desc: 'Weekly rate',
      points: [
        { label: 'w1', value: 10 },
        { label: 'w2', value: null },
        { label: 'w3', value: 12, hollow: true },
        { label: 'w4', value: 55 },
      ],
      formatValue: (v) => `${v.toFixed(1)}%`,
      baseline: 11,
      band: { low: 6, high: 16 },
      markers: [{ index: 3, value: 55, colour: '#d32f2f', direction: 'up', title: 'E&M: 20.0% → 60.0%' }],
      yMin: 0,
      yMax: 100,
    });
    expect(svg).toMatch(/^<svg class="chart" id="c1"[^>]*role="img" aria-labelledby="c1-title c1-desc"/);
    expect(svg).toContain('<title id="c1-title">Rate — &lt;Aetna&gt; &amp; &quot;Co&quot;</title>');
    expect(svg).toContain('<desc id="c1-desc">Weekly rate</desc>');
    expect(svg).toContain('class="chart-band"');
    expect(svg).toContain('class="chart-baseline"');
    expect(svg).toContain('class="chart-marker"');
    expect(svg).toContain('E&amp;M: 20.0% → 60.0%');
    expect(svg).toContain('w3: 12.0% (low volume)');
    // the missing week breaks the line: two "M" moves
    expect((/ d="([^"]*)"/.exec(svg)?.[1] ?? '').match(/M/g)).toHaveLength(2);
    expect(svg).not.toContain('style=');
    expect(svg.endsWith('</svg>')).toBe(true);
  });

  it('bar chart: one rect per bar, highlight colour and reference line', () => {
    const svg = barChartSvg({
      id: 'b1',
      title: 'Daily',
      desc: 'Bars',
      bars: [
        { label: 'd1', value: 100 },
        { label: 'd2', value: 0 },
        { label: 'd3', value: 300, highlight: true },
      ],
      formatValue: (v) => `$${v.toFixed(2)}`,
      reference: 150,
    });
    expect(svg.match(/<rect /g)).toHaveLength(3);
    expect(svg).toContain('fill="#ef6c00"');
    expect(svg).toContain('Baseline $150.00');
    expect(svg).toContain('d3: $300.00');
  });

  it('empty inputs still render a valid chart', () => {
    expect(barChartSvg({ id: 'e', title: 't', desc: 'd', bars: [], formatValue: String })).toContain(
      '</svg>',
    );
    expect(lineChartSvg({ id: 'e', title: 't', desc: 'd', points: [], formatValue: String })).toContain(
      '</svg>',
    );
    expect(escapeXml(`<'&">`)).toBe('&lt;&#39;&amp;&quot;&gt;');
  });
});
