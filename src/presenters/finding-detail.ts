import type { FindingRecord } from '../db/repositories/findings.repository.ts';
import { addDays, type EvidencePayload, fixed, type Interpretation } from '../domain/analytics/index.ts';
import { findingRow } from './analytics.ts';

/** The finding detail page: evidence, statistics and interpretation (analytics §11, §13.8). Pure. */

/** One evidence cell as text: '-' when empty, numbers to 4 decimals unless whole. */
export function evidenceCell(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : fixed(value, 4);
  return String(value);
}

/** The template data of `/portal/findings/<id>/`. */
export function presentFindingDetail(
  detail: { finding: FindingRecord; evidence: EvidencePayload; interpretation: Interpretation },
  context: { productEnabled: boolean },
) {
  const { finding, evidence, interpretation } = detail;
  const first = evidence.evidence_rows[0];
  const columns = first ? Object.keys(first) : [];
  return {
    f: findingRow(finding),
    finding,
    evidence,
    interpretation,
    windowText: `Decisions: baseline ${finding.baseline_start} – ${addDays(finding.baseline_end, -1)} · current ${finding.current_start} – ${addDays(finding.current_end, -1)}`,
    columns,
    rows: evidence.evidence_rows.map((r) => columns.map((c) => evidenceCell(r[c]))),
    productEnabled: context.productEnabled,
  };
}
