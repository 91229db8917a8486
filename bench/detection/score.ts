/**
 * Scoring detections against the planted truth (pure). An entity is what a signal is about:
 * a cell `payer | cpt_group` for DriftWatch, a key `payer | reason` for DenialScope, a payer for
 * DelayGuard. For every product and signal:
 *
 * - true positive: a detection of a planted change on its entity in its direction;
 * - false positive: any other detection, except on a *neutral* entity (one touched by a planted
 *   change that this signal may legitimately see, e.g. DenialScope keys of a payer whose denial
 *   rate doubled in some cells): those are counted apart and never scored;
 * - false negative: a planted change with no true positive;
 * - unchanged entities: the product's entities that are neither planted nor neutral for the
 *   signal; "false alarms per unchanged entity" is FP / unchanged.
 *
 * A product's total sums its signals; its `unchanged` counts (entity, signal) pairs, so its
 * false-alarm rate is per unchanged entity and signal (× the signal count: per entity).
 */
import type { History } from './generator.ts';
import { cellKey } from './generator.ts';

export type ProductSlug = 'driftwatch' | 'denialscope' | 'delayguard';
export type Direction = 'degrading' | 'improving';

/** Signals per product, in display order. */
export const PRODUCT_SIGNALS: Readonly<Record<ProductSlug, readonly string[]>> = {
  driftwatch: ['DENIAL_RATE', 'DECISION_TIME', 'PAYMENT_AMOUNT'],
  denialscope: ['new_denial_reason', 'denial_rate_spike', 'denial_dollars_spike', 'denial_volume_spike'],
  delayguard: ['payment_delay_drift'],
};

export const PRODUCTS = Object.keys(PRODUCT_SIGNALS) as ProductSlug[];

/** A finding (or an emerging candidate) reduced to what is scored. */
export interface Detection {
  readonly product: ProductSlug;
  readonly signal: string;
  readonly entity: string;
  /** null when the source does not say (then any direction matches). */
  readonly direction: Direction | null;
}

/** A planted change as one signal should report it. */
export interface Expected {
  readonly product: ProductSlug;
  readonly signal: string;
  readonly entity: string;
  readonly direction: Direction;
}

export interface Neutral {
  readonly product: ProductSlug;
  /** Signals for which the entity is neutral ('*': all of the product's). */
  readonly signals: readonly string[] | '*';
  readonly entity: string;
}

/** The truth of one history: what must be found, what is neutral, every entity per product. */
export interface Truth {
  readonly expected: readonly Expected[];
  readonly neutral: readonly Neutral[];
  readonly universe: Readonly<Record<ProductSlug, readonly string[]>>;
}

/** Counts of one signal (or a product total) in one or more runs. */
export interface Counts {
  truth: number;
  tp: number;
  fp: number;
  fn: number;
  /** Detections on neutral entities (not scored). */
  neutral: number;
  unchanged: number;
}

export function emptyCounts(): Counts {
  return { truth: 0, tp: 0, fp: 0, fn: 0, neutral: 0, unchanged: 0 };
}

export function addCounts(into: Counts, c: Counts): void {
  into.truth += c.truth;
  into.tp += c.tp;
  into.fp += c.fp;
  into.fn += c.fn;
  into.neutral += c.neutral;
  into.unchanged += c.unchanged;
}

/** null when undefined (0/0). */
export function precision(c: Counts): number | null {
  return c.tp + c.fp === 0 ? null : c.tp / (c.tp + c.fp);
}
export function recall(c: Counts): number | null {
  return c.truth === 0 ? null : c.tp / c.truth;
}
export function falseAlarmRate(c: Counts): number | null {
  return c.unchanged === 0 ? null : c.fp / c.unchanged;
}

/** Classification of one detection (kept in the JSON result). */
export interface ClassifiedDetection extends Detection {
  readonly verdict: 'tp' | 'fp' | 'neutral' | 'duplicate';
}

export interface SignalScore {
  readonly counts: Counts;
  /** Planted entities found (for detection over consecutive runs). */
  readonly found: readonly string[];
}

export interface RunScore {
  /** `product/signal` → score. */
  readonly signals: Readonly<Record<string, SignalScore>>;
  /** `product` → sums over its signals (unchanged: entity × signal pairs). */
  readonly products: Readonly<Record<string, Counts>>;
  readonly detections: readonly ClassifiedDetection[];
}

function isNeutral(truth: Truth, product: ProductSlug, signal: string, entity: string): boolean {
  return truth.neutral.some(
    (n) => n.product === product && n.entity === entity && (n.signals === '*' || n.signals.includes(signal)),
  );
}

/** Scores the detections of one run against the truth. */
export function scoreRun(truth: Truth, detections: readonly Detection[]): RunScore {
  const signals: Record<string, SignalScore> = {};
  const products: Record<string, Counts> = {};
  const classified: ClassifiedDetection[] = [];
  for (const product of PRODUCTS) {
    const universe = truth.universe[product];
    const total = emptyCounts();
    for (const signal of PRODUCT_SIGNALS[product]) {
      const expected = truth.expected.filter((e) => e.product === product && e.signal === signal);
      const expectedEntities = new Set(expected.map((e) => e.entity));
      const found = new Set<string>();
      const seen = new Set<string>();
      const counts = emptyCounts();
      counts.truth = expected.length;
      for (const d of detections) {
        if (d.product !== product || d.signal !== signal) continue;
        const id = `${d.entity}\u0000${d.direction}`;
        if (seen.has(id)) {
          classified.push({ ...d, verdict: 'duplicate' });
          continue;
        }
        seen.add(id);
        const match = expected.find(
          (e) => e.entity === d.entity && (d.direction === null || d.direction === e.direction),
        );
        if (match && !found.has(match.entity)) {
          found.add(match.entity);
          counts.tp++;
          classified.push({ ...d, verdict: 'tp' });
        } else if (!match && isNeutral(truth, product, signal, d.entity)) {
          counts.neutral++;
          classified.push({ ...d, verdict: 'neutral' });
        } else {
          counts.fp++;
          classified.push({ ...d, verdict: 'fp' });
        }
      }
      counts.fn = counts.truth - counts.tp;
      counts.unchanged = universe.filter(
        (entity) => !expectedEntities.has(entity) && !isNeutral(truth, product, signal, entity),
      ).length;
      signals[`${product}/${signal}`] = { counts, found: [...found].sort() };
      addCounts(total, counts);
    }
    products[product] = total;
  }
  return { signals, products, detections: classified };
}

/** The DriftWatch signal that reports each cell-level change. */
const CELL_SIGNAL = {
  denial_rate: 'DENIAL_RATE',
  decision_delay: 'DECISION_TIME',
  underpayment: 'PAYMENT_AMOUNT',
} as const;

/**
 * The truth of a history: expected detections and neutral entities from its planted effects,
 * and every entity per product (cells; payer × reasons in the payer's mix plus planted new
 * reasons; payers).
 */
export function truthOf(history: History): Truth {
  const expected: Expected[] = [];
  const neutral: Neutral[] = [];
  const cellsOfPayer = (payer: string): string[] => history.groups.map((g) => cellKey(payer, g.name));
  const keysOfPayer = (payer: string): string[] => {
    const profile = history.payers.find((p) => p.name === payer);
    return (profile?.reasons ?? []).map((r) => cellKey(payer, r.code));
  };
  for (const effect of history.planted) {
    switch (effect.kind) {
      case 'denial_rate':
      case 'decision_delay':
      case 'underpayment': {
        for (const c of effect.cells) {
          expected.push({
            product: 'driftwatch',
            signal: CELL_SIGNAL[effect.kind],
            entity: cellKey(c.payer, c.cptGroup),
            direction: 'degrading',
          });
        }
        const payers = new Set(effect.cells.map((c) => c.payer));
        // More denials of the payer: its reason keys may legitimately spike.
        if (effect.kind === 'denial_rate')
          for (const payer of payers)
            for (const key of keysOfPayer(payer))
              neutral.push({ product: 'denialscope', signals: '*', entity: key });
        // Payments move with decisions: the payer's payment delay really grew (in some cells).
        if (effect.kind === 'decision_delay')
          for (const payer of payers) neutral.push({ product: 'delayguard', signals: '*', entity: payer });
        break;
      }
      case 'payment_lag':
        for (const payer of effect.payers) {
          expected.push({
            product: 'delayguard',
            signal: 'payment_delay_drift',
            entity: payer,
            direction: 'degrading',
          });
        }
        break;
      case 'new_denial_reason':
      case 'reason_spike': {
        const key = cellKey(effect.payer, effect.reason);
        const signals =
          effect.kind === 'new_denial_reason'
            ? ['new_denial_reason']
            : ['denial_rate_spike', effect.allowedOnDenials ? 'denial_dollars_spike' : 'denial_volume_spike'];
        for (const signal of signals)
          expected.push({ product: 'denialscope', signal, entity: key, direction: 'degrading' });
        // The payer's denial rate really rose (spread over its cells).
        for (const cell of cellsOfPayer(effect.payer))
          neutral.push({ product: 'driftwatch', signals: ['DENIAL_RATE'], entity: cell });
        break;
      }
    }
  }
  const denialKeys = history.payers.flatMap((p) => keysOfPayer(p.name));
  for (const effect of history.planted) {
    if (effect.kind === 'new_denial_reason') denialKeys.push(cellKey(effect.payer, effect.reason));
  }
  return {
    expected,
    neutral,
    universe: {
      driftwatch: history.payers.flatMap((p) => cellsOfPayer(p.name)),
      denialscope: denialKeys,
      delayguard: history.payers.map((p) => p.name),
    },
  };
}
