/**
 * The synthetic practice's reference data (ingestion spec §7.1–§7.2): payers and how their names
 * are written, the CPT mix (code numbers only, never descriptors), denial codes with our own short
 * texts (not the X12 CARC descriptions), and the demo customer's mappings.
 */

import { CANONICAL_COLUMNS } from '../claims/columns.ts';
import { defaultCptGroup } from '../claims/normalize.ts';

/** The template's 16 columns, in order: the ingestion contract itself. */
export const TEMPLATE_COLUMNS = CANONICAL_COLUMNS;

export type TemplateColumn = (typeof TEMPLATE_COLUMNS)[number];

/** Index of each column in a row's cells. */
export const COL: Readonly<Record<TemplateColumn, number>> = Object.fromEntries(
  TEMPLATE_COLUMNS.map((name, index) => [name, index]),
) as Record<TemplateColumn, number>;

export const REQUIRED_TEMPLATE_COLUMNS = [
  'payer',
  'cpt',
  'submitted_date',
  'decided_date',
  'outcome',
] as const satisfies readonly TemplateColumn[];

export interface PayerProfile {
  /** Canonical name (what the demo mappings normalize to). */
  name: string;
  share: number;
  /** How the name is written in files: [spelling, share]. */
  spellings: readonly (readonly [string, number])[];
  /** Allowed-amount factor against the base fee. */
  factor: number;
  denialProbability: number;
  /** Decision lag override in days [min, max] for every outcome (Medicare). */
  lag?: readonly [number, number];
}

export const PAYERS: readonly PayerProfile[] = [
  {
    name: 'Blue Cross Blue Shield',
    share: 0.25,
    spellings: [
      ['Blue Cross Blue Shield', 0.6],
      ['BCBS', 0.3],
      ['BC/BS', 0.1],
    ],
    factor: 1.05,
    denialProbability: 0.12,
  },
  {
    name: 'UnitedHealthcare',
    share: 0.2,
    spellings: [
      ['UnitedHealthcare', 0.6],
      ['UHC', 0.3],
      ['United Health', 0.1],
    ],
    factor: 1.1,
    denialProbability: 0.15,
  },
  { name: 'Aetna', share: 0.15, spellings: [['Aetna', 1]], factor: 1.08, denialProbability: 0.13 },
  { name: 'Cigna', share: 0.12, spellings: [['Cigna', 1]], factor: 1.12, denialProbability: 0.14 },
  { name: 'Humana', share: 0.08, spellings: [['Humana', 1]], factor: 0.95, denialProbability: 0.16 },
  {
    name: 'Medicare',
    share: 0.15,
    spellings: [['Medicare', 1]],
    factor: 0.85,
    denialProbability: 0.1,
    lag: [4, 14],
  },
  { name: 'Medicaid', share: 0.05, spellings: [['Medicaid', 1]], factor: 0.7, denialProbability: 0.2 },
];

export interface CptProfile {
  code: string;
  share: number;
  /** Base allowed amount in cents. */
  baseCents: number;
}

export const CPT_MIX: readonly CptProfile[] = [
  { code: '99213', share: 0.21, baseCents: 9_500 },
  { code: '99214', share: 0.18, baseCents: 13_500 },
  { code: '99215', share: 0.06, baseCents: 18_500 },
  { code: '99203', share: 0.05, baseCents: 11_500 },
  { code: '99204', share: 0.04, baseCents: 17_000 },
  { code: '36415', share: 0.12, baseCents: 900 },
  { code: '85025', share: 0.08, baseCents: 1_100 },
  { code: '80053', share: 0.07, baseCents: 1_500 },
  { code: '99232', share: 0.04, baseCents: 8_000 },
  { code: '99233', share: 0.02, baseCents: 11_500 },
  { code: '93000', share: 0.04, baseCents: 2_000 },
  { code: '71046', share: 0.03, baseCents: 3_500 },
  { code: '20610', share: 0.02, baseCents: 7_500 },
  { code: 'J3301', share: 0.02, baseCents: 800 },
  { code: '90471', share: 0.02, baseCents: 2_500 },
];

export const CPT_BY_CODE: ReadonlyMap<string, CptProfile> = new Map(CPT_MIX.map((c) => [c.code, c]));

/** The extra lab line 15% of claims carry. */
export const LAB_LINE_SHARE = 0.15;
export const LAB_LINE_MIX: readonly (readonly [string, number])[] = [
  ['36415', 0.5],
  ['85025', 0.25],
  ['80053', 0.25],
];

/** CPT codes needing prior authorization in the synthetic practice. */
export const AUTH_REQUIRED_CPTS: ReadonlySet<string> = new Set(['20610', '71046', 'J3301']);

export interface DenialCode {
  code: string;
  share: number;
  /** Our own short wording (never the X12 CARC description). */
  text: string;
}

export const DENIAL_CODES: readonly DenialCode[] = [
  { code: 'CO-97', share: 0.25, text: 'Bundled with another service' },
  { code: 'CO-197', share: 0.2, text: 'Prior authorization absent' },
  { code: 'CO-16', share: 0.15, text: 'Missing information' },
  { code: 'PR-96', share: 0.15, text: 'Non-covered charge' },
  { code: 'CO-45', share: 0.1, text: 'Exceeds fee schedule' },
  { code: 'CO-50', share: 0.1, text: 'Not medically necessary' },
  { code: 'CO-29', share: 0.05, text: 'Timely filing limit expired' },
];

/** Texts of the extra codes scenarios plant. */
export const EXTRA_DENIAL_TEXTS: Readonly<Record<string, string>> = {
  'CO-252': 'Documentation required',
};

export function denialText(code: string): string {
  return DENIAL_CODES.find((d) => d.code === code)?.text ?? EXTRA_DENIAL_TEXTS[code] ?? '';
}

/** Share of claims that end OTHER (written `OTHER`). */
export const OTHER_PROBABILITY = 0.1;

/** Decision lags (decided − submitted) in days by outcome. */
export const DECISION_LAGS: Readonly<Record<'PAID' | 'DENIED' | 'OTHER', readonly [number, number]>> = {
  PAID: [5, 20],
  DENIED: [3, 22],
  OTHER: [10, 40],
};

/** PAID claims with a payment date, and its lag after the decision. */
export const PAYMENT_DATE_SHARE = 0.95;
export const PAYMENT_LAG: readonly [number, number] = [1, 7];

/** Demo customer mappings (§7.2). */
export const DEMO_PAYER_MAPPINGS: readonly (readonly [string, string])[] = [
  ['BCBS', 'Blue Cross Blue Shield'],
  ['BC/BS', 'Blue Cross Blue Shield'],
  ['United Health', 'UnitedHealthcare'],
  ['UHC', 'UnitedHealthcare'],
];

export const DEMO_CPT_GROUPS: readonly (readonly [string, string])[] = [
  ['99213', 'E&M Office Visit'],
  ['99214', 'E&M Office Visit'],
  ['99215', 'E&M Office Visit'],
  ['99203', 'E&M New Patient'],
  ['99204', 'E&M New Patient'],
  ['36415', 'Lab Services'],
  ['85025', 'Lab Services'],
  ['80053', 'Lab Services'],
];

const DEMO_GROUP_OF: ReadonlyMap<string, string> = new Map(DEMO_CPT_GROUPS);

/** The groups a code belongs to for scenario targeting: its demo group (if any) and built-in group. */
export function cptGroupsOf(code: string): string[] {
  const demo = DEMO_GROUP_OF.get(code);
  const builtIn = defaultCptGroup(code);
  return demo ? [demo, builtIn] : [builtIn];
}

/** Every group name a scenario may target. */
export function knownGroups(): string[] {
  const names = new Set<string>();
  for (const { code } of CPT_MIX) for (const g of cptGroupsOf(code)) names.add(g);
  return [...names].sort();
}

/** E&M lines (built-in group) get modifier 25 on 15% of lines. */
export const EM_MODIFIER_25_SHARE = 0.15;
/** Share of E&M lines written with place of service 02 (telehealth). */
export const EM_TELEHEALTH_SHARE = 0.1;
export const AUTH_OBTAINED_SHARE = 0.95;

/** Dirty-row vocabulary (§7.1). */
export const PHI_FIRST_NAMES = [
  'James',
  'John',
  'Robert',
  'Michael',
  'William',
  'David',
  'Richard',
  'Joseph',
  'Thomas',
  'Charles',
  'Mary',
  'Patricia',
  'Jennifer',
  'Linda',
  'Barbara',
  'Elizabeth',
  'Susan',
  'Jessica',
  'Sarah',
  'Karen',
  'Christopher',
  'Daniel',
  'Matthew',
  'Anthony',
  'Mark',
  'Donald',
  'Steven',
  'Paul',
  'Andrew',
  'Joshua',
  'Nancy',
  'Betty',
  'Margaret',
  'Sandra',
  'Ashley',
  'Kimberly',
  'Emily',
  'Donna',
  'Michelle',
  'Dorothy',
] as const;

export const PHI_LAST_NAMES = [
  'Smith',
  'Johnson',
  'Williams',
  'Brown',
  'Jones',
  'Miller',
  'Davis',
  'Garcia',
] as const;

/** Built-in allow-list entries (§3.1) that a first + last name pair must not collide with. */
export const ALLOWLISTED_NAMES: ReadonlySet<string> = new Set([
  'john hancock',
  'paul revere',
  'william penn',
  'john deere',
]);

export const PHI_PATTERN_TEXT = 'Patient SSN 123-45-6789';
export const BAD_DATES = ['2024-02-30', '31/12/2024', 'invalid-date'] as const;
export const BAD_MONEY = '12.3.4';
export const UNUSUAL_OUTCOME = 'PENDING';
