import { describe, expect, it } from 'vitest';
import { firstInvalidUtf8Offset, passOneVerdict, stripBom } from './file-errors.ts';

describe('A8 file-level verdicts', () => {
  it('empty, header-only, row limit', () => {
    expect(passOneVerdict({ hasHeader: false, dataRecords: 0, maxRows: 5 })?.message).toBe('File is empty');
    expect(passOneVerdict({ hasHeader: true, dataRecords: 0, maxRows: 5 })?.message).toBe(
      'File has a header row but no data rows',
    );
    expect(passOneVerdict({ hasHeader: true, dataRecords: 6, maxRows: 5 })?.message).toBe(
      'Maximum row limit exceeded: 5 rows',
    );
    expect(passOneVerdict({ hasHeader: true, dataRecords: 5, maxRows: 5 })).toBeNull();
  });

  it('BOM and UTF-8 validation', () => {
    expect(stripBom('\uFEFFpayer')).toBe('payer');
    expect(firstInvalidUtf8Offset(new TextEncoder().encode('payer,é,😀'))).toBe(-1);
    expect(firstInvalidUtf8Offset(Uint8Array.from([0x61, 0x62, 0xff, 0x63]))).toBe(2);
    expect(firstInvalidUtf8Offset(Uint8Array.from([0x61, 0xc3]))).toBe(1);
    expect(firstInvalidUtf8Offset(Uint8Array.from([0xc0, 0x80]))).toBe(0);
    expect(firstInvalidUtf8Offset(Uint8Array.from([0x61, 0xed, 0xa0, 0x80]))).toBe(1);
  });
});
