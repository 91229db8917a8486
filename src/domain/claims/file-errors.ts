/**
 * File-level outcomes of CSV ingestion (ingestion spec §2.2–§2.5, §2.9): exact messages and the
 * pure decisions of pass 1 (empty, header-only, row limit). The CSV reader in src/ingest/csv/
 * detects the conditions; the texts live here so every entry point words them the same way.
 */

/** Stable codes for `uploads.error_code`. */
export type FileErrorCode =
  | 'empty_file'
  | 'no_data_rows'
  | 'row_limit_exceeded'
  | 'invalid_utf8'
  | 'malformed_csv'
  | 'missing_required_column'
  | 'duplicate_column'
  | 'unsupported_x12'
  | 'all_rows_rejected'
  | 'interrupted'
  | 'mapping_timeout'
  | 'internal_error';

export interface FileError {
  code: FileErrorCode;
  message: string;
}

export const fileErrors = {
  empty: (): FileError => ({ code: 'empty_file', message: 'File is empty' }),
  headerOnly: (): FileError => ({ code: 'no_data_rows', message: 'File has a header row but no data rows' }),
  rowLimit: (maxRows: number): FileError => ({
    code: 'row_limit_exceeded',
    message: `Maximum row limit exceeded: ${maxRows} rows`,
  }),
  invalidUtf8: (offset: number): FileError => ({
    code: 'invalid_utf8',
    message: `File is not valid UTF-8 (invalid byte at offset ${offset}). Save it as “CSV UTF-8” and upload again.`,
  }),
  /** `reason` is the parser's own text (it quotes no cell value: csv-parse reasons name lines/quotes). */
  malformedCsv: (line: number, reason: string): FileError => ({
    code: 'malformed_csv',
    message: `Malformed CSV at line ${line}: ${reason}`,
  }),
  unsupportedX12: (st01: string): FileError => ({
    code: 'unsupported_x12',
    message: `Unsupported X12 transaction set ${st01}: only 835 remittances can be uploaded`,
  }),
  interrupted: (): FileError => ({
    code: 'interrupted',
    message: 'Processing was interrupted and could not be completed. Please upload the file again.',
  }),
  mappingTimeout: (): FileError => ({
    code: 'mapping_timeout',
    message: 'Column mapping was not completed within 24 hours',
  }),
  internal: (requestId: string): FileError => ({
    code: 'internal_error',
    message: `Processing failed: internal error (request ${requestId})`,
  }),
} as const;

/**
 * Pass-1 verdict from counts (§2.3, A8): no non-blank line → "File is empty"; a header and no
 * non-blank record → "File has a header row but no data rows"; more data records than
 * `maxRows` → "Maximum row limit exceeded: <max> rows". Null when the file may proceed.
 */
export function passOneVerdict(input: {
  hasHeader: boolean;
  dataRecords: number;
  maxRows: number;
}): FileError | null {
  if (!input.hasHeader) return fileErrors.empty();
  if (input.dataRecords === 0) return fileErrors.headerOnly();
  if (input.dataRecords > input.maxRows) return fileErrors.rowLimit(input.maxRows);
  return null;
}

/** Strip a UTF-8 BOM from decoded text (the reader may also do it on bytes). */
export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * Offset of the first invalid UTF-8 byte, or -1 when the bytes are valid (strict decoding; the
 * message names the offset so the user can find it).
 */
export function firstInvalidUtf8Offset(bytes: Uint8Array): number {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return -1;
  } catch {
    // Find the offset by validating sequences by hand (only on the failure path).
    let i = 0;
    while (i < bytes.length) {
      const b = bytes[i] ?? 0;
      let need = 0;
      let min = 0;
      if (b < 0x80) {
        i++;
        continue;
      }
      if (b >= 0xc2 && b <= 0xdf) {
        need = 1;
        min = 0x80;
      } else if (b >= 0xe0 && b <= 0xef) {
        need = 2;
        min = 0x800;
      } else if (b >= 0xf0 && b <= 0xf4) {
        need = 3;
        min = 0x10000;
      } else return i;
      if (i + need >= bytes.length) return i;
      let cp = b & (0x3f >> need);
      for (let k = 1; k <= need; k++) {
        const c = bytes[i + k];
        if (c === undefined || (c & 0xc0) !== 0x80) return i;
        cp = (cp << 6) | (c & 0x3f);
      }
      if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
      i += need + 1;
    }
    return -1;
  }
}
