/**
 * Dependency-free server-side SVG charts for the product dashboards (analytics §13): a line
 * chart with an optional baseline line, shaded band and finding markers, and a bar chart. Every
 * chart carries <title>/<desc> (role="img", aria-labelledby) and the pages render a data table
 * beneath it. No inline styles or scripts (CSP): colours are SVG presentation attributes.
 */

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

export interface LinePoint {
  label: string;
  value: number | null;
  /** Drawn as a hollow point (e.g. "low volume"). */
  hollow?: boolean;
}

export interface ChartMarker {
  /** Index into the points. */
  index: number;
  value: number;
  colour: string;
  direction: 'up' | 'down';
  title: string;
}

export interface LineChartInput {
  id: string;
  title: string;
  desc: string;
  points: readonly LinePoint[];
  formatValue: (value: number) => string;
  baseline?: number | null;
  band?: { low: number; high: number } | null;
  markers?: readonly ChartMarker[];
  yMin?: number;
  yMax?: number;
}

export interface BarInput {
  label: string;
  value: number;
  /** Drawn with the highlight colour (e.g. the recent 7 days). */
  highlight?: boolean;
}

export interface BarChartInput {
  id: string;
  title: string;
  desc: string;
  bars: readonly BarInput[];
  formatValue: (value: number) => string;
  /** Axis tick labels (default `formatValue`): a shorter form keeps wide values inside the margin. */
  formatTick?: (value: number) => string;
  /** Dashed reference line (e.g. the baseline daily mean). */
  reference?: number | null;
}

const W = 640;
const H = 260;
const PAD = { left: 64, right: 16, top: 16, bottom: 48 };
const PLOT_W = W - PAD.left - PAD.right;
const PLOT_H = H - PAD.top - PAD.bottom;

function n(x: number): string {
  return (Math.round(x * 10) / 10).toString();
}

function header(id: string, title: string, desc: string): string {
  const t = `${id}-title`;
  const d = `${id}-desc`;
  return (
    `<svg class="chart" id="${escapeXml(id)}" viewBox="0 0 ${W} ${H}" width="100%" role="img" ` +
    `aria-labelledby="${escapeXml(t)} ${escapeXml(d)}" xmlns="http://www.w3.org/2000/svg">` +
    `<title id="${escapeXml(t)}">${escapeXml(title)}</title><desc id="${escapeXml(d)}">${escapeXml(desc)}</desc>`
  );
}

function yAxis(min: number, max: number, format: (v: number) => string, y: (v: number) => number): string {
  let out = '';
  for (let i = 0; i <= 4; i++) {
    const v = min + ((max - min) * i) / 4;
    const yy = y(v);
    out +=
      `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${n(yy)}" y2="${n(yy)}" stroke="#e0e0e0" stroke-width="1"/>` +
      `<text x="${PAD.left - 6}" y="${n(yy + 4)}" text-anchor="end" font-size="11" fill="#555">${escapeXml(format(v))}</text>`;
  }
  return out;
}

function xLabels(labels: readonly string[], x: (i: number) => number): string {
  const step = Math.max(1, Math.ceil(labels.length / 8));
  let out = '';
  labels.forEach((label, i) => {
    if (i % step !== 0) return;
    out += `<text x="${n(x(i))}" y="${H - PAD.bottom + 16}" text-anchor="middle" font-size="11" fill="#555">${escapeXml(label)}</text>`;
  });
  return out;
}

function range(values: number[], yMin?: number, yMax?: number): [number, number] {
  let min = yMin ?? Math.min(0, ...values);
  let max = yMax ?? Math.max(...values, 0);
  if (!Number.isFinite(min)) min = 0;
  if (!Number.isFinite(max) || max <= min) max = min + 1;
  if (yMax === undefined) {
    // A "nice" top: 4 steps of 1, 2, 2.5 or 5 × 10^k.
    const raw = ((max - min) * 1.05) / 4;
    const mag = 10 ** Math.floor(Math.log10(raw));
    const step = ([1, 2, 2.5, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
    max = min + step * 4;
  }
  return [min, max];
}

/** Line chart (one series) with baseline line, band and markers. */
export function lineChartSvg(input: LineChartInput): string {
  const values = input.points.map((p) => p.value).filter((v): v is number => v !== null);
  const extra: number[] = [];
  if (input.baseline != null) extra.push(input.baseline);
  if (input.band) extra.push(input.band.low, input.band.high);
  for (const m of input.markers ?? []) extra.push(m.value);
  const [min, max] = range([...values, ...extra], input.yMin, input.yMax);
  const count = input.points.length;
  const x = (i: number) => PAD.left + (count <= 1 ? PLOT_W / 2 : (PLOT_W * i) / (count - 1));
  const y = (v: number) =>
    PAD.top + PLOT_H - ((Math.min(Math.max(v, min), max) - min) / (max - min)) * PLOT_H;
  let svg = header(input.id, input.title, input.desc);
  svg += yAxis(min, max, input.formatValue, y);
  if (input.band) {
    const top = y(input.band.high);
    const bottom = y(input.band.low);
    svg += `<rect class="chart-band" x="${PAD.left}" y="${n(top)}" width="${PLOT_W}" height="${n(Math.max(0, bottom - top))}" fill="#90caf9" fill-opacity="0.25"><title>${escapeXml(`Baseline band ${input.formatValue(input.band.low)} – ${input.formatValue(input.band.high)}`)}</title></rect>`;
  }
  if (input.baseline != null) {
    const yy = y(input.baseline);
    svg += `<line class="chart-baseline" x1="${PAD.left}" x2="${W - PAD.right}" y1="${n(yy)}" y2="${n(yy)}" stroke="#1565c0" stroke-width="1.5" stroke-dasharray="6 4"><title>${escapeXml(`Baseline ${input.formatValue(input.baseline)}`)}</title></line>`;
  }
  // The line, broken where values are missing.
  let path = '';
  let pen = false;
  input.points.forEach((p, i) => {
    if (p.value === null) {
      pen = false;
      return;
    }
    path += `${pen ? 'L' : 'M'}${n(x(i))} ${n(y(p.value))} `;
    pen = true;
  });
  if (path) svg += `<path d="${path.trim()}" fill="none" stroke="#37474f" stroke-width="2"/>`;
  input.points.forEach((p, i) => {
    if (p.value === null) return;
    svg += `<circle cx="${n(x(i))}" cy="${n(y(p.value))}" r="3.5" fill="${p.hollow ? '#ffffff' : '#37474f'}" stroke="#37474f" stroke-width="1.5"><title>${escapeXml(`${p.label}: ${input.formatValue(p.value)}${p.hollow ? ' (low volume)' : ''}`)}</title></circle>`;
  });
  for (const m of input.markers ?? []) {
    const cx = x(m.index);
    const cy = y(m.value) + (m.direction === 'up' ? -12 : 12);
    const pts =
      m.direction === 'up'
        ? `${n(cx)},${n(cy - 9)} ${n(cx - 7)},${n(cy + 4)} ${n(cx + 7)},${n(cy + 4)}`
        : `${n(cx)},${n(cy + 9)} ${n(cx - 7)},${n(cy - 4)} ${n(cx + 7)},${n(cy - 4)}`;
    svg += `<polygon class="chart-marker" points="${pts}" fill="${escapeXml(m.colour)}" stroke="#212121" stroke-width="0.5"><title>${escapeXml(m.title)}</title></polygon>`;
  }
  svg += xLabels(
    input.points.map((p) => p.label),
    x,
  );
  svg += `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${PAD.top + PLOT_H}" y2="${PAD.top + PLOT_H}" stroke="#9e9e9e" stroke-width="1"/>`;
  return `${svg}</svg>`;
}

/** Vertical bar chart with an optional dashed reference line. */
export function barChartSvg(input: BarChartInput): string {
  const values = input.bars.map((b) => b.value);
  if (input.reference != null) values.push(input.reference);
  const [min, max] = range(values, 0);
  const count = Math.max(1, input.bars.length);
  const slot = PLOT_W / count;
  const bw = Math.max(2, slot * 0.7);
  const y = (v: number) =>
    PAD.top + PLOT_H - ((Math.min(Math.max(v, min), max) - min) / (max - min)) * PLOT_H;
  let svg = header(input.id, input.title, input.desc);
  svg += yAxis(min, max, input.formatTick ?? input.formatValue, y);
  input.bars.forEach((b, i) => {
    const top = y(b.value);
    const bx = PAD.left + slot * i + (slot - bw) / 2;
    svg += `<rect x="${n(bx)}" y="${n(top)}" width="${n(bw)}" height="${n(Math.max(0, PAD.top + PLOT_H - top))}" fill="${b.highlight ? '#ef6c00' : '#1976d2'}"><title>${escapeXml(`${b.label}: ${input.formatValue(b.value)}`)}</title></rect>`;
  });
  if (input.reference != null) {
    const yy = y(input.reference);
    svg += `<line class="chart-baseline" x1="${PAD.left}" x2="${W - PAD.right}" y1="${n(yy)}" y2="${n(yy)}" stroke="#212121" stroke-width="1.5" stroke-dasharray="6 4"><title>${escapeXml(`Baseline ${input.formatValue(input.reference)}`)}</title></line>`;
  }
  svg += xLabels(
    input.bars.map((b) => b.label),
    (i) => PAD.left + slot * i + slot / 2,
  );
  svg += `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${PAD.top + PLOT_H}" y2="${PAD.top + PLOT_H}" stroke="#9e9e9e" stroke-width="1"/>`;
  return `${svg}</svg>`;
}
