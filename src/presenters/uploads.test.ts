import { describe, expect, it } from 'vitest';
import type { QualityReportRecord } from '../db/repositories/quality.repository.ts';
import { formatTimeLeft, presentQualityReport, uploadPhase, uploadRecommendations } from './uploads.ts';

describe('upload progress phases', () => {
  it('follows the stored state: waiting, counting, validating, saving, done', () => {
    expect(uploadPhase({ status: 'queued', rows_total: null, rows_processed: 0 })).toBe('waiting');
    expect(uploadPhase({ status: 'processing', rows_total: null, rows_processed: 0 })).toBe('counting');
    expect(uploadPhase({ status: 'processing', rows_total: 1000, rows_processed: 0 })).toBe('validating');
    expect(uploadPhase({ status: 'processing', rows_total: 1000, rows_processed: 999 })).toBe('validating');
    expect(uploadPhase({ status: 'processing', rows_total: 1000, rows_processed: 1000 })).toBe('saving');
    for (const status of ['success', 'partial', 'failed', 'deleted', 'needs_mapping'] as const) {
      expect(uploadPhase({ status, rows_total: 10, rows_processed: 10 })).toBe('done');
    }
  });

  it('says the time left in rounded words', () => {
    expect(formatTimeLeft(null)).toBeNull();
    expect(formatTimeLeft(3)).toBe('less than 5 s');
    expect(formatTimeLeft(42)).toBe('about 40 s');
    expect(formatTimeLeft(150)).toBe('about 3 min');
    expect(formatTimeLeft(7200)).toBe('about 2 h');
  });
});

/** A stored quality report as the repository returns it (no database: built by hand). */
function storedReport(overrides: Partial<QualityReportRecord> = {}): QualityReportRecord {
  return {
    customer_id: 7,
    upload_id: 42,
    total_rows: 100,
    accepted_rows: 90,
    inserted_rows: 80,
    updated_rows: 10,
    duplicate_rows: 0,
    rejected_rows: 10,
    warning_rows: 3,
    complete_rows: 90,
    phi_rows: 0,
    missing_fields_rows: 10,
    invalid_dates_rows: 0,
    invalid_values_rows: 0,
    reversals: 1,
    quality_score: '0.9000',
    grade: 'A',
    rejection_details: [{ row: 3, category: 'missing_fields', reason: 'payer is required' }],
    rejection_details_truncated: false,
    warnings: [],
    warning_counts: {},
    ignored_columns: ['notes'],
    identifier_columns: [],
    rule_failure_counts: {},
    field_stats: {},
    created_at: new Date('2026-03-02T10:00:00Z'),
    ...overrides,
  } as QualityReportRecord;
}

describe('presentQualityReport (pure)', () => {
  it('lists the stored counters, labels, score as a number and an ISO time', () => {
    const body = presentQualityReport(storedReport(), 0);
    expect(body).toMatchObject({
      upload_id: 42,
      total_rows: 100,
      accepted_rows: 90,
      rejected_rows: 10,
      quality_score: 0.9,
      grade: 'A',
      categories: ['Missing fields: 10 rows'],
      ignored_columns: ['notes'],
      created_at: '2026-03-02T10:00:00.000Z',
    });
    // The customer id is not part of the public shape.
    expect(body).not.toHaveProperty('customer_id');
  });

  it('recommends reviewing critical anomalies only when the caller counted some', () => {
    const none = presentQualityReport(storedReport(), 0).recommendations;
    const two = presentQualityReport(storedReport(), 2).recommendations;
    expect(none.some((r) => r.includes('critical anomalies'))).toBe(false);
    expect(two).toContain(
      '🚨 2 critical anomalies detected. Review anomalies immediately before processing data.',
    );
    expect(uploadRecommendations(storedReport(), 2)).toEqual(two);
  });
});
