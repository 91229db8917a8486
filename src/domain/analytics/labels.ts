/**
 * One severity/confidence scale everywhere (analytics §9).
 */
import { reaches } from '../stats/numeric.ts';

/** Lower-case severity label as stored on findings. */
export type SeverityLabel = 'critical' | 'high' | 'medium' | 'low';

/** Confidence label (human form). */
export type ConfidenceLabel = 'Very High' | 'High' | 'Medium' | 'Low';

/** DenialScope / DelayGuard severity strings map onto the numeric scale (§9). */
export const SEVERITY_LEVEL_SCORE: Readonly<Record<SeverityLabel, number>> = {
  critical: 0.9,
  high: 0.75,
  medium: 0.5,
  low: 0.25,
};

/** Badge colours (§13.1). */
export const SEVERITY_COLOUR: Readonly<Record<SeverityLabel, string>> = {
  critical: '#b71c1c',
  high: '#d32f2f',
  medium: '#ff9800',
  low: '#2196f3',
};

/** Label of a (rounded) numeric severity: >= 0.9 critical, >= 0.7 high, >= 0.4 medium, else low. */
export function severityLabel(severity: number): SeverityLabel {
  if (reaches(severity, 0.9)) return 'critical';
  if (reaches(severity, 0.7)) return 'high';
  if (reaches(severity, 0.4)) return 'medium';
  return 'low';
}

/** Confidence label: >= 0.9 Very High, >= 0.75 High, >= 0.6 Medium, else Low. */
export function confidenceLabel(confidence: number): ConfidenceLabel {
  if (reaches(confidence, 0.9)) return 'Very High';
  if (reaches(confidence, 0.75)) return 'High';
  if (reaches(confidence, 0.6)) return 'Medium';
  return 'Low';
}

/** Machine outputs (API, webhooks, CSV): `CRITICAL`, `HIGH`, `MEDIUM`, `LOW`. */
export function severityLabelUpper(label: SeverityLabel): string {
  return label.toUpperCase();
}

/** Human outputs (pages, email, Slack, PDF, Excel): `Critical`, `High`, … */
export function severityLabelTitle(label: SeverityLabel): string {
  return label.charAt(0).toUpperCase() + label.slice(1);
}
