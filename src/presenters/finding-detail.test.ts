import { describe, expect, it } from 'vitest';
import { findingRecord } from '../../test/analytics-records.ts';
import type { EvidencePayload, Interpretation } from '../domain/analytics/index.ts';
import { evidenceCell, presentFindingDetail } from './finding-detail.ts';

describe('finding detail presenter (analytics §11, §13.8)', () => {
  it('writes evidence cells: "-" when empty, whole numbers as is, others to 4 decimals', () => {
    expect(evidenceCell(null)).toBe('-');
    expect(evidenceCell(undefined)).toBe('-');
    expect(evidenceCell(12)).toBe('12');
    expect(evidenceCell(0.123456)).toBe('0.1235');
    expect(evidenceCell('Aetna')).toBe('Aetna');
  });

  it('lays out the evidence rows under the first row’s columns and states the decision windows', () => {
    const finding = findingRecord({ id: 42 });
    const evidence = {
      evidence_rows: [
        { week: '2026-11-02', denied: 12, rate: 0.2 },
        { week: '2026-11-09', denied: null, rate: 0.1875 },
      ],
    } as unknown as EvidencePayload;
    // The presenter reads only the evidence rows; the rest of both payloads passes through as is.
    const interpretation = { plain_language: 'Denials rose.' } as unknown as Interpretation;
    const page = presentFindingDetail({ finding, evidence, interpretation }, { productEnabled: false });
    expect(page.columns).toEqual(['week', 'denied', 'rate']);
    expect(page.rows).toEqual([
      ['2026-11-02', '12', '0.2000'],
      ['2026-11-09', '-', '0.1875'],
    ]);
    expect(page.windowText).toBe(
      'Decisions: baseline 2026-08-03 – 2026-10-25 · current 2026-11-02 – 2026-11-29',
    );
    expect(page.f.id).toBe(42);
    expect(page.f.url).toBe('/portal/findings/42/');
    expect(page.productEnabled).toBe(false);
  });

  it('no evidence rows, no columns', () => {
    const page = presentFindingDetail(
      {
        finding: findingRecord(),
        evidence: { evidence_rows: [] } as unknown as EvidencePayload,
        interpretation: {} as Interpretation,
      },
      { productEnabled: true },
    );
    expect(page).toMatchObject({ columns: [], rows: [], productEnabled: true });
  });
});
