import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/env.ts';
import {
  effectiveRetentionPeriods,
  emptyRetentionCounts,
  MIN_CLAIMS_RETENTION_DAYS,
  parseRetentionSetting,
  RETENTION_COUNTS,
  readRetentionOverrides,
  retentionCutoffs,
  retentionReportLines,
  retentionTotal,
} from './retention.ts';

const DEFAULTS = {
  claimsDays: 730,
  uploadsDays: 730,
  validationDays: 90,
  findingsDays: 730,
  deliveriesDays: 90,
  artifactsPdfDays: 90,
  artifactsOtherDays: 30,
  eventsDays: 365,
  jobsDays: 30,
  auditDays: 2190,
};

describe('retentionCutoffs', () => {
  it('B20 (today 2026-03-20): PDFs before 2025-12-20, runs before 2024-03-20, judgments since 2024-03-20', () => {
    const cutoffs = retentionCutoffs(new Date('2026-03-20T03:30:00Z'), DEFAULTS);
    expect(cutoffs).toEqual({
      today: '2026-03-20',
      pdfArtifactsBefore: new Date('2025-12-20T00:00:00Z'),
      otherArtifactsBefore: new Date('2026-02-18T00:00:00Z'),
      runsAsOfBefore: '2024-03-20',
      alertEventsBefore: new Date('2024-03-20T00:00:00Z'),
      judgedSince: new Date('2024-03-20T00:00:00Z'),
      webhookDeliveriesBefore: new Date('2025-12-20T00:00:00Z'),
      claimsSubmittedBefore: '2024-03-20',
      uploadsBefore: new Date('2024-03-20T00:00:00Z'),
      validationBefore: new Date('2025-12-20T00:00:00Z'),
      systemEventsBefore: new Date('2025-03-20T00:00:00Z'),
      jobsFinishedBefore: new Date('2026-02-18T00:00:00Z'),
      // 2190 days = 6 × 365; one leap day (2024-02-29) lies between, so 2020-03-21, not 03-20.
      auditEventsBefore: new Date('2020-03-21T00:00:00Z'),
    });
    // A PDF of 2025-12-01 (109 days) goes; a run of 2024-03-04 (746 days) goes.
    expect(new Date('2025-12-01T07:00:00Z') < cutoffs.pdfArtifactsBefore).toBe(true);
    expect('2024-03-04' < cutoffs.runsAsOfBefore).toBe(true);
    // A judgment of 2025-06-01 is recent.
    expect(new Date('2025-06-01T09:00:00Z') >= cutoffs.judgedSince).toBe(true);
  });

  it('counts whole UTC days: the time of day of the run does not matter', () => {
    const early = retentionCutoffs(new Date('2026-03-20T00:00:00Z'), DEFAULTS);
    const late = retentionCutoffs(new Date('2026-03-20T23:59:59Z'), DEFAULTS);
    expect(late).toEqual(early);
  });

  it('the judgment window stays 730 days whatever RETENTION_FINDINGS_DAYS is', () => {
    const cutoffs = retentionCutoffs(new Date('2026-03-20T03:30:00Z'), { ...DEFAULTS, findingsDays: 365 });
    expect(cutoffs.runsAsOfBefore).toBe('2025-03-20');
    expect(cutoffs.judgedSince).toEqual(new Date('2024-03-20T00:00:00Z'));
  });
});

describe('retentionCutoffs: issue 13 categories', () => {
  it('a claim submitted exactly N days ago stays; one day older goes', () => {
    const cutoffs = retentionCutoffs(new Date('2026-03-20T22:00:00Z'), { ...DEFAULTS, claimsDays: 365 });
    expect(cutoffs.claimsSubmittedBefore).toBe('2025-03-20');
    expect('2025-03-20' < cutoffs.claimsSubmittedBefore).toBe(false);
    expect('2025-03-19' < cutoffs.claimsSubmittedBefore).toBe(true);
  });

  it('the claims cutoff is never under 120 days, whatever the period passed', () => {
    for (const claimsDays of [1, 30, 119, 120]) {
      expect(
        retentionCutoffs(new Date('2026-03-20T03:30:00Z'), { ...DEFAULTS, claimsDays }).claimsSubmittedBefore,
      ).toBe('2025-11-20');
    }
    expect(
      retentionCutoffs(new Date('2026-03-20T03:30:00Z'), { ...DEFAULTS, claimsDays: 121 })
        .claimsSubmittedBefore,
    ).toBe('2025-11-19');
    expect(MIN_CLAIMS_RETENTION_DAYS).toBe(120);
  });

  it('RETENTION_CLAIMS_DAYS=1 is clamped to 120 by the configuration', () => {
    expect(loadConfig({ RETENTION_CLAIMS_DAYS: '1' }).retention.claimsDays).toBe(120);
    expect(loadConfig({ RETENTION_CLAIMS_DAYS: '400' }).retention.claimsDays).toBe(400);
    expect(loadConfig({}).retention).toMatchObject({
      claimsDays: 730,
      uploadsDays: 730,
      validationDays: 90,
      eventsDays: 365,
      jobsDays: 30,
      auditDays: 2190,
    });
  });

  it('each period moves only its own cutoff', () => {
    const now = new Date('2026-03-20T03:30:00Z');
    const base = retentionCutoffs(now, DEFAULTS);
    expect(retentionCutoffs(now, { ...DEFAULTS, uploadsDays: 10 })).toEqual({
      ...base,
      uploadsBefore: new Date('2026-03-10T00:00:00Z'),
    });
    expect(retentionCutoffs(now, { ...DEFAULTS, validationDays: 1 })).toEqual({
      ...base,
      validationBefore: new Date('2026-03-19T00:00:00Z'),
    });
    expect(retentionCutoffs(now, { ...DEFAULTS, eventsDays: 2 })).toEqual({
      ...base,
      systemEventsBefore: new Date('2026-03-18T00:00:00Z'),
    });
    expect(retentionCutoffs(now, { ...DEFAULTS, jobsDays: 3 })).toEqual({
      ...base,
      jobsFinishedBefore: new Date('2026-03-17T00:00:00Z'),
    });
    expect(retentionCutoffs(now, { ...DEFAULTS, auditDays: 4 })).toEqual({
      ...base,
      auditEventsBefore: new Date('2026-03-16T00:00:00Z'),
    });
  });
});

describe('retentionReportLines', () => {
  const counts = { ...emptyRetentionCounts(), report_artifacts: 1, analysis_runs: 2, findings: 5 };

  it('a dry run announces itself and says Found; then the total', () => {
    expect(retentionTotal(counts)).toBe(8);
    expect(retentionReportLines(counts, true)).toEqual([
      'DRY RUN MODE - No data will be deleted',
      'Found 0 claims',
      'Found 0 claim daily rollups',
      'Found 0 validation results',
      'Found 0 rejected-row details',
      'Found 0 uploads',
      'Found 0 quality reports',
      'Found 1 report artifacts',
      'Found 2 analysis runs',
      'Found 5 findings',
      'Found 0 alert events',
      'Found 0 operator judgments',
      'Found 0 webhook deliveries',
      'Found 0 system events',
      'Found 0 job records',
      'Found 0 audit events',
      'Total: 8',
    ]);
    expect(RETENTION_COUNTS).toHaveLength(15);
  });

  it('a real run says Deleted', () => {
    const lines = retentionReportLines(counts, false);
    expect(lines[0]).toBe('Deleted 0 claims');
    expect(lines).toContain('Deleted 1 report artifacts');
    expect(lines.at(-1)).toBe('Total: 8');
  });
});

describe('per-customer retention periods', () => {
  it('parses <period>=<days> within each period’s bounds and says what is wrong otherwise', () => {
    expect(parseRetentionSetting('claims=1095')).toEqual({ ok: true, name: 'claims', days: 1095 });
    expect(parseRetentionSetting(' audit=365 ')).toEqual({ ok: true, name: 'audit', days: 365 });
    expect(parseRetentionSetting('claims=119')).toEqual({
      ok: false,
      problem: 'claims must be between 120 and 3650 days (got 119).',
    });
    expect(parseRetentionSetting('audit=364')).toMatchObject({ ok: false });
    expect(parseRetentionSetting('uploads=3651')).toMatchObject({ ok: false });
    expect(parseRetentionSetting('uploads=0')).toMatchObject({ ok: false });
    expect(parseRetentionSetting('jobs=30')).toMatchObject({
      ok: false,
      problem: expect.stringContaining("Unknown retention period 'jobs'"),
    });
    expect(parseRetentionSetting('claims')).toMatchObject({
      ok: false,
      problem: expect.stringContaining('<period>=<days>'),
    });
    expect(parseRetentionSetting('claims=1.5')).toMatchObject({ ok: false });
  });

  it('reads stored overrides defensively and lays them over the defaults', () => {
    expect(
      readRetentionOverrides({ claims: 400, audit: 100, bogus: 9, uploads: '30', events: 30.5 }),
    ).toEqual({
      claims: 400,
    });
    expect(readRetentionOverrides(null)).toEqual({});
    expect(readRetentionOverrides([1, 2])).toEqual({});
    const defaults = DEFAULTS;
    expect(effectiveRetentionPeriods(defaults, { claims: 400, artifacts_pdf: 7 })).toEqual({
      ...defaults,
      claimsDays: 400,
      artifactsPdfDays: 7,
    });
    expect(effectiveRetentionPeriods(defaults, {})).toEqual(defaults);
  });
});
