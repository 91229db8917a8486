/**
 * PHI scrubbing of everything sent to Sentry (web-api-ops §5.5). Pure: no SDK import, so the
 * rules are tested without the client and the disabled path never loads it.
 *
 * The table of §5.5, applied to every event, transaction and breadcrumb before sending:
 *
 * | Field | Result |
 * |---|---|
 * | `request.data` (present) | `[REDACTED FOR HIPAA COMPLIANCE]` |
 * | `request.cookies`, `request.query_string` | `[REDACTED]` |
 * | headers Authorization, Cookie, X-CSRF-Token, X-Ingestion-Token | `[REDACTED]` |
 * | `user.email` | `[REDACTED]`; id and username kept; `ip_address` removed |
 * | exception values, breadcrumb messages | `[ERROR MESSAGE REDACTED - MAY CONTAIN PHI]` when a word after the first is title-case or an identifier pattern is present |
 *
 * Every other string goes through the ingestion `sanitize` (identifier patterns replaced in
 * place, PHI-named keys blanked). The rules themselves live beside `sanitize` in
 * src/domain/claims/sanitize.ts, so the log redaction and this scrubber cannot drift apart;
 * this module adapts them to the SDK's event and breadcrumb shapes.
 */
import type { Breadcrumb, Event } from '@sentry/core';
import {
  type ErrorEventLike,
  isTitleCaseWord,
  messageMayContainPhi,
  REDACTED,
  REDACTED_BODY,
  REDACTED_MESSAGE,
  sanitize,
  scrubErrorEvent,
  scrubErrorMessage,
} from '../domain/claims/sanitize.ts';

export {
  isTitleCaseWord,
  messageMayContainPhi,
  REDACTED,
  REDACTED_BODY,
  REDACTED_MESSAGE,
  scrubErrorMessage,
};

/**
 * Scrubs an error event or a transaction (both are `Event`s to the SDK). Returns a new event;
 * keys absent from the input stay absent.
 */
export function scrubSentryEvent<E extends Event>(event: E): E {
  // The SDK's Event is an interface without an index signature; the scrubber walks it as a
  // plain JSON-like record, which is what the SDK serialises.
  return scrubErrorEvent(event as unknown as ErrorEventLike) as unknown as E;
}

/** Scrubs a breadcrumb: its message by the exception rule, every other string by `sanitize`. */
export function scrubSentryBreadcrumb(breadcrumb: Breadcrumb): Breadcrumb {
  const scrubbed = sanitize({ ...breadcrumb });
  if (typeof breadcrumb.message === 'string') scrubbed.message = scrubErrorMessage(breadcrumb.message);
  return scrubbed;
}
