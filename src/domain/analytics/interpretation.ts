/**
 * "What this means" (analytics §12.3): urgency, plain language, action steps and noise flag,
 * derived from the evidence payload only.
 */
import { reaches } from '../stats/numeric.ts';
import type { EvidencePayload } from './evidence.ts';
import { LIKELY_CAUSES, type LikelyCause, type SignalType } from './findings.ts';
import { fixed, formatMoney, formatRate } from './format.ts';

/** Urgency levels. */
export type UrgencyLevel = 'high' | 'medium' | 'low';

/** Interpretation output. */
export interface Interpretation {
  readonly urgency_level: UrgencyLevel;
  readonly urgency_label: string;
  readonly plain_language: string;
  readonly historical_context: string | null;
  readonly action_steps: readonly string[];
  readonly is_likely_noise: boolean;
  readonly possible_causes: readonly LikelyCause[];
}

const URGENCY_LABEL: Readonly<Record<UrgencyLevel, string>> = {
  high: 'Investigate Today',
  medium: 'Review This Week',
  low: 'Monitor for Trend',
};

const CLOSING: Readonly<Record<UrgencyLevel, string>> = {
  high: 'This is a significant shift that warrants immediate attention.',
  medium: 'This is notable but not critical\u2014review when you can this week.',
  low: 'This is a small change\u2014watch for it to continue before acting.',
};

/** Signals whose Δ is a fraction, so the point thresholds of §12.3 apply. */
const RATE_UNIT_SIGNALS: ReadonlySet<SignalType> = new Set([
  'DENIAL_RATE',
  'PAYMENT_AMOUNT',
  'denial_rate_spike',
]);

/** Action steps by urgency ({entity} substituted). */
export function actionSteps(urgency: UrgencyLevel, entity: string): string[] {
  switch (urgency) {
    case 'high':
      return [
        `Pull 5\u201310 sample claims from ${entity} (listed on the deep dive).`,
        'Review denial reasons and payer correspondence for a common pattern.',
        `Check for recent contract, policy or fee-schedule updates from ${entity}.`,
        'Brief your billing team today.',
        `Consider contacting your ${entity} provider representative.`,
      ];
    case 'medium':
      return [
        'Review the evidence table for the affected codes and reasons.',
        'Compare with previous weeks to see if the change continues.',
        'Schedule a review with billing leadership this week.',
        'Document the finding for your next contract discussion.',
      ];
    case 'low':
      return [
        'Note this change for awareness.',
        'No immediate action is needed.',
        "Watch next week's results for continuation.",
        'If it continues for 2\u20133 weeks, treat it as medium urgency.',
      ];
  }
}

/** Likely causes shown as "Possible causes" for a signal (§5.4; DenialScope uses DENIAL_RATE's). */
export function likelyCausesFor(signal: SignalType): readonly LikelyCause[] {
  switch (signal) {
    case 'DENIAL_RATE':
    case 'PAYMENT_AMOUNT':
    case 'DECISION_TIME':
    case 'payment_delay_drift':
      return LIKELY_CAUSES[signal];
    default:
      return LIKELY_CAUSES.DENIAL_RATE;
  }
}

/** Urgency of §12.3: severity first, then (rate-unit signals only) the size of |Δ|. */
export function urgencyOf(severity: number, signal: SignalType, delta: number): UrgencyLevel {
  const rateUnit = RATE_UNIT_SIGNALS.has(signal);
  const abs = Math.abs(delta);
  if (reaches(severity, 0.7) || (rateUnit && reaches(abs, 0.1))) return 'high';
  if (reaches(severity, 0.4) || (rateUnit && reaches(abs, 0.05))) return 'medium';
  return 'low';
}

function valueByUnit(value: number, unit: EvidencePayload['unit']): string {
  switch (unit) {
    case 'rate':
      return formatRate(value);
    case 'count_per_day':
      return `${fixed(value, 1)}/day`;
    case 'days':
      return `${fixed(value, 1)} days`;
    default:
      return fixed(value, 1);
  }
}

function plainLanguage(p: EvidencePayload, signal: SignalType, urgency: UrgencyLevel): string {
  const X = CLOSING[urgency];
  const payer = p.payer ?? '-';
  const group = p.cpt_group ?? '';
  const reason = p.denial_reason ?? '';
  const b = p.baseline_value ?? 0;
  const c = p.current_value ?? 0;
  const d = p.delta ?? 0;
  switch (signal) {
    case 'DENIAL_RATE': {
      const up = d > 0;
      return `${payer}'s denial rate for ${group} has ${up ? 'increased' : 'decreased'} by ${fixed(Math.abs(d) * 100, 1)} percentage points. This means ${up ? 'more of your claims are being denied' : "fewer claims are being denied (good news, verify it's real)"}. ${X}`;
    }
    case 'DECISION_TIME':
      return `${payer} is taking ${fixed(Math.abs(d), 1)} days ${d > 0 ? 'longer' : 'less'} to decide ${group} claims (median ${fixed(b, 1)} \u2192 ${fixed(c, 1)} days). ${X}`;
    case 'PAYMENT_AMOUNT':
      return `${payer} is paying ${fixed(d * 100, 1)} points less of the allowed amount on ${group} claims. This can mean a fee-schedule change, bundling, or a contract not being honoured. ${X}`;
    case 'new_denial_reason':
      return `${payer} started denying claims with reason ${reason} (${p.current_count ?? c} denials in the last 7 days, none in the 3 weeks before). New reasons often follow a payer policy or edit change. ${X}`;
    case 'denial_rate_spike':
    case 'denial_volume_spike':
      return `${payer} is denying more claims for ${reason} (${valueByUnit(b, p.unit)} \u2192 ${valueByUnit(c, p.unit)}). ${X}`;
    case 'denial_dollars_spike':
      if (urgency === 'high') {
        return `There's a significant spike in denial dollars from ${p.entity_label}. This could indicate a contract change, policy update, or systemic coding issue that needs investigation today.`;
      }
      if (urgency === 'medium') {
        return `Denial dollars from ${p.entity_label} have increased above normal variance. This is worth reviewing this week to understand the cause.`;
      }
      return `Minor increase in denial dollars from ${p.entity_label}. Monitor this payer for continued variance.`;
    case 'payment_delay_drift': {
      const risk = p.estimated_impact === null ? 'an unknown amount' : formatMoney(p.estimated_impact);
      return `${payer} is paying ${fixed(d, 1)} days slower than usual (${fixed(b, 1)} \u2192 ${fixed(c, 1)} days), with about ${risk} of cash at risk. ${X}`;
    }
    default:
      return `A change has been detected for ${p.entity_label} that falls outside normal patterns. Review the evidence to understand the cause.`;
  }
}

/**
 * Interprets an evidence payload. `similarAlertMessage` is the similar-alert context of
 * alerts-reports §11 when one exists (it replaces the severity-based historical context).
 */
export function interpret(
  payload: EvidencePayload | null,
  similarAlertMessage?: string | null,
): Interpretation {
  if (!payload || payload.signal_type === null || payload.severity === null) {
    return {
      urgency_level: 'medium',
      urgency_label: URGENCY_LABEL.medium,
      plain_language: 'This signal indicates a change in payer behavior that falls outside normal patterns.',
      historical_context: null,
      action_steps: actionSteps('medium', payload?.entity_label ?? '-'),
      is_likely_noise: false,
      possible_causes: [],
    };
  }
  const signal = payload.signal_type;
  const severity = payload.severity;
  const delta = payload.delta ?? 0;
  const urgency = urgencyOf(severity, signal, delta);
  const rateUnit = RATE_UNIT_SIGNALS.has(signal);
  const isNoise = !reaches(severity, 0.3) && (!rateUnit || !reaches(Math.abs(delta), 0.05));
  const context =
    similarAlertMessage ??
    (reaches(severity, 0.7)
      ? "This appears to be a new or escalating pattern that hasn't been seen at this level recently."
      : reaches(severity, 0.4)
        ? 'Similar signals have been detected before. Compare to previous alerts for this payer.'
        : 'This is a minor variance that may resolve on its own. Watch for continuation.');
  return {
    urgency_level: urgency,
    urgency_label: URGENCY_LABEL[urgency],
    plain_language: plainLanguage(payload, signal, urgency),
    historical_context: context,
    action_steps: actionSteps(urgency, payload.entity_label),
    is_likely_noise: isNoise,
    possible_causes: likelyCausesFor(signal),
  };
}
