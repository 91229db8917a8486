/**
 * One-sentence explanations (analytics §12.2), also stored as `summary_text`.
 */
import {
  fixed,
  formatMoney,
  formatRate,
  formatRateDelta,
  formatRelativeChange,
  signedFixed,
} from './format.ts';

/** DENIAL_RATE: "Denial rate for {payer} ({group}) moved from {b%} to {c%} ({Δpts})." */
export function denialRateSentence(payer: string, group: string, b: number, c: number): string {
  return `Denial rate for ${payer} (${group}) moved from ${formatRate(b)} to ${formatRate(c)} (${formatRateDelta(c - b)}).`;
}

/** DECISION_TIME: "Median decision time for {payer} ({group}) moved from {b:.1f} to {c:.1f} days ({Δ:+.1f} days)." */
export function decisionTimeSentence(payer: string, group: string, b: number, c: number): string {
  return `Median decision time for ${payer} (${group}) moved from ${fixed(b, 1)} to ${fixed(c, 1)} days (${signedFixed(c - b, 1)} days).`;
}

/** PAYMENT_AMOUNT: "Average underpayment for {payer} ({group}) rose from {b%} to {c%} of allowed ({Δpts})." */
export function underpaymentSentence(payer: string, group: string, b: number, c: number): string {
  return `Average underpayment for ${payer} (${group}) rose from ${formatRate(b)} to ${formatRate(c)} of allowed (${formatRateDelta(c - b)}).`;
}

/** new_denial_reason: "New denial reason '{reason}' appeared for {payer} with {n} denials." */
export function newDenialReasonSentence(payer: string, reason: string, n: number): string {
  return `New denial reason '${reason}' appeared for ${payer} with ${n} denials.`;
}

/** denial_rate_spike: "Denial rate spiked for {payer} ({reason}) from {b%} to {c%}." */
export function denialRateSpikeSentence(payer: string, reason: string, b: number, c: number): string {
  return `Denial rate spiked for ${payer} (${reason}) from ${formatRate(b)} to ${formatRate(c)}.`;
}

/** denial_dollars_spike: "... from {$b}/day to {$c}/day ({rel:+.1%})." (daily amounts in cents). */
export function denialDollarsSpikeSentence(
  payer: string,
  reason: string,
  dailyBaselineCents: bigint,
  dailyRecentCents: bigint,
  rel: number,
): string {
  return `Denial dollars spiked for ${payer} (${reason}) from ${formatMoney(dailyBaselineCents)}/day to ${formatMoney(dailyRecentCents)}/day (${formatRelativeChange(rel)}).`;
}

/** denial_volume_spike: "... from {b:.1f}/day to {c:.1f}/day ({rel:+.1%})." */
export function denialVolumeSpikeSentence(
  payer: string,
  reason: string,
  b: number,
  c: number,
  rel: number,
): string {
  return `Denial volume spiked for ${payer} (${reason}) from ${fixed(b, 1)}/day to ${fixed(c, 1)}/day (${formatRelativeChange(rel)}).`;
}

/** payment_delay_drift (§7.1 step 9): "{payer} payment latency increased from {b:.1f} to {c:.1f} days ({Δ:+.1f} days, {Δ%:+.1f}%)". */
export function paymentDelaySentence(payer: string, b: number, c: number, deltaPct: number): string {
  return `${payer} payment latency increased from ${fixed(b, 1)} to ${fixed(c, 1)} days (${signedFixed(c - b, 1)} days, ${signedFixed(deltaPct, 1)}%)`;
}
