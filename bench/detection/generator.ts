/**
 * The detection benchmark's generator: seeded claim histories of one customer with known
 * ("planted") payer behaviour changes, for scoring the detectors against the truth.
 *
 * The world: P payers × G CPT groups = cells. Every cell receives a Poisson number of claims
 * per submission day (mean N/7 for N claims per cell per week) and has its own base denial
 * probability (uniform 5–15 %). A claim's adjudication takes a log-normal number of whole days
 * (≥ 1) that depends on its outcome (PAID slower than DENIED); a PAID claim is paid 0–5 days
 * after its decision, usually the allowed amount, sometimes less (a small underpayment mix). A
 * denied claim carries a CARC-like reason code drawn from its payer's own mix. One payer (the
 * last) reports no allowed amount on denied claims, as some 835 feeds do, so DenialScope judges
 * its reasons on counts.
 *
 * A history holds the *eventual* fate of every submitted claim; what a customer's export holds
 * at a run date is `visibleAt(history, asOf)`: only claims decided before `asOf`, with a
 * payment date only when it is before `asOf` (right-censoring, as in every real export).
 *
 * Planted changes (each in its own random stream, so the base world of a seed is the same in
 * every scenario):
 * - `denial_rate`: in k cells the denial probability is multiplied by `factor` for claims
 *   decided (or submitted) on/after `from`: a PAID claim becomes DENIED with probability
 *   (factor − 1)·p/(1 − p), keeping its decision date, so the share of denials among the
 *   decisions of a day (or among the claims of a submission day) becomes factor·p.
 * - `decision_delay`: in k cells decisions take `days` longer: claims whose decision would fall
 *   on/after `from` (by 'decided'), or claims submitted on/after `from` (by 'submitted').
 *   Payment dates move with the decision.
 * - `payment_lag`: for k payers, PAID claims decided on/after `from` are paid `days` later.
 * - `underpayment`: in k cells PAID claims decided on/after `from` are paid `extraRatio` of
 *   allowed less.
 * - `new_denial_reason`: a payer starts using a code it never used: exactly `claims` of its
 *   PAID claims decided in [from, until) become DENIED with that code.
 * - `reason_spike`: a payer's most frequent reason is used `factor` times as often for claims
 *   decided on/after `from` (PAID claims become DENIED with that reason with probability
 *   (factor − 1)·p·share/(1 − p)); on a payer that reports allowed amounts on denials (a dollar
 *   spike) or on the one that does not (a count spike).
 */
import { toEpochDay } from '../../src/domain/analytics/dates.ts';
import { normal, poisson, shuffled, stream, type Uniform } from './random.ts';

/** Log-normal decision times (days from submission to adjudication) by outcome. */
export interface DecisionTimeModel {
  readonly paidMedianDays: number;
  readonly paidSigma: number;
  readonly deniedMedianDays: number;
  readonly deniedSigma: number;
}

/** Typical adjudication: PAID median 14 days (σ 0.45), DENIED median 9 days (σ 0.55). */
export const TYPICAL_DECISION_TIMES: DecisionTimeModel = {
  paidMedianDays: 14,
  paidSigma: 0.45,
  deniedMedianDays: 9,
  deniedSigma: 0.55,
};

/** Slow payers with a long tail of pending claims: PAID median 18 (σ 0.8), DENIED 12 (σ 0.8). */
export const HEAVY_PENDING_TAIL: DecisionTimeModel = {
  paidMedianDays: 18,
  paidSigma: 0.8,
  deniedMedianDays: 12,
  deniedSigma: 0.8,
};

export type ChangeTimeline = 'decided' | 'submitted';

/** A change to plant (which cells or payers is chosen by the seed). */
export type PlantedChange =
  | {
      readonly kind: 'denial_rate';
      readonly cells: number;
      readonly factor: number;
      readonly from: string;
      readonly by: ChangeTimeline;
    }
  | {
      readonly kind: 'decision_delay';
      readonly cells: number;
      readonly days: number;
      readonly from: string;
      readonly by: ChangeTimeline;
    }
  | { readonly kind: 'payment_lag'; readonly payers: number; readonly days: number; readonly from: string }
  | {
      readonly kind: 'underpayment';
      readonly cells: number;
      readonly extraRatio: number;
      readonly from: string;
    }
  | {
      readonly kind: 'new_denial_reason';
      readonly code: string;
      readonly claims: number;
      readonly from: string;
      readonly until: string;
    }
  | {
      readonly kind: 'reason_spike';
      readonly factor: number;
      readonly from: string;
      /** Dollar spike on a payer with allowed amounts on denials, or count spike on the one without. */
      readonly payer: 'with_allowed' | 'without_allowed';
    };

/** What a history is generated from. */
export interface HistorySpec {
  readonly seed: number;
  readonly payers: number;
  readonly groups: number;
  readonly claimsPerCellWeek: number;
  /** First submission day (inclusive). */
  readonly firstSubmission: string;
  /** Claims are submitted until the day before this date (the last run date of the scenario). */
  readonly submissionsEnd: string;
  readonly decisionTimes: DecisionTimeModel;
  readonly changes: readonly PlantedChange[];
}

export interface CellRef {
  readonly payer: string;
  readonly cptGroup: string;
}

/** A planted change with the entities the seed chose and how many claims it altered. */
export type PlantedEffect = (
  | { readonly kind: 'denial_rate' | 'decision_delay' | 'underpayment'; readonly cells: readonly CellRef[] }
  | { readonly kind: 'payment_lag'; readonly payers: readonly string[] }
  | {
      readonly kind: 'new_denial_reason' | 'reason_spike';
      readonly payer: string;
      readonly reason: string;
      readonly allowedOnDenials: boolean;
    }
) & {
  readonly change: PlantedChange;
  /** Claims the change altered (a new reason: exactly the planted count). */
  readonly claimsChanged: number;
};

export type Outcome = 'PAID' | 'DENIED';

/**
 * One claim line as it eventually is. Dates are epoch days (days since 1970-01-01); money in
 * cents. `payment` is set for PAID claims only.
 */
export interface GeneratedClaim {
  readonly id: number;
  readonly payer: number;
  readonly group: number;
  readonly cpt: string;
  readonly submitted: number;
  decided: number;
  payment: number | null;
  outcome: Outcome;
  reason: string | null;
  /** null: not reported (denials of the payer without allowed amounts on denials). */
  allowedCents: number | null;
  readonly billedCents: number;
  paidCents: number;
}

export interface PayerProfile {
  readonly name: string;
  /** Denial reason codes and their shares (sum 1), most frequent first. */
  readonly reasons: readonly { readonly code: string; readonly share: number }[];
  readonly allowedOnDenials: boolean;
}

export interface GroupProfile {
  readonly name: string;
  readonly cpts: readonly string[];
  /** Typical allowed amount of the group, cents ($80–$400). */
  readonly allowedCents: number;
}

export interface History {
  readonly spec: HistorySpec;
  readonly payers: readonly PayerProfile[];
  readonly groups: readonly GroupProfile[];
  /** Base denial probability per cell, index payer × groups + group. */
  readonly denialProbability: readonly number[];
  readonly claims: readonly GeneratedClaim[];
  readonly planted: readonly PlantedEffect[];
}

const PAYER_NAMES = ['Aetna', 'Blue Cross', 'Cigna', 'Humana', 'UnitedHealthcare', 'Medicare', 'Medicaid'];
const GROUPS: readonly { name: string; cpts: readonly string[] }[] = [
  { name: 'E&M', cpts: ['99213', '99214'] },
  { name: 'RAD', cpts: ['71046', '73030'] },
  { name: 'LAB', cpts: ['80053', '85025'] },
  { name: 'SURG', cpts: ['20610', '11042'] },
  { name: 'CARD', cpts: ['93000', '93306'] },
  { name: 'PT', cpts: ['97110', '97140'] },
  { name: 'INJ', cpts: ['96372', 'J3301'] },
  { name: 'BH', cpts: ['90834', '90837'] },
];
/** CARC-like codes (codes only) the payers' mixes are drawn from. */
export const REASON_CODES = [
  'CO-16',
  'CO-97',
  'CO-197',
  'CO-50',
  'CO-18',
  'CO-29',
  'CO-4',
  'CO-11',
  'CO-22',
  'PR-204',
] as const;
const REASONS_PER_PAYER = 5;

function payerName(index: number): string {
  return PAYER_NAMES[index] ?? `Payer ${String(index + 1).padStart(2, '0')}`;
}

function groupProfile(index: number, u: Uniform): GroupProfile {
  const base = GROUPS[index] ?? { name: `GRP${String(index + 1).padStart(2, '0')}`, cpts: [`9${index}000`] };
  return { name: base.name, cpts: base.cpts, allowedCents: Math.round((80 + u() * 320) * 100) };
}

function payerProfile(index: number, payers: number, u: Uniform): PayerProfile {
  const codes = shuffled(u, REASON_CODES).slice(0, REASONS_PER_PAYER);
  // Dirichlet(2, …) shares (normalised Gamma(2) draws), most frequent first: a leading reason
  // with roughly a third of the denials and a tail of rarer ones.
  const weights = codes.map(() => -Math.log(1 - u()) - Math.log(1 - u()));
  const total = weights.reduce((s, w) => s + w, 0);
  const reasons = codes
    .map((code, i) => ({ code, share: (weights[i] as number) / total }))
    .sort((a, b) => b.share - a.share);
  return { name: payerName(index), reasons, allowedOnDenials: index !== payers - 1 };
}

function pickReason(profile: PayerProfile, x: number): string {
  let cumulative = 0;
  for (const r of profile.reasons) {
    cumulative += r.share;
    if (x < cumulative) return r.code;
  }
  return (profile.reasons[profile.reasons.length - 1] as { code: string }).code;
}

function logNormalDays(medianDays: number, sigma: number, z: number): number {
  return Math.max(1, Math.round(medianDays * Math.exp(sigma * z)));
}

/** Per-claim random draws, always all taken so the streams never shift between scenarios. */
interface ClaimDraws {
  outcome: number;
  reason: number;
  decisionZ: number;
  payLag: number;
  allowedZ: number;
  billed: number;
  underpayKind: number;
  underpaySize: number;
  flip: number;
  flipReason: number;
  spike: number;
  cpt: number;
}

function draw(u: Uniform): ClaimDraws {
  return {
    outcome: u(),
    reason: u(),
    decisionZ: normal(u),
    payLag: u(),
    allowedZ: normal(u),
    billed: u(),
    underpayKind: u(),
    underpaySize: u(),
    flip: u(),
    flipReason: u(),
    spike: u(),
    cpt: u(),
  };
}

/** Underpayment ratio (allowed − paid)/allowed of a PAID claim: mostly 0, a small realistic mix. */
function underpaymentRatio(kind: number, size: number): number {
  if (kind < 0.85) return 0;
  if (kind < 0.95) return 0.02 + size * 0.04; // small adjustments 2–6 %
  if (kind < 0.99) return 0.1 + size * 0.1; // 10–20 %
  return 0.3 + size * 0.3; // rare large short-pays 30–60 %
}

function cellIndex(spec: HistorySpec, payer: number, group: number): number {
  return payer * spec.groups + group;
}

/** Chooses the planted entities. Cell-level changes share one stream (same cells per seed). */
function choosePlants(
  spec: HistorySpec,
  payers: readonly PayerProfile[],
  groups: readonly GroupProfile[],
): {
  effects: PlantedEffect[];
  cellSets: Map<PlantedChange, Set<number>>;
  payerSets: Map<PlantedChange, Set<number>>;
  reasonPlants: Map<PlantedChange, { payer: number; reason: string }>;
} {
  const cellOrder = shuffled(
    stream(spec.seed, 'plant-cells'),
    Array.from({ length: spec.payers * spec.groups }, (_, i) => i),
  );
  const payerOrder = shuffled(
    stream(spec.seed, 'plant-payers'),
    Array.from({ length: spec.payers }, (_, i) => i),
  );
  // Payers reporting allowed amounts on denials, in seed order, handed out one per denial plant.
  const denialPayers = shuffled(
    stream(spec.seed, 'plant-denial-payers'),
    Array.from({ length: spec.payers }, (_, i) => i).filter((p) => payers[p]?.allowedOnDenials),
  );
  let nextDenialPayer = 0;
  const effects: PlantedEffect[] = [];
  const cellSets = new Map<PlantedChange, Set<number>>();
  const payerSets = new Map<PlantedChange, Set<number>>();
  const reasonPlants = new Map<PlantedChange, { payer: number; reason: string }>();
  const cellRef = (i: number): CellRef => ({
    payer: (payers[Math.floor(i / spec.groups)] as PayerProfile).name,
    cptGroup: (groups[i % spec.groups] as GroupProfile).name,
  });
  for (const change of spec.changes) {
    switch (change.kind) {
      case 'denial_rate':
      case 'decision_delay':
      case 'underpayment': {
        const chosen = cellOrder.slice(0, change.cells).sort((a, b) => a - b);
        cellSets.set(change, new Set(chosen));
        effects.push({ kind: change.kind, cells: chosen.map(cellRef), change, claimsChanged: 0 });
        break;
      }
      case 'payment_lag': {
        const chosen = payerOrder.slice(0, change.payers).sort((a, b) => a - b);
        payerSets.set(change, new Set(chosen));
        effects.push({
          kind: 'payment_lag',
          payers: chosen.map((p) => payerName(p)),
          change,
          claimsChanged: 0,
        });
        break;
      }
      case 'new_denial_reason':
      case 'reason_spike': {
        let payer: number;
        if (change.kind === 'reason_spike' && change.payer === 'without_allowed') {
          payer = payers.findIndex((p) => !p.allowedOnDenials);
        } else {
          payer = denialPayers[nextDenialPayer++] ?? -1;
        }
        if (payer < 0) throw new Error(`not enough payers to plant ${change.kind}`);
        const profile = payers[payer] as PayerProfile;
        const reason =
          change.kind === 'new_denial_reason' ? change.code : (profile.reasons[0] as { code: string }).code;
        if (change.kind === 'new_denial_reason' && profile.reasons.some((r) => r.code === reason))
          throw new Error(`${reason} is already in ${profile.name}'s mix`);
        reasonPlants.set(change, { payer, reason });
        effects.push({
          kind: change.kind,
          payer: profile.name,
          reason,
          allowedOnDenials: profile.allowedOnDenials,
          claimsChanged: 0,
          change,
        });
        break;
      }
    }
  }
  return { effects, cellSets, payerSets, reasonPlants };
}

/** Generates the history of `spec` (deterministic for a spec). */
export function generateHistory(spec: HistorySpec): History {
  if (spec.payers < 1 || spec.groups < 1) throw new Error('at least one payer and one group');
  const params = stream(spec.seed, 'params');
  const groups = Array.from({ length: spec.groups }, (_, g) => groupProfile(g, params));
  const payers = Array.from({ length: spec.payers }, (_, p) => payerProfile(p, spec.payers, params));
  const denialProbability = Array.from({ length: spec.payers * spec.groups }, () => 0.05 + params() * 0.1);
  const plants = choosePlants(spec, payers, groups);

  const first = toEpochDay(spec.firstSubmission);
  const end = toEpochDay(spec.submissionsEnd);
  const dailyMean = spec.claimsPerCellWeek / 7;
  const dt = spec.decisionTimes;
  const claims: GeneratedClaim[] = [];
  const changed = new Map<PlantedChange, number>(spec.changes.map((c) => [c, 0]));
  const count = (c: PlantedChange): void => {
    changed.set(c, (changed.get(c) ?? 0) + 1);
  };
  const changeDays = new Map(spec.changes.map((c) => [c, toEpochDay(c.from)]));

  for (let p = 0; p < spec.payers; p++) {
    const payer = payers[p] as PayerProfile;
    const topShare = (payer.reasons[0] as { share: number }).share;
    for (let g = 0; g < spec.groups; g++) {
      const group = groups[g] as GroupProfile;
      const cell = cellIndex(spec, p, g);
      const prob = denialProbability[cell] as number;
      const volume = stream(spec.seed, 'volume', p, g);
      const attributes = stream(spec.seed, 'claims', p, g);
      for (let day = first; day < end; day++) {
        const n = poisson(volume, dailyMean);
        for (let k = 0; k < n; k++) {
          const d = draw(attributes);
          let outcome: Outcome = d.outcome < prob ? 'DENIED' : 'PAID';
          let reason = outcome === 'DENIED' ? pickReason(payer, d.reason) : null;
          const days =
            outcome === 'DENIED'
              ? logNormalDays(dt.deniedMedianDays, dt.deniedSigma, d.decisionZ)
              : logNormalDays(dt.paidMedianDays, dt.paidSigma, d.decisionZ);
          let decided = day + days;
          let payLag = Math.floor(d.payLag * 6); // 0–5 days
          let ratio = underpaymentRatio(d.underpayKind, d.underpaySize);

          for (const change of spec.changes) {
            const from = changeDays.get(change) as number;
            switch (change.kind) {
              case 'decision_delay':
                if (
                  plants.cellSets.get(change)?.has(cell) &&
                  (change.by === 'decided' ? decided >= from : day >= from)
                ) {
                  decided += change.days;
                  count(change);
                }
                break;
              case 'denial_rate':
                if (
                  outcome === 'PAID' &&
                  plants.cellSets.get(change)?.has(cell) &&
                  (change.by === 'decided' ? decided >= from : day >= from) &&
                  d.flip < ((change.factor - 1) * prob) / (1 - prob)
                ) {
                  outcome = 'DENIED';
                  reason = pickReason(payer, d.flipReason);
                  count(change);
                }
                break;
              case 'reason_spike': {
                const plant = plants.reasonPlants.get(change);
                if (
                  outcome === 'PAID' &&
                  plant?.payer === p &&
                  decided >= from &&
                  d.spike < ((change.factor - 1) * prob * topShare) / (1 - prob)
                ) {
                  outcome = 'DENIED';
                  reason = plant.reason;
                  count(change);
                }
                break;
              }
              case 'underpayment':
                if (outcome === 'PAID' && plants.cellSets.get(change)?.has(cell) && decided >= from) {
                  ratio = Math.min(1, ratio + change.extraRatio);
                  count(change);
                }
                break;
              case 'payment_lag':
                if (outcome === 'PAID' && plants.payerSets.get(change)?.has(p) && decided >= from) {
                  payLag += change.days;
                  count(change);
                }
                break;
              case 'new_denial_reason':
                break; // a post-pass: an exact number of claims
            }
          }

          const allowed = Math.max(100, Math.round(group.allowedCents * Math.exp(0.12 * d.allowedZ)));
          claims.push({
            id: claims.length + 1,
            payer: p,
            group: g,
            cpt: group.cpts[Math.floor(d.cpt * group.cpts.length)] as string,
            submitted: day,
            decided,
            payment: outcome === 'PAID' ? decided + payLag : null,
            outcome,
            reason,
            allowedCents: outcome === 'DENIED' && !payer.allowedOnDenials ? null : allowed,
            billedCents: Math.round(allowed * (1.4 + d.billed * 0.8)),
            paidCents: outcome === 'PAID' ? Math.round(allowed * (1 - ratio)) : 0,
          });
        }
      }
    }
  }

  // New reasons: exactly the planted number of the payer's PAID claims decided in [from, until).
  for (const change of spec.changes) {
    if (change.kind !== 'new_denial_reason') continue;
    const plant = plants.reasonPlants.get(change) as { payer: number; reason: string };
    const from = toEpochDay(change.from);
    const until = toEpochDay(change.until);
    const candidates = claims.filter(
      (c) => c.payer === plant.payer && c.outcome === 'PAID' && c.decided >= from && c.decided < until,
    );
    if (candidates.length < change.claims) throw new Error('too few claims to plant a new reason');
    const payer = payers[plant.payer] as PayerProfile;
    for (const c of shuffled(stream(spec.seed, 'plant-new-reason-claims'), candidates).slice(
      0,
      change.claims,
    )) {
      c.outcome = 'DENIED';
      c.reason = plant.reason;
      c.payment = null;
      c.paidCents = 0;
      if (!payer.allowedOnDenials) c.allowedCents = null;
      count(change);
    }
  }

  const planted = plants.effects.map((effect) => ({
    ...effect,
    claimsChanged: changed.get(effect.change) ?? 0,
  }));
  return { spec, payers, groups, denialProbability, claims, planted };
}

/** A claim as present in the customer's data at a run date. */
export interface VisibleClaim {
  readonly claim: GeneratedClaim;
  /** Payment date if already paid before the run date, else null. */
  readonly payment: number | null;
}

/**
 * The claims of the history present in the data at `asOf`: decided before `asOf`, payment date
 * only when before `asOf`.
 */
export function visibleAt(history: History, asOf: string): VisibleClaim[] {
  const limit = toEpochDay(asOf);
  const out: VisibleClaim[] = [];
  for (const claim of history.claims) {
    if (claim.decided >= limit) continue;
    out.push({ claim, payment: claim.payment !== null && claim.payment < limit ? claim.payment : null });
  }
  return out;
}

/** The entity name of a cell (`payer | group`) or a denial key (`payer | reason`). */
export function cellKey(payer: string, cptGroup: string): string {
  return `${payer} | ${cptGroup}`;
}
