import type { Kysely } from 'kysely';
import type { FindingRecord } from '../db/repositories/findings.repository.ts';
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

type KeyedFinding = Pick<
  FindingRecord,
  'id' | 'product' | 'signal_type' | 'payer' | 'cpt_group' | 'denial_reason' | 'fingerprint'
>;

function keyText(f: Omit<KeyedFinding, 'id' | 'fingerprint'>): string {
  return JSON.stringify([f.product, f.signal_type, f.payer, f.cpt_group, f.denial_reason]);
}

/**
 * The same judgments as {@link similarJudgments} for many findings at once (the dashboards'
 * tables): one query for every finding sharing a key with one of them (newest first), the 10
 * newest others per finding chosen here, then one query for the judgments of their alerts.
 */
export async function similarJudgmentsOfFindings(
  db: Kysely<DB>,
  customerId: number,
  findings: readonly KeyedFinding[],
): Promise<Map<number, SimilarJudgment[]>> {
  const result = new Map<number, SimilarJudgment[]>(findings.map((f) => [f.id, []]));
  if (findings.length === 0) return result;
  const keys = [...new Map(findings.map((f) => [keyText(f), f])).values()];
  const candidates = await db
    .selectFrom('findings')
    .select(['fingerprint', 'product', 'signal_type', 'payer', 'cpt_group', 'denial_reason'])
    .where('customer_id', '=', customerId)
    .where((eb) =>
      eb.or(
        keys.map((k) =>
          eb.and([
            eb('product', '=', k.product),
            eb('signal_type', '=', k.signal_type),
            eb('payer', '=', k.payer),
            eb('cpt_group', 'is not distinct from', k.cpt_group),
            eb('denial_reason', 'is not distinct from', k.denial_reason),
          ]),
        ),
      ),
    )
    .orderBy('as_of', 'desc')
    .orderBy('id', 'desc')
    .execute();
  const byKey = new Map<string, string[]>();
  for (const c of candidates) {
    const list = byKey.get(keyText(c)) ?? [];
    list.push(c.fingerprint);
    byKey.set(keyText(c), list);
  }
  const similarOf = new Map<number, Set<string>>();
  for (const f of findings) {
    const others = (byKey.get(keyText(f)) ?? [])
      .filter((fp) => fp !== f.fingerprint)
      .slice(0, SIMILAR_FINDINGS_LIMIT);
    similarOf.set(f.id, new Set(others));
  }
  const fingerprints = [...new Set([...similarOf.values()].flatMap((s) => [...s]))];
  if (fingerprints.length === 0) return result;
  const rows = await db
    .selectFrom('operator_judgments as j')
    .innerJoin('alert_events as a', (join) =>
      join.onRef('a.customer_id', '=', 'j.customer_id').onRef('a.id', '=', 'j.alert_event_id'),
    )
    .select([
      'j.id',
      'j.alert_event_id',
      'j.verdict',
      'j.verdict_at',
      'j.recovered_amount',
      'a.finding_fingerprint',
    ])
    .where('j.customer_id', '=', customerId)
    .where('a.finding_fingerprint', 'in', fingerprints)
    .execute();
  for (const f of findings) {
    const mine = similarOf.get(f.id) ?? new Set<string>();
    result.set(
      f.id,
      rows
        .filter((r) => mine.has(r.finding_fingerprint))
        .map((r) => ({
          id: r.id,
          alertId: r.alert_event_id,
          verdict: r.verdict,
          verdictAt: r.verdict_at,
          recoveredAmount: r.recovered_amount,
        })),
    );
  }
  return result;
}
