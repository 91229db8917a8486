/**
 * Suppression (alerts-reports §6): decided once, before an alert's first delivery, from the
 * history of the same key `(customer, product, signal_type, entity_key)`. Pure: the caller
 * passes the key's other alerts and their judgments; nothing from another key or customer may
 * be in the input (the repository reads by key).
 */

export type FindingSeverityLabel = 'critical' | 'high' | 'medium' | 'low';

export const COOLDOWN_MS = 4 * 60 * 60 * 1000;
export const NOISE_MEMORY_MS = 30 * 24 * 60 * 60 * 1000;
/** Distinct findings judged noise that trigger noise memory. */
export const NOISE_MEMORY_FINDINGS = 2;

const SEVERITY_RANK: Readonly<Record<FindingSeverityLabel, number>> = {
  low: 1,
  medium: 2,
  high: 3,
  critical: 4,
};

/** The suppression key's entity part: lower-cased `payer|subkey` (§6). */
export function suppressionEntityKey(payer: string, subkey: string | null): string {
  return `${payer}|${subkey ?? ''}`.toLocaleLowerCase('en-US');
}

/** Another alert of the same key. */
export interface KeyHistoryAlert {
  readonly id: number;
  readonly finding_fingerprint: string;
  readonly severity_label: FindingSeverityLabel;
  readonly suppressed: boolean;
  /** First successful delivery, or the suppression time; null while never notified. */
  readonly notification_sent_at: Date | null;
}

/** A judgment on an alert of the same key (one row per operator; its current verdict). */
export interface KeyJudgment {
  readonly alert_event_id: number;
  readonly finding_fingerprint: string;
  readonly verdict: 'noise' | 'real' | 'needs_followup';
  readonly verdict_at: Date;
}

export type SuppressionDecision =
  | { readonly suppressed: false; readonly escalation: boolean }
  | { readonly suppressed: true; readonly reason: 'cooldown' | 'noise_memory' };

export interface SuppressionInput {
  readonly now: Date;
  readonly alert: { readonly id: number; readonly severity_label: FindingSeverityLabel };
  readonly history: readonly KeyHistoryAlert[];
  readonly judgments: readonly KeyJudgment[];
}

/** The most recent alert of the key that was actually delivered (not suppressed, notified). */
function lastDelivered(history: readonly KeyHistoryAlert[]): KeyHistoryAlert | null {
  let best: KeyHistoryAlert | null = null;
  for (const h of history) {
    if (h.suppressed || h.notification_sent_at === null) continue;
    if (!best || (best.notification_sent_at as Date).getTime() < h.notification_sent_at.getTime()) best = h;
  }
  return best;
}

/** Escalation → cooldown (4 h, rolling) → noise memory (≥ 2 findings judged noise in 30 days). */
export function decideSuppression(input: SuppressionInput): SuppressionDecision {
  const now = input.now.getTime();
  const others = input.history.filter((h) => h.id !== input.alert.id);

  // 1. Escalation: a higher label than the last delivered alert of the key is always delivered.
  const delivered = lastDelivered(others);
  if (delivered && SEVERITY_RANK[input.alert.severity_label] > SEVERITY_RANK[delivered.severity_label]) {
    return { suppressed: false, escalation: true };
  }

  // 2. Cooldown: any notification (suppressed ones too, so it rolls) less than 4 h ago.
  const inCooldown = others.some((h) => {
    if (h.notification_sent_at === null) return false;
    const age = now - h.notification_sent_at.getTime();
    return age >= 0 && age < COOLDOWN_MS;
  });
  if (inCooldown) return { suppressed: true, reason: 'cooldown' };

  // 3. Noise memory: distinct findings (not alerts: one finding may alert through two rules).
  const noiseFindings = new Set<string>();
  for (const j of input.judgments) {
    if (j.alert_event_id === input.alert.id || j.verdict !== 'noise') continue;
    const age = now - j.verdict_at.getTime();
    if (age >= 0 && age < NOISE_MEMORY_MS) noiseFindings.add(j.finding_fingerprint);
  }
  if (noiseFindings.size >= NOISE_MEMORY_FINDINGS) return { suppressed: true, reason: 'noise_memory' };

  return { suppressed: false, escalation: false };
}
