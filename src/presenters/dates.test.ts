import { describe, expect, it } from 'vitest';
import { tableDateTime } from './dates.ts';

describe('tableDateTime', () => {
  it('shows a time as UTC to the minute', () => {
    expect(tableDateTime(new Date('2026-01-24T08:05:59.999Z'))).toBe('2026-01-24 08:05');
    expect(tableDateTime('2026-12-31T23:59:00.000Z')).toBe('2026-12-31 23:59');
  });

  it('shows a dash when there is no date (never logged in)', () => {
    expect(tableDateTime(null)).toBe('-');
  });
});
