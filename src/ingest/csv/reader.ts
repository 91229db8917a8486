import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CsvError, parse } from 'csv-parse';
import { cleanCell, type FileError, fileErrors, firstInvalidUtf8Offset } from '../../domain/claims/index.ts';

/**
 * Streaming CSV reader (ingestion spec §2.5): strict UTF-8 (a leading BOM is dropped),
 * comma delimiter, RFC 4180 quotes, LF or CRLF records. Yields each record with the
 * physical line of its first line (header = line 1). Memory stays bounded: bytes are
 * decoded chunk by chunk, csv-parse pulls with backpressure, and one record may not exceed
 * MAX_RECORD_CHARS (a runaway quote fails as malformed instead of swallowing the file).
 */

/** One CSV record. `line` = physical line of its first line, 1-based. */
export interface CsvRecord {
  cells: string[];
  line: number;
}

/** A file-level problem found while reading (invalid UTF-8, broken quoting). */
export class CsvFileError extends Error {
  constructor(readonly fileError: FileError) {
    super(fileError.message);
    this.name = 'CsvFileError';
  }
}

export const MAX_RECORD_CHARS = 1_000_000;

/**
 * Offset of the start of an incomplete UTF-8 sequence at the end of `bytes` (a sequence cut
 * by the chunk boundary), or bytes.length when the chunk ends on a boundary.
 */
function incompleteTailStart(bytes: Uint8Array): number {
  for (let back = 1; back <= 3 && back <= bytes.length; back++) {
    const byte = bytes[bytes.length - back] as number;
    if ((byte & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead
    if (byte >= 0xc0) {
      const need = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : 2;
      return back < need ? bytes.length - back : bytes.length;
    }
    return bytes.length;
  }
  return bytes.length;
}

/**
 * Decodes bytes strictly as UTF-8, dropping one leading BOM. Invalid input throws a
 * CsvFileError naming the byte offset of the first invalid byte in the whole file.
 */
export async function* decodeUtf8(source: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  let offset = 0; // file offset of the first byte of `pending`
  let pending = new Uint8Array(0); // unfinished sequence carried from the previous chunk
  for await (const chunk of source) {
    if (chunk.length === 0) continue;
    const bytes = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk;
    const cut = incompleteTailStart(bytes);
    const complete = bytes.subarray(0, cut);
    let text: string;
    try {
      text = decoder.decode(complete, { stream: true });
    } catch {
      const at = firstInvalidUtf8Offset(complete);
      throw new CsvFileError(fileErrors.invalidUtf8(offset + Math.max(at, 0)));
    }
    offset += cut;
    pending = Uint8Array.from(bytes.subarray(cut));
    if (text.length > 0) yield text;
  }
  if (pending.length > 0) throw new CsvFileError(fileErrors.invalidUtf8(offset));
  try {
    const rest = decoder.decode();
    if (rest.length > 0) yield rest;
  } catch {
    throw new CsvFileError(fileErrors.invalidUtf8(offset));
  }
}

function malformed(error: unknown): CsvFileError {
  const e = error as { message?: string; lines?: number };
  const line = typeof e.lines === 'number' ? e.lines : 1;
  // csv-parse quotes the offending cell ("…, value is \"John Smith\""): never echo it, a cell
  // may hold a patient identifier (§3).
  const reason = String(e.message ?? 'unreadable CSV')
    .replace(/,? value is [\s\S]*$/, '')
    .replace(/ at line \d+/, '')
    .replace(/\s+/g, ' ')
    .trim();
  return new CsvFileError(fileErrors.malformedCsv(line, reason));
}

/**
 * Yields the records of a CSV byte stream. Blank lines are yielded too (as a record of one
 * empty cell) so callers decide what "blank" means; line numbers stay physical.
 */
export async function* readCsvRecords(
  source: AsyncIterable<Uint8Array>,
  options: { signal?: AbortSignal } = {},
): AsyncGenerator<CsvRecord> {
  const parser = parse({
    bom: false, // the decoder already dropped it
    delimiter: ',',
    record_delimiter: ['\r\n', '\n'],
    relax_column_count: true,
    skip_empty_lines: false,
    // No `info`: its per-record object cost ~8 % of pass 2. Physical lines are counted below.
    max_record_size: MAX_RECORD_CHARS,
  });
  const feeding = pipeline(Readable.from(decodeUtf8(source), { objectMode: false }), parser, {
    ...(options.signal && { signal: options.signal }),
  });
  let feedError: unknown = null;
  feeding.catch((error: unknown) => {
    feedError = error;
  });
  let line = 1;
  try {
    for await (const cells of parser as AsyncIterable<string[]>) {
      yield { cells, line };
      // The next record starts after this one's delimiter and the line breaks inside its
      // quoted cells.
      line += 1 + newlinesIn(cells);
    }
    await feeding;
  } catch (error) {
    const cause = feedError ?? error;
    if (cause instanceof CsvFileError) throw cause;
    if (options.signal?.aborted) throw cause;
    if (cause instanceof CsvError) {
      throw malformed(cause);
    }
    throw cause;
  } finally {
    if (!parser.destroyed) parser.destroy();
  }
}

/**
 * Line breaks inside a record's cells as an editor shows them: LF, CRLF (one break) and a lone
 * CR. (csv-parse's own `info.lines` counted a CRLF inside quotes as two.)
 */
function newlinesIn(cells: readonly string[]): number {
  let count = 0;
  for (const cell of cells) {
    if (cell.indexOf('\n') === -1 && cell.indexOf('\r') === -1) continue;
    for (let i = 0; i < cell.length; i++) {
      const code = cell.charCodeAt(i);
      if (code === 0x0a) count++;
      else if (code === 0x0d && cell.charCodeAt(i + 1) !== 0x0a) count++;
    }
  }
  return count;
}

/** True when every cell is empty after cleaning (§2.6: trim, control characters removed). */
export function isBlankRecord(cells: readonly string[]): boolean {
  return cells.every((cell) => cleanCell(cell) === '');
}
