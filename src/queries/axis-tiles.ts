import type { Kysely } from 'kysely';
import { type AnalysisRunRecord, findLatestRun } from '../db/repositories/analysis-runs.repository.ts';
import { type FindingRecord, listLatestRunFindings } from '../db/repositories/findings.repository.ts';
import type { AnalysisProduct, DB } from '../db/schema.ts';

/** One product's Axis tile (§13.2) before presentation: its latest run and that run's findings. */
export interface AxisTileData {
  run: AnalysisRunRecord | undefined;
  /** Most severe first (the repository's order). */
  findings: FindingRecord[];
}

export async function loadAxisTile(
  db: Kysely<DB>,
  customerId: number,
  product: AnalysisProduct,
): Promise<AxisTileData> {
  const run = await findLatestRun(db, customerId, product);
  const latest = await listLatestRunFindings(db, customerId, product);
  return { run, findings: latest.findings };
}
