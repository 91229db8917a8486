import { PassThrough } from 'node:stream';
import ExcelJS from 'exceljs';
import { NUMBER_FORMATS, type SheetCell, type SheetColumn } from '../presenters/report-rows.ts';

/**
 * The one spreadsheet writer (alerts-reports §13.2 "Excel formatting"), over exceljs's streaming
 * `WorkbookWriter`: rows are committed as they are written instead of being kept as a cell
 * object model, which keeps a 50,000-row sheet within seconds and tens of MB
 * (bench/report-exports.bench.ts).
 *
 * Every sheet: header row filled #366092, white bold, centred; frozen below the header; column
 * width min(longest value + 2, 50). Table sheets also get an autofilter over the header. Cells are
 * typed — numbers with their format, everything else a plain string. exceljs writes a string
 * as a string even when it starts with `=` (formulas are only ever `{ formula }` objects, which
 * this writer never creates), so no formula-injection prefix is needed here.
 */

export interface TableSheet {
  kind: 'table';
  name: string;
  columns: readonly SheetColumn[];
  rows: readonly SheetCell[][];
}

/** Two columns of label / value (the Summary); the first pair is the styled title row. */
export interface PairsSheet {
  kind: 'pairs';
  name: string;
  rows: ReadonlyArray<readonly [string, SheetCell | null]>;
}

export type SheetSpec = TableSheet | PairsSheet;

export interface WorkbookOptions {
  /** Written as the document's created/modified dates: the run's as_of, never the wall clock. */
  createdAt: Date;
}

const HEADER_FILL = 'FF366092';
const HEADER_FONT_COLOUR = 'FFFFFFFF';
const MAX_WIDTH = 50;
const money = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** Roughly what Excel displays for a cell, to size its column. */
export function displayLength(cell: SheetCell | null): number {
  if (cell === null || cell.value === null) return 0;
  if (typeof cell.value === 'string') return cell.value.length;
  const value = cell.value;
  switch (cell.numFmt) {
    case NUMBER_FORMATS.rate:
      return (value * 100).toFixed(1).length + 1;
    case NUMBER_FORMATS.days:
    case NUMBER_FORMATS.decimal:
      return value.toFixed(1).length;
    case NUMBER_FORMATS.money:
      return money.format(value).length + 1;
    case NUMBER_FORMATS.score:
      return value.toFixed(2).length;
    case NUMBER_FORMATS.probability:
      return value.toExponential(2).length;
    default:
      return String(value).length;
  }
}

/** min(longest value + 2, 50) per column, headers included. */
export function columnWidths(
  header: readonly string[],
  rows: ReadonlyArray<ReadonlyArray<SheetCell | null>>,
) {
  const longest = header.map((h) => h.length);
  for (const row of rows) {
    row.forEach((cell, i) => {
      const length = displayLength(cell);
      if (length > (longest[i] ?? 0)) longest[i] = length;
    });
  }
  return longest.map((n) => Math.min(n + 2, MAX_WIDTH));
}

function styleHeader(row: ExcelJS.Row, columnCount: number): void {
  for (let c = 1; c <= columnCount; c++) {
    const cell = row.getCell(c);
    cell.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: HEADER_FILL } };
    cell.font = { bold: true, color: { argb: HEADER_FONT_COLOUR } };
    cell.alignment = { horizontal: 'center', vertical: 'middle' };
  }
}

/**
 * One style object per number format, and one for plain cells, shared by every cell that uses
 * it: exceljs resolves a cell's style id through a WeakMap keyed by the style object, so a shared
 * object costs one lookup, while a fresh object per cell (what `cell.numFmt = …` creates) is
 * serialised and matched again for each of the million cells of a 50,000-row sheet.
 */
const PLAIN_STYLE: Partial<ExcelJS.Style> = {};
const formatStyles = new Map<string, Partial<ExcelJS.Style>>();

function styleOf(numFmt: string | undefined): Partial<ExcelJS.Style> {
  if (!numFmt) return PLAIN_STYLE;
  let style = formatStyles.get(numFmt);
  if (!style) {
    style = { numFmt };
    formatStyles.set(numFmt, style);
  }
  return style;
}

function addCells(row: ExcelJS.Row, cells: ReadonlyArray<SheetCell | null>): void {
  cells.forEach((cell, i) => {
    if (cell === null || cell.value === null) return;
    const target = row.getCell(i + 1);
    target.value = cell.value;
    target.style = styleOf(cell.numFmt);
  });
}

function writeTable(workbook: ExcelJS.stream.xlsx.WorkbookWriter, sheet: TableSheet): void {
  const headers = sheet.columns.map((c) => c.header);
  const worksheet = workbook.addWorksheet(sheet.name, {
    views: [{ state: 'frozen', ySplit: 1, xSplit: 0 }],
  });
  worksheet.columns = columnWidths(headers, sheet.rows).map((width) => ({ width }));
  worksheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: headers.length } };
  const header = worksheet.addRow(headers);
  styleHeader(header, headers.length);
  header.commit();
  for (const cells of sheet.rows) {
    const row = worksheet.addRow([]);
    addCells(row, cells);
    row.commit();
  }
  worksheet.commit();
}

function writePairs(workbook: ExcelJS.stream.xlsx.WorkbookWriter, sheet: PairsSheet): void {
  const worksheet = workbook.addWorksheet(sheet.name, {
    views: [{ state: 'frozen', ySplit: 1, xSplit: 0 }],
  });
  const labels = sheet.rows.map(([label]) => ({ value: label }) as SheetCell);
  const values = sheet.rows.map(([, value]) => value);
  const [labelWidth = 10] = columnWidths(
    [''],
    labels.map((l) => [l]),
  );
  const [valueWidth = 10] = columnWidths(
    [''],
    values.map((v) => [v]),
  );
  worksheet.columns = [{ width: labelWidth }, { width: valueWidth }];
  sheet.rows.forEach(([label, value], index) => {
    const row = worksheet.addRow([]);
    if (label !== '') row.getCell(1).value = label;
    addCells(row, [null, value]);
    if (index === 0) styleHeader(row, 2);
    row.commit();
  });
  worksheet.commit();
}

/** The .xlsx bytes of the sheets, in order. */
export async function writeWorkbook(sheets: readonly SheetSpec[], options: WorkbookOptions): Promise<Buffer> {
  const output = new PassThrough();
  const chunks: Buffer[] = [];
  output.on('data', (chunk: Buffer) => chunks.push(chunk));
  const finished = new Promise<void>((resolve, reject) => {
    output.on('end', resolve);
    output.on('error', reject);
  });
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
    stream: output,
    useStyles: true,
    // Inline strings: no shared-string table to hold in memory while rows stream out.
    useSharedStrings: false,
  });
  workbook.creator = 'Payrixa';
  workbook.lastModifiedBy = 'Payrixa';
  workbook.created = options.createdAt;
  workbook.modified = options.createdAt;
  for (const sheet of sheets) {
    if (sheet.kind === 'table') writeTable(workbook, sheet);
    else writePairs(workbook, sheet);
  }
  await workbook.commit();
  await finished;
  return Buffer.concat(chunks);
}
