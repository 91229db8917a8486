import { type TObject, type TProperties, Type } from 'typebox';
import { Text } from './primitives.ts';

/**
 * Building blocks of portal form schemas. A browser form posts strings (or repeated strings for
 * a checkbox group); each field is bounded and free of control characters, so hostile input is
 * a 400 page before anything runs. Blank or wrong values a person can type are left to the
 * domain rules, which re-render the form with the field's message.
 */

/** An optional single-line form field of at most `maxLength` characters (blank allowed). */
export function FormText(maxLength: number, description?: string) {
  return Type.Optional(Text({ maxLength, required: false, ...(description ? { description } : {}) }));
}

/** An optional multi-line form field (a textarea). */
export function FormTextArea(maxLength: number) {
  return Type.Optional(Text({ maxLength, required: false, multiline: true }));
}

/**
 * A group of checkboxes sharing one name: absent, one value or a list of at most `maxItems`
 * values of at most `maxLength` characters each.
 */
export function FormCheckboxes(maxItems: number, maxLength: number) {
  const value = Text({ maxLength, required: false });
  return Type.Optional(Type.Union([Type.Array(value, { maxItems }), value]));
}

/** The CSRF token every form carries (checked by the auth plugin before validation). */
export const CsrfField = FormText(200);

/** A form schema: the CSRF token plus the form's own fields. */
export function Form<Properties extends TProperties>(
  properties: Properties,
): TObject<Properties & { csrf_token: typeof CsrfField }> {
  return Type.Object({ ...properties, csrf_token: CsrfField });
}

/** A form that posts nothing but its CSRF token (a button: log out, revoke, acknowledge). */
export const ButtonForm = Form({});

const caseless = (word: string) =>
  [...word].map((c) => (/[a-z]/i.test(c) ? `[${c.toLowerCase()}${c.toUpperCase()}]` : c)).join('');

/**
 * A checkbox or boolean flag as forms and multipart clients send it: `on`, `true`/`false`,
 * `yes`/`no`, `1`/`0` (any letter case, surrounding spaces) or empty. Anything else is
 * "Enter a valid value." rather than silently false.
 */
export const FormFlag = Type.Optional(
  Type.String({
    maxLength: 10,
    pattern: `^ *(?:${['on', 'off', 'true', 'false', 'yes', 'no', '1', '0'].map(caseless).join('|')})? *$`,
    description: 'A flag: `on`/`true`/`yes`/`1` (set) or `off`/`false`/`no`/`0`/empty (not set).',
    examples: ['true'],
  }),
);

/** An optional id sent as text (multipart): digits, surrounding spaces, or empty for none. */
export const ID_TEXT_PATTERN = '^ *(?:[1-9]\\d{0,14})? *$';

/** An optional id as multipart text (`''` = none); anything else is "A valid integer is required.". */
export function IdText(description: string) {
  return Type.Optional(
    Type.String({ maxLength: 20, pattern: ID_TEXT_PATTERN, description, examples: ['7'] }),
  );
}
