import type { Kysely } from 'kysely';
import type { AnalysisProduct, DB } from '../db/schema.ts';
import type { SimilarJudgment } from '../domain/alerts/similar-alerts.ts';

/**
 * Judgments behind the similar-alert context (alerts-reports §11): the up to 10 most recent other
 * findings of the customer with the same product, signal type, payer and subkey (CPT group for
 * DriftWatch, denial reason for DenialScope, none for DelayGuard), and the judgments on their
 * alert events. The message itself is chosen in domain/alerts/similar-alerts.ts.
 */

export interface SimilarKey {
  product: AnalysisProduct;
  signalType: string;
  payer: string;
  cptGroup: string | null;
  denialReason: string | null;
  /** The finding the context is for: never its own "similar" finding. */
  fingerprint: string;
}

export const SIMILAR_FINDINGS_LIMIT = 10;

/**
 * Two steps, both on the customer's rows only:
 * 1. the 10 newest (as_of desc, id desc) findings with the key and another fingerprint —
 *    `IS NOT DISTINCT FROM` so an absent subkey matches an absent subkey;
 * 2. the judgments of alerts carrying those fingerprints (one finding may have alerted for
 *    several rules; each judgment counts, the newest decides).
 */
export async function similarJudgments(
  db: Kysely<DB>,
  customerId: number,
  key: SimilarKey,
): Promise<SimilarJudgment[]> {
  const findings = await db
    .selectFrom('findings')
    .select('fingerprint')
    .where('customer_id', '=', customerId)
    .where('product', '=', key.product)
    .where('signal_type', '=', key.signalType)
    .where('payer', '=', key.payer)
    .where((eb) => eb('cpt_group', 'is not distinct from', key.cptGroup))
    .where((eb) => eb('denial_reason', 'is not distinct from', key.denialReason))
    .where('fingerprint', '<>', key.fingerprint)
    .orderBy('as_of', 'desc')
    .orderBy('id', 'desc')
    .limit(SIMILAR_FINDINGS_LIMIT)
    .execute();
  if (findings.length === 0) return [];
  const rows = await db
    .selectFrom('operator_judgments as j')
    .innerJoin('alert_events as a', (join) =>
      join.onRef('a.customer_id', '=', 'j.customer_id').onRef('a.id', '=', 'j.alert_event_id'),
    )
    .select(['j.id', 'j.alert_event_id', 'j.verdict', 'j.verdict_at', 'j.recovered_amount'])
    .where('j.customer_id', '=', customerId)
    .where(
      'a.finding_fingerprint',
      'in',
      findings.map((f) => f.fingerprint),
    )
    .execute();
  return rows.map((r) => ({
    id: r.id,
    alertId: r.alert_event_id,
    verdict: r.verdict,
    verdictAt: r.verdict_at,
    recoveredAmount: r.recovered_amount,
  }));
}
