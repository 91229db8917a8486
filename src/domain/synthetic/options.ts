/** Options of `payrixa demo generate` (ingestion spec §7.1), their defaults and validation. */
import { isoDay, parseIsoDay, todayDay } from './dates.ts';
import { DEMO_SCENARIOS, parseScenarioSpec, type Scenario, ScenarioSpecError } from './scenarios.ts';

export const DEFAULT_SEED = 20261127;
export const MIN_MONTHS = 13;
export const DEFAULT_CLAIMS_PER_DAY = 80;
export const MAX_CLAIMS_PER_DAY = 100_000;
export const MAX_MONTHS = 120;

export type PendingMode = 'include' | 'omit';
export type SplitMode = 'none' | 'monthly';

/** What a caller may pass; everything is optional. */
export interface GeneratorInput {
  seed?: number;
  /** `YYYY-MM-DD`; default today (UTC). History ends the day before. */
  endDate?: string;
  months?: number;
  claimsPerDay?: number;
  /** `--scenario` specs, in order. */
  scenarios?: readonly string[];
  dirtyRate?: number;
  formatVariety?: number;
  /** false = `--no-claim-id` (the column stays, empty). */
  claimId?: boolean;
  /** `omit` (default): leave out claims decided after the end date, blank later payment dates. */
  pending?: PendingMode;
  split?: SplitMode;
}

export interface GeneratorOptions {
  seed: number;
  endDate: string;
  /** Months actually generated (at least 13). */
  months: number;
  /** Months asked for (may be below the minimum). */
  monthsRequested: number;
  claimsPerDay: number;
  scenarioSpecs: readonly string[];
  scenarios: readonly Scenario[];
  dirtyRate: number;
  formatVariety: number;
  claimId: boolean;
  pending: PendingMode;
  split: SplitMode;
  /** History = [historyStart, historyEnd) as day numbers; historyEnd = end date. */
  historyStart: number;
  historyEnd: number;
}

/** An option value the generator cannot use (the CLI turns it into a usage error). */
export class GeneratorOptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GeneratorOptionError';
  }
}

function checkRate(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0 || value > 1) {
    throw new GeneratorOptionError(`${name} must be a number between 0 and 1 (got ${value}).`);
  }
  return value;
}

/** Fill defaults and validate. `now` fixes "today" for the default end date. */
export function resolveOptions(input: GeneratorInput = {}, now: Date = new Date()): GeneratorOptions {
  const seed = input.seed ?? DEFAULT_SEED;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new GeneratorOptionError(`--seed must be a whole number from 0 to 4294967295 (got ${seed}).`);
  }
  const endDate = input.endDate ?? isoDay(todayDay(now));
  const historyEnd = parseIsoDay(endDate);
  if (historyEnd === null || endDate < '1901-01-01' || endDate > '2099-12-31') {
    throw new GeneratorOptionError(`--end-date must be a calendar date YYYY-MM-DD (got '${endDate}').`);
  }
  const monthsRequested = input.months ?? MIN_MONTHS;
  if (!Number.isInteger(monthsRequested) || monthsRequested < 1 || monthsRequested > MAX_MONTHS) {
    throw new GeneratorOptionError(
      `--months must be a whole number from 1 to ${MAX_MONTHS} (got ${monthsRequested}).`,
    );
  }
  const months = Math.max(MIN_MONTHS, monthsRequested);
  const claimsPerDay = input.claimsPerDay ?? DEFAULT_CLAIMS_PER_DAY;
  if (!Number.isInteger(claimsPerDay) || claimsPerDay < 1 || claimsPerDay > MAX_CLAIMS_PER_DAY) {
    throw new GeneratorOptionError(
      `--claims-per-day must be a whole number from 1 to ${MAX_CLAIMS_PER_DAY} (got ${claimsPerDay}).`,
    );
  }
  const scenarioSpecs = [...(input.scenarios ?? [])];
  const scenarios = scenarioSpecs.map((spec) => {
    try {
      return parseScenarioSpec(spec);
    } catch (error) {
      if (error instanceof ScenarioSpecError) throw new GeneratorOptionError(error.message);
      throw error;
    }
  });
  // Default `omit` (docs/DECISIONS.md): a real export holds only the claims decided by its date.
  const pending = input.pending ?? 'omit';
  if (pending !== 'include' && pending !== 'omit') {
    throw new GeneratorOptionError(`--pending must be include or omit (got '${pending}').`);
  }
  const split = input.split ?? 'monthly';
  if (split !== 'none' && split !== 'monthly') {
    throw new GeneratorOptionError(`--split must be none or monthly (got '${split}').`);
  }
  return {
    seed,
    endDate,
    months,
    monthsRequested,
    claimsPerDay,
    scenarioSpecs,
    scenarios,
    dirtyRate: checkRate('--dirty-rate', input.dirtyRate ?? 0),
    formatVariety: checkRate('--format-variety', input.formatVariety ?? 0),
    claimId: input.claimId ?? true,
    pending,
    split,
    historyStart: historyEnd - Math.round(months * 30.4),
    historyEnd,
  };
}

/**
 * The options the demo customer uses (ingestion spec §7.2): a realistic export at the end date,
 * so claims decided after it are left out and later payment dates are blank (`pending: 'omit'`).
 */
export function demoGeneratorInput(endDate?: string): GeneratorInput {
  return {
    seed: DEFAULT_SEED,
    scenarios: DEMO_SCENARIOS,
    ...(endDate !== undefined && { endDate }),
    dirtyRate: 0.01,
    formatVariety: 0.05,
    pending: 'omit',
    split: 'monthly',
  };
}
