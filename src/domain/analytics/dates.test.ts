import { describe, expect, it } from 'vitest';
import { addDays, inclusiveEnd, inWindow, latestMondayOnOrBefore, toEpochDay } from './dates.ts';
import { delayGuardWindows } from './delayguard.ts';
import { denialScopeWindows } from './denialscope.ts';
import { driftWatchWindows } from './driftwatch.ts';

describe('windows (§1, A20)', () => {
  it('A20 — Monday 2026-03-02 DriftWatch windows (inclusive display ends)', () => {
    const w = driftWatchWindows('2026-03-02');
    expect([w.baseline.start, inclusiveEnd(w.baseline)]).toEqual(['2025-11-18', '2026-02-15']);
    expect([w.current.start, inclusiveEnd(w.current)]).toEqual(['2026-02-16', '2026-03-01']);
  });

  it('A20 — upload on Wednesday 2026-03-04: DriftWatch re-runs 2026-03-02, DenialScope windows', () => {
    expect(latestMondayOnOrBefore('2026-03-04')).toBe('2026-03-02');
    expect(latestMondayOnOrBefore('2026-03-02')).toBe('2026-03-02');
    expect(latestMondayOnOrBefore('2026-03-01')).toBe('2026-02-23');
    const d = denialScopeWindows('2026-03-04');
    expect([d.recent.start, inclusiveEnd(d.recent)]).toEqual(['2026-02-25', '2026-03-03']);
    expect([d.baseline.start, inclusiveEnd(d.baseline)]).toEqual(['2026-02-04', '2026-02-24']);
    expect(d.period.start).toBe('2026-02-02');
  });

  it('A16 — DelayGuard windows', () => {
    const w = delayGuardWindows('2026-03-04');
    expect(w.current).toEqual({ start: '2026-02-18', end: '2026-03-04' });
    expect(w.baseline).toEqual({ start: '2025-12-20', end: '2026-02-18' });
  });

  it('half-open membership and date validation', () => {
    const w = { start: '2026-02-16', end: '2026-03-02' };
    expect(inWindow('2026-02-16', w)).toBe(true);
    expect(inWindow('2026-03-01', w)).toBe(true);
    expect(inWindow('2026-03-02', w)).toBe(false);
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(() => toEpochDay('2026-02-30')).toThrow(RangeError);
    expect(() => toEpochDay('2026-2-3')).toThrow(RangeError);
  });
});
