import { describe, expect, it } from 'vitest';
import { formatTimeLeft, uploadPhase } from './uploads.ts';

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
