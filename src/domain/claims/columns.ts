/**
 * The CSV/JSON column contract (ingestion spec §2.4): the only 16 columns ingestion reads, in
 * template order. Everything else in a file is ignored and never stored (§3.3).
 */

/** Canonical column names, in template order. `cpt_group` is deliberately absent: it is never read. */
export const CANONICAL_COLUMNS = [
  'payer',
  'cpt',
  'submitted_date',
  'decided_date',
  'outcome',
  'allowed_amount',
  'denial_reason_code',
  'denial_reason_text',
  'claim_id',
  'billed_amount',
  'paid_amount',
  'payment_date',
  'modifiers',
  'authorization_required',
  'authorization_obtained',
  'place_of_service',
] as const;

/** One of the 16 canonical columns. */
export type CanonicalField = (typeof CANONICAL_COLUMNS)[number];

/**
 * Required columns in the order their absence is reported (§2.5, §2.7 step 1): the first
 * missing one names the error.
 */
export const REQUIRED_COLUMNS = ['payer', 'cpt', 'submitted_date', 'decided_date', 'outcome'] as const;

/** One of the five required columns. */
export type RequiredField = (typeof REQUIRED_COLUMNS)[number];

/**
 * Maximum lengths (characters, i.e. code points as PostgreSQL varchar counts them) of the text
 * columns; longer values reject the row "Value too long: <field> (max <k> characters)".
 */
export const MAX_LENGTHS: Readonly<Partial<Record<CanonicalField, number>>> = {
  payer: 255,
  cpt: 16,
  denial_reason_code: 20,
  denial_reason_text: 500,
  claim_id: 64,
};

/** The three money columns (§2.6). */
export const MONEY_FIELDS = ['allowed_amount', 'billed_amount', 'paid_amount'] as const;
export type MoneyField = (typeof MONEY_FIELDS)[number];

/** The three date columns (§2.6); payment_date is optional. */
export const DATE_FIELDS = ['submitted_date', 'decided_date', 'payment_date'] as const;
export type DateField = (typeof DATE_FIELDS)[number];

/** The two boolean columns (§2.6). */
export const BOOLEAN_FIELDS = ['authorization_required', 'authorization_obtained'] as const;
export type BooleanField = (typeof BOOLEAN_FIELDS)[number];

const CANONICAL_SET: ReadonlySet<string> = new Set(CANONICAL_COLUMNS);

/** True when `name` is exactly a canonical column name. */
export function isCanonicalField(name: string): name is CanonicalField {
  return CANONICAL_SET.has(name);
}

/** True when the field is one of the five required ones. */
export function isRequiredField(field: CanonicalField): field is RequiredField {
  return (REQUIRED_COLUMNS as readonly string[]).includes(field);
}

/** The header line of the CSV template (`GET /portal/uploads/template.csv`). */
export const TEMPLATE_HEADER = CANONICAL_COLUMNS.join(',');

/**
 * Two example rows for the template. Payer organisation names only and invented claim numbers,
 * so the template itself teaches what a safe file looks like.
 */
export const TEMPLATE_EXAMPLE_ROWS: readonly string[] = [
  'Blue Cross Blue Shield,99213,2024-01-15,2024-02-01,PAID,150.00,,,CLM-1001,200.00,150.00,2024-02-05,25,N,,11',
  'Aetna,99214,2024-01-16,2024-02-02,DENIED,0.00,CO-197,Precertification absent,CLM-1002,250.00,0.00,,,Y,N,11',
];
