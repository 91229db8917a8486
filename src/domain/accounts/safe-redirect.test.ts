import { describe, expect, it } from 'vitest';
import { DEFAULT_NEXT, loginRedirectUrl, resolveNext, safeNextPath } from './safe-redirect.ts';

describe('safe next (§1.4, example 9)', () => {
  it.each([
    ['/portal/claims/', '/portal/claims/'],
    ['/portal/axis/', '/portal/axis/'],
    ['/portal/claims/?payer=Aetna&page=2', '/portal/claims/?payer=Aetna&page=2'],
    ['/portal/claims/?payer=A%2FB', '/portal/claims/?payer=A%2FB'],
    ['/portal/claims/?q=50%25', '/portal/claims/?q=50%25'],
    ['/portal/alerts/12/deep-dive/#feedback', '/portal/alerts/12/deep-dive/#feedback'],
    ['/portal/./uploads/', '/portal/uploads/'],
  ])('honours %j', (next, expected) => {
    expect(resolveNext(next)).toBe(expected);
  });

  it.each([
    'https://evil.example/',
    '//evil.example',
    '//evil.example/portal/',
    '///evil.example',
    '/\\evil.example',
    '\\\\evil.example',
    '/portal\\..\\..\\evil',
    'http:/evil.example',
    'https:evil.example',
    'javascript:alert(1)',
    'data:text/html,x',
    'portal/axis/',
    ' /portal/axis/',
    '/\t/evil.example',
    '/\n/evil.example',
    '/portal/axis/\r\nSet-Cookie: x=1',
    '/portal/\u0000',
    '/portal/\u2028',
    '/%2Fevil.example',
    '/%2fevil.example',
    '/%5Cevil.example',
    '/%252F%252Fevil.example',
    '%2F%2Fevil.example',
    '/portal/%0d%0aSet-Cookie:x',
    '/portal/../admin/',
    '/portal/%2e%2e/%2e%2e//evil.example',
    '/.//evil.example',
    '/',
    '/portal',
    '/api/v1/me/',
    '/metrics',
    `/portal/${'a'.repeat(3000)}`,
    '',
  ])('rejects %j', (next) => {
    expect(safeNextPath(next)).toBeNull();
    expect(resolveNext(next)).toBe(DEFAULT_NEXT);
  });

  it('non-strings fall back', () => {
    for (const v of [undefined, null, 42, ['/portal/claims/'], { toString: () => '/portal/claims/' }]) {
      expect(resolveNext(v)).toBe('/portal/axis/');
    }
  });

  it('custom fallback and prefixes', () => {
    expect(resolveNext('//x', '/portal/admin/customers/')).toBe('/portal/admin/customers/');
    expect(safeNextPath('/api/v1/me/', ['/'])).toBe('/api/v1/me/');
    expect(safeNextPath('//evil.example', ['/'])).toBeNull();
  });
});

describe('login redirect URL', () => {
  it('percent-encodes next except /', () => {
    expect(loginRedirectUrl('/portal/axis/')).toBe('/portal/login/?next=/portal/axis/');
    expect(loginRedirectUrl('/portal/claims/?payer=Aetna')).toBe(
      '/portal/login/?next=/portal/claims/%3Fpayer%3DAetna',
    );
    expect(loginRedirectUrl('/portal/admin/metrics/')).toBe('/portal/login/?next=/portal/admin/metrics/');
  });
});
