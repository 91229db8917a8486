/**
 * Similar-alert context (alerts-reports §11): of the judgments on alerts of similar findings
 * (same customer, product, signal type, payer and subkey; the query collects them), the newest
 * by `verdict_at` decides the message. Pure.
 */

import { daysBetween } from '../analytics/dates.ts';
import { formatMoney } from '../analytics/format.ts';
import type { Verdict } from './feedback.ts';

/** `confirmed` = real, `pending` = needs follow-up (the §11 table's "Type"). */
export type SimilarAlertType = 'noise' | 'confirmed' | 'pending';

export interface SimilarJudgment {
  /** The judgment id breaks a tie on `verdict_at` (the later row wins). */
  id: number;
  alertId: number;
  verdict: Verdict;
  verdictAt: Date;
  /** Decimal string ("1500.00") or null. */
  recoveredAmount: string | null;
}

export interface SimilarAlertContext {
  type: SimilarAlertType;
  message: string;
  daysAgo: number;
  alertId: number;
  verdict: Verdict;
  verdictAt: Date;
  recoveredAmount: string | null;
}

const TYPE_OF: Readonly<Record<Verdict, SimilarAlertType>> = {
  noise: 'noise',
  real: 'confirmed',
  needs_followup: 'pending',
};

/** The §11 message for a verdict given `d` days ago (the spec's wording, "{d} days ago" for every d). */
export function similarAlertMessage(
  verdict: Verdict,
  daysAgo: number,
  recoveredAmount: string | null,
): string {
  switch (verdict) {
    case 'noise':
      return `Similar alert marked as noise ${daysAgo} days ago`;
    case 'real':
      return recoveredAmount === null
        ? `Similar alert confirmed real ${daysAgo} days ago`
        : `Similar alert confirmed real ${daysAgo} days ago (${formatMoney(recoveredAmount)} recovered)`;
    case 'needs_followup':
      return `Similar alert flagged for follow-up ${daysAgo} days ago (unresolved)`;
  }
}

/**
 * The context of the newest judgment, or null when there is none ("nothing shown"). `today` is
 * the UTC date; `d` = today minus the judgment's UTC date, never negative.
 */
export function similarAlertContext(
  judgments: readonly SimilarJudgment[],
  today: string,
): SimilarAlertContext | null {
  let newest: SimilarJudgment | null = null;
  for (const judgment of judgments) {
    if (
      newest === null ||
      judgment.verdictAt.getTime() > newest.verdictAt.getTime() ||
      (judgment.verdictAt.getTime() === newest.verdictAt.getTime() && judgment.id > newest.id)
    )
      newest = judgment;
  }
  if (newest === null) return null;
  const daysAgo = Math.max(0, daysBetween(newest.verdictAt.toISOString().slice(0, 10), today));
  return {
    type: TYPE_OF[newest.verdict],
    message: similarAlertMessage(newest.verdict, daysAgo, newest.recoveredAmount),
    daysAgo,
    alertId: newest.alertId,
    verdict: newest.verdict,
    verdictAt: newest.verdictAt,
    recoveredAmount: newest.recoveredAmount,
  };
}
