/**
 * Header matching and column-mapping profiles (ingestion spec §2.5) and the ignored /
 * identifier-column warnings (§3.3). Pure: given the header cells of a file (and the customer's
 * saved profiles), decide which source column feeds which canonical field, or why not.
 */
import {
  CANONICAL_COLUMNS,
  type CanonicalField,
  isCanonicalField,
  REQUIRED_COLUMNS,
  type RequiredField,
} from './columns.ts';
import { sanitizeString } from './sanitize.ts';
import { cutChars } from './values.ts';

/** Strip a leading BOM (in case the reader did not) and trim. */
export function cleanHeader(header: string): string {
  return header.replace(/^\uFEFF/, '').trim();
}

/** Profile comparison key (§2.5): lower-case, trimmed, white space collapsed. */
export function normalizeProfileHeader(header: string): string {
  return cleanHeader(header).toLowerCase().replace(/\s+/g, ' ');
}

/** Suggestion key (§2.5): lower-cased, runs of non-alphanumerics turned into one space, trimmed. */
export function normalizeSuggestionHeader(header: string): string {
  return cleanHeader(header)
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** Identifier check key (§3.3): lower-case, non-alphanumerics → `_`. */
export function normalizeIdentifierHeader(header: string): string {
  return cleanHeader(header)
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '_');
}

/** A saved column-mapping profile as the resolver needs it. */
export interface ColumnMappingProfile {
  id: number;
  name?: string;
  /** canonical field → normalized source header (§2.5 normalization). */
  mapping: Partial<Record<CanonicalField, string>>;
  /** Most recently used first; null = never used. */
  lastUsedAt: Date | string | null;
}

/** Options of `resolveColumns`. */
export interface ResolveColumnsOptions {
  /** The customer's profiles (any order); the most recently used applicable one is taken. */
  profiles?: readonly ColumnMappingProfile[];
  /** API `column_profile`: use exactly this profile (no applicability ranking). */
  forcedProfile?: ColumnMappingProfile;
  /** A column map chosen in the mapping step (canonical field → source header); overrides all. */
  explicitMap?: Partial<Record<CanonicalField, string>>;
}

/** Successful resolution. */
export interface ResolvedColumns {
  ok: true;
  /** canonical field → source header, as stored in `uploads.column_map`. */
  columnMap: Partial<Record<CanonicalField, string>>;
  /** canonical field → 0-based cell index. */
  columnIndex: Partial<Record<CanonicalField, number>>;
  /** Number of header cells (cells beyond it in a record are "extra"). */
  headerCount: number;
  /** Non-empty headers neither canonical nor mapped, in file order (cleaned, not cut). */
  ignoredColumns: string[];
  /** Profile that filled at least one field, if any (its usage counters must be updated). */
  profileId: number | null;
}

/** Resolution failure: `code` selects the upload's fate (§2.5). */
export interface UnresolvedColumns {
  ok: false;
  code: 'missing_required_column' | 'duplicate_column';
  /** Exact file-level message. */
  message: string;
  /** First missing required field (missing_required_column only). */
  missing?: RequiredField;
  /** The canonical field named twice (duplicate_column only). */
  duplicate?: CanonicalField;
  /** Partial map (for pre-filling the mapping step). */
  columnMap: Partial<Record<CanonicalField, string>>;
}

export type ColumnResolution = ResolvedColumns | UnresolvedColumns;

function profileTime(p: ColumnMappingProfile): number {
  if (p.lastUsedAt == null) return Number.NEGATIVE_INFINITY;
  const t = typeof p.lastUsedAt === 'string' ? Date.parse(p.lastUsedAt) : p.lastUsedAt.getTime();
  return Number.isNaN(t) ? Number.NEGATIVE_INFINITY : t;
}

/**
 * Resolve the header cells of a CSV file (§2.5): exact canonical names (trimmed, any case, BOM
 * stripped; empty cells skipped; two headers for one field fail), then the most recently used
 * applicable profile (ties: lowest id) for fields not matched by name, or the forced profile,
 * or an explicit map from the mapping step. A required field still missing → failure with
 * "Missing required column: <name>" (plus a separator hint when the header looks like
 * `;`- or tab-separated).
 */
export function resolveColumns(
  headers: readonly string[],
  options: ResolveColumnsOptions = {},
): ColumnResolution {
  const cleaned = headers.map(cleanHeader);
  const columnIndex: Partial<Record<CanonicalField, number>> = {};
  const columnMap: Partial<Record<CanonicalField, string>> = {};
  const used = new Set<number>();

  if (options.explicitMap) {
    // The mapping step already validated one header per field; match headers as the user saw them.
    for (const field of CANONICAL_COLUMNS) {
      const wanted = options.explicitMap[field];
      if (wanted == null || wanted === '') continue;
      const idx = cleaned.findIndex((h, i) => !used.has(i) && h === cleanHeader(wanted));
      if (idx < 0) continue;
      columnIndex[field] = idx;
      columnMap[field] = cleaned[idx] ?? '';
      used.add(idx);
    }
  } else {
    for (let i = 0; i < cleaned.length; i++) {
      const h = cleaned[i] ?? '';
      if (h === '') continue;
      const lower = h.toLowerCase();
      if (!isCanonicalField(lower)) continue;
      if (columnIndex[lower] !== undefined) {
        return {
          ok: false,
          code: 'duplicate_column',
          message: `Duplicate column: ${lower}`,
          duplicate: lower,
          columnMap,
        };
      }
      columnIndex[lower] = i;
      columnMap[lower] = h;
      used.add(i);
    }
  }

  let profileId: number | null = null;
  if (!options.explicitMap) {
    const normalized = cleaned.map(normalizeProfileHeader);
    const fill = (p: ColumnMappingProfile, apply: boolean): Set<CanonicalField> => {
      const filled = new Set<CanonicalField>();
      const taken = new Set(used);
      for (const field of CANONICAL_COLUMNS) {
        if (columnIndex[field] !== undefined) continue;
        const src = p.mapping[field];
        if (!src) continue;
        const key = normalizeProfileHeader(src);
        const idx = normalized.findIndex((h, i) => h !== '' && !taken.has(i) && h === key);
        if (idx < 0) continue;
        taken.add(idx);
        filled.add(field);
        if (apply) {
          columnIndex[field] = idx;
          columnMap[field] = cleaned[idx] ?? '';
          used.add(idx);
        }
      }
      return filled;
    };
    const covers = (filled: Set<CanonicalField>) =>
      REQUIRED_COLUMNS.every((f) => columnIndex[f] !== undefined || filled.has(f));
    const hasSourceInFile = (p: ColumnMappingProfile) =>
      Object.values(p.mapping).some((src) => src != null && normalized.includes(normalizeProfileHeader(src)));

    let chosen: ColumnMappingProfile | undefined;
    if (options.forcedProfile) {
      chosen = options.forcedProfile;
    } else if (options.profiles && options.profiles.length > 0) {
      const ranked = [...options.profiles].sort((a, b) => profileTime(b) - profileTime(a) || a.id - b.id);
      chosen = ranked.find((p) => hasSourceInFile(p) && covers(fill(p, false)));
    }
    if (chosen) {
      const filled = fill(chosen, true);
      if (filled.size > 0) profileId = chosen.id;
    }
  }

  const missing = REQUIRED_COLUMNS.find((f) => columnIndex[f] === undefined);
  if (missing) {
    return {
      ok: false,
      code: 'missing_required_column',
      message: `Missing required column: ${missing}${separatorHint(headers)}`,
      missing,
      columnMap,
    };
  }

  const ignoredColumns: string[] = [];
  for (let i = 0; i < cleaned.length; i++) {
    const h = cleaned[i] ?? '';
    if (h !== '' && !used.has(i)) ignoredColumns.push(h);
  }
  return { ok: true, columnMap, columnIndex, headerCount: headers.length, ignoredColumns, profileId };
}

/**
 * " The file seems to use ';' as separator; …" when the header line has no comma but a `;` or a
 * tab (comma parsing then yields a single header cell).
 */
export function separatorHint(headers: readonly string[]): string {
  if (headers.length !== 1) return '';
  const line = headers[0] ?? '';
  if (line.includes(',')) return '';
  if (line.includes(';')) return " The file seems to use ';' as separator; save it as comma-separated CSV.";
  if (line.includes('\t')) return ' The file seems to use tab as separator; save it as comma-separated CSV.';
  return '';
}

/** Mapping-step suggestions (§2.5): pre-fill only, never applied unsaved. */
export const HEADER_SUGGESTIONS: Readonly<Record<CanonicalField, readonly string[]>> = {
  payer: [
    'payer name',
    'payor',
    'payor name',
    'insurance',
    'insurance name',
    'insurance company',
    'carrier',
    'plan name',
  ],
  cpt: ['cpt code', 'procedure code', 'proc code', 'procedure', 'hcpcs', 'hcpcs code', 'cpt hcpcs'],
  submitted_date: [
    'submitted date',
    'submission date',
    'date submitted',
    'submit date',
    'claim date',
    'billed date',
    'bill date',
  ],
  decided_date: [
    'decided date',
    'decision date',
    'adjudication date',
    'adjudicated date',
    'processed date',
    'date processed',
    'determination date',
    'remit date',
  ],
  outcome: ['claim status', 'status', 'adjudication status'],
  allowed_amount: ['allowed', 'allowed amount', 'allowed amt', 'allowable'],
  billed_amount: ['billed', 'billed amount', 'charge', 'charges', 'charge amount', 'total charges'],
  paid_amount: ['paid', 'paid amount', 'paid amt', 'payment amount', 'insurance paid'],
  payment_date: ['payment date', 'paid date', 'date paid', 'check date'],
  denial_reason_code: ['denial code', 'reason code', 'carc', 'adjustment reason code'],
  denial_reason_text: ['denial reason', 'reason', 'denial description', 'reason description'],
  claim_id: ['claim id', 'claim number', 'claim no', 'claim', 'pcn'],
  modifiers: ['modifier', 'modifiers', 'mod', 'cpt modifier'],
  authorization_required: ['auth required', 'prior auth required', 'authorization required'],
  authorization_obtained: ['auth obtained', 'authorization obtained', 'prior auth obtained', 'auth on file'],
  place_of_service: ['pos', 'place of service', 'place of service code'],
};

/**
 * Pre-fill of the mapping step: canonical field → a header of the file (as written) or null.
 * A header matches a field by the field's own name or one of its suggestions; each header is
 * offered to one field only (template order decides).
 */
export function suggestColumnMap(headers: readonly string[]): Record<CanonicalField, string | null> {
  const keys = headers.map(normalizeSuggestionHeader);
  const taken = new Set<number>();
  const out = {} as Record<CanonicalField, string | null>;
  for (const field of CANONICAL_COLUMNS) {
    const candidates = new Set([field.replaceAll('_', ' '), ...HEADER_SUGGESTIONS[field]]);
    const idx = keys.findIndex((k, i) => k !== '' && !taken.has(i) && candidates.has(k));
    if (idx >= 0) {
      taken.add(idx);
      out[field] = cleanHeader(headers[idx] ?? '');
    } else {
      out[field] = null;
    }
  }
  return out;
}

/**
 * Validate a column map submitted in the mapping step: every required field mapped and no
 * header used twice. Returns the first error message, or null.
 */
export function validateMappingChoice(map: Partial<Record<CanonicalField, string | null>>): string | null {
  for (const f of REQUIRED_COLUMNS) {
    if (!map[f]) return `Map a column to ${f}`;
  }
  const seen = new Set<string>();
  for (const f of CANONICAL_COLUMNS) {
    const h = map[f];
    if (!h) continue;
    if (seen.has(h)) return `Column '${h}' is mapped to more than one field`;
    seen.add(h);
  }
  return null;
}

/** Substrings that make an ignored column an identifier column (§3.3). */
export const IDENTIFIER_COLUMN_TOKENS: readonly string[] = [
  'patient',
  'ssn',
  'social_sec',
  'dob',
  'birth',
  'address',
  'street',
  'zip',
  'postal',
  'phone',
  'mobile',
  'email',
  'mrn',
  'medical_record',
  'member',
  'subscriber',
  'insured',
  'beneficiary',
  'first_name',
  'last_name',
  'full_name',
  'guarantor',
];

/** True when an (ignored) column name looks like a patient identifier (§3.3). */
export function isIdentifierColumn(header: string): boolean {
  const n = normalizeIdentifierHeader(header);
  if (n === 'name' || n === 'city') return true;
  return IDENTIFIER_COLUMN_TOKENS.some((t) => n.includes(t));
}

/** A file-level warning as stored in the quality report (`row` null). */
export interface FileWarning {
  row: null;
  code: 'ignored_columns' | 'identifier_columns' | string;
  /** `critical` marks the prominent red banner (identifier columns). */
  severity: 'info' | 'warning' | 'critical';
  message: string;
}

function displayNames(names: readonly string[]): string {
  const shown = names.slice(0, 20).map((n) => cutChars(sanitizeString(n), 40));
  const more = names.length - shown.length;
  return shown.join(', ') + (more > 0 ? ` and ${more} more` : '');
}

/**
 * The §3.3 file-level warnings for ignored columns: "Ignored <k> unrecognized column(s): …" and,
 * when any looks like a patient identifier, the prominent `identifier_columns` warning. Only
 * call this when header resolution succeeded (a failed "header" may be data).
 */
export function ignoredColumnWarnings(ignored: readonly string[]): {
  warnings: FileWarning[];
  identifierColumns: string[];
} {
  if (ignored.length === 0) return { warnings: [], identifierColumns: [] };
  const identifierColumns = ignored.filter(isIdentifierColumn);
  const warnings: FileWarning[] = [
    {
      row: null,
      code: 'ignored_columns',
      severity: 'warning',
      message: `Ignored ${ignored.length} unrecognized column(s): ${displayNames(ignored)}`,
    },
  ];
  if (identifierColumns.length > 0) {
    warnings.push({
      row: null,
      code: 'identifier_columns',
      severity: 'critical',
      message: `Possible patient identifiers in column(s): ${displayNames(identifierColumns)}. These columns were NOT stored. Remove patient data from your export.`,
    });
  }
  return { warnings, identifierColumns };
}
