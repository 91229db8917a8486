import { Type } from 'typebox';
import { Text } from '../../schemas/index.ts';

/**
 * Schemas of the JWT endpoints (web-api-ops §4.3). They take JSON, a form or multipart fields
 * alike (multipart fields become the body before validation). Every field is bounded text
 * without control characters; a list or an object for a field is a 400 with the field named.
 *
 * The required keys are declared required (a missing one is "This field is required." from the
 * schema), but an empty value is left to the handler, which answers it with the same message
 * as before instead of "may not be blank".
 */

/** Above any username (150) or e-mail (254) a person can have: a longer one is a 400. */
const IDENTIFIER_MAX = 254;
/** Above the password policy's 128, so a long wrong password is still answered 401. */
const PASSWORD_MAX = 1_024;
/** A JWT of this service is a few hundred characters; 4,096 leaves room for any claim set. */
const JWT_MAX = 4_096;

export const TokenRequest = Type.Object(
  {
    username: Type.Optional(
      Text({
        maxLength: IDENTIFIER_MAX,
        required: false,
        description: 'Username or e-mail address.',
        examples: ['owner_a'],
      }),
    ),
    email: Type.Optional(
      Text({
        maxLength: IDENTIFIER_MAX,
        required: false,
        description: 'Instead of `username`: the e-mail address.',
        examples: ['owner_a@example.com'],
      }),
    ),
    password: Text({ maxLength: PASSWORD_MAX, required: false, examples: ['correct-Horse-battery-9'] }),
  },
  { title: 'TokenRequest' },
);

export const TokenPair = Type.Object(
  {
    access: Type.String({
      description: 'Access token (`JWT_ACCESS_MINUTES`, default 30).',
      examples: ['eyJhbGciOiJIUzI1NiJ9.…'],
    }),
    refresh: Type.String({
      description: 'Refresh token (`JWT_REFRESH_MINUTES`, default 1 day; single use, rotated on refresh).',
      examples: ['eyJhbGciOiJIUzI1NiJ9.…'],
    }),
  },
  { title: 'TokenPair' },
);

export const RefreshRequest = Type.Object(
  { refresh: Text({ maxLength: JWT_MAX, required: false, description: 'A refresh token.' }) },
  { title: 'RefreshRequest' },
);

export const VerifyRequest = Type.Object(
  { token: Text({ maxLength: JWT_MAX, required: false, description: 'An access or refresh token.' }) },
  { title: 'VerifyRequest' },
);

/** `{}`: verify and revoke answer an empty object on success. */
export const Empty = Type.Object({}, { title: 'Empty' });
