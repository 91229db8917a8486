import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import PDFDocument from 'pdfkit';
import type { WeeklyReportView } from '../presenters/weekly-report.ts';

/**
 * Lays out the weekly drift report (alerts-reports §13.1) with pdfkit: US Letter landscape,
 * DejaVu Sans regular and bold embedded (never a system font), the severity bars and table
 * rules drawn as vector graphics, the table header repeated on each page and a footer with
 * "Page x of y" on every page (pages are buffered and the footers written once the count is
 * known).
 *
 * Deterministic bytes: pdfkit's only varying inputs are the info dictionary (its CreationDate
 * defaults to the wall clock, and the trailer /ID is an MD5 of the info dictionary) and the
 * font subset tags (derived from the font's resource name F1, F2, … — the same on every run).
 * Fixing the info to the run's `as_of` at 00:00 UTC and "Payrixa" makes the whole file a
 * function of the view: same view → same bytes.
 */

const require = createRequire(import.meta.url);

/** DejaVu Sans from the `dejavu-fonts-ttf` package (licence in that package), read once. */
let fontCache: { regular: Buffer; bold: Buffer } | undefined;
function fonts(): { regular: Buffer; bold: Buffer } {
  if (!fontCache) {
    fontCache = {
      regular: readFileSync(require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf')),
      bold: readFileSync(require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf')),
    };
  }
  return fontCache;
}

/**
 * US Letter in landscape (points): eleven table columns at a readable 7.5 pt do not fit the
 * 532 pt of a portrait page without breaking words like "Confidence" and "Underpayment".
 */
const PAGE = { width: 792, height: 612 } as const;
const MARGIN = 40;
const CONTENT_WIDTH = PAGE.width - 2 * MARGIN;
/** Space kept free at the bottom of each page for the three footer lines. */
const FOOTER_HEIGHT = 56;
const CONTENT_BOTTOM = PAGE.height - FOOTER_HEIGHT;

const REGULAR = 'DejaVuSans';
const BOLD = 'DejaVuSans-Bold';
const INK = '#212121';
const MUTED = '#616161';
const RULE = '#bdbdbd';
const HEADER_FILL = '#366092';
const TRACK_FILL = '#eeeeee';

/** Column widths of the findings table (sum = CONTENT_WIDTH); payer gets the most room. */
const COLUMN_WIDTHS = [114, 60, 70, 58, 58, 64, 52, 58, 56, 42, 80] as const;
const TABLE_FONT_SIZE = 7.5;
const CELL_PAD = 2.5;

export interface RenderOptions {
  /** The run's as_of (YYYY-MM-DD): the document's creation and modification date. */
  asOf: string;
  /** Document title in the info dictionary (also feeds the trailer /ID). */
  documentTitle: string;
  /** pdfkit's stream compression; on by default (tests may turn it off to read the content). */
  compress?: boolean;
}

type Doc = PDFKit.PDFDocument;

function sectionHeading(doc: Doc, title: string, y: number): number {
  doc.font(BOLD).fontSize(13).fillColor(INK).text(title, MARGIN, y, { lineBreak: false });
  const ruleY = y + 18;
  doc
    .moveTo(MARGIN, ruleY)
    .lineTo(MARGIN + CONTENT_WIDTH, ruleY)
    .lineWidth(0.75)
    .strokeColor(RULE)
    .stroke();
  return ruleY + 8;
}

function drawInfo(doc: Doc, view: WeeklyReportView, y: number): number {
  let at = sectionHeading(doc, 'Report Information', y);
  for (const row of view.info) {
    doc.font(BOLD).fontSize(9).fillColor(INK).text(`${row.label}:`, MARGIN, at, { lineBreak: false });
    doc
      .font(REGULAR)
      .fontSize(9)
      .fillColor(INK)
      .text(row.value, MARGIN + 120, at, { width: CONTENT_WIDTH - 120 });
    at += Math.max(14, doc.heightOfString(row.value, { width: CONTENT_WIDTH - 120 }) + 4);
  }
  return at + 10;
}

function drawDistribution(doc: Doc, view: WeeklyReportView, y: number): number {
  let at = sectionHeading(doc, 'Severity Distribution', y);
  const labelWidth = 70;
  const figureWidth = 80;
  const barX = MARGIN + labelWidth + figureWidth;
  const barWidth = CONTENT_WIDTH - labelWidth - figureWidth;
  const barHeight = 11;
  for (const share of view.distribution) {
    doc
      .font(BOLD)
      .fontSize(9)
      .fillColor(INK)
      .text(share.title, MARGIN, at + 1, { lineBreak: false });
    doc
      .font(REGULAR)
      .fontSize(9)
      .fillColor(INK)
      .text(`${share.count} (${share.percentText})`, MARGIN + labelWidth, at + 1, { lineBreak: false });
    doc.rect(barX, at, barWidth, barHeight).fillColor(TRACK_FILL).fill();
    const filled = (barWidth * share.percent) / 100;
    if (filled > 0) doc.rect(barX, at, filled, barHeight).fillColor(share.colour).fill();
    at += barHeight + 8;
  }
  return at + 10;
}

/** How a cell's text is laid out: its height, and whether it fits on one line. */
interface CellLayout {
  height: number;
  singleLine: boolean;
}

/**
 * Cell layouts, per document. Most cells fit on one line: those are measured by their width
 * (cheap) and drawn without pdfkit's line wrapper; only longer texts (a long payer name) are
 * wrapped. Texts repeat ("Degrading", "EVAL", a payer), so each is measured once.
 */
const cellLayouts = new WeakMap<Doc, Map<string, CellLayout>>();

function cellLayout(doc: Doc, font: string, cell: string, width: number): CellLayout {
  let known = cellLayouts.get(doc);
  if (!known) {
    known = new Map();
    cellLayouts.set(doc, known);
  }
  const key = `${font}|${width}|${cell}`;
  let layout = known.get(key);
  if (!layout) {
    doc.font(font).fontSize(TABLE_FONT_SIZE);
    layout =
      !cell.includes('\n') && doc.widthOfString(cell) <= width
        ? { height: doc.currentLineHeight(true), singleLine: true }
        : { height: doc.heightOfString(cell, { width }), singleLine: false };
    known.set(key, layout);
  }
  return layout;
}

function innerWidth(column: number): number {
  return (COLUMN_WIDTHS[column] ?? 40) - 2 * CELL_PAD;
}

function rowHeight(doc: Doc, cells: readonly string[], font: string): number {
  let height = 0;
  cells.forEach((cell, i) => {
    height = Math.max(height, cellLayout(doc, font, cell, innerWidth(i)).height);
  });
  return height + 2 * CELL_PAD;
}

function drawCells(
  doc: Doc,
  cells: readonly string[],
  y: number,
  style: { font: string; colour: (index: number) => string },
): void {
  let x = MARGIN;
  cells.forEach((cell, i) => {
    const width = innerWidth(i);
    const { singleLine } = cellLayout(doc, style.font, cell, width);
    doc
      .font(style.font)
      .fontSize(TABLE_FONT_SIZE)
      .fillColor(style.colour(i))
      .text(cell, x + CELL_PAD, y + CELL_PAD, singleLine ? { lineBreak: false } : { width });
    x += COLUMN_WIDTHS[i] ?? 40;
  });
}

function drawHeaderRow(doc: Doc, columns: readonly string[], y: number): number {
  const height = rowHeight(doc, columns, BOLD);
  doc.rect(MARGIN, y, CONTENT_WIDTH, height).fillColor(HEADER_FILL).fill();
  drawCells(doc, columns, y, { font: BOLD, colour: () => '#ffffff' });
  return y + height;
}

function drawFindings(doc: Doc, view: WeeklyReportView, y: number): void {
  let at = sectionHeading(doc, view.tableTitle, y);
  if (view.rows.length === 0) {
    doc.font(REGULAR).fontSize(10).fillColor(MUTED).text(view.emptyText, MARGIN, at, { lineBreak: false });
    return;
  }
  const headerHeight = rowHeight(doc, view.columns, BOLD);
  // The heading never stays alone at the bottom of a page: header and a first row must fit.
  if (at + headerHeight + 20 > CONTENT_BOTTOM) {
    doc.addPage();
    at = MARGIN;
  }
  at = drawHeaderRow(doc, view.columns, at);
  const severityColumn = view.columns.indexOf('Severity');
  for (const row of view.rows) {
    const height = rowHeight(doc, row.cells, REGULAR);
    if (at + height > CONTENT_BOTTOM) {
      doc.addPage();
      at = drawHeaderRow(doc, view.columns, MARGIN);
    }
    drawCells(doc, row.cells, at, {
      font: REGULAR,
      colour: (i) => (i === severityColumn ? row.severityColour : INK),
    });
    at += height;
    doc
      .moveTo(MARGIN, at)
      .lineTo(MARGIN + CONTENT_WIDTH, at)
      .lineWidth(0.4)
      .strokeColor(RULE)
      .stroke();
  }
}

function drawFooters(doc: Doc, view: WeeklyReportView): void {
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i += 1) {
    doc.switchToPage(i);
    // Writing below the bottom margin would make pdfkit open a new page.
    doc.page.margins.bottom = 0;
    const top = PAGE.height - FOOTER_HEIGHT + 14;
    doc
      .moveTo(MARGIN, top - 6)
      .lineTo(MARGIN + CONTENT_WIDTH, top - 6)
      .lineWidth(0.5)
      .strokeColor(RULE)
      .stroke();
    const lines = [...view.footerLines, view.pageLabel(i - range.start + 1, range.count)];
    lines.forEach((line, n) => {
      doc
        .font(REGULAR)
        .fontSize(7)
        .fillColor(MUTED)
        .text(line, MARGIN, top + n * 10, { width: CONTENT_WIDTH, align: 'center', lineBreak: false });
    });
  }
}

/** The PDF of a weekly report view. */
export function renderWeeklyPdf(view: WeeklyReportView, options: RenderOptions): Promise<Buffer> {
  const fixedDate = new Date(`${options.asOf}T00:00:00Z`);
  if (Number.isNaN(fixedDate.getTime())) throw new Error(`invalid as_of ${options.asOf}`);
  const { regular, bold } = fonts();
  const doc = new PDFDocument({
    size: 'LETTER',
    layout: 'landscape',
    margins: { top: MARGIN, bottom: MARGIN, left: MARGIN, right: MARGIN },
    bufferPages: true,
    compress: options.compress ?? true,
    info: {
      Title: options.documentTitle,
      Producer: 'Payrixa',
      Creator: 'Payrixa',
      CreationDate: fixedDate,
      ModDate: fixedDate,
    },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  doc.registerFont(REGULAR, regular);
  doc.registerFont(BOLD, bold);

  doc.font(BOLD).fontSize(24).fillColor(INK).text(view.title, MARGIN, MARGIN, { lineBreak: false });
  doc
    .font(REGULAR)
    .fontSize(15)
    .fillColor(MUTED)
    .text(view.subtitle, MARGIN, MARGIN + 32, { lineBreak: false });
  let y = MARGIN + 64;
  y = drawInfo(doc, view, y);
  if (view.distribution.length > 0) y = drawDistribution(doc, view, y);
  drawFindings(doc, view, y);
  drawFooters(doc, view);
  doc.end();
  return done;
}
