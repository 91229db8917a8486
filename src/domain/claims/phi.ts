/**
 * The PHI screen (ingestion spec §3.1, §3.2): the payer-name heuristic and the pattern scan of
 * every retained text cell. Pure functions; nothing here ever returns or logs the value it
 * inspected — callers get a kind and a column name, which is all a rejection reason may say.
 */

/** Kinds of identifier the pattern scan recognises, spelled as they appear in reasons. */
export type PhiKind = 'SSN' | 'email address' | 'phone number' | 'MRN' | 'date of birth';

/**
 * The 40 first names of §3.1. The heuristic only fires on these: a short list keeps false
 * positives on payer names ("Mark Twain Insurance") rare and fixable through the allow-list.
 */
export const PERSON_FIRST_NAMES: ReadonlySet<string> = new Set([
  'james',
  'john',
  'robert',
  'michael',
  'william',
  'david',
  'richard',
  'joseph',
  'thomas',
  'charles',
  'mary',
  'patricia',
  'jennifer',
  'linda',
  'barbara',
  'elizabeth',
  'susan',
  'jessica',
  'sarah',
  'karen',
  'christopher',
  'daniel',
  'matthew',
  'anthony',
  'mark',
  'donald',
  'steven',
  'paul',
  'andrew',
  'joshua',
  'nancy',
  'betty',
  'margaret',
  'sandra',
  'ashley',
  'kimberly',
  'emily',
  'donna',
  'michelle',
  'dorothy',
]);

/** Built-in allow-list entries: real payers whose names look like people. */
export const BUILTIN_PAYER_ALLOWLIST: readonly string[] = [
  'John Hancock',
  'Paul Revere',
  'William Penn',
  'John Deere',
];

// JavaScript's \s misses U+0085 (NEXT LINE), which Unicode counts as white space.
const WHITESPACE_RUN = /[\s\u0085]+/u;
const WHITESPACE_RUN_GLOBAL = /[\s\u0085]+/gu;

/** A word in title case made of letters and hyphens only ("Smith-Jones" yes, "O'Brien" no). */
const NAME_WORD = /^-*\p{Lu}\p{Ll}*(?:-+\p{Lu}\p{Ll}*)*-*$/u;

/** Split on runs of Unicode white space after trimming. */
function words(value: string): string[] {
  const trimmed = value.replace(/^[\s\u0085]+|[\s\u0085]+$/gu, '');
  return trimmed === '' ? [] : trimmed.split(WHITESPACE_RUN);
}

/**
 * Key used by allow-lists (§3.1) and payer mappings (§5.1): trimmed, inner white space
 * collapsed to one space, lower-cased.
 */
export function payerKey(value: string): string {
  return value.replace(WHITESPACE_RUN_GLOBAL, ' ').trim().toLowerCase();
}

/**
 * Result of the payer-name heuristic: `words` is the word count, the only detail a log line
 * may carry ("PHI_DETECTION: … (row 7, words 2)").
 */
export interface PersonNameMatch {
  words: number;
}

/**
 * The §3.1 heuristic alone (no allow-list): 2–3 words, each title case of letters and hyphens,
 * the first one of the 40 first names. Returns null when the value does not look like a name.
 */
export function looksLikePersonName(payer: string): PersonNameMatch | null {
  const parts = words(payer);
  if (parts.length < 2 || parts.length > 3) return null;
  if (!parts.every((w) => NAME_WORD.test(w))) return null;
  const first = parts[0]?.toLowerCase() ?? '';
  return PERSON_FIRST_NAMES.has(first) ? { words: parts.length } : null;
}

/**
 * A compiled allow-list: built-in entries plus the customer's. Matching is on keys: the payer
 * key equals an entry or starts with it followed by a space ("Mark Twain" allows "Mark Twain
 * Insurance").
 */
export class PayerAllowList {
  private readonly keys: ReadonlySet<string>;

  constructor(customerEntries: Iterable<string> = [], includeBuiltIn = true) {
    const all = new Set<string>();
    if (includeBuiltIn) for (const e of BUILTIN_PAYER_ALLOWLIST) all.add(payerKey(e));
    for (const e of customerEntries) {
      const k = payerKey(e);
      if (k !== '') all.add(k);
    }
    this.keys = all;
  }

  /** True when the payer is covered by an entry. */
  allows(payer: string): boolean {
    const key = payerKey(payer);
    if (this.keys.has(key)) return true;
    // A payer key has at most a few words, so testing each word-boundary prefix is cheap and
    // avoids scanning every entry.
    let idx = key.indexOf(' ');
    while (idx > 0) {
      if (this.keys.has(key.slice(0, idx))) return true;
      idx = key.indexOf(' ', idx + 1);
    }
    return false;
  }
}

interface PhiPattern {
  kind: PhiKind;
  regex: RegExp;
  /** Only cells listed here are scanned with this pattern (bare MRN: payer and denial text). */
  onlyColumns?: ReadonlySet<string>;
}

/** The §3.2 patterns, in the order they are tried inside one cell. */
export const PHI_PATTERNS: readonly PhiPattern[] = [
  { kind: 'SSN', regex: /\b\d{3}-\d{2}-\d{4}\b/ },
  { kind: 'SSN', regex: /\bSSN\s*[:#]?\s*\d{3}-?\d{2}-?\d{4}\b/i },
  { kind: 'email address', regex: /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/ },
  { kind: 'phone number', regex: /(?:\(\d{3}\)\s?|\b\d{3}[-.\s])\d{3}[-.\s]\d{4}\b/ },
  { kind: 'MRN', regex: /\bMRN\s*[:#]?\s*[A-Z0-9]{6,12}\b/i },
  // Bare MRN-like tokens ("AB123456") are how many claim numbers look, so only the two free-text
  // cells where a record number has no business are scanned for them.
  { kind: 'MRN', regex: /\b[A-Z]{2}\d{6}\b/, onlyColumns: new Set(['payer', 'denial_reason_text']) },
  {
    kind: 'date of birth',
    regex: /\b(?:DOB|D\.O\.B\.?|date\s+of\s+birth|birth\s*date)\s*[:#-]?\s*\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}/i,
  },
];

/**
 * The pattern kind found in one cell, or null. `column` selects the column-restricted patterns;
 * pass `'*'` to apply every pattern (used when deciding whether a value may be echoed).
 */
export function findPhiPattern(value: string, column: string): PhiKind | null {
  if (value === '') return null;
  for (const p of PHI_PATTERNS) {
    if (p.onlyColumns && column !== '*' && !p.onlyColumns.has(column)) continue;
    if (p.regex.test(value)) return p.kind;
  }
  return null;
}

/**
 * Cells scanned, in this order (§3.2); the first hit wins. 835 rows add the payer claim
 * control number (CLP07).
 */
export const PHI_SCAN_COLUMNS = [
  'payer',
  'cpt',
  'modifiers',
  'denial_reason_code',
  'denial_reason_text',
  'claim_id',
  'place_of_service',
  'payer_claim_control_number',
] as const;

export type PhiScanColumn = (typeof PHI_SCAN_COLUMNS)[number];

/** Outcome of the PHI screen of one row; `reason` is the exact rejection text. */
export type PhiHit =
  | { type: 'person_name'; column: 'payer'; words: number; reason: string }
  | { type: 'pattern'; column: PhiScanColumn; kind: PhiKind; reason: string };

/** The rejection reason for a payer that looks like a person name (§3.1). */
export const PERSON_NAME_REASON = 'PHI detected: payer looks like a person name';

/**
 * Screen one row (§2.7 step 2): payer-name heuristic unless allow-listed, then the pattern scan
 * of the retained text cells in §3.2 order. Cells are the cleaned cell texts (absent = empty).
 */
export function screenRow(
  cells: Readonly<Partial<Record<PhiScanColumn, string | null | undefined>>>,
  allowList: PayerAllowList,
): PhiHit | null {
  const payer = cells.payer ?? '';
  if (payer !== '' && !allowList.allows(payer)) {
    const match = looksLikePersonName(payer);
    if (match)
      return { type: 'person_name', column: 'payer', words: match.words, reason: PERSON_NAME_REASON };
  }
  for (const column of PHI_SCAN_COLUMNS) {
    const value = cells[column];
    if (!value) continue;
    const kind = findPhiPattern(value, column);
    if (kind) return { type: 'pattern', column, kind, reason: `PHI detected: ${kind} pattern in ${column}` };
  }
  return null;
}

/** The log line for a PHI rejection: the reason and row number, never any part of the value. */
export function phiLogLine(hit: PhiHit, rowNumber: number): string {
  if (hit.type === 'person_name') {
    return `PHI_DETECTION: rejected payer that looks like a person name (row ${rowNumber}, words ${hit.words})`;
  }
  return `PHI_DETECTION: rejected row with ${hit.kind} pattern in ${hit.column} (row ${rowNumber})`;
}

/**
 * True when a value fails the PHI screen on its own (any pattern, or the name heuristic without
 * allow-list): such a value must never be echoed in a message or stored outside its column.
 */
export function valueLooksLikePhi(value: string): boolean {
  return findPhiPattern(value, '*') !== null || looksLikePersonName(value) !== null;
}
