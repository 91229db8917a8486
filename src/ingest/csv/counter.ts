import { decodeUtf8 } from './reader.ts';

/**
 * Pass 1 of an upload (ingestion spec §2.3) only needs to know how many non-blank records a
 * file has, not their cells. Running the full CSV parser for that cost as much as the parse
 * of pass 2, so this scanner walks the decoded text once with a three-state machine (field
 * start / unquoted / quoted) that follows the same rules as the reader: comma delimiter,
 * RFC 4180 quotes (`""` inside quotes is a literal quote), records end at LF or CRLF outside
 * quotes. A record counts when any cell has content after cleaning (§2.6: trim, control
 * characters removed) — exactly `isBlankRecord` of the reader, so both passes agree.
 *
 * The decoder is the reader's, so invalid UTF-8 fails here with the same message. Broken
 * quoting is left to pass 2's parser, which reports it with its line (nothing is stored
 * before that pass ends, so a late failure leaves nothing behind).
 */

const COMMA = 0x2c;
const QUOTE = 0x22;
const LF = 0x0a;

/**
 * Characters that never make a cell non-blank: the control characters `cleanCell` removes
 * (U+0000–U+0008, U+000A–U+001F, U+007F) and what `String.prototype.trim` strips (tab,
 * space, NBSP, BOM, the Unicode space separators, line/paragraph separators).
 */
function isBlankChar(code: number): boolean {
  if (code <= 0x20 || code === 0x7f) return true;
  if (code < 0xa0) return false;
  return (
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  );
}

enum State {
  FieldStart,
  Unquoted,
  Quoted,
  /** Just saw a quote inside a quoted field: either `""` (literal) or the closing quote. */
  QuoteInQuoted,
}

export interface CountedRecords {
  /** Non-blank records, the header included; counting stops once it exceeds `stopAfter`. */
  nonBlankRecords: number;
}

/**
 * Counts the non-blank records of a CSV byte stream, stopping early once the count exceeds
 * `stopAfter` (the caller only needs to know the limit was crossed).
 */
export async function countNonBlankRecords(
  source: AsyncIterable<Uint8Array>,
  options: { stopAfter?: number; signal?: AbortSignal } = {},
): Promise<CountedRecords> {
  const stopAfter = options.stopAfter ?? Number.POSITIVE_INFINITY;
  let state: State = State.FieldStart;
  let hasContent = false;
  let records = 0;
  for await (const text of decodeUtf8(source)) {
    options.signal?.throwIfAborted();
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (state === State.Quoted) {
        if (code === QUOTE) state = State.QuoteInQuoted;
        else if (!hasContent && !isBlankChar(code)) hasContent = true;
        continue;
      }
      if (state === State.QuoteInQuoted) {
        if (code === QUOTE) {
          // An escaped quote is a literal `"`: content.
          hasContent = true;
          state = State.Quoted;
          continue;
        }
        state = State.Unquoted; // closed; what follows is handled as after any field text
      }
      if (code === LF) {
        if (hasContent) {
          records++;
          if (records > stopAfter) return { nonBlankRecords: records };
        }
        hasContent = false;
        state = State.FieldStart;
      } else if (code === COMMA) {
        state = State.FieldStart;
      } else if (code === QUOTE && state === State.FieldStart) {
        state = State.Quoted;
      } else {
        state = State.Unquoted;
        if (!hasContent && !isBlankChar(code)) hasContent = true;
      }
    }
  }
  if (hasContent) records++;
  return { nonBlankRecords: records };
}
