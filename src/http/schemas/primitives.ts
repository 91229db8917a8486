import { type Static, type TSchema, type TUnsafe, Type } from 'typebox';

/**
 * Reusable schema building blocks for routes (web-api-ops §4.1). Every string a client can send
 * is bounded and refuses control characters, so a NUL byte or a 10 MB "name" is a 400 at the
 * edge and never reaches PostgreSQL (where NUL in text is an error, i.e. a 500).
 */

/** Largest id accepted: ids are bigint in the database, JavaScript numbers in the API. */
export const MAX_ID = Number.MAX_SAFE_INTEGER;

/** Single-line text: no C0 control characters (NUL, tab, newline …) and no DEL. */
export const SINGLE_LINE_PATTERN = '^[^\\u0000-\\u001f\\u007f]*$';
/** Multi-line text: tab, newline and carriage return allowed, other control characters not. */
export const MULTI_LINE_PATTERN = '^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f]*$';
/** Only white space: used with `not` so a blank required field gets its own message. */
export const BLANK_PATTERN = '^\\s*$';
/** Money as a decimal string with exactly two decimals (§4.1). */
export const MONEY_PATTERN = '^-?\\d{1,13}\\.\\d{2}$';

/**
 * Keyword (registered on the validator in app.ts) refusing Infinity and NaN. Ajv coerces
 * "1e400" or a 400-digit string to Infinity, which passes `type: integer` and skips
 * `maximum` (it only compares finite numbers): without this, such a value reaches the
 * database and fails there (a 500). Every integer and number schema carries it.
 */
export const FINITE_KEYWORD = 'x-finite';

type IntegerOptions = Parameters<typeof Type.Integer>[0];

/** An integer (use this, not `Type.Integer`: it refuses the Infinity that coercion can produce). */
export function Integer(options: IntegerOptions = {}) {
  return Type.Integer({ ...options, [FINITE_KEYWORD]: true });
}

/** A number (finite, see {@link Integer}). */
export function NumberValue(options: Parameters<typeof Type.Number>[0] = {}) {
  return Type.Number({ ...options, [FINITE_KEYWORD]: true });
}

/** A positive integer id (path parameter or body field). */
export const Id = Integer({ minimum: 1, maximum: MAX_ID, examples: [42] });

/** `/:id/` path parameters. A malformed id answers 404 (the URL does not exist), see errors.ts. */
export const IdParams = Type.Object({ id: Id }, { additionalProperties: false });

export interface TextOptions {
  /** Upper bound; every text field has one (the column's size, or a sane limit). */
  maxLength: number;
  /** At least one non-blank character (default true). */
  required?: boolean;
  /** Allow tab/newline/carriage return (notes, descriptions). */
  multiline?: boolean;
  description?: string;
  examples?: string[];
}

/** A bounded text field without control characters; non-blank unless `required: false`. */
export function Text(options: TextOptions) {
  const { maxLength, required = true, multiline = false, description, examples } = options;
  return Type.String({
    maxLength,
    pattern: multiline ? MULTI_LINE_PATTERN : SINGLE_LINE_PATTERN,
    ...(required ? { minLength: 1, not: { type: 'string', pattern: BLANK_PATTERN } } : {}),
    ...(description ? { description } : {}),
    ...(examples ? { examples } : {}),
  });
}

/** A calendar date `YYYY-MM-DD` (validated as a real date: no 2026-02-30). */
export const DateString = Type.String({ format: 'date', maxLength: 10, examples: ['2026-01-24'] });

/** ISO 8601 UTC with milliseconds and `Z` (responses). */
export const DateTimeString = Type.String({ format: 'date-time', examples: ['2026-01-24T08:00:00.000Z'] });

/** Money: a string with exactly two decimals. */
export const Money = Type.String({ pattern: MONEY_PATTERN, maxLength: 17, examples: ['100.00'] });

/** A JSON or form boolean (`true`/`false`; forms send strings, coerced by the validator). */
export const Bool = Type.Boolean();

/**
 * `T | null` (response keys are always present, null when empty: §4.1).
 *
 * A scalar becomes `type: [T, 'null']` rather than `anyOf: [T, null]`: the response serialiser
 * (fast-json-stringify) runs an Ajv validation per `anyOf` value to pick the branch, which made
 * schema serialisation slower than `JSON.stringify` on lists with nullable columns (`npm run
 * bench serialization`); a type list is a plain type check. Same meaning for validation and in
 * OpenAPI 3.1. An enumeration gains `null` among its values. Other schemas keep the union.
 */
export function Nullable<T extends TSchema>(schema: T): TUnsafe<Static<T> | null> {
  const { type, anyOf, enum: values } = schema as { type?: unknown; anyOf?: unknown; enum?: unknown[] };
  if (typeof type === 'string' && type !== 'object' && type !== 'array' && anyOf === undefined) {
    return Type.Unsafe<Static<T> | null>({
      ...schema,
      type: [type, 'null'],
      ...(values ? { enum: [...values, null] } : {}),
    });
  }
  return Type.Unsafe<Static<T> | null>(Type.Union([schema, Type.Null()]));
}

/** One of a fixed set of strings (`"x" is not a valid choice.` on anything else). */
export function Choice<const Values extends string[]>(
  values: readonly [...Values],
  options: { description?: string; examples?: string[] } = {},
) {
  return Type.Enum<Values>(values, { type: 'string', ...options });
}
