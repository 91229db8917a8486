import { describe, expect, it } from 'vitest';
import { csrfOriginAllowed } from './csrf-origin.ts';

const production = {
  isProduction: true,
  portalBaseUrl: 'https://payrixa.example.com',
  csrfTrustedOrigins: ['https://admin.example.com/'],
};

describe('CSRF origin check (production)', () => {
  it('accepts the portal origin and trusted origins, by Origin or else Referer', () => {
    expect(csrfOriginAllowed(production, { origin: 'https://payrixa.example.com' })).toBe(true);
    expect(csrfOriginAllowed(production, { referer: 'https://payrixa.example.com/portal/uploads/' })).toBe(
      true,
    );
    expect(csrfOriginAllowed(production, { origin: 'https://admin.example.com' })).toBe(true);
  });

  it('refuses another site, another scheme or port, and unparseable values', () => {
    expect(csrfOriginAllowed(production, { origin: 'https://evil.example.net' })).toBe(false);
    expect(csrfOriginAllowed(production, { origin: 'http://payrixa.example.com' })).toBe(false);
    expect(csrfOriginAllowed(production, { origin: 'https://payrixa.example.com:8443' })).toBe(false);
    expect(csrfOriginAllowed(production, { referer: 'https://evil.example.net/payrixa.example.com' })).toBe(
      false,
    );
    expect(csrfOriginAllowed(production, { origin: 'not a url' })).toBe(false);
    // Origin wins over a matching Referer.
    expect(
      csrfOriginAllowed(production, {
        origin: 'https://evil.example.net',
        referer: 'https://payrixa.example.com/portal/',
      }),
    ).toBe(false);
  });

  it('lets a request without either header through (the token still guards it)', () => {
    expect(csrfOriginAllowed(production, {})).toBe(true);
    expect(csrfOriginAllowed(production, { origin: '' })).toBe(true);
  });

  it('is off outside production', () => {
    expect(
      csrfOriginAllowed({ ...production, isProduction: false }, { origin: 'https://evil.example.net' }),
    ).toBe(true);
  });
});
