import { type TObject, type TProperties, Type } from 'typebox';
import { Text } from './primitives.ts';

/**
 * Building blocks of portal form schemas. A browser form posts strings (or repeated strings for
 * a checkbox group); each field is bounded and free of control characters, so hostile input is
 * a 400 page before anything runs. Blank or wrong values a person can type are left to the
 * domain rules, which re-render the form with the field's message.
 */

/** An optional single-line form field of at most `maxLength` characters. */
export function FormText(maxLength: number) {
  return Type.Optional(Text({ maxLength, required: false }));
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
