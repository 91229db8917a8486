import { CsvFileError, isBlankRecord, readCsvRecords } from './reader.ts';

/**
 * Reading the header record (and a few data rows) of a CSV byte stream: used at submission
 * (§2.2 step 5, column resolution) and by the mapping step's preview (§2.5). Stops reading as
 * soon as it has what it needs.
 */

export interface CsvHead {
  /** Header cells as written; null when the file has no non-blank record. */
  headers: string[] | null;
  /** Physical line of the header record. */
  headerLine: number;
  /** The first data records (cells), at most `rows`; never persisted or logged. */
  rows: string[][];
  /** Set when the file could not be read (invalid UTF-8, broken quoting). */
  error: CsvFileError | null;
}

export async function readCsvHead(source: AsyncIterable<Uint8Array>, rows = 0): Promise<CsvHead> {
  const head: CsvHead = { headers: null, headerLine: 0, rows: [], error: null };
  try {
    for await (const record of readCsvRecords(source)) {
      if (isBlankRecord(record.cells)) continue;
      if (head.headers === null) {
        head.headers = record.cells;
        head.headerLine = record.line;
        if (rows === 0) break;
        continue;
      }
      head.rows.push(record.cells);
      if (head.rows.length >= rows) break;
    }
  } catch (error) {
    if (!(error instanceof CsvFileError)) throw error;
    head.error = error;
  }
  return head;
}
