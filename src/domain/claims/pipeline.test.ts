import { describe, expect, it } from 'vitest';
import { DEFAULT_VALIDATION_RULES, type ValidationRule } from '../quality/rules.ts';
import { type ResolvedColumns, resolveColumns } from './headers.ts';
import { allRejectedMessage, finalStatus, privacyAlert, summaryMessage } from './messages.ts';
import {
  type AcceptedRowResult,
  createRowPipeline,
  type RejectedRowResult,
  type RowPipelineOptions,
  type RowResult,
} from './pipeline.ts';

const KEY = new Uint8Array(32).fill(7);
const TODAY = '2026-11-27';

function resolved(header: string): ResolvedColumns {
  const r = resolveColumns(header.split(','));
  if (!r.ok) throw new Error(r.message);
  return r;
}

/** Split one CSV line (quotes supported, no embedded newlines): a stand-in for csv-parse. */
function splitCsvLine(line: string): string[] {
  const cells: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      cells.push(cur);
      cur = '';
    } else cur += ch;
  }
  cells.push(cur);
  return cells;
}

/** Run a CSV text through the pipeline, lines numbered from the header (line 1). */
function runCsv(text: string, opts: Partial<RowPipelineOptions> = {}) {
  const lines = text.split('\n');
  const columns = resolved(lines[0] ?? '');
  const pipeline = createRowPipeline({
    columns,
    today: TODAY,
    claimIds: { key: KEY, customerId: 1 },
    ...opts,
  });
  const results: RowResult[] = [];
  lines.slice(1).forEach((line, i) => {
    results.push(pipeline.processRow(splitCsvLine(line), i + 2));
  });
  return { pipeline, results };
}

function settleAllInsert(pipeline: ReturnType<typeof createRowPipeline>, results: RowResult[]) {
  for (const r of results) {
    if (r.status === 'accepted' && r.duplicateOf === null) pipeline.settle(r.rowNumber, 'insert');
  }
}

const rejected = (r: RowResult) => r as RejectedRowResult;
const accepted = (r: RowResult) => r as AcceptedRowResult;

const HEADER5 = 'payer,cpt,submitted_date,decided_date,outcome';

/** One valid row with a single cell replaced. */
function row(overrides: Partial<Record<string, string>> = {}, header = HEADER5): string {
  const base: Record<string, string> = {
    payer: 'Aetna',
    cpt: '99213',
    submitted_date: '2023-01-15',
    decided_date: '2023-01-20',
    outcome: 'PAID',
    allowed_amount: '100.00',
    denial_reason_code: '',
    denial_reason_text: '',
    claim_id: '',
    billed_amount: '',
    paid_amount: '',
    payment_date: '',
    modifiers: '',
    authorization_required: '',
    authorization_obtained: '',
    place_of_service: '',
    ...overrides,
  };
  return header
    .split(',')
    .map((h) => {
      const v = base[h] ?? '';
      return /[",]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
    })
    .join(',');
}

function one(
  overrides: Partial<Record<string, string>>,
  header = HEADER5,
  opts: Partial<RowPipelineOptions> = {},
) {
  const { results, pipeline } = runCsv(`${header}\n${row(overrides, header)}`, opts);
  return { result: results[0] as RowResult, pipeline };
}

describe('A1 mixed quality file', () => {
  const csv = [
    'payer,cpt,submitted_date,decided_date,outcome,allowed_amount',
    'Blue Cross Blue Shield,99213,2024-01-15,2024-02-01,PAID,150.00',
    'Medicare,99214,2024-01-16,2024-02-02,PAID,200.00',
    'John Smith,99215,2024-01-17,2024-02-03,DENIED,0.00',
    'Aetna,99213,2024-01-18,2024-02-04,PAID,150.00',
    'Mary Johnson,99214,2024-01-19,2024-02-05,DENIED,0.00',
    'UnitedHealthcare,99213,,2024-02-06,PAID,150.00',
    'Cigna,99214,2024-01-21,invalid-date,PAID,200.00',
    'Anthem,99213,2024-01-22,2024-02-08,APPROVED,145.00',
    'Humana,,2024-01-23,2024-02-09,PAID,180.00',
    'TriCare,99215,2024-01-24,2024-02-10,PAID,250.00',
  ].join('\n');

  const { pipeline, results } = runCsv(csv);
  settleAllInsert(pipeline, results);
  const report = pipeline.finish();

  it('accepts 5 and rejects 5 with the exact reasons and physical line numbers', () => {
    expect(results.map((r) => r.status)).toEqual([
      'accepted',
      'accepted',
      'rejected',
      'accepted',
      'rejected',
      'rejected',
      'rejected',
      'accepted',
      'rejected',
      'accepted',
    ]);
    expect(report.rejectionDetails).toEqual([
      { row: 4, category: 'phi', reason: 'PHI detected: payer looks like a person name' },
      { row: 6, category: 'phi', reason: 'PHI detected: payer looks like a person name' },
      { row: 7, category: 'missing_fields', reason: 'Missing required field: submitted_date' },
      {
        row: 8,
        category: 'invalid_dates',
        reason:
          "Invalid decided_date format in row 8: 'invalid-date'. Expected formats: YYYY-MM-DD, MM/DD/YYYY, YYYY/MM/DD, YYYYMMDD or ISO 8601 date-time",
      },
      { row: 10, category: 'missing_fields', reason: 'Missing required field: cpt' },
    ]);
  });

  it('counts, score and grade', () => {
    expect(report).toMatchObject({
      totalRows: 10,
      acceptedRows: 5,
      rejectedRows: 5,
      insertedRows: 5,
      phiRows: 2,
      missingFieldsRows: 2,
      invalidDatesRows: 1,
      invalidValuesRows: 0,
      warningRows: 0,
      qualityScore: 0.5,
      grade: 'F',
      dateMin: '2024-01-15',
      dateMax: '2024-02-10',
    });
    expect(finalStatus(report)).toBe('partial');
  });

  it('maps APPROVED to PAID without a warning and groups 992xx as E&M', () => {
    const anthem = accepted(results[7] as RowResult);
    expect(anthem.row.outcome).toBe('PAID');
    expect(anthem.row.outcomeRaw).toBeNull();
    expect(anthem.warnings).toEqual([]);
    for (const r of results) if (r.status === 'accepted') expect(r.row.cptGroup).toBe('E&M');
  });

  it('summary and privacy alert texts', () => {
    expect(summaryMessage('test_quality.csv', report, finalStatus(report))).toBe(
      'Uploaded test_quality.csv: 5 of 10 rows accepted (50.0%). 5 rows were rejected. See quality report below for details.',
    );
    expect(privacyAlert(report)).toBe(
      "PRIVACY ALERT: payer values in 2 rows (rows 4, 6) look like patient names. Please use payer organization names only (e.g., 'Blue Cross Blue Shield', 'Medicare', 'Aetna'). NEVER include patient names, DOB, SSN, or addresses in uploads.",
    );
  });

  it('never carries the names anywhere in results, validation results or the report', () => {
    const everything = JSON.stringify({ results, report }, (_k, v) =>
      typeof v === 'object' && v?.type === 'Buffer' ? '' : v,
    );
    expect(everything).not.toContain('John Smith');
    expect(everything).not.toContain('Mary Johnson');
    expect(everything).not.toMatch(/John|Johnson/);
    const phi = rejected(results[2] as RowResult);
    expect(phi.logLine).toBe('PHI_DETECTION: rejected payer that looks like a person name (row 4, words 2)');
    expect(phi.validationResults[0]).toMatchObject({
      ruleCode: 'PHI_PAYER',
      fieldValue: '[REDACTED]',
      context: { payer: '[REDACTED]', cpt: '99215' },
    });
  });

  it('missing-field rows redact a person-like payer in the validation context too', () => {
    const { result } = one({ payer: 'John Smith', cpt: '' });
    expect(rejected(result).reason).toBe('Missing required field: cpt');
    expect(rejected(result).validationResults[0]?.context.payer).toBe('[REDACTED]');
  });
});

describe('A2 valid file', () => {
  const csv = [
    'payer,cpt,submitted_date,decided_date,outcome,allowed_amount',
    'UnitedHealthcare,99213,2023-01-15,2023-01-20,PAID,100.50',
    'Aetna,99214,2023-01-16,2023-01-21,DENIED,150.75',
    'Cigna,99213,01/17/2023,01/22/2023,paid,125.00',
  ].join('\n');

  it('warns on the DENIED row without code', () => {
    const { pipeline, results } = runCsv(csv);
    settleAllInsert(pipeline, results);
    const report = pipeline.finish();
    expect(finalStatus(report)).toBe('success');
    const first = accepted(results[0] as RowResult).row;
    expect(first).toMatchObject({
      payer: 'UnitedHealthcare',
      cpt: '99213',
      outcome: 'PAID',
      allowedAmount: '100.50',
    });
    expect(accepted(results[1] as RowResult).warnings).toEqual([
      { code: 'BIZ_DENIAL_REASON', message: 'Denied claims should have a denial reason code' },
    ]);
    expect(accepted(results[2] as RowResult).row.submittedDate).toBe('2023-01-17');
    expect(report.warningRows).toBe(1);
    expect(report.completeRows).toBe(2);
    expect(summaryMessage('test.csv', report, 'success')).toBe(
      'Uploaded test.csv: 3 of 3 rows accepted (100.0%). 0 rows were rejected. See quality report below for details.',
    );
  });

  it('with BIZ_DENIAL_REASON disabled the summary is the short one', () => {
    const rules: ValidationRule[] = DEFAULT_VALIDATION_RULES.map((r) =>
      r.code === 'BIZ_DENIAL_REASON' ? { ...r, enabled: false } : r,
    );
    const { pipeline, results } = runCsv(csv, { rules });
    settleAllInsert(pipeline, results);
    const report = pipeline.finish();
    expect(summaryMessage('test.csv', report, finalStatus(report))).toBe(
      'Successfully uploaded test.csv with 3 records',
    );
  });
});

describe('A4 dates', () => {
  it.each([
    ['2023-01-15', '2023-01-15'],
    ['01/16/2023', '2023-01-16'],
    ['2023/01/17', '2023-01-17'],
    ['20230118', '2023-01-18'],
    ['2023-01-19T14:30:00Z', '2023-01-19'],
    ['2023-1-5', '2023-01-05'],
    ['1/5/2023', '2023-01-05'],
    ['2024-02-29', '2024-02-29'],
  ])('accepts submitted %s', (value, iso) => {
    const { result } = one({ submitted_date: value, decided_date: '2024-03-01' });
    expect(accepted(result).row.submittedDate).toBe(iso);
  });

  it.each(['2024-02-30', '2023-02-29'])('rejects %s as not a calendar date', (value) => {
    const { result } = one({ submitted_date: '2023-01-01', decided_date: value });
    expect(rejected(result).reason).toBe(`Invalid decided_date in row 2: '${value}' is not a calendar date`);
    expect(rejected(result).category).toBe('invalid_dates');
  });

  it.each(['13/01/2023', '01-16-2023', '1/5/23', '16.01.2023'])(
    'rejects %s with the format message',
    (value) => {
      const { result } = one({ submitted_date: value });
      // The echo goes through sanitize (§2.6), whose slash-date pattern redacts 13/01/2023.
      const echo = value === '13/01/2023' ? '[DATE_REDACTED]' : value;
      expect(rejected(result).reason).toBe(
        `Invalid submitted_date format in row 2: '${echo}'. Expected formats: YYYY-MM-DD, MM/DD/YYYY, YYYY/MM/DD, YYYYMMDD or ISO 8601 date-time`,
      );
    },
  );

  it('date logic', () => {
    expect(rejected(one({ submitted_date: '2023-01-15', decided_date: '2023-01-10' }).result).reason).toBe(
      'Decision date cannot be before submission date',
    );
    expect(one({ submitted_date: '2026-11-28', decided_date: '2026-11-28' }).result.status).toBe('accepted');
    expect(rejected(one({ submitted_date: '2026-11-29', decided_date: '2026-11-30' }).result).reason).toBe(
      'Submission date cannot be in the future',
    );
    const pay = one(
      { submitted_date: '2023-01-15', decided_date: '2023-01-20', payment_date: '2023-01-14' },
      `${HEADER5},payment_date`,
    );
    expect(rejected(pay.result).reason).toBe('Payment date cannot be before submission date');
    expect(one({ submitted_date: '2023-01-15', decided_date: '2023-01-15' }).result.status).toBe('accepted');
  });

  it('does not echo a date cell that looks like PHI', () => {
    const { result } = one({ decided_date: 'DOB 01/02/1980' });
    expect(rejected(result).reason).toBe(
      'Invalid decided_date format in row 2. Expected formats: YYYY-MM-DD, MM/DD/YYYY, YYYY/MM/DD, YYYYMMDD or ISO 8601 date-time',
    );
  });
});

describe('A5 outcomes', () => {
  it.each([
    ['paid', 'PAID'],
    ['APPROVED', 'PAID'],
    ['accepted', 'PAID'],
    ['DENIED', 'DENIED'],
    ['REJECTED', 'DENIED'],
    ['declined', 'DENIED'],
    ['OTHER', 'OTHER'],
  ])('%s → %s silently', (value, outcome) => {
    const r = accepted(one({ outcome: value }).result);
    expect(r.row.outcome).toBe(outcome);
    expect(r.warnings.filter((w) => w.code === 'unusual_outcome')).toEqual([]);
  });

  it('PENDING and partial → OTHER with warning and outcome_raw', () => {
    const p = accepted(one({ outcome: 'PENDING' }).result);
    expect(p.row).toMatchObject({ outcome: 'OTHER', outcomeRaw: 'PENDING' });
    expect(p.warnings).toEqual([
      { code: 'unusual_outcome', message: "Unusual outcome value 'PENDING' mapped to OTHER" },
    ]);
    const q = accepted(one({ outcome: 'partial' }).result);
    expect(q.warnings[0]?.message).toBe("Unusual outcome value 'PARTIAL' mapped to OTHER");
  });

  it('a PHI-looking outcome is neither echoed nor kept', () => {
    const p = accepted(one({ outcome: 'call 555-123-4567' }).result);
    expect(p.row.outcomeRaw).toBeNull();
    expect(p.warnings[0]?.message).toBe('Unusual outcome value mapped to OTHER');
  });
});

describe('A6 money', () => {
  const H = `${HEADER5},allowed_amount`;
  it.each([
    ['$1,200.50', '1200.50'],
    ['-$45', '-45.00'],
    ['1,200', '1200.00'],
    ['12.500', '12.50'],
  ])('%s → %s', (value, expected) => {
    expect(accepted(one({ allowed_amount: value }, H).result).row.allowedAmount).toBe(expected);
  });

  it('(45.00) → -45.00 plus the range warning', () => {
    const r = accepted(one({ allowed_amount: '(45.00)' }, H).result);
    expect(r.row.allowedAmount).toBe('-45.00');
    expect(r.warnings).toEqual([
      { code: 'RNG_ALLOWED_AMT', message: 'Allowed amount should be between $0 and $1,000,000' },
    ]);
  });

  it.each(['12.505', '1e3', 'NaN', 'Infinity', '12,00', '$'])('%s → null + warning', (value) => {
    const r = accepted(one({ allowed_amount: value }, H).result);
    expect(r.row.allowedAmount).toBeNull();
    expect(r.warnings).toEqual([
      { code: 'invalid_amount', message: 'Invalid allowed_amount ignored: not a valid amount' },
    ]);
  });

  it('RNG_ALLOWED_AMT at error rejects an unparseable amount', () => {
    const rules = DEFAULT_VALIDATION_RULES.map((r) =>
      r.code === 'RNG_ALLOWED_AMT' ? { ...r, severity: 'error' as const } : r,
    );
    const r = rejected(one({ allowed_amount: '1e3' }, H, { rules }).result);
    expect(r).toMatchObject({
      category: 'invalid_values',
      reason: 'Invalid allowed_amount in row 2: not a valid amount',
      ruleCode: 'RNG_ALLOWED_AMT',
    });
    const out = rejected(one({ allowed_amount: '2000000' }, H, { rules }).result);
    expect(out.reason).toBe('Allowed amount should be between $0 and $1,000,000');
  });
});

describe('A7 extra identifier columns', () => {
  it('drops them with both warnings and never keeps the values', () => {
    const { pipeline, results } = runCsv(
      `${HEADER5},patient_name,ssn\nAetna,99213,2023-01-15,2023-01-20,PAID,John Doe,123-45-6789`,
    );
    settleAllInsert(pipeline, results);
    const report = pipeline.finish();
    expect(finalStatus(report)).toBe('success');
    expect(report.warnings).toEqual([
      {
        row: null,
        code: 'ignored_columns',
        severity: 'warning',
        message: 'Ignored 2 unrecognized column(s): patient_name, ssn',
      },
      {
        row: null,
        code: 'identifier_columns',
        severity: 'critical',
        message:
          'Possible patient identifiers in column(s): patient_name, ssn. These columns were NOT stored. Remove patient data from your export.',
      },
    ]);
    expect(report.identifierColumns).toEqual(['patient_name', 'ssn']);
    const text = JSON.stringify({ results, report });
    expect(text).not.toContain('John Doe');
    expect(text).not.toContain('123-45-6789');
  });
});

describe('A8 all rejected', () => {
  it('error message with counts and first rows', () => {
    const { pipeline } = runCsv(`${HEADER5}\nAetna,99213,2023-01-15,invalid-date,PAID`);
    const report = pipeline.finish();
    expect(finalStatus(report)).toBe('failed');
    const msg = allRejectedMessage(report);
    expect(msg).toContain('All 1 rows were rejected');
    expect(msg).toContain('Invalid dates: 1');
    expect(msg).toContain('Error processing row 2: Invalid decided_date format in row 2');
    expect(msg).toBe(
      "All 1 rows were rejected. PHI detected: 0, Missing fields: 0, Invalid dates: 1, Invalid values: 0. Error processing row 2: Invalid decided_date format in row 2: 'invalid-date'. Expected formats: YYYY-MM-DD, MM/DD/YYYY, YYYY/MM/DD, YYYYMMDD or ISO 8601 date-time. Please fix the data and try again.",
    );
    expect(summaryMessage('x.csv', report, 'failed', msg)).toBe(`Upload failed: ${msg}`);
  });

  it('empty decided_date', () => {
    const { pipeline } = runCsv(`${HEADER5}\nAetna,99213,2023-01-15,,PAID`);
    const msg = allRejectedMessage(pipeline.finish());
    expect(msg).toContain('Missing required field: decided_date');
    expect(msg).toContain('row 2');
  });

  it('caps the listed rows at 5', () => {
    const lines = Array.from({ length: 7 }, () => 'Aetna,99213,,2023-01-20,PAID');
    const { pipeline } = runCsv(`${HEADER5}\n${lines.join('\n')}`);
    const msg = allRejectedMessage(pipeline.finish());
    expect(msg.match(/Error processing row/g)).toHaveLength(5);
    expect(msg).toContain('All 7 rows were rejected. PHI detected: 0, Missing fields: 7,');
  });
});

describe('A9 duplicates and A10 re-adjudication decisions', () => {
  it('two identical rows without claim_id: 1 pending insert, 1 duplicate of row 2', () => {
    const { pipeline, results } = runCsv(`${HEADER5}\n${row()}\n${row()}`);
    const second = accepted(results[1] as RowResult);
    expect(second.duplicateOf).toBe(2);
    expect(second.warnings).toContainEqual({
      code: 'duplicate_row',
      message: 'Duplicate row skipped: identical to row 2',
    });
    settleAllInsert(pipeline, results);
    const report = pipeline.finish();
    expect(report).toMatchObject({ acceptedRows: 2, insertedRows: 1, duplicateRows: 1, warningRows: 1 });
  });

  it('a re-sent 20-row file: every row a stored duplicate', () => {
    const lines = Array.from({ length: 20 }, (_, i) => row({ cpt: String(99201 + i) }));
    const first = runCsv(`${HEADER5}\n${lines.join('\n')}`);
    const stored = new Map<string, string>();
    for (const r of first.results) if (r.status === 'accepted') stored.set(r.row.identityKey, r.row.rowHash);

    const again = runCsv(`${HEADER5}\n${lines.join('\n')}`);
    for (const r of again.results) {
      if (r.status !== 'accepted') throw new Error('expected accepted');
      const h = stored.get(r.row.identityKey);
      expect(again.pipeline.settleAgainstStored(r.row, h ? { rowHash: h } : null)).toBe('duplicate');
    }
    const report = again.pipeline.finish();
    expect(report).toMatchObject({ acceptedRows: 20, insertedRows: 0, updatedRows: 0, duplicateRows: 20 });
    expect(report.warnings[0]?.message).toBe('Duplicate row skipped: identical to a claim already stored');
    expect(summaryMessage('claims.csv', report, 'success')).toMatch(
      / New: 0, updated: 0, duplicates skipped: 20\.$/,
    );
  });

  it('same claim_id and cpt with other values → update; the same file again → duplicate', () => {
    const H = `${HEADER5},claim_id,denial_reason_code,paid_amount`;
    const u1 = one(
      {
        claim_id: 'C-1001',
        payer: 'BCBS',
        submitted_date: '2026-03-02',
        decided_date: '2026-03-10',
        outcome: 'DENIED',
        denial_reason_code: 'CO-197',
      },
      H,
      {
        payerMappings: new Map([['bcbs', 'Blue Cross Blue Shield']]),
        cptMappings: new Map([['99213', 'E&M Office Visit']]),
      },
    );
    const first = accepted(u1.result).row;
    expect(first).toMatchObject({
      payer: 'Blue Cross Blue Shield',
      payerRaw: 'BCBS',
      cptGroup: 'E&M Office Visit',
    });
    expect(first.claimIdLast4).toBe('1001');
    expect(first.identityKey.startsWith(`c:${first.claimIdHash}\u001f99213\u001f1`)).toBe(true);

    const u2 = one(
      {
        claim_id: 'C-1001',
        payer: 'BCBS',
        submitted_date: '2026-03-02',
        decided_date: '2026-04-02',
        outcome: 'PAID',
        paid_amount: '80.00',
      },
      H,
    );
    const second = accepted(u2.result).row;
    expect(second.identityKey).toBe(first.identityKey);
    expect(u2.pipeline.settleAgainstStored(second, { rowHash: first.rowHash })).toBe('update');
    const report = u2.pipeline.finish();
    expect(report.updatedRows).toBe(1);
    expect(summaryMessage('u2.csv', report, 'success')).toBe(
      'Successfully uploaded u2.csv with 1 records (1 updated)',
    );

    const u3 = one(
      {
        claim_id: 'C-1001',
        payer: 'BCBS',
        submitted_date: '2026-03-02',
        decided_date: '2026-04-02',
        outcome: 'PAID',
        paid_amount: '80.00',
      },
      H,
    );
    expect(u3.pipeline.settleAgainstStored(accepted(u3.result).row, { rowHash: second.rowHash })).toBe(
      'duplicate',
    );
  });

  it('repeated (claim_id, cpt) in one CSV makes occurrences 1 and 2, both new lines', () => {
    const H = `${HEADER5},claim_id`;
    const { results } = runCsv(`${H}\n${row({ claim_id: 'X1' }, H)}\n${row({ claim_id: 'X1' }, H)}`);
    const a = accepted(results[0] as RowResult);
    const b = accepted(results[1] as RowResult);
    expect(a.row.lineOccurrence).toBe(1);
    expect(b.row.lineOccurrence).toBe(2);
    expect(b.duplicateOf).toBeNull();
    expect(a.row.identityKey).not.toBe(b.row.identityKey);
  });

  it('835: the same identity twice → the later row supersedes (earlier counted as updated)', () => {
    const pipeline = createRowPipeline({ today: TODAY, claimIds: { key: KEY, customerId: 1 } });
    const fields = {
      payer: 'RUSHMORE LIFE',
      cpt: '99211',
      submitted_date: '20020301',
      decided_date: '20020314',
      outcome: 'PAID',
      claim_id: '5554555444',
    };
    const a = accepted(pipeline.processFields(fields, 12, { lineOccurrence: 1 }));
    const b = accepted(pipeline.processFields({ ...fields, outcome: 'DENIED' }, 30, { lineOccurrence: 1 }));
    expect(b.supersedes).toBe(12);
    expect(a.row.identityKey).toBe(b.row.identityKey);
    pipeline.settle(30, 'insert');
    expect(pipeline.finish()).toMatchObject({ insertedRows: 1, updatedRows: 1 });
  });

  it('finish() refuses pending rows unless told they were inserted', () => {
    const { pipeline } = runCsv(`${HEADER5}\n${row()}`);
    expect(() => pipeline.finish()).toThrow(/no write decision/);
    expect(pipeline.finish({ pending: 'insert' }).insertedRows).toBe(1);
  });
});

describe('A11 PHI vectors through the pipeline', () => {
  it.each([
    'John Smith',
    'Mary Johnson',
    'Robert Williams',
    'Patricia Brown',
    'Michael Davis',
    'Jennifer Miller',
    'John A Smith',
    '  John   Smith  ',
    'John Smith-Jones',
    'Mark Twain Insurance',
  ])('payer %j rejected', (payer) => {
    const r = rejected(one({ payer }).result);
    expect(r).toMatchObject({ category: 'phi', reason: 'PHI detected: payer looks like a person name' });
  });

  it.each([
    'Blue Cross Blue Shield',
    'Medicare',
    'Aetna',
    'UnitedHealthcare',
    'Humana',
    'Cigna',
    'Anthem',
    'Kaiser Permanente',
    'BCBS of Texas',
    'Medicare Part B',
    'Medicaid',
    'Tricare',
    'VA Benefits',
    'john smith',
    'JOHN SMITH',
    "John O'Brien",
    'Mary-Jane Watson',
    'Sarah McDonald',
    'David B. Smith',
    'John Hancock',
  ])('payer %j accepted', (payer) => {
    expect(one({ payer }).result.status).toBe('accepted');
  });

  it('customer allow-list lets "Mark Twain Insurance" through', () => {
    expect(one({ payer: 'Mark Twain Insurance' }, HEADER5, { allowList: ['Mark Twain'] }).result.status).toBe(
      'accepted',
    );
  });

  const H = `${HEADER5},denial_reason_text,claim_id`;
  it.each([
    ['Patient SSN 123-45-6789', 'PHI detected: SSN pattern in denial_reason_text'],
    ['Contact jane.doe@example.com', 'PHI detected: email address pattern in denial_reason_text'],
    ['Call (555) 123-4567', 'PHI detected: phone number pattern in denial_reason_text'],
    ['MRN: 12345678', 'PHI detected: MRN pattern in denial_reason_text'],
    ['DOB 01/02/1980', 'PHI detected: date of birth pattern in denial_reason_text'],
  ])('denial text %j rejected', (text, reason) => {
    const r = rejected(one({ denial_reason_text: text }, H).result);
    expect(r).toMatchObject({ category: 'phi', reason, ruleCode: 'PHI_DENIAL' });
    expect(JSON.stringify(r)).not.toContain(text);
    expect(r.logLine).not.toContain(text);
  });

  it('claim_id AB123456 is accepted (bare MRN only in payer and denial text)', () => {
    expect(one({ claim_id: 'AB123456' }, H).result.status).toBe('accepted');
    expect(rejected(one({ denial_reason_text: 'see AB123456' }, H).result).reason).toBe(
      'PHI detected: MRN pattern in denial_reason_text',
    );
  });

  it('the pattern scan runs even on allow-listed payers', () => {
    const r = rejected(one({ payer: 'John Hancock 555-123-4567' }).result);
    expect(r.reason).toBe('PHI detected: phone number pattern in payer');
  });

  it('privacy alert for pattern rows', () => {
    const { pipeline } = runCsv(
      `${H}\n${row({ denial_reason_text: 'SSN 123-45-6789' }, H)}\n${row({ denial_reason_text: 'mail a@b.org' }, H)}`,
    );
    expect(privacyAlert(pipeline.finish())).toBe(
      'PRIVACY ALERT: 2 rows contain text that looks like patient identifiers (SSN, email address) (rows 2, 3). These rows were rejected and the values were not stored.',
    );
  });
});

describe('other pipeline rules', () => {
  it('skips all-empty records without counting them', () => {
    const { pipeline, results } = runCsv(`${HEADER5}\n,,,,\n${row()}`);
    expect(results[0]?.status).toBe('skipped');
    expect(pipeline.finish({ pending: 'insert' }).totalRows).toBe(1);
  });

  it('missing trailing cells are empty; extra non-empty cells warn', () => {
    const short = runCsv(`${HEADER5}\nAetna,99213,2023-01-15,2023-01-20`);
    expect(rejected(short.results[0] as RowResult).reason).toBe('Missing required field: outcome');
    const long = runCsv(`${HEADER5}\n${row()},extra`);
    expect(accepted(long.results[0] as RowResult).warnings).toEqual([
      { code: 'extra_cells', message: 'Row has more cells than the header; extra cells ignored' },
    ]);
  });

  it('length limits', () => {
    const r = rejected(one({ payer: `Acme ${'x'.repeat(251)}` }).result);
    expect(r).toMatchObject({
      category: 'invalid_values',
      reason: 'Value too long: payer (max 255 characters)',
    });
    expect(one({ payer: `Acme ${'x'.repeat(250)}` }).result.status).toBe('accepted');
  });

  it('cpt split, modifiers, booleans, place of service', () => {
    const H = `${HEADER5},modifiers,authorization_required,authorization_obtained,place_of_service`;
    const r = accepted(
      one(
        {
          cpt: '99213-25',
          modifiers: '59;25, xx9 ab',
          authorization_required: 'yes',
          authorization_obtained: 'maybe',
          place_of_service: '2',
        },
        H,
      ).result,
    );
    expect(r.row).toMatchObject({
      cpt: '99213',
      modifiers: '25;59;AB',
      authorizationRequired: true,
      authorizationObtained: null,
      placeOfService: '02',
      cptGroup: 'E&M',
    });
    expect(r.warnings.map((w) => w.message)).toEqual([
      'Invalid authorization_obtained ignored: expected Y/N/true/false/1/0',
      "Invalid modifier 'xx9' ignored",
    ]);
    const many = accepted(one({ cpt: '99213 25 59', modifiers: '76;77;91' }, H).result);
    expect(many.row.modifiers).toBe('25;59;76;77');
    expect(many.warnings.map((w) => w.message)).toEqual(['Only the first 4 modifiers were kept']);
    const pos = accepted(one({ place_of_service: '123' }, H).result);
    expect(pos.warnings.map((w) => w.message)).toEqual([
      'Invalid place_of_service ignored: expected a 2-digit code',
    ]);
  });

  it('FMT_CPT and FMT_DENIAL_CODE warnings echo safe values', () => {
    const H = `${HEADER5},denial_reason_code`;
    const r = accepted(one({ cpt: '9921', outcome: 'DENIED', denial_reason_code: 'co45' }, H).result);
    expect(r.warnings.map((w) => w.message)).toEqual([
      'CPT/HCPCS code 9921 is not in a recognised format',
      'Denial code CO45 should follow format XX-NNN (e.g. CO-45, PR-96)',
    ]);
    expect(r.row.denialReasonCode).toBe('CO45');
  });

  it('claim numbers are never kept in clear on the row', () => {
    const H = `${HEADER5},claim_id`;
    const r = accepted(one({ claim_id: 'ACCT-998877' }, H).result);
    expect(JSON.stringify({ ...r.row, claimIdEnc: null })).not.toContain('ACCT-998877');
    expect(r.row.claimIdLast4).toBe('8877');
  });

  it('validation results: one per failed check, capped', () => {
    const H = `${HEADER5},denial_reason_code`;
    const lines = Array.from({ length: 5 }, () => row({ cpt: '9921', outcome: 'DENIED' }, H));
    const { pipeline, results } = runCsv(`${H}\n${lines.join('\n')}`, { limits: { validationResults: 3 } });
    const all = results.flatMap((r) => (r.status === 'skipped' ? [] : r.validationResults));
    expect(all).toHaveLength(3);
    const report = pipeline.finish({ pending: 'insert' });
    expect(report.ruleFailureCounts).toEqual({
      FMT_CPT: { error: 0, warning: 5, info: 0 },
      BIZ_DENIAL_REASON: { error: 0, warning: 5, info: 0 },
    });
  });
});

describe('JSON batch elements', () => {
  const pipeline = () => createRowPipeline({ today: TODAY, claimIds: { key: KEY, customerId: 1 } });

  it('accepts canonical keys in any case, numbers and booleans; ignores and reports unknown keys', () => {
    const p = pipeline();
    const r = p.processObject(
      {
        ' Payer ': 'Aetna',
        CPT: 99213,
        submitted_date: '2023-01-15',
        decided_date: '2023-01-20',
        outcome: 'PAID',
        allowed_amount: 100.5,
        authorization_required: true,
        dob: '1980-01-02',
      },
      1,
    );
    expect(accepted(r).row).toMatchObject({
      cpt: '99213',
      allowedAmount: '100.50',
      authorizationRequired: true,
    });
    const report = p.finish({ pending: 'insert' });
    expect(report.identifierColumns).toEqual(['dob']);
    expect(JSON.stringify(report)).not.toContain('1980-01-02');
  });

  it('objects and arrays are rejected per field', () => {
    const r = rejected(pipeline().processObject({ payer: { a: 1 }, cpt: '99213' }, 3));
    expect(r).toMatchObject({
      rowNumber: 3,
      category: 'invalid_values',
      reason: 'Invalid value for payer: expected a string or number',
    });
  });

  it('1e21 is not a valid amount', () => {
    const r = accepted(
      pipeline().processObject(
        {
          payer: 'Aetna',
          cpt: '99213',
          submitted_date: '2023-01-15',
          decided_date: '2023-01-20',
          outcome: 'PAID',
          paid_amount: 1e21,
        },
        1,
      ),
    );
    expect(r.row.paidAmount).toBeNull();
    expect(r.warnings[0]?.message).toBe('Invalid paid_amount ignored: not a valid amount');
  });
});
