/**
 * DriftWatch backtest (analytics §10.3): replay weekly runs over today's rollups and group
 * consecutive weekly detections into episodes. Pure; produces no findings.
 */
import { addDays, daysBetween, type HistoryCoverage, weekday } from './dates.ts';
import { runDriftWatch } from './driftwatch.ts';
import type { Direction, DriftSignal, FindingDraft, JsonObject, Sensitivity } from './findings.ts';
import { type SeverityLabel, severityLabel } from './labels.ts';
import { compareText, type DailyRollupRow } from './rollups.ts';

/** Longest allowed backtest span (§10.3): 104 weeks. */
export const BACKTEST_MAX_WEEKS = 104;

/** Validation problem of a backtest request, or null when valid. */
export function validateBacktestRange(from: string, to: string, today: string): string | null {
  if (from > to) return 'from must be on or before to';
  if (to > today) return 'to must not be in the future';
  if (daysBetween(from, to) > BACKTEST_MAX_WEEKS * 7)
    return `from and to must be at most ${BACKTEST_MAX_WEEKS} weeks apart`;
  return null;
}

/** Every Monday in `[from, to]` (inclusive). */
export function mondaysBetween(from: string, to: string): string[] {
  const out: string[] = [];
  const offset = (8 - weekday(from)) % 7; // 1 = Monday
  for (let d = addDays(from, offset); d <= to; d = addDays(d, 7)) out.push(d);
  return out;
}

/** One replayed week. */
export interface BacktestWeek extends JsonObject {
  readonly as_of: string;
  readonly findings: number;
  readonly by_signal: Readonly<Record<string, number>>;
}

/** A detection episode of `(payer, cpt_group, signal_type, direction)`. */
export interface BacktestEpisode extends JsonObject {
  readonly payer: string;
  readonly cpt_group: string;
  readonly signal_type: DriftSignal;
  readonly direction: Direction;
  readonly first_detected_as_of: string;
  readonly last_detected_as_of: string;
  readonly weeks_detected: number;
  readonly first_severity: number;
  readonly first_severity_label: SeverityLabel;
  readonly max_severity: number;
  readonly max_severity_label: SeverityLabel;
  readonly first_delta: number;
  readonly first_q_value: number | null;
}

/** Backtest result stored in `summary_json`. */
export interface BacktestResult extends JsonObject {
  readonly weeks: readonly BacktestWeek[];
  readonly episodes: readonly BacktestEpisode[];
}

interface OpenEpisode {
  first: FindingDraft;
  firstAsOf: string;
  lastAsOf: string;
  weeks: number;
  max: number;
}

/**
 * Replays DriftWatch for every Monday in `[from, to]` with the normal parameters. Consecutive
 * weekly detections of a key form one episode; a gap of one or more weeks starts a new one.
 */
export function runBacktest(
  rows: readonly DailyRollupRow[],
  options: {
    readonly customerId: string | number;
    readonly from: string;
    readonly to: string;
    readonly sensitivity?: Sensitivity;
    /** The customer's history (maturity rule), as a normal run at `from` would read it. */
    readonly history?: HistoryCoverage;
  },
): BacktestResult {
  const weeks: BacktestWeek[] = [];
  const open = new Map<string, OpenEpisode>();
  const closed: OpenEpisode[] = [];
  for (const asOf of mondaysBetween(options.from, options.to)) {
    const run = runDriftWatch(rows, {
      customerId: options.customerId,
      asOf,
      ...(options.sensitivity ? { sensitivity: options.sensitivity } : {}),
      ...(options.history ? { history: options.history } : {}),
    });
    weeks.push({ as_of: asOf, findings: run.findings.length, by_signal: run.summary.findings_by_signal });
    const previousWeek = addDays(asOf, -7);
    for (const f of run.findings) {
      const key = JSON.stringify([f.payer, f.cpt_group, f.signal_type, f.direction]);
      const ep = open.get(key);
      if (ep && ep.lastAsOf === previousWeek) {
        ep.lastAsOf = asOf;
        ep.weeks += 1;
        ep.max = Math.max(ep.max, f.severity);
      } else {
        if (ep) closed.push(ep);
        open.set(key, { first: f, firstAsOf: asOf, lastAsOf: asOf, weeks: 1, max: f.severity });
      }
    }
  }
  const episodes = [...closed, ...open.values()]
    .map(
      (ep): BacktestEpisode => ({
        payer: ep.first.payer,
        cpt_group: ep.first.cpt_group ?? '',
        signal_type: ep.first.signal_type as DriftSignal,
        direction: ep.first.direction,
        first_detected_as_of: ep.firstAsOf,
        last_detected_as_of: ep.lastAsOf,
        weeks_detected: ep.weeks,
        first_severity: ep.first.severity,
        first_severity_label: ep.first.severity_label,
        max_severity: ep.max,
        max_severity_label: severityLabel(ep.max),
        first_delta: ep.first.delta_value,
        first_q_value: ep.first.q_value,
      }),
    )
    .sort(
      (a, b) =>
        compareText(a.first_detected_as_of, b.first_detected_as_of) ||
        compareText(a.payer, b.payer) ||
        compareText(a.cpt_group, b.cpt_group) ||
        compareText(a.signal_type, b.signal_type),
    );
  return { weeks, episodes };
}
