import type { Event } from '@sentry/core';
import { describe, expect, it } from 'vitest';
import {
  isTitleCaseWord,
  REDACTED,
  REDACTED_BODY,
  REDACTED_MESSAGE,
  scrubSentryBreadcrumb,
  scrubSentryEvent,
} from './sentry-scrub.ts';

/** web-api-ops §5.5: the scrubber's table and test vectors, on the SDK's event shape. */

function exceptionEvent(value: string): Event {
  return { exception: { values: [{ type: 'Error', value }] } };
}

describe('title-case words (§5.5 definition)', () => {
  it.each(['John', 'Mary-Ann'])('%s is title-case', (word) => {
    expect(isTitleCaseWord(word)).toBe(true);
  });
  it.each(['JOHN', 'McDonald', 'ALERT:'])('%s is not title-case', (word) => {
    expect(isTitleCaseWord(word)).toBe(false);
  });
});

describe('exception values (§5.5 test vectors)', () => {
  it.each([
    ['PRIVACY ALERT: payer value John Smith looks like a patient name', REDACTED_MESSAGE],
    ['connection timeout after 30 seconds', 'connection timeout after 30 seconds'],
    ['Connection refused', 'Connection refused'],
    ['Invalid payer Mary Johnson', REDACTED_MESSAGE],
    ['row 4 ssn 123-45-6789', REDACTED_MESSAGE],
  ])('%j → %j', (value, expected) => {
    const scrubbed = scrubSentryEvent(exceptionEvent(value));
    expect(scrubbed.exception?.values?.[0]?.value).toBe(expected);
    expect(scrubbed.exception?.values?.[0]?.type).toBe('Error');
  });

  it.each([
    'email me at jane@example.org',
    'call 555-123-4567 now',
    'record MRN: AB123456 failed',
    'patient DOB: 01/02/1980 in file',
  ])('redacts the identifier patterns too: %j', (value) => {
    expect(scrubSentryEvent(exceptionEvent(value)).exception?.values?.[0]?.value).toBe(REDACTED_MESSAGE);
  });

  it('scrubs every value of a chain (linked errors)', () => {
    const scrubbed = scrubSentryEvent({
      exception: {
        values: [
          { type: 'Error', value: 'query failed' },
          { type: 'Error', value: 'payer Jane Doe unknown' },
        ],
      },
    });
    expect(scrubbed.exception?.values?.map((v) => v.value)).toEqual(['query failed', REDACTED_MESSAGE]);
  });
});

describe('request and user (§5.5 test vectors)', () => {
  it('replaces request data, cookies and query string; redacts the four secret headers', () => {
    const scrubbed = scrubSentryEvent({
      request: {
        url: 'http://localhost/portal/uploads/',
        method: 'POST',
        data: { payer: 'John Smith' },
        cookies: { payrixa_session: 'abc' },
        query_string: 'payer=John',
        headers: {
          Authorization: 'Bearer eyJ.secret',
          cookie: 'payrixa_session=abc',
          'X-CSRF-Token': 'csrf-value',
          'x-ingestion-token': 'pxi_full_token_value',
          accept: 'text/html',
          'x-note': 'reach me at a@b.org',
        },
      },
    });
    expect(scrubbed.request).toEqual({
      url: 'http://localhost/portal/uploads/',
      method: 'POST',
      data: REDACTED_BODY,
      cookies: REDACTED,
      query_string: REDACTED,
      headers: {
        Authorization: REDACTED,
        cookie: REDACTED,
        'X-CSRF-Token': REDACTED,
        'x-ingestion-token': REDACTED,
        accept: 'text/html',
        'x-note': 'reach me at [EMAIL_REDACTED]',
      },
    });
  });

  it('keeps user id and username, redacts email, removes ip_address', () => {
    expect(scrubSentryEvent({ user: { id: 7, email: 'a@b.org' } }).user).toEqual({
      id: 7,
      email: REDACTED,
    });
    expect(
      scrubSentryEvent({ user: { id: 7, username: 'owner_a', email: 'a@b.org', ip_address: '10.0.0.1' } })
        .user,
    ).toEqual({ id: 7, username: 'owner_a', email: REDACTED });
  });

  it('leaves absent keys absent', () => {
    const scrubbed = scrubSentryEvent({ request: { url: 'http://localhost/x/' }, user: { id: 1 } });
    expect(scrubbed.request).toEqual({ url: 'http://localhost/x/' });
    expect(scrubbed.user).toEqual({ id: 1 });
    const bare = scrubSentryEvent({ message: 'plain', tags: { route: '/x/' } });
    expect(Object.keys(bare).sort()).toEqual(['message', 'tags']);
  });

  it('passes every other string through sanitize (patterns in place, PHI-named keys blanked)', () => {
    const scrubbed = scrubSentryEvent({
      message: 'Payrixa Sentry test event',
      extra: { note: 'ssn 123-45-6789 seen', patient_name: 'Jane Doe' },
      tags: { route: '/api/v1/uploads/{id}/' },
    });
    // `message` is not an exception value: only identifier patterns are touched there.
    expect(scrubbed.message).toBe('Payrixa Sentry test event');
    expect(scrubbed.extra).toEqual({ note: 'ssn XXX-XX-XXXX seen', patient_name: REDACTED });
    expect(scrubbed.tags).toEqual({ route: '/api/v1/uploads/{id}/' });
  });

  it('does not mutate its input', () => {
    const event: Event = { user: { id: 1, email: 'a@b.org' }, ...exceptionEvent('payer John Smith') };
    const copy = structuredClone(event);
    scrubSentryEvent(event);
    expect(event).toEqual(copy);
  });
});

describe('breadcrumbs', () => {
  it('replaces a message that may carry PHI and sanitizes the data', () => {
    expect(
      scrubSentryBreadcrumb({
        category: 'jobs',
        message: 'Invalid payer Mary Johnson',
        data: { to: 'a@b.org' },
      }),
    ).toEqual({ category: 'jobs', message: REDACTED_MESSAGE, data: { to: '[EMAIL_REDACTED]' } });
    expect(scrubSentryBreadcrumb({ message: 'job started' })).toEqual({ message: 'job started' });
  });

  it('scrubs breadcrumbs carried inside an event', () => {
    const scrubbed = scrubSentryEvent({
      breadcrumbs: [{ message: 'payer Mary Johnson rejected' }, { message: 'retrying upload' }],
    });
    expect(scrubbed.breadcrumbs?.map((b) => b.message)).toEqual([REDACTED_MESSAGE, 'retrying upload']);
  });
});
