/**
 * The per-row pipeline (ingestion spec §2.7): one record in, either an accepted claim row (with
 * warnings) or a rejection with exactly one reason out. First failure wins. Steps:
 * 1 required cells · 2 PHI screen · 3 lengths · 4 dates · 5 values · 6 configurable rules ·
 * 7 payer mapping / CPT group · 8 identity and in-upload duplicates.
 *
 * Designed for streaming: a CSV reader calls `processRow(cells, line)` per record, the JSON
 * endpoint `processObject(obj, position)`, the 835 mapper `processFields(fields, ordinal, x12)`.
 * The decision against stored claims (insert/update/duplicate) belongs to the final
 * transaction; its results come back through `settle`, then `finish` builds the report.
 */

import { QualityReportBuilder, type ReportLimits, type UploadQualityReport } from '../quality/report.ts';
import { effectiveRules, errorRuleCovering, evaluateRule, type ValidationRule } from '../quality/rules.ts';
import { type ClaimIdProtector, createClaimIdProtector } from './claim-id.ts';
import {
  BOOLEAN_FIELDS,
  CANONICAL_COLUMNS,
  type CanonicalField,
  DATE_FIELDS,
  type DateField,
  MAX_LENGTHS,
  MONEY_FIELDS,
  REQUIRED_COLUMNS,
} from './columns.ts';
import { type FileWarning, ignoredColumnWarnings, type ResolvedColumns } from './headers.ts';
import { computeRowHash, decideWrite, UploadIdentityTracker, type WriteDecision } from './identity.ts';
import {
  type CptGroupMappings,
  mapPayer,
  type PayerMappings,
  payerRaw,
  resolveCptGroup,
} from './normalize.ts';
import { PayerAllowList, type PhiHit, phiLogLine, screenRow, valueLooksLikePhi } from './phi.ts';
import { sanitizeString } from './sanitize.ts';
import type { Adjustment, ClaimRow, RejectionCategory, RowWarning, Severity } from './types.ts';
import {
  addDays,
  charLength,
  cleanCell,
  cutChars,
  echoValue,
  type Money,
  parseBoolean,
  parseDate,
  parseModifiers,
  parseMoney,
  parseOutcome,
  parsePlaceOfService,
  splitCpt,
} from './values.ts';

/** JSON keys that are not canonical fields, listed in the quality report up to this many. */
const MAX_IGNORED_JSON_KEYS = 50;

/** Expected-formats tail of the date format message (§2.6). */
export const DATE_FORMATS_TEXT =
  'Expected formats: YYYY-MM-DD, MM/DD/YYYY, YYYY/MM/DD, YYYYMMDD or ISO 8601 date-time';

/**
 * Codes of checks that are not one of the 14 rules but still write validation results and
 * warnings (so `rule_failure_counts` and `warning_counts` can name every failure).
 */
export const CHECK_CODES = {
  lengthLimit: 'LEN_LIMIT',
  dateFormat: 'DATE_FORMAT',
  paymentAfterSubmission: 'DATE_PAYMENT_AFTER_SUBMISSION',
  invalidAmount: 'invalid_amount',
  invalidBoolean: 'invalid_boolean',
  unusualOutcome: 'unusual_outcome',
  invalidModifier: 'invalid_modifier',
  tooManyModifiers: 'too_many_modifiers',
  invalidPlaceOfService: 'invalid_place_of_service',
  extraCells: 'extra_cells',
  duplicateRow: 'duplicate_row',
  invalidJsonValue: 'invalid_json_value',
} as const;

/** Human names of the non-rule checks (for "top failing rules" lists). */
export const CHECK_NAMES: Readonly<Record<string, string>> = {
  LEN_LIMIT: 'Value length limit',
  DATE_FORMAT: 'Date format',
  DATE_PAYMENT_AFTER_SUBMISSION: 'Payment on or after submission',
  invalid_amount: 'Amount format',
  invalid_boolean: 'Yes/no format',
  unusual_outcome: 'Unusual outcome value',
  invalid_modifier: 'Modifier format',
  too_many_modifiers: 'At most 4 modifiers',
  invalid_place_of_service: 'Place of service format',
  extra_cells: 'Extra cells',
  invalid_json_value: 'JSON value type',
};

/** One row of `validation_results` (camel-cased); values are redacted / sanitized already. */
export interface ValidationResult {
  ruleCode: string;
  rowNumber: number;
  fieldName: string | null;
  /** `[REDACTED]` for PHI checks and PHI-looking values, else sanitized, ≤ 100 characters. */
  fieldValue: string | null;
  message: string;
  severity: Severity;
  context: {
    payer: string | null;
    cpt: string | null;
    outcome: string | null;
    submitted_date: string | null;
    decided_date: string | null;
  };
}

/** Extra inputs of 835 rows (§6.3), carried into the claim row. */
export interface X12RowExtras {
  claimStatusCode?: string | null;
  payerClaimControlNumber?: string | null;
  adjustments?: Adjustment[];
  remarkCodes?: string | null;
  /** Occurrence k within the CLP; a repeated key in the same file supersedes the earlier row. */
  lineOccurrence?: number;
}

/** A row the pipeline rejected. `logLine` is set for PHI rejections (the only thing to log). */
export interface RejectedRowResult {
  status: 'rejected';
  rowNumber: number;
  category: RejectionCategory;
  reason: string;
  ruleCode: string;
  logLine: string | null;
  validationResults: ValidationResult[];
}

/**
 * An accepted row. `duplicateOf` set → identical to an earlier row of this upload: counted as
 * a duplicate already, do not stage it. Otherwise stage `row` and report the final
 * transaction's decision with `settle` (or `settleAgainstStored`). `supersedes` (835 only) →
 * the earlier row with the same identity must not be written: this one replaces it.
 */
export interface AcceptedRowResult {
  status: 'accepted';
  rowNumber: number;
  row: ClaimRow;
  warnings: RowWarning[];
  duplicateOf: number | null;
  supersedes: number | null;
  validationResults: ValidationResult[];
}

/** A record whose cells were all empty: skipped and not counted. */
export interface SkippedRowResult {
  status: 'skipped';
  rowNumber: number;
}

export type RowResult = RejectedRowResult | AcceptedRowResult | SkippedRowResult;

/** Options of `createRowPipeline`. */
export interface RowPipelineOptions {
  /** Resolved CSV columns (required for `processRow`). Its ignored columns become file warnings. */
  columns?: ResolvedColumns;
  /** "Today" (UTC) as YYYY-MM-DD: submitted dates after today + 1 day are rejected. */
  today: string;
  /** The customer's stored rules (merged over the defaults; locked rules cannot be relaxed). */
  rules?: readonly ValidationRule[];
  /** The customer's payer allow-list entries (built-ins are always included), or a compiled list. */
  allowList?: PayerAllowList | readonly string[];
  payerMappings?: PayerMappings;
  cptMappings?: CptGroupMappings;
  /** Claim-number protection: a ready protector, or the 32-byte field key and the customer id. */
  claimIds: ClaimIdProtector | { key: Uint8Array; customerId: number | bigint | string };
  /** Caps of stored lists: rejection details / row warnings (1,000), validation results (10,000). */
  limits?: Partial<ReportLimits & { validationResults: number }>;
}

/** The pipeline object of one upload. */
export interface RowPipeline {
  /** A CSV record: raw cells and the physical line of its first line. */
  processRow(cells: readonly string[], lineNumber: number): RowResult;
  /** A JSON batch element (1-based array position). */
  processObject(record: unknown, position: number): RowResult;
  /** Canonical fields already extracted (835 mapper, tests). Values are raw cell strings. */
  processFields(
    fields: Readonly<Partial<Record<CanonicalField, string | null>>>,
    rowNumber: number,
    x12?: X12RowExtras,
    preWarnings?: RowWarning[],
  ): RowResult;
  /** Record the final transaction's decision for a staged row. */
  settle(rowNumber: number, decision: WriteDecision): void;
  /** Decide against the stored claim's row_hash (null = none stored) and record it. */
  settleAgainstStored(row: ClaimRow, stored: { rowHash: string } | null): WriteDecision;
  /** A file-level warning (e.g. an X12 finding without a row). */
  addFileWarning(w: Omit<FileWarning, 'row'>): void;
  /** A row-level warning found outside the pipeline (e.g. an X12 finding on an accepted row). */
  addRowWarning(rowNumber: number, code: string, message: string): void;
  /** 835 reversals counted in the report. */
  addReversals(n: number): void;
  /** Data rows counted so far (for progress). */
  readonly rowsProcessed: number;
  /** The quality report. Pending staged rows throw unless `pending: 'insert'`. */
  finish(options?: { pending?: 'error' | 'insert' }): UploadQualityReport;
}

type Cells = Record<CanonicalField, string>;

class Rejection extends Error {
  constructor(
    readonly category: RejectionCategory,
    readonly reason: string,
    readonly ruleCode: string,
    readonly field: string | null,
    readonly value: string | null,
    readonly phi: PhiHit | null = null,
  ) {
    super(reason);
  }
}

/** Value for a validation result / context: `[REDACTED]` when it looks like PHI. */
function safeValue(value: string | null | undefined, max: number): string | null {
  if (value == null || value === '') return null;
  if (valueLooksLikePhi(value)) return '[REDACTED]';
  return cutChars(sanitizeString(value), max);
}

/** Create the row pipeline of one upload. */
export function createRowPipeline(options: RowPipelineOptions): RowPipeline {
  const rules = effectiveRules(options.rules);
  const stepSixRules = rules.filter((r) => !r.locked && r.enabled);
  const allowList =
    options.allowList instanceof PayerAllowList
      ? options.allowList
      : new PayerAllowList(options.allowList ?? []);
  const protector =
    'protect' in options.claimIds
      ? options.claimIds
      : createClaimIdProtector(options.claimIds.key, options.claimIds.customerId);
  const payerMappings: PayerMappings = options.payerMappings ?? new Map();
  const maxFuture = addDays(options.today, 1);
  const maxResults = options.limits?.validationResults ?? 10_000;
  const report = new QualityReportBuilder(options.limits);
  const tracker = new UploadIdentityTracker();
  const jsonIgnoredKeys = new Set<string>();
  let resultsWritten = 0;

  if (options.columns) {
    const { warnings, identifierColumns } = ignoredColumnWarnings(options.columns.ignoredColumns);
    for (const w of warnings) report.addFileWarning(w);
    report.setColumns(options.columns.ignoredColumns, identifierColumns);
  }

  function makeResult(
    cells: Cells,
    rowNumber: number,
    code: string,
    field: string | null,
    value: string | null,
    message: string,
    severity: Severity,
    phiRow: boolean,
    out: ValidationResult[],
  ): void {
    report.addRuleFailure(code, severity);
    if (resultsWritten >= maxResults) return;
    resultsWritten++;
    const isPhiCheck = code === 'PHI_PAYER' || code === 'PHI_DENIAL';
    out.push({
      ruleCode: code,
      rowNumber,
      fieldName: field,
      fieldValue: isPhiCheck ? (value ? '[REDACTED]' : null) : safeValue(value, 100),
      message,
      severity,
      context: {
        payer: phiRow ? (cells.payer ? '[REDACTED]' : null) : safeValue(cells.payer, 100),
        cpt: safeValue(cells.cpt, 100),
        outcome: safeValue(cells.outcome, 100),
        submitted_date: safeValue(cells.submitted_date, 100),
        decided_date: safeValue(cells.decided_date, 100),
      },
    });
  }

  function reject(
    rowNumber: number,
    cells: Cells,
    r: Rejection,
    results: ValidationResult[],
  ): RejectedRowResult {
    makeResult(cells, rowNumber, r.ruleCode, r.field, r.value, r.reason, 'error', r.phi !== null, results);
    report.addRejection(
      rowNumber,
      r.category,
      r.reason,
      r.phi
        ? r.phi.type === 'person_name'
          ? { type: 'person_name' }
          : { type: 'pattern', kind: r.phi.kind }
        : undefined,
    );
    return {
      status: 'rejected',
      rowNumber,
      category: r.category,
      reason: r.reason,
      ruleCode: r.ruleCode,
      logLine: r.phi ? phiLogLine(r.phi, rowNumber) : null,
      validationResults: results,
    };
  }

  function parseDateField(field: DateField, value: string, rowNumber: number): string {
    const parsed = parseDate(value);
    if (parsed.ok) return parsed.value;
    const echo = echoValue(value);
    const reason =
      parsed.error === 'format'
        ? echo === null
          ? `Invalid ${field} format in row ${rowNumber}. ${DATE_FORMATS_TEXT}`
          : `Invalid ${field} format in row ${rowNumber}: '${echo}'. ${DATE_FORMATS_TEXT}`
        : echo === null
          ? `Invalid ${field} in row ${rowNumber}: the value is not a calendar date`
          : `Invalid ${field} in row ${rowNumber}: '${echo}' is not a calendar date`;
    throw new Rejection('invalid_dates', reason, CHECK_CODES.dateFormat, field, value);
  }

  function processFields(
    fields: Readonly<Partial<Record<CanonicalField, string | null>>>,
    rowNumber: number,
    x12?: X12RowExtras,
    preWarnings: RowWarning[] = [],
    countWhenEmpty = false,
  ): RowResult {
    const cells = {} as Cells;
    let anyValue = false;
    for (const f of CANONICAL_COLUMNS) {
      cells[f] = cleanCell(fields[f]);
      if (cells[f] !== '') anyValue = true;
    }
    const controlNumber = cleanCell(x12?.payerClaimControlNumber);
    if (!anyValue && !x12 && !countWhenEmpty) return { status: 'skipped', rowNumber };

    const warnings: RowWarning[] = [...preWarnings];
    const results: ValidationResult[] = [];
    const warn = (code: string, message: string, field: string | null, value: string | null) => {
      warnings.push({ code, message });
      makeResult(cells, rowNumber, code, field, value, message, 'warning', false, results);
    };
    for (const w of preWarnings)
      makeResult(cells, rowNumber, w.code, null, null, w.message, 'warning', false, results);

    report.countEmptyRequired(REQUIRED_COLUMNS.filter((f) => cells[f] === ''));
    try {
      // Step 1: required cells, in the fixed order.
      for (const f of REQUIRED_COLUMNS) {
        if (cells[f] === '') {
          throw new Rejection(
            'missing_fields',
            `Missing required field: ${f}`,
            `REQ_${f.toUpperCase()}`,
            f,
            null,
          );
        }
      }

      // Step 2: PHI screen on the raw values (before any mapping).
      const hit = screenRow(
        {
          payer: cells.payer,
          cpt: cells.cpt,
          modifiers: cells.modifiers,
          denial_reason_code: cells.denial_reason_code,
          denial_reason_text: cells.denial_reason_text,
          claim_id: cells.claim_id,
          place_of_service: cells.place_of_service,
          payer_claim_control_number: controlNumber,
        },
        allowList,
      );
      if (hit) {
        const value = hit.column === 'payer_claim_control_number' ? controlNumber : cells[hit.column];
        throw new Rejection(
          'phi',
          hit.reason,
          hit.column === 'payer' ? 'PHI_PAYER' : 'PHI_DENIAL',
          hit.column,
          value,
          hit,
        );
      }

      // Step 3: lengths (code points, as varchar counts them).
      for (const f of CANONICAL_COLUMNS) {
        const max = MAX_LENGTHS[f];
        if (max !== undefined && charLength(cells[f]) > max) {
          throw new Rejection(
            'invalid_values',
            `Value too long: ${f} (max ${max} characters)`,
            CHECK_CODES.lengthLimit,
            f,
            cells[f],
          );
        }
      }
      if (charLength(controlNumber) > 50) {
        throw new Rejection(
          'invalid_values',
          'Value too long: payer_claim_control_number (max 50 characters)',
          CHECK_CODES.lengthLimit,
          'payer_claim_control_number',
          null,
        );
      }

      // Step 4: date formats, then date logic.
      const dates = {} as Record<DateField, string | null>;
      for (const f of DATE_FIELDS) dates[f] = cells[f] === '' ? null : parseDateField(f, cells[f], rowNumber);
      const submitted = dates.submitted_date as string;
      const decided = dates.decided_date as string;
      if (decided < submitted) {
        throw new Rejection(
          'invalid_dates',
          'Decision date cannot be before submission date',
          'DATE_DECISION_AFTER_SUBMISSION',
          'decided_date',
          decided,
        );
      }
      if (submitted > maxFuture) {
        throw new Rejection(
          'invalid_dates',
          'Submission date cannot be in the future',
          'DATE_SUBMITTED_NOT_FUTURE',
          'submitted_date',
          submitted,
        );
      }
      if (dates.payment_date !== null && dates.payment_date < submitted) {
        throw new Rejection(
          'invalid_dates',
          'Payment date cannot be before submission date',
          CHECK_CODES.paymentAfterSubmission,
          'payment_date',
          dates.payment_date,
        );
      }

      // Step 5: values (warnings; money may reject).
      const outcome = parseOutcome(cells.outcome);
      let outcomeRaw: string | null = null;
      if (!outcome.known) {
        // A value that fails the PHI screen is neither echoed nor kept in outcome_raw.
        const safe = !valueLooksLikePhi(cells.outcome);
        const echo = safe ? echoValue(outcome.upper) : null;
        outcomeRaw = safe ? cutChars(outcome.upper, 30) : null;
        warn(
          CHECK_CODES.unusualOutcome,
          echo === null
            ? 'Unusual outcome value mapped to OTHER'
            : `Unusual outcome value '${echo}' mapped to OTHER`,
          'outcome',
          cells.outcome,
        );
      }

      const money = {} as Record<(typeof MONEY_FIELDS)[number], Money | null>;
      for (const f of MONEY_FIELDS) {
        if (cells[f] === '') {
          money[f] = null;
          continue;
        }
        const parsed = parseMoney(cells[f]);
        if (parsed === null) {
          const covering = errorRuleCovering(rules, f);
          if (covering) {
            throw new Rejection(
              'invalid_values',
              `Invalid ${f} in row ${rowNumber}: not a valid amount`,
              covering.code,
              f,
              cells[f],
            );
          }
          warn(CHECK_CODES.invalidAmount, `Invalid ${f} ignored: not a valid amount`, f, cells[f]);
        }
        money[f] = parsed;
      }

      const bools = {} as Record<(typeof BOOLEAN_FIELDS)[number], boolean | null>;
      for (const f of BOOLEAN_FIELDS) {
        if (cells[f] === '') {
          bools[f] = null;
          continue;
        }
        const b = parseBoolean(cells[f]);
        if (b === undefined)
          warn(CHECK_CODES.invalidBoolean, `Invalid ${f} ignored: expected Y/N/true/false/1/0`, f, cells[f]);
        bools[f] = b ?? null;
      }

      const split = splitCpt(cells.cpt);
      const mods = parseModifiers(cells.modifiers, split.modifiers);
      for (const m of mods.invalid) {
        const echo = echoValue(m);
        warn(
          CHECK_CODES.invalidModifier,
          echo === null ? 'Invalid modifier ignored' : `Invalid modifier '${echo}' ignored`,
          'modifiers',
          m,
        );
      }
      if (mods.truncated)
        warn(CHECK_CODES.tooManyModifiers, 'Only the first 4 modifiers were kept', 'modifiers', null);

      let pos: string | null = null;
      if (cells.place_of_service !== '') {
        pos = parsePlaceOfService(cells.place_of_service);
        if (pos === null) {
          warn(
            CHECK_CODES.invalidPlaceOfService,
            'Invalid place_of_service ignored: expected a 2-digit code',
            'place_of_service',
            cells.place_of_service,
          );
        }
      }
      const denialCode = cells.denial_reason_code === '' ? null : cells.denial_reason_code.toUpperCase();
      const denialText = cells.denial_reason_text === '' ? null : cells.denial_reason_text;
      const allowed = money.allowed_amount?.value ?? null;

      // Step 6: configurable rules in execution order.
      for (const rule of stepSixRules) {
        const f = evaluateRule(rule, {
          cpt: split.code,
          denialReasonCode: denialCode,
          allowedAmount: allowed,
          outcome: outcome.outcome,
        });
        if (!f) continue;
        if (f.severity === 'error') {
          throw new Rejection(rule.category, f.message, rule.code, f.field, f.value);
        }
        if (f.severity === 'warning') warn(rule.code, f.message, f.field, f.value);
        else makeResult(cells, rowNumber, rule.code, f.field, f.value, f.message, 'info', false, results);
      }

      // Step 7: payer mapping and CPT group.
      const rawPayer = payerRaw(cells.payer);
      const payer = mapPayer(rawPayer, payerMappings);
      const cptGroup = resolveCptGroup(split.code, options.cptMappings);

      // Step 8: identity and in-upload duplicates.
      const claimId = cells.claim_id === '' ? null : cells.claim_id;
      const rowHash = computeRowHash({
        payerRaw: rawPayer,
        cpt: split.code,
        modifiers: mods.value,
        submittedDate: submitted,
        decidedDate: decided,
        paymentDate: dates.payment_date,
        outcome: outcome.outcome,
        allowedAmount: allowed,
        billedAmount: money.billed_amount?.value ?? null,
        paidAmount: money.paid_amount?.value ?? null,
        denialReasonCode: denialCode,
        denialReasonText: denialText,
        claimId,
        authorizationRequired: bools.authorization_required,
        authorizationObtained: bools.authorization_obtained,
        placeOfService: pos,
      });
      const protectedId = claimId === null ? null : protector.protect(claimId);
      const identity = tracker.track(
        rowNumber,
        rowHash,
        protectedId
          ? {
              hash: protectedId.hash,
              cpt: split.code,
              ...(x12?.lineOccurrence !== undefined ? { occurrence: x12.lineOccurrence } : {}),
            }
          : null,
      );

      const row: ClaimRow = {
        rowNumber,
        identityKey: identity.identityKey,
        rowHash,
        claimIdEnc: protectedId?.enc ?? null,
        claimIdHash: protectedId?.hash ?? null,
        claimIdLast4: protectedId?.last4 ?? null,
        lineOccurrence: identity.kind === 'duplicate' ? null : identity.occurrence,
        payer,
        payerRaw: rawPayer,
        cpt: split.code,
        cptGroup,
        modifiers: mods.value,
        submittedDate: submitted,
        decidedDate: decided,
        paymentDate: dates.payment_date,
        outcome: outcome.outcome,
        outcomeRaw,
        allowedAmount: allowed,
        billedAmount: money.billed_amount?.value ?? null,
        paidAmount: money.paid_amount?.value ?? null,
        denialReasonCode: denialCode,
        denialReasonText: denialText,
        authorizationRequired: bools.authorization_required,
        authorizationObtained: bools.authorization_obtained,
        placeOfService: pos,
        claimStatusCode: cleanCell(x12?.claimStatusCode) || null,
        payerClaimControlNumber: controlNumber || null,
        adjustments: x12?.adjustments ?? [],
        remarkCodes: cleanCell(x12?.remarkCodes) || null,
      };

      let duplicateOf: number | null = null;
      let supersedes: number | null = null;
      if (identity.kind === 'duplicate') {
        duplicateOf = identity.firstRow;
        warnings.push({
          code: CHECK_CODES.duplicateRow,
          message: `Duplicate row skipped: identical to row ${identity.firstRow}`,
        });
      } else if (identity.kind === 'supersedes') {
        supersedes = identity.earlierRow;
      }

      const complete = allowed !== null && (outcome.outcome !== 'DENIED' || denialCode !== null);
      report.addAccepted(rowNumber, warnings, complete, [submitted, decided]);
      report.countOutcome(outcome.outcome, denialCode !== null);
      if (duplicateOf !== null) report.decide(rowNumber, 'duplicate');
      // The later row of an 835 with the same identity wins; the earlier one counts as updated.
      if (supersedes !== null) report.decide(supersedes, 'superseded');
      return {
        status: 'accepted',
        rowNumber,
        row,
        warnings,
        duplicateOf,
        supersedes,
        validationResults: results,
      };
    } catch (e) {
      if (e instanceof Rejection) return reject(rowNumber, cells, e, results);
      throw e;
    }
  }

  function processRow(rawCells: readonly string[], lineNumber: number): RowResult {
    const columns = options.columns;
    if (!columns) throw new Error('processRow needs resolved columns');
    if (rawCells.every((c) => cleanCell(c) === '')) return { status: 'skipped', rowNumber: lineNumber };
    const fields: Partial<Record<CanonicalField, string>> = {};
    for (const f of CANONICAL_COLUMNS) {
      const idx = columns.columnIndex[f];
      if (idx !== undefined) fields[f] = rawCells[idx] ?? '';
    }
    const pre: RowWarning[] = [];
    // Only non-empty extra cells count: a trailing comma is not worth a warning.
    if (
      rawCells.length > columns.headerCount &&
      rawCells.slice(columns.headerCount).some((c) => cleanCell(c) !== '')
    ) {
      pre.push({
        code: CHECK_CODES.extraCells,
        message: 'Row has more cells than the header; extra cells ignored',
      });
    }
    // The record has a non-empty cell (checked above), possibly only in ignored columns: it is
    // still a data row (with missing fields), so it is counted.
    return processFields(fields, lineNumber, undefined, pre, true);
  }

  function processObject(record: unknown, position: number): RowResult {
    const emptyCells = Object.fromEntries(CANONICAL_COLUMNS.map((f) => [f, ''])) as Cells;
    if (record === null || typeof record !== 'object' || Array.isArray(record)) {
      return reject(
        position,
        emptyCells,
        new Rejection(
          'invalid_values',
          `Invalid claim in row ${position}: expected a JSON object`,
          CHECK_CODES.invalidJsonValue,
          null,
          null,
        ),
        [],
      );
    }
    const fields: Partial<Record<CanonicalField, string>> = {};
    let badField: CanonicalField | null = null;
    for (const [rawKey, value] of Object.entries(record as Record<string, unknown>)) {
      const key = rawKey.trim().toLowerCase();
      if (!(CANONICAL_COLUMNS as readonly string[]).includes(key)) {
        // Reported back in the quality report (jsonb): control characters removed, bounded, and
        // at most MAX_IGNORED_JSON_KEYS names however many distinct keys a batch carries.
        const shown = cleanCell(rawKey).slice(0, 100);
        if (shown !== '' && jsonIgnoredKeys.size < MAX_IGNORED_JSON_KEYS) jsonIgnoredKeys.add(shown);
        continue;
      }
      const field = key as CanonicalField;
      if (fields[field] !== undefined && fields[field] !== '') continue; // first non-empty spelling wins
      if (value === null || value === undefined) fields[field] = '';
      else if (typeof value === 'string') fields[field] = value;
      else if (typeof value === 'number' && Number.isFinite(value)) fields[field] = String(value);
      else if (typeof value === 'boolean' && (BOOLEAN_FIELDS as readonly string[]).includes(field)) {
        fields[field] = value ? 'true' : 'false';
      } else if (badField === null) badField = field;
    }
    if (badField !== null) {
      const cells = Object.fromEntries(CANONICAL_COLUMNS.map((f) => [f, cleanCell(fields[f])])) as Cells;
      return reject(
        position,
        cells,
        new Rejection(
          'invalid_values',
          `Invalid value for ${badField}: expected a string or number`,
          CHECK_CODES.invalidJsonValue,
          badField,
          null,
        ),
        [],
      );
    }
    const allEmpty = Object.values(record as Record<string, unknown>).every(
      (v) => v === null || v === undefined || (typeof v === 'string' && cleanCell(v) === ''),
    );
    if (allEmpty) return { status: 'skipped', rowNumber: position };
    return processFields(fields, position, undefined, [], true);
  }

  function settle(rowNumber: number, decision: WriteDecision): void {
    if (!report.isPending(rowNumber)) throw new Error(`row ${rowNumber} is not a pending accepted row`);
    report.decide(rowNumber, decision);
    if (decision === 'duplicate') {
      report.addRowWarning(
        rowNumber,
        CHECK_CODES.duplicateRow,
        'Duplicate row skipped: identical to a claim already stored',
      );
    }
  }

  return {
    processRow,
    processObject,
    processFields: (fields, rowNumber, x12, preWarnings) =>
      processFields(fields, rowNumber, x12, preWarnings),
    settle,
    settleAgainstStored(row, stored) {
      const decision = decideWrite(row.identityKey, row.rowHash, stored);
      settle(row.rowNumber, decision);
      return decision;
    },
    addFileWarning(w) {
      report.addFileWarning(w);
    },
    addRowWarning(rowNumber, code, message) {
      report.addRowWarning(rowNumber, code, message);
    },
    addReversals(n) {
      report.addReversals(n);
    },
    get rowsProcessed() {
      return report.totalRows;
    },
    finish(finishOptions) {
      if (jsonIgnoredKeys.size > 0) {
        const ignored = [...jsonIgnoredKeys];
        const { warnings, identifierColumns } = ignoredColumnWarnings(ignored);
        for (const w of warnings) report.addFileWarning(w);
        report.setColumns(ignored, identifierColumns);
        jsonIgnoredKeys.clear();
      }
      return report.build(finishOptions);
    },
  };
}
