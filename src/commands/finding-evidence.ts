import type { Kysely } from 'kysely';
import { findRun } from '../db/repositories/analysis-runs.repository.ts';
import {
  type FindingRecord,
  findFinding,
  listLatestRunFindings,
  listRunFindings,
  toStoredFinding,
} from '../db/repositories/findings.repository.ts';
import { NO_HISTOGRAMS, rollupRowsInWindow } from '../db/repositories/rollups.repository.ts';
import type { AnalysisProduct, DB } from '../db/schema.ts';
import {
  buildEvidencePayload,
  type DenialReasonRow,
  delayGuardEvidenceRows,
  denialReasonTable,
  denialScopeWindows,
  driftWatchEvidenceRows,
  type EvidencePayload,
  type Interpretation,
  interpret,
  type JsonObject,
} from '../domain/analytics/index.ts';

/**
 * Evidence for dashboards, alerts and deep dives (analytics §12): the §12.1 payload of a stored
 * finding with its product-specific evidence rows, plus the §12.3 interpretation.
 */

/** DenialScope evidence rows: the payer's reasons over the 30-day period of `asOf` (≤ 20). */
export async function denialReasonRows(
  db: Kysely<DB>,
  customerId: number,
  asOf: string,
  options: { payer?: string; limit?: number } = {},
): Promise<DenialReasonRow[]> {
  const rows = await rollupRowsInWindow(db, customerId, denialScopeWindows(asOf).period, 'denialscope', {
    histograms: NO_HISTOGRAMS,
  });
  return denialReasonTable(rows, asOf, options);
}

async function evidenceRows(
  db: Kysely<DB>,
  customerId: number,
  finding: FindingRecord,
): Promise<JsonObject[]> {
  if (finding.product === 'denialscope') {
    return denialReasonRows(db, customerId, finding.as_of, { payer: finding.payer });
  }
  const runFindings = (await listRunFindings(db, customerId, finding.run_id)).map(toStoredFinding);
  return finding.product === 'driftwatch'
    ? driftWatchEvidenceRows(runFindings)
    : delayGuardEvidenceRows(runFindings);
}

/** Evidence payload of one finding of the customer; undefined when it is not the customer's. */
export async function findingEvidence(
  db: Kysely<DB>,
  customerId: number,
  findingId: number,
  options: { portalUrl: string; similarAlertMessage?: string | null },
): Promise<
  { finding: FindingRecord; evidence: EvidencePayload; interpretation: Interpretation } | undefined
> {
  const finding = await findFinding(db, customerId, findingId);
  if (!finding) return undefined;
  const evidence = buildEvidencePayload({
    product: finding.product,
    finding: toStoredFinding(finding),
    asOf: finding.as_of,
    evidenceRows: await evidenceRows(db, customerId, finding),
    portalUrl: options.portalUrl,
  });
  return { finding, evidence, interpretation: interpret(evidence, options.similarAlertMessage ?? null) };
}

/**
 * Evidence panel of a product page: the highest-severity finding of the latest run, or the
 * "No <Product> signals yet." payload when there is none.
 */
export async function latestRunEvidence(
  db: Kysely<DB>,
  customerId: number,
  product: AnalysisProduct,
  options: { portalUrl: string },
): Promise<EvidencePayload> {
  const latest = await listLatestRunFindings(db, customerId, product);
  const top = latest.findings[0];
  if (!top) {
    const run = latest.runId === null ? undefined : await findRun(db, customerId, latest.runId);
    return buildEvidencePayload({
      product,
      finding: null,
      asOf: run?.as_of ?? null,
      portalUrl: options.portalUrl,
    });
  }
  return buildEvidencePayload({
    product,
    finding: toStoredFinding(top),
    asOf: top.as_of,
    evidenceRows: await evidenceRows(db, customerId, top),
    portalUrl: options.portalUrl,
  });
}
