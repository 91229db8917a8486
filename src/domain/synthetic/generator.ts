/**
 * The synthetic claims generator behind `payrixa demo generate` and the demo customer (ingestion
 * spec §7.1–§7.2). Pure and deterministic: every value comes from mulberry32 streams derived from
 * the seed and a label (the day, the scenario, the dirty-row choice), so identical options give
 * byte-identical files, and a scenario never changes rows outside its window and target.
 *
 * Scenarios act on the decision timeline (issue 9): each line is first drawn as the payer would
 * decide it without any planted change (its base outcome and base decision date); a scenario
 * whose window starts on day S changes the lines of its target whose base decision date is on or
 * after S — the payer changed how it decides from S on. Outcome changes keep the decision date;
 * slowdowns move every such decision (and its payment) `days` later.
 *
 * Files are produced as CSV text chunks (header, then one chunk per submission day) so callers can
 * stream them to disk or into ingestion without holding a whole file.
 */
import { createHash } from 'node:crypto';
import { defaultCptGroup } from '../claims/normalize.ts';
import {
  AUTH_OBTAINED_SHARE,
  AUTH_REQUIRED_CPTS,
  BAD_DATES,
  BAD_MONEY,
  COL,
  CPT_BY_CODE,
  CPT_MIX,
  type CptProfile,
  cptGroupsOf,
  DECISION_LAGS,
  DENIAL_CODES,
  denialText,
  EM_MODIFIER_25_SHARE,
  EM_TELEHEALTH_SHARE,
  LAB_LINE_MIX,
  LAB_LINE_SHARE,
  OTHER_PROBABILITY,
  PAYERS,
  PAYMENT_DATE_SHARE,
  PAYMENT_LAG,
  type PayerProfile,
  PHI_FIRST_NAMES,
  PHI_LAST_NAMES,
  PHI_PATTERN_TEXT,
  REQUIRED_TEMPLATE_COLUMNS,
  TEMPLATE_COLUMNS,
  UNUSUAL_OUTCOME,
} from './catalog.ts';
import { isoDay, isWeekend, monthOf, usDay } from './dates.ts';
import { centsToDisplay, centsToPlain, roundCents } from './money.ts';
import { type GeneratorInput, type GeneratorOptions, resolveOptions } from './options.ts';
import { intBetween, pickWeighted, type Random, streamFor } from './prng.ts';
import { expectedEffect, type Scenario } from './scenarios.ts';

export type SyntheticOutcome = 'PAID' | 'DENIED' | 'OTHER';

/** Kinds of dirty rows, rotated in equal shares (§7.1). */
export const DIRTY_KINDS = [
  'phi_name',
  'phi_pattern',
  'missing_field',
  'bad_date',
  'date_order',
  'unusual_outcome',
  'bad_money',
] as const;
export type DirtyKind = (typeof DIRTY_KINDS)[number];

export type RejectionCategory = 'phi' | 'missing_fields' | 'invalid_dates' | 'invalid_values';
export const REJECTION_CATEGORIES: readonly RejectionCategory[] = [
  'phi',
  'missing_fields',
  'invalid_dates',
  'invalid_values',
];

/** What ingestion must do with each dirty kind. */
export const DIRTY_EXPECTATIONS: Readonly<
  Record<
    DirtyKind,
    { result: 'rejected'; category: RejectionCategory } | { result: 'accepted'; warning: string }
  >
> = {
  phi_name: { result: 'rejected', category: 'phi' },
  phi_pattern: { result: 'rejected', category: 'phi' },
  missing_field: { result: 'rejected', category: 'missing_fields' },
  bad_date: { result: 'rejected', category: 'invalid_dates' },
  date_order: { result: 'rejected', category: 'invalid_dates' },
  unusual_outcome: { result: 'accepted', warning: 'unusual_outcome' },
  bad_money: { result: 'accepted', warning: 'invalid_amount' },
};

/** One clean claim line before it is written (dates are day numbers, money integer cents). */
export interface ClaimLine {
  /** 1-based claim sequence across the history (claim_id `RFP-<8 digits>`). */
  seq: number;
  claimId: string;
  /** 0 = the claim's main line, 1 = its lab line. */
  lineNo: number;
  submitted: number;
  /** Canonical payer name and the spelling written in the file. */
  payer: string;
  payerWritten: string;
  cpt: string;
  outcome: SyntheticOutcome;
  decided: number;
  payment: number | null;
  allowedCents: number;
  billedCents: number;
  paidCents: number | null;
  denialCode: string | null;
  denialText: string | null;
  modifiers: string;
  authorizationRequired: 'Y' | 'N';
  authorizationObtained: '' | 'Y' | 'N';
  placeOfService: string;
  /** Indexes (into `generator.scenarios`) whose target holds this line, base-decided on/after the window start. */
  scenariosInTarget: number[];
  /** Indexes of scenarios that changed a value of this line. */
  scenariosChanged: number[];
}

/** A written row: the 16 cells in template order and how it was produced. */
export interface GeneratedRow {
  line: ClaimLine;
  cells: string[];
  /** Written with MM/DD/YYYY, `$1,234.50` and approved/rejected (`--format-variety`). */
  variant: boolean;
  dirty: DirtyKind | null;
}

export interface PlannedFile {
  name: string;
  /** `YYYY-MM` for monthly files, null for a single file. */
  month: string | null;
  /** Submission days [firstDay, endDay) as day numbers. */
  firstDay: number;
  endDay: number;
}

export interface ScenarioCounts {
  rowsInTarget: number;
  rowsChanged: number;
}

export interface FileResult {
  name: string;
  month: string | null;
  /** Data rows (header excluded). */
  rows: number;
  bytes: number;
  sha256: string;
  submittedMin: string | null;
  submittedMax: string | null;
  dirty: Record<DirtyKind, number>;
  /** Per scenario (same order as `generator.scenarios`). */
  scenarios: ScenarioCounts[];
}

/** A file being produced: iterate `chunks` once, then read `result()`. */
export interface FileStream {
  file: PlannedFile;
  chunks: Iterable<string>;
  /** Available once every chunk was consumed. */
  result(): FileResult;
}

interface LineDraws {
  factor: number;
  outcome: number;
  code: number;
  lag: number;
  payHas: number;
  payLag: number;
  paid: number;
  modifier: number;
  auth: number;
  pos: number;
}

function drawLine(rnd: Random): LineDraws {
  return {
    factor: rnd(),
    outcome: rnd(),
    code: rnd(),
    lag: rnd(),
    payHas: rnd(),
    payLag: rnd(),
    paid: rnd(),
    modifier: rnd(),
    auth: rnd(),
    pos: rnd(),
  };
}

const PAYER_WEIGHTS = PAYERS.map((p) => [p, p.share] as const);
const CPT_WEIGHTS = CPT_MIX.map((c) => [c, c.share] as const);
const DENIAL_WEIGHTS = DENIAL_CODES.map((d) => [d.code, d.share] as const);
const LAB_CODES = LAB_LINE_MIX.map(([code]) => code);
/** Longest base decision lag of any payer and outcome (days). */
const MAX_DECISION_LAG = Math.max(
  ...Object.values(DECISION_LAGS).map(([, max]) => max),
  ...PAYERS.map((p) => p.lag?.[1] ?? 0),
);
const VARIANT_OUTCOMES: Readonly<Record<SyntheticOutcome, string>> = {
  PAID: 'approved',
  DENIED: 'rejected',
  OTHER: 'OTHER',
};

/** RFC 4180 cell: quoted only when it holds a comma, quote or line break. */
export function csvCell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function csvLine(cells: readonly string[]): string {
  return `${cells.map(csvCell).join(',')}\n`;
}

export const CSV_HEADER = csvLine(TEMPLATE_COLUMNS);

function emptyDirtyCounts(): Record<DirtyKind, number> {
  return Object.fromEntries(DIRTY_KINDS.map((k) => [k, 0])) as Record<DirtyKind, number>;
}

interface ActiveScenario {
  index: number;
  scenario: Scenario;
  /** First base decision day the scenario changes (`end − window`, not before the history). */
  windowStart: number;
}

export class SyntheticGenerator {
  readonly options: GeneratorOptions;
  readonly scenarios: readonly Scenario[];
  readonly files: readonly PlannedFile[];
  /** Claims (not lines) per history day, and the first claim sequence of each day. */
  private readonly volumes: number[] = [];
  private readonly seqStarts: number[] = [];
  private readonly active: ActiveScenario[];
  /** new_denial_reason picks: scenario index → `${seq}:${lineNo}`. */
  private readonly picked = new Map<number, Set<string>>();

  constructor(options: GeneratorOptions) {
    this.options = options;
    this.scenarios = options.scenarios;
    const { historyStart, historyEnd } = options;
    let seq = 1;
    for (let day = historyStart; day < historyEnd; day++) {
      const u = streamFor(options.seed, 'volume', isoDay(day))();
      const base = options.claimsPerDay;
      const count = isWeekend(day) ? Math.round(0.1 * base) : Math.round(base * (0.9 + 0.2 * u));
      this.volumes.push(count);
      this.seqStarts.push(seq);
      seq += count;
    }
    this.active = options.scenarios.map((scenario, index) => ({
      index,
      scenario,
      windowStart: Math.max(historyStart, historyEnd - scenario.windowDays),
    }));
    for (const entry of this.active) {
      if (entry.scenario.name === 'new_denial_reason') this.pickNewReasonLines(entry);
    }
    this.files = this.planFiles();
  }

  private planFiles(): PlannedFile[] {
    const { historyStart, historyEnd, split } = this.options;
    if (split === 'none') {
      return [{ name: 'claims.csv', month: null, firstDay: historyStart, endDay: historyEnd }];
    }
    const files: PlannedFile[] = [];
    let first = historyStart;
    for (let day = historyStart; day <= historyEnd; day++) {
      if (day === historyEnd || monthOf(day) !== monthOf(first)) {
        if (day > first) {
          const month = monthOf(first);
          files.push({ name: `claims-${month}.csv`, month, firstDay: first, endDay: day });
        }
        first = day;
      }
    }
    // With `omit`, a month of only the last few days before the end date (every claim still
    // pending) would be a header-only file, which ingestion refuses: it is not written.
    while (files.length > 1 && !this.hasWrittenRows(files[files.length - 1]!)) files.pop();
    return files;
  }

  /** Whether any line submitted in the file's days is written (`omit` drops the pending ones). */
  private hasWrittenRows(file: PlannedFile): boolean {
    for (let day = file.firstDay; day < file.endDay; day++) {
      if (this.options.pending === 'include' && this.volumes[day - this.options.historyStart]! > 0)
        return true;
      if (this.dayLines(day).some((line) => line.decided <= this.options.historyEnd)) return true;
    }
    return false;
  }

  /**
   * Choose `count` of the payer's PAID lines whose base decision falls in the window
   * `[windowStart, end)` (so every pick is a decision the export holds, whatever `--pending`
   * says; PAID, because a payment turned denial keeps its decision date and lag range).
   */
  private pickNewReasonLines(entry: ActiveScenario): void {
    const scenario = entry.scenario;
    if (scenario.name !== 'new_denial_reason') return;
    const { historyStart, historyEnd } = this.options;
    const eligible: string[] = [];
    for (let day = Math.max(historyStart, entry.windowStart - MAX_DECISION_LAG); day < historyEnd; day++) {
      for (const line of this.dayLines(day, false)) {
        if (
          line.payer === scenario.payer &&
          line.outcome === 'PAID' &&
          line.decided >= entry.windowStart &&
          line.decided < historyEnd
        ) {
          eligible.push(`${line.seq}:${line.lineNo}`);
        }
      }
    }
    const rnd = streamFor(this.options.seed, 'scenario', scenario.spec, entry.index, 'pick');
    const count = Math.min(scenario.count, eligible.length);
    for (let i = 0; i < count; i++) {
      const j = i + Math.floor(rnd() * (eligible.length - i));
      [eligible[i], eligible[j]] = [eligible[j]!, eligible[i]!];
    }
    this.picked.set(entry.index, new Set(eligible.slice(0, count)));
  }

  /** The clean lines submitted on `day`, sorted by claim_id then cpt. */
  dayLines(day: number, withScenarios = true): ClaimLine[] {
    const index = day - this.options.historyStart;
    const count = this.volumes[index];
    if (count === undefined) return [];
    const seqStart = this.seqStarts[index]!;
    const rnd = streamFor(this.options.seed, 'day', isoDay(day));
    const lines: ClaimLine[] = [];
    for (let i = 0; i < count; i++) {
      const seq = seqStart + i;
      const payer = pickWeighted(rnd(), PAYER_WEIGHTS);
      const written = pickWeighted(rnd(), payer.spellings);
      const uLab = rnd();
      const uLabCpt = rnd();
      const cpt = pickWeighted(rnd(), CPT_WEIGHTS);
      const claimLines = [this.makeLine(day, seq, 0, payer, written, cpt, drawLine(rnd), withScenarios)];
      if (uLab < LAB_LINE_SHARE) {
        let labCode = pickWeighted(uLabCpt, LAB_LINE_MIX);
        if (labCode === cpt.code) labCode = LAB_CODES[(LAB_CODES.indexOf(labCode) + 1) % LAB_CODES.length]!;
        const lab = CPT_BY_CODE.get(labCode)!;
        claimLines.push(this.makeLine(day, seq, 1, payer, written, lab, drawLine(rnd), withScenarios));
        claimLines.sort((a, b) => (a.cpt < b.cpt ? -1 : a.cpt > b.cpt ? 1 : 0));
      }
      lines.push(...claimLines);
    }
    return lines;
  }

  private makeLine(
    day: number,
    seq: number,
    lineNo: number,
    payer: PayerProfile,
    written: string,
    cpt: CptProfile,
    d: LineDraws,
    withScenarios: boolean,
  ): ClaimLine {
    const groups = cptGroupsOf(cpt.code);

    // The base claim: how the payer decides without any planted change.
    const outcomeAt = (p: number): SyntheticOutcome =>
      d.outcome < p ? 'DENIED' : d.outcome < p + OTHER_PROBABILITY ? 'OTHER' : 'PAID';
    let outcome = outcomeAt(payer.denialProbability);
    let code: string | null = null;
    let text: string | null = null;
    let authorizationRequired: 'Y' | 'N' = 'N';
    let authorizationObtained: '' | 'Y' | 'N' = '';
    if (AUTH_REQUIRED_CPTS.has(cpt.code)) {
      authorizationRequired = 'Y';
      authorizationObtained = d.auth < AUTH_OBTAINED_SHARE ? 'Y' : 'N';
    }
    const authDenied = authorizationObtained === 'N';
    if (authDenied) {
      outcome = 'DENIED';
      code = 'CO-197';
    }
    const naturalCode = (): string => pickWeighted(d.code, DENIAL_WEIGHTS);
    if (outcome === 'DENIED' && code === null) code = naturalCode();
    const [lagMin, lagMax] = payer.lag ?? DECISION_LAGS[outcome];
    const baseDecided = day + intBetween(d.lag, lagMin, lagMax);

    // Scenarios act on the decision timeline: the payer changed how it decides from the window
    // start on, so a line is in a scenario's target when its base decision is on/after that day.
    const inTarget: ActiveScenario[] = withScenarios
      ? this.active.filter(
          ({ scenario, windowStart }) =>
            baseDecided >= windowStart &&
            scenario.payer === payer.name &&
            (!('group' in scenario) || scenario.group === null || groups.includes(scenario.group)),
        )
      : [];
    const changed = new Set<number>();

    // Outcome changes turn PAID lines into denials and keep the decision date: the claim is
    // decided the same day, differently. (PAID and DENIED lags have nearly the same range, so
    // decision times do not move; an OTHER line, decided late, is never turned into a denial.)
    let spikeDelta = 0;
    for (const { scenario } of inTarget) {
      if (scenario.name === 'denial_spike') spikeDelta += scenario.delta;
    }
    // PAID lines are those drawn at or above p + OTHER: the next `delta` of draws are denied,
    // so the denial probability becomes p + delta (at most every PAID line).
    if (outcome === 'PAID' && d.outcome < payer.denialProbability + OTHER_PROBABILITY + spikeDelta) {
      outcome = 'DENIED';
      code = naturalCode();
      for (const e of inTarget) if (e.scenario.name === 'denial_spike') changed.add(e.index);
    }
    let planted = false;
    for (const { scenario, index } of inTarget) {
      if (scenario.name === 'new_denial_reason' && this.picked.get(index)?.has(`${seq}:${lineNo}`)) {
        outcome = 'DENIED';
        code = scenario.code;
        text = scenario.text;
        planted = true;
        changed.add(index);
      }
    }

    let dollarsFactor = 1;
    if (!planted) {
      for (const { scenario, index } of inTarget) {
        if (scenario.name !== 'denial_dollars_spike') continue;
        const rnd = streamFor(this.options.seed, 'scenario', scenario.spec, index, seq, lineNo);
        const uCode = rnd();
        const uDeny = rnd();
        if (outcome === 'PAID' && uDeny < scenario.delta) {
          // A payment becomes a denial for the scenario's reason.
          outcome = 'DENIED';
          code = scenario.code;
          changed.add(index);
        } else if (outcome === 'DENIED' && uCode < scenario.share && code !== scenario.code) {
          code = scenario.code;
          changed.add(index);
        }
        if (outcome === 'DENIED' && code === scenario.code && scenario.factor !== 1) {
          dollarsFactor *= scenario.factor;
          changed.add(index);
        }
      }
    }
    if (code !== null && text === null) text = denialText(code);

    // A slower payer: every decision from the window start on happens `days` later (a backlog).
    let decided = baseDecided;
    for (const { scenario, index } of inTarget) {
      if (scenario.name === 'decision_drift' || scenario.name === 'payment_delay') {
        decided += scenario.days;
        changed.add(index);
      }
    }
    const payment =
      outcome === 'PAID' && d.payHas < PAYMENT_DATE_SHARE
        ? decided + intBetween(d.payLag, PAYMENT_LAG[0], PAYMENT_LAG[1])
        : null;

    const allowedBase = roundCents(cpt.baseCents * payer.factor * (0.9 + 0.2 * d.factor));
    const billedBase = roundCents(allowedBase * 1.8);
    const allowedCents = roundCents(allowedBase * dollarsFactor);
    const billedCents = roundCents(billedBase * dollarsFactor);
    let paidCents: number | null = null;
    if (outcome === 'PAID') {
      let shortfall = 0.2 * d.paid;
      for (const { scenario, index } of inTarget) {
        if (scenario.name === 'underpayment') {
          shortfall += scenario.points;
          changed.add(index);
        }
      }
      paidCents = roundCents(allowedCents * (1 - Math.min(1, shortfall)));
    } else if (outcome === 'DENIED') {
      paidCents = 0;
    }

    const isEm = defaultCptGroup(cpt.code) === 'E&M';
    let modifiers = '';
    if (isEm && d.modifier < EM_MODIFIER_25_SHARE) modifiers = '25';
    else if (cpt.code === '20610') modifiers = d.modifier < 0.5 ? 'RT' : 'LT';
    const placeOfService = isEm && d.pos < EM_TELEHEALTH_SHARE ? '02' : '11';

    return {
      seq,
      claimId: `RFP-${String(seq).padStart(8, '0')}`,
      lineNo,
      submitted: day,
      payer: payer.name,
      payerWritten: written,
      cpt: cpt.code,
      outcome,
      decided,
      payment,
      allowedCents,
      billedCents,
      paidCents,
      denialCode: code,
      denialText: text,
      modifiers,
      authorizationRequired,
      authorizationObtained,
      placeOfService,
      scenariosInTarget: inTarget.map((e) => e.index),
      scenariosChanged: [...changed].sort((a, b) => a - b),
    };
  }

  /** The 16 cells of a clean line, in the plain or the variant format. */
  cellsOf(line: ClaimLine, variant: boolean): string[] {
    const date = variant ? usDay : isoDay;
    const money = variant ? centsToDisplay : centsToPlain;
    const cells: string[] = new Array(TEMPLATE_COLUMNS.length).fill('');
    cells[COL.payer] = line.payerWritten;
    cells[COL.cpt] = line.cpt;
    cells[COL.submitted_date] = date(line.submitted);
    cells[COL.decided_date] = date(line.decided);
    cells[COL.outcome] = variant ? VARIANT_OUTCOMES[line.outcome] : line.outcome;
    cells[COL.allowed_amount] = money(line.allowedCents);
    cells[COL.denial_reason_code] = line.denialCode ?? '';
    cells[COL.denial_reason_text] = line.denialText ?? '';
    cells[COL.claim_id] = this.options.claimId ? line.claimId : '';
    cells[COL.billed_amount] = money(line.billedCents);
    cells[COL.paid_amount] = line.paidCents === null ? '' : money(line.paidCents);
    cells[COL.payment_date] = line.payment === null ? '' : date(line.payment);
    cells[COL.modifiers] = line.modifiers;
    cells[COL.authorization_required] = line.authorizationRequired;
    cells[COL.authorization_obtained] = line.authorizationObtained;
    cells[COL.place_of_service] = line.placeOfService;
    return cells;
  }

  /**
   * The rows of one planned file, in file order. `counters` carries the dirty-kind rotation
   * (restarted per file, so every file can be produced on its own).
   */
  *rows(file: PlannedFile): Generator<GeneratedRow> {
    const { seed, dirtyRate, formatVariety, pending, historyEnd } = this.options;
    let kindCounter = 0;
    let missingCounter = 0;
    let badDateCounter = 0;
    for (let day = file.firstDay; day < file.endDay; day++) {
      const iso = isoDay(day);
      const varietyRnd = streamFor(seed, 'variety', iso);
      const dirtyRnd = streamFor(seed, 'dirty', iso);
      for (const line of this.dayLines(day)) {
        const uVariant = varietyRnd();
        const uDirty = dirtyRnd();
        const uFirst = dirtyRnd();
        const uLast = dirtyRnd();
        if (pending === 'omit') {
          if (line.decided > historyEnd) continue;
          if (line.payment !== null && line.payment > historyEnd) line.payment = null;
        }
        const variant = uVariant < formatVariety;
        const cells = this.cellsOf(line, variant);
        let dirty: DirtyKind | null = null;
        if (uDirty < dirtyRate) {
          dirty = DIRTY_KINDS[kindCounter % DIRTY_KINDS.length]!;
          kindCounter++;
          const date = variant ? usDay : isoDay;
          switch (dirty) {
            case 'phi_name': {
              const first = PHI_FIRST_NAMES[Math.floor(uFirst * PHI_FIRST_NAMES.length)]!;
              const last = PHI_LAST_NAMES[Math.floor(uLast * PHI_LAST_NAMES.length)]!;
              cells[COL.payer] = `${first} ${last}`;
              break;
            }
            case 'phi_pattern':
              cells[COL.denial_reason_text] = PHI_PATTERN_TEXT;
              break;
            case 'missing_field': {
              const column = REQUIRED_TEMPLATE_COLUMNS[missingCounter % REQUIRED_TEMPLATE_COLUMNS.length]!;
              missingCounter++;
              cells[COL[column]] = '';
              break;
            }
            case 'bad_date': {
              const column = badDateCounter % 2 === 0 ? 'decided_date' : 'submitted_date';
              cells[COL[column]] = BAD_DATES[badDateCounter % BAD_DATES.length]!;
              badDateCounter++;
              break;
            }
            case 'date_order':
              cells[COL.decided_date] = date(line.submitted - 3);
              cells[COL.payment_date] = '';
              break;
            case 'unusual_outcome':
              cells[COL.outcome] = UNUSUAL_OUTCOME;
              break;
            case 'bad_money':
              cells[COL.allowed_amount] = BAD_MONEY;
              break;
          }
        }
        yield { line, cells, variant, dirty };
      }
    }
  }

  /** CSV text of one file as chunks (header, then one chunk per day) with its result at the end. */
  stream(file: PlannedFile): FileStream {
    let result: FileResult | null = null;
    const self = this;
    function* chunks(): Generator<string> {
      const hash = createHash('sha256');
      let bytes = 0;
      let rows = 0;
      let submittedMin: number | null = null;
      let submittedMax: number | null = null;
      const dirty = emptyDirtyCounts();
      const scenarios: ScenarioCounts[] = self.scenarios.map(() => ({ rowsInTarget: 0, rowsChanged: 0 }));
      const emit = (text: string): string => {
        hash.update(text, 'utf8');
        bytes += Buffer.byteLength(text, 'utf8');
        return text;
      };
      yield emit(CSV_HEADER);
      let buffer = '';
      let bufferDay: number | null = null;
      for (const row of self.rows(file)) {
        if (bufferDay !== null && row.line.submitted !== bufferDay && buffer !== '') {
          yield emit(buffer);
          buffer = '';
        }
        bufferDay = row.line.submitted;
        buffer += csvLine(row.cells);
        rows++;
        submittedMin ??= row.line.submitted;
        submittedMax = row.line.submitted;
        if (row.dirty) dirty[row.dirty]++;
        for (const i of row.line.scenariosInTarget) scenarios[i]!.rowsInTarget++;
        for (const i of row.line.scenariosChanged) scenarios[i]!.rowsChanged++;
      }
      if (buffer !== '') yield emit(buffer);
      result = {
        name: file.name,
        month: file.month,
        rows,
        bytes,
        sha256: hash.digest('hex'),
        submittedMin: submittedMin === null ? null : isoDay(submittedMin),
        submittedMax: submittedMax === null ? null : isoDay(submittedMax),
        dirty,
        scenarios,
      };
    }
    return {
      file,
      chunks: { [Symbol.iterator]: chunks },
      result() {
        if (!result) throw new Error(`File ${file.name} has not been fully generated yet.`);
        return result;
      },
    };
  }

  /** A whole file in memory (fine for monthly files: a few hundred kB at the default volume). */
  render(file: PlannedFile): { text: string; result: FileResult } {
    const stream = this.stream(file);
    let text = '';
    for (const chunk of stream.chunks) text += chunk;
    return { text, result: stream.result() };
  }

  /** The manifest for the files produced (pass every file's result, in plan order). */
  manifest(results: readonly FileResult[]): Manifest {
    return buildManifest(this, results);
  }
}

/** Create a generator; throws `GeneratorOptionError` for unusable options. */
export function createSyntheticGenerator(input: GeneratorInput = {}, now?: Date): SyntheticGenerator {
  return new SyntheticGenerator(resolveOptions(input, now));
}

export interface ManifestFile {
  name: string;
  month: string | null;
  rows: number;
  bytes: number;
  sha256: string;
  submitted_min: string | null;
  submitted_max: string | null;
  dirty_rows: Record<DirtyKind, number>;
  expected: ExpectedCounts;
}

export interface ExpectedCounts {
  /** Rows ingestion accepts (inserted, updated or duplicates). */
  accepted: number;
  rejected: number;
  rejected_by_category: Record<RejectionCategory, number>;
  /** Row warnings planted by dirty rows, by warning code (clean rows add none). */
  warnings: Record<string, number>;
}

export interface ManifestScenario {
  spec: string;
  name: Scenario['name'];
  payer: string;
  group: string | null;
  parameters: Record<string, string | number>;
  window: { start: string; end: string; days: number };
  product: string;
  finding: string;
  expected_effect: string;
  rows_in_target: number;
  rows_changed: number;
}

export interface Manifest {
  generator: 'payrixa demo generate';
  format_version: 1;
  seed: number;
  options: {
    seed: number;
    end_date: string;
    months: number;
    months_requested: number;
    claims_per_day: number;
    scenarios: string[];
    dirty_rate: number;
    format_variety: number;
    claim_id: boolean;
    pending: 'include' | 'omit';
    split: 'none' | 'monthly';
  };
  history: { start: string; end: string; days: number; note: string };
  columns: string[];
  files: ManifestFile[];
  totals: { files: number; rows: number; dirty_rows: number; expected: ExpectedCounts };
  dirty_rows: {
    rate: number;
    kinds: Record<
      DirtyKind,
      {
        rows: number;
        result: 'rejected' | 'accepted';
        category: RejectionCategory | null;
        warning: string | null;
      }
    >;
  };
  scenarios: ManifestScenario[];
}

function expectedFor(rows: number, dirty: Record<DirtyKind, number>): ExpectedCounts {
  const byCategory = Object.fromEntries(REJECTION_CATEGORIES.map((c) => [c, 0])) as Record<
    RejectionCategory,
    number
  >;
  const warnings: Record<string, number> = {};
  let rejected = 0;
  for (const kind of DIRTY_KINDS) {
    const n = dirty[kind];
    const expectation = DIRTY_EXPECTATIONS[kind];
    if (expectation.result === 'rejected') {
      byCategory[expectation.category] += n;
      rejected += n;
    } else if (n > 0) {
      warnings[expectation.warning] = (warnings[expectation.warning] ?? 0) + n;
    }
  }
  return { accepted: rows - rejected, rejected, rejected_by_category: byCategory, warnings };
}

function buildManifest(generator: SyntheticGenerator, results: readonly FileResult[]): Manifest {
  const o = generator.options;
  const totalDirty = emptyDirtyCounts();
  let totalRows = 0;
  const files: ManifestFile[] = results.map((r) => {
    totalRows += r.rows;
    for (const kind of DIRTY_KINDS) totalDirty[kind] += r.dirty[kind];
    return {
      name: r.name,
      month: r.month,
      rows: r.rows,
      bytes: r.bytes,
      sha256: r.sha256,
      submitted_min: r.submittedMin,
      submitted_max: r.submittedMax,
      dirty_rows: r.dirty,
      expected: expectedFor(r.rows, r.dirty),
    };
  });
  const kinds = Object.fromEntries(
    DIRTY_KINDS.map((kind) => {
      const e = DIRTY_EXPECTATIONS[kind];
      return [
        kind,
        {
          rows: totalDirty[kind],
          result: e.result,
          category: e.result === 'rejected' ? e.category : null,
          warning: e.result === 'accepted' ? e.warning : null,
        },
      ];
    }),
  ) as Manifest['dirty_rows']['kinds'];
  const scenarios: ManifestScenario[] = generator.scenarios.map((scenario, index) => {
    const { product, finding, effect } = expectedEffect(scenario);
    const { spec, name, payer, windowDays, ...rest } = scenario;
    const parameters: Record<string, string | number> = {};
    for (const [key, value] of Object.entries(rest)) {
      if (key !== 'group' && (typeof value === 'string' || typeof value === 'number'))
        parameters[key] = value;
    }
    const windowStart = Math.max(o.historyStart, o.historyEnd - windowDays);
    return {
      spec,
      name,
      payer,
      group: 'group' in scenario ? scenario.group : null,
      parameters,
      window: { start: isoDay(windowStart), end: isoDay(o.historyEnd), days: o.historyEnd - windowStart },
      product,
      finding,
      expected_effect: effect,
      rows_in_target: results.reduce((n, r) => n + (r.scenarios[index]?.rowsInTarget ?? 0), 0),
      rows_changed: results.reduce((n, r) => n + (r.scenarios[index]?.rowsChanged ?? 0), 0),
    };
  });
  return {
    generator: 'payrixa demo generate',
    format_version: 1,
    seed: o.seed,
    options: {
      seed: o.seed,
      end_date: o.endDate,
      months: o.months,
      months_requested: o.monthsRequested,
      claims_per_day: o.claimsPerDay,
      scenarios: [...o.scenarioSpecs],
      dirty_rate: o.dirtyRate,
      format_variety: o.formatVariety,
      claim_id: o.claimId,
      pending: o.pending,
      split: o.split,
    },
    history: {
      start: isoDay(o.historyStart),
      end: isoDay(o.historyEnd),
      days: o.historyEnd - o.historyStart,
      note: 'submitted dates in [start, end); a scenario changes the claims of its target whose base decision date is on or after window.start (window.end = the end date)',
    },
    columns: [...TEMPLATE_COLUMNS],
    files,
    totals: {
      files: files.length,
      rows: totalRows,
      dirty_rows: DIRTY_KINDS.reduce((n, k) => n + totalDirty[k], 0),
      expected: expectedFor(totalRows, totalDirty),
    },
    dirty_rows: { rate: o.dirtyRate, kinds },
    scenarios,
  };
}

/** manifest.json text: 2-space JSON with a final newline (stable key order, no timestamps). */
export function manifestJson(manifest: Manifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}
