/**
 * Recovery ledger (alerts-reports §11): sums of the recovered amounts operators recorded, over
 * this UTC month, the last 30 days and all time, plus the 5 newest recoveries. Pure; money is
 * summed in integer cents (bigint) and handed out as decimal strings ("30200.50"), never floats.
 *
 * Every judgment with an amount is one recovery (two operators recording an amount on the same
 * alert are two recoveries); `count` is the number of such judgments in the period.
 */

import { addDays } from '../analytics/dates.ts';
import { formatCentsDecimal, parseCents } from '../analytics/money.ts';

export interface Recovery {
  judgmentId: number;
  alertId: number;
  payer: string;
  product: string;
  /** numeric(12,2) as read: "25000.50". */
  amount: string;
  /** YYYY-MM-DD. */
  recoveredDate: string;
}

export interface LedgerPeriod {
  /** Decimal string with 2 decimals; "0.00" when nothing was recovered. */
  total: string;
  count: number;
  /** First day included (null for all time). */
  since: string | null;
}

export interface RecoveryLedger {
  thisMonth: LedgerPeriod;
  last30Days: LedgerPeriod;
  allTime: LedgerPeriod;
  /** The 5 newest by recovered date (ties: the later judgment first). */
  recent: Recovery[];
}

export const RECENT_RECOVERIES = 5;

/** First day of the UTC month of `today` (YYYY-MM-DD). */
export function firstOfMonth(today: string): string {
  return `${today.slice(0, 7)}-01`;
}

function period(recoveries: readonly Recovery[], since: string | null): LedgerPeriod {
  let cents = 0n;
  let count = 0;
  for (const r of recoveries) {
    if (since !== null && r.recoveredDate < since) continue;
    cents += parseCents(r.amount);
    count += 1;
  }
  return { total: formatCentsDecimal(cents), count, since };
}

/**
 * The ledger as of `today` (UTC date): this month = recovered_date ≥ the 1st of the month,
 * last 30 days = recovered_date ≥ today − 30. Recoveries dated after today (none pass the
 * feedback validation, but a clock may differ) count in every period.
 */
export function recoveryLedger(recoveries: readonly Recovery[], today: string): RecoveryLedger {
  const recent = [...recoveries]
    .sort((a, b) =>
      a.recoveredDate === b.recoveredDate
        ? b.judgmentId - a.judgmentId
        : a.recoveredDate < b.recoveredDate
          ? 1
          : -1,
    )
    .slice(0, RECENT_RECOVERIES);
  return {
    thisMonth: period(recoveries, firstOfMonth(today)),
    last30Days: period(recoveries, addDays(today, -30)),
    allTime: period(recoveries, null),
    recent,
  };
}
