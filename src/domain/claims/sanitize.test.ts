import { describe, expect, it } from 'vitest';
import {
  isTitleCaseWord,
  messageMayContainPhi,
  REDACTED_MESSAGE,
  sanitize,
  sanitizeString,
  scrubErrorEvent,
} from './sanitize.ts';

describe('sanitize (§3.5, A12)', () => {
  it('replaces patterns in strings', () => {
    const ssn = sanitizeString('Patient SSN is 123-45-6789');
    expect(ssn).toContain('XXX-XX-XXXX');
    expect(ssn).not.toContain('123-45-6789');
    expect(sanitizeString('Contact patient@example.com for details')).toBe(
      'Contact [EMAIL_REDACTED] for details',
    );
    expect(sanitizeString('MRN 12345678 seen')).toBe('MRN: [REDACTED] seen');
    expect(sanitizeString('call 5551234567 or 555-123-4567 or (555) 123-4567')).toBe(
      'call XXX-XXX-XXXX or XXX-XXX-XXXX or XXX-XXX-XXXX',
    );
    expect(sanitizeString('born 1/2/1980')).toBe('born [DATE_REDACTED]');
    expect(sanitizeString('SSN: 123456789')).toBe('SSN: XXX-XX-XXXX');
    expect(sanitizeString('connection timeout after 30 seconds')).toBe('connection timeout after 30 seconds');
  });

  it('redacts PHI keys at any depth and any case, keeps others, does not mutate', () => {
    const input = { patient_name: 'John Doe', payer: 'Aetna', SSN: '123-45-6789' };
    expect(sanitize(input)).toEqual({ patient_name: '[REDACTED]', payer: 'Aetna', SSN: '[REDACTED]' });
    expect(input.patient_name).toBe('John Doe');
    expect(sanitize({ alert: { patient_name: 'Jane Doe', claim_id: '12345' } })).toEqual({
      alert: { patient_name: '[REDACTED]', claim_id: '12345' },
    });
    expect(sanitize([{ Email: 'x' }, 'a@b.org'])).toEqual([{ Email: '[REDACTED]' }, '[EMAIL_REDACTED]']);
  });

  it('handles errors, cycles and non-plain values', () => {
    const err = new Error('failed for 123-45-6789');
    const out = sanitize({ err }) as unknown as { err: { message: string; type: string } };
    expect(out.err.message).toBe('failed for XXX-XX-XXXX');
    expect(out.err.type).toBe('Error');
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic['self'] = cyclic;
    expect(sanitize(cyclic)).toEqual({ a: 1, self: '[Circular]' });
    const d = new Date(0);
    expect(sanitize({ d }).d).toBe(d);
    expect(sanitize(42)).toBe(42);
    expect(sanitize(null)).toBeNull();
  });
});

describe('error-report scrubbing (web/API §5.5)', () => {
  it('title-case words', () => {
    for (const w of ['John', 'Smith,', 'Mary-Ann', '(John)']) expect(isTitleCaseWord(w)).toBe(true);
    for (const w of ['JOHN', 'McDonald', 'ALERT:', '30', 'john', 'e.g.'])
      expect(isTitleCaseWord(w)).toBe(false);
  });

  it.each([
    ['PRIVACY ALERT: payer value John Smith looks like a patient name', true],
    ['connection timeout after 30 seconds', false],
    ['Connection refused', false],
    ['Invalid payer Mary Johnson', true],
    ['row 4 ssn 123-45-6789', true],
  ])('%j may contain PHI: %s', (msg, expected) => {
    expect(messageMayContainPhi(msg)).toBe(expected);
  });

  it('A12 event', () => {
    const event = {
      request: {
        data: { payer: 'John Smith' },
        cookies: { sid: 'abc' },
        query_string: 'patient_name=Jane+Doe',
        headers: { Authorization: 'Bearer x', Accept: 'text/html' },
        url: 'https://x/portal/uploads/',
      },
      user: { id: 7, email: 'a@b.org', ip_address: '10.0.0.1' },
      exception: {
        values: [
          { type: 'Error', value: 'PRIVACY ALERT: payer value John Smith looks like a patient name' },
          { type: 'Error', value: 'connection timeout after 30 seconds' },
        ],
      },
      breadcrumbs: [{ message: 'Invalid payer Mary Johnson' }, { message: 'started job' }],
      extra: { note: 'mail patient@example.com' },
    };
    const out = scrubErrorEvent(event);
    expect(out.request).toMatchObject({
      data: '[REDACTED FOR HIPAA COMPLIANCE]',
      cookies: '[REDACTED]',
      query_string: '[REDACTED]',
      headers: { Authorization: '[REDACTED]', Accept: 'text/html' },
    });
    expect(out.user).toEqual({ id: 7, email: '[REDACTED]' });
    expect(out.exception.values.map((v) => v.value)).toEqual([
      REDACTED_MESSAGE,
      'connection timeout after 30 seconds',
    ]);
    expect(out.breadcrumbs.map((b) => b.message)).toEqual([REDACTED_MESSAGE, 'started job']);
    expect(out.extra.note).toBe('mail [EMAIL_REDACTED]');
    expect(JSON.stringify(out)).not.toMatch(/John|Jane|Mary/);
    expect('cookies' in scrubErrorEvent({ request: { url: 'x' } }).request!).toBe(false);
  });
});
