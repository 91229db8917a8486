import { describe, expect, it } from 'vitest';
import { emptyRetentionCounts, retentionCutoffs, retentionReportLines, retentionTotal } from './retention.ts';

const DEFAULTS = { findingsDays: 730, deliveriesDays: 90, artifactsPdfDays: 90, artifactsOtherDays: 30 };

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

describe('retentionReportLines', () => {
  const counts = { ...emptyRetentionCounts(), report_artifacts: 1, analysis_runs: 2, findings: 5 };

  it('a dry run announces itself and says Found; then the total', () => {
    expect(retentionTotal(counts)).toBe(8);
    expect(retentionReportLines(counts, true)).toEqual([
      'DRY RUN MODE - No data will be deleted',
      'Found 1 report artifacts',
      'Found 2 analysis runs',
      'Found 5 findings',
      'Found 0 alert events',
      'Found 0 operator judgments',
      'Found 0 webhook deliveries',
      'Total: 8',
    ]);
  });

  it('a real run says Deleted', () => {
    const lines = retentionReportLines(counts, false);
    expect(lines[0]).toBe('Deleted 1 report artifacts');
    expect(lines.at(-1)).toBe('Total: 8');
  });
});
