/**
 * Planted scenarios (ingestion spec §7.1): the `--scenario name:key=value,…` syntax, its
 * validation with clear messages, and the resolved form the generator applies.
 */
import { EXTRA_DENIAL_TEXTS, knownGroups, PAYERS, type PayerProfile } from './catalog.ts';

export const SCENARIO_NAMES = [
  'denial_spike',
  'decision_drift',
  'denial_dollars_spike',
  'new_denial_reason',
  'payment_delay',
  'underpayment',
] as const;

export type ScenarioName = (typeof SCENARIO_NAMES)[number];

interface ScenarioBase {
  /** Canonical spec with every parameter spelled out (defaults included). */
  spec: string;
  /** Canonical payer name. */
  payer: string;
  /**
   * Window length in days. The payer changes how it decides from `end − windowDays` on: the
   * scenario acts on the target's claims whose base decision date (before any scenario) is on or
   * after that day (ingestion spec §7.1 as changed by issue 9: the decision timeline).
   */
  windowDays: number;
}

export type Scenario =
  | (ScenarioBase & { name: 'denial_spike'; group: string | null; delta: number })
  | (ScenarioBase & { name: 'decision_drift'; group: string | null; days: number })
  | (ScenarioBase & {
      name: 'denial_dollars_spike';
      code: string;
      factor: number;
      /** Share of the payer's other denials in the window that carry `code`. */
      share: number;
      /** Share of the payer's PAID claims in the window denied with `code` instead. */
      delta: number;
    })
  | (ScenarioBase & { name: 'new_denial_reason'; code: string; text: string; count: number })
  | (ScenarioBase & { name: 'payment_delay'; days: number })
  | (ScenarioBase & { name: 'underpayment'; group: string | null; points: number });

/** A spec the generator cannot use; the message says what is wrong and what is expected. */
export class ScenarioSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScenarioSpecError';
  }
}

export const SCENARIO_SYNTAX =
  'name:key=value,… (e.g. denial_spike:payer=Blue Cross Blue Shield,group=E&M Office Visit,delta=0.2)';

type KeyKind = 'payer' | 'group' | 'number' | 'integer' | 'code' | 'text';

interface KeyDef {
  kind: KeyKind;
  required?: boolean;
  default?: number | string;
  min?: number;
  max?: number;
  /** Lower bound excluded (delta, factor, points must be > 0). */
  exclusiveMin?: boolean;
}

const WINDOW_KEY: KeyDef = { kind: 'integer', min: 1, max: 120 };

/**
 * Days of the current window of DriftWatch and DelayGuard (analytics §5.1, §7.1). A slowdown of
 * `days` leaves no decision at all for its first `days` days (the backlog); its default window
 * is `days + CURRENT_WINDOW_DAYS`, so the decisions resume just as the current window begins
 * and that window holds only slowed decisions while the baseline holds none.
 */
export const CURRENT_WINDOW_DAYS = 14;
const PAYER_KEY: KeyDef = { kind: 'payer', required: true };
const GROUP_KEY: KeyDef = { kind: 'group' };

/** Keys of each scenario, in canonical order, with defaults and ranges. */
const KEYS: Readonly<Record<ScenarioName, Readonly<Record<string, KeyDef>>>> = {
  denial_spike: {
    payer: PAYER_KEY,
    group: GROUP_KEY,
    delta: { kind: 'number', default: 0.2, min: 0, max: 0.95, exclusiveMin: true },
    window: { ...WINDOW_KEY, default: 14 },
  },
  decision_drift: {
    payer: PAYER_KEY,
    group: GROUP_KEY,
    days: { kind: 'integer', default: 8, min: 1, max: 90 },
    window: WINDOW_KEY,
  },
  denial_dollars_spike: {
    payer: PAYER_KEY,
    code: { kind: 'code', default: 'CO-197' },
    factor: { kind: 'number', default: 3, min: 0, max: 100, exclusiveMin: true },
    // Critical needs confidence >= 0.75, i.e. >= 30 denials of the key across DenialScope's 7-day
    // recent and 21-day baseline windows (issue 9); the payer's own denials in one week are ~16
    // at the demo volume, so the spike adds denials (docs/DECISIONS.md).
    share: { kind: 'number', default: 1, min: 0, max: 1 },
    delta: { kind: 'number', default: 0.3, min: 0, max: 0.95 },
    window: { ...WINDOW_KEY, default: 7 },
  },
  new_denial_reason: {
    payer: PAYER_KEY,
    code: { kind: 'code', default: 'CO-252' },
    text: { kind: 'text' },
    count: { kind: 'integer', default: 15, min: 1, max: 100_000 },
    window: { ...WINDOW_KEY, default: 7 },
  },
  payment_delay: {
    payer: PAYER_KEY,
    days: { kind: 'integer', default: 12, min: 1, max: 90 },
    window: WINDOW_KEY,
  },
  underpayment: {
    payer: PAYER_KEY,
    group: GROUP_KEY,
    points: { kind: 'number', default: 0.1, min: 0, max: 0.8, exclusiveMin: true },
    window: { ...WINDOW_KEY, default: 14 },
  },
};

function findPayer(value: string): PayerProfile | undefined {
  const key = value.trim().replace(/\s+/g, ' ').toLowerCase();
  return PAYERS.find(
    (p) => p.name.toLowerCase() === key || p.spellings.some(([s]) => s.toLowerCase() === key),
  );
}

function findGroup(value: string): string | undefined {
  const key = value.trim().replace(/\s+/g, ' ').toLowerCase();
  return knownGroups().find((g) => g.toLowerCase() === key);
}

function describeRange(def: KeyDef): string {
  const kind = def.kind === 'integer' ? 'a whole number' : 'a number';
  const low = def.exclusiveMin ? `greater than ${def.min}` : `at least ${def.min}`;
  return `${kind} ${low} and at most ${def.max}`;
}

/**
 * Parse one `--scenario` value. Throws `ScenarioSpecError` with a message naming the spec, the
 * problem and what is allowed.
 */
export function parseScenarioSpec(input: string): Scenario {
  const spec = input.trim();
  if (spec === '') throw new ScenarioSpecError(`Empty scenario. Expected ${SCENARIO_SYNTAX}.`);
  const colon = spec.indexOf(':');
  const name = (colon === -1 ? spec : spec.slice(0, colon)).trim().toLowerCase();
  if (!(SCENARIO_NAMES as readonly string[]).includes(name)) {
    throw new ScenarioSpecError(
      `Unknown scenario '${name}' in '${spec}'. Known scenarios: ${SCENARIO_NAMES.join(', ')}.`,
    );
  }
  const scenarioName = name as ScenarioName;
  const defs = KEYS[scenarioName];
  const raw = new Map<string, string>();
  const body = colon === -1 ? '' : spec.slice(colon + 1);
  if (body.trim() !== '') {
    for (const part of body.split(',')) {
      const eq = part.indexOf('=');
      if (eq === -1) {
        throw new ScenarioSpecError(
          `Malformed parameter '${part.trim()}' in scenario '${spec}': expected key=value. Expected ${SCENARIO_SYNTAX}.`,
        );
      }
      const key = part.slice(0, eq).trim().toLowerCase();
      const value = part.slice(eq + 1).trim();
      if (!(key in defs)) {
        throw new ScenarioSpecError(
          `Unknown key '${key}' for scenario '${scenarioName}'. Allowed keys: ${Object.keys(defs).join(', ')}.`,
        );
      }
      if (raw.has(key)) throw new ScenarioSpecError(`Key '${key}' is given twice in scenario '${spec}'.`);
      if (value === '') throw new ScenarioSpecError(`Key '${key}' has no value in scenario '${spec}'.`);
      raw.set(key, value);
    }
  }

  const values: Record<string, string | number | null> = {};
  for (const [key, def] of Object.entries(defs)) {
    const given = raw.get(key);
    if (given === undefined) {
      if (def.required) {
        throw new ScenarioSpecError(
          `Scenario '${scenarioName}' needs ${key}=<${key}> (e.g. ${scenarioName}:payer=Aetna). Payers: ${PAYERS.map((p) => p.name).join(', ')}.`,
        );
      }
      values[key] = def.default ?? null;
      continue;
    }
    switch (def.kind) {
      case 'payer': {
        const payer = findPayer(given);
        if (!payer) {
          throw new ScenarioSpecError(
            `Unknown payer '${given}' in scenario '${scenarioName}'. Payers: ${PAYERS.map((p) => p.name).join(', ')}.`,
          );
        }
        values[key] = payer.name;
        break;
      }
      case 'group': {
        const group = findGroup(given);
        if (!group) {
          throw new ScenarioSpecError(
            `Unknown CPT group '${given}' in scenario '${scenarioName}'. Groups: ${knownGroups().join(', ')}.`,
          );
        }
        values[key] = group;
        break;
      }
      case 'number':
      case 'integer': {
        const number = /^[+]?(\d+(\.\d+)?|\.\d+)$/.test(given) ? Number(given) : Number.NaN;
        const bad =
          !Number.isFinite(number) ||
          (def.kind === 'integer' && !Number.isInteger(number)) ||
          (def.min !== undefined && (def.exclusiveMin ? number <= def.min : number < def.min)) ||
          (def.max !== undefined && number > def.max);
        if (bad) {
          throw new ScenarioSpecError(
            `Invalid ${key} '${given}' in scenario '${scenarioName}': expected ${describeRange(def)}.`,
          );
        }
        values[key] = number;
        break;
      }
      case 'code': {
        const code = given.toUpperCase();
        if (!/^[A-Z]{2}-[A-Z0-9]{1,5}$/.test(code)) {
          throw new ScenarioSpecError(
            `Invalid code '${given}' in scenario '${scenarioName}': expected a group code and reason like CO-197.`,
          );
        }
        values[key] = code;
        break;
      }
      case 'text': {
        if (given.length > 100 || [...given].some((ch) => ch < ' ' || ch === '\u007f' || ch === '"')) {
          throw new ScenarioSpecError(
            `Invalid text in scenario '${scenarioName}': at most 100 characters, no quotes or control characters.`,
          );
        }
        values[key] = given;
        break;
      }
    }
  }
  if (values['window'] === null) {
    // decision_drift, payment_delay: the backlog's gap ends where the current window begins.
    values['window'] = Math.min((values['days'] as number) + CURRENT_WINDOW_DAYS, WINDOW_KEY.max as number);
  }
  if (scenarioName === 'new_denial_reason' && values['text'] === null) {
    values['text'] = EXTRA_DENIAL_TEXTS[values['code'] as string] ?? 'Denied';
  }

  const canonical = `${scenarioName}:${Object.keys(defs)
    .filter((key) => values[key] !== null)
    .map((key) => `${key}=${values[key]}`)
    .join(',')}`;
  const base = {
    spec: canonical,
    payer: values['payer'] as string,
    windowDays: values['window'] as number,
  };
  const group = (values['group'] as string | null | undefined) ?? null;
  switch (scenarioName) {
    case 'denial_spike':
      return { ...base, name: scenarioName, group, delta: values['delta'] as number };
    case 'decision_drift':
      return { ...base, name: scenarioName, group, days: values['days'] as number };
    case 'denial_dollars_spike':
      return {
        ...base,
        name: scenarioName,
        code: values['code'] as string,
        factor: values['factor'] as number,
        share: values['share'] as number,
        delta: values['delta'] as number,
      };
    case 'new_denial_reason':
      return {
        ...base,
        name: scenarioName,
        code: values['code'] as string,
        text: values['text'] as string,
        count: values['count'] as number,
      };
    case 'payment_delay':
      return { ...base, name: scenarioName, days: values['days'] as number };
    case 'underpayment':
      return { ...base, name: scenarioName, group, points: values['points'] as number };
  }
}

const percent = (share: number): string => `${Math.round(share * 1000) / 10}%`;

/**
 * What each scenario should make the products find (for the manifest and the docs). Effects
 * apply to the target's claims whose base decision date is on or after the window start.
 */
export function expectedEffect(scenario: Scenario): { product: string; finding: string; effect: string } {
  const target = `${scenario.payer}${'group' in scenario && scenario.group ? ` × ${scenario.group}` : ''}`;
  switch (scenario.name) {
    case 'denial_spike':
      return {
        product: 'DriftWatch',
        finding: 'DENIAL_RATE',
        effect: `${target}: PAID claims decided from the window start denied, denial probability +${scenario.delta} (at most every PAID claim), degrading`,
      };
    case 'decision_drift':
      return {
        product: 'DriftWatch',
        finding: 'DECISION_TIME',
        effect: `${target}: decisions from the window start happen ${scenario.days} days later (payment dates follow), degrading`,
      };
    case 'denial_dollars_spike':
      return {
        product: 'DenialScope',
        finding: 'denial_dollars_spike',
        effect:
          `${target}: from the window start ${scenario.code} on ${percent(scenario.share)} of denials and ` +
          `${percent(scenario.delta)} of PAID claims denied with it; allowed and billed of ${scenario.code} denials ×${scenario.factor}`,
      };
    case 'new_denial_reason':
      return {
        product: 'DenialScope',
        finding: 'new_denial_reason',
        effect: `${target}: ${scenario.count} PAID claims decided in the window turned DENIED with ${scenario.code} "${scenario.text}"`,
      };
    case 'payment_delay':
      return {
        product: 'DelayGuard',
        finding: 'payment_delay_drift',
        effect: `${target}: decisions and payments from the window start happen ${scenario.days} days later`,
      };
    case 'underpayment':
      return {
        product: 'DriftWatch',
        finding: 'PAYMENT_AMOUNT',
        effect: `${target}: paid/allowed −${scenario.points} on PAID lines decided from the window start`,
      };
  }
}

/** The six scenarios the demo customer plants (ingestion spec §7.2, analytics spec A24). */
export const DEMO_SCENARIOS: readonly string[] = [
  'denial_spike:payer=Blue Cross Blue Shield,group=E&M Office Visit,delta=0.20',
  'decision_drift:payer=Medicare,group=E&M Office Visit,days=8',
  'denial_dollars_spike:payer=UnitedHealthcare,code=CO-197,factor=3',
  'new_denial_reason:payer=Aetna,code=CO-252',
  'payment_delay:payer=Cigna,days=12',
  'underpayment:payer=Aetna,group=E&M Office Visit,points=0.10',
];
