import { describe, expect, it } from 'vitest';
import {
  formatIngestionToken,
  hashIngestionToken,
  ingestionTokenMatches,
  ingestionTokenState,
  parseIngestionToken,
} from './tokens.ts';

const prefixBytes = Uint8Array.from([0xde, 0xad, 0xbe, 0xef]);
const secretBytes = new Uint8Array(32).fill(0xfb);

describe('ingestion tokens', () => {
  it('formats pxi_<customer>_<8 hex>_<43 base64url> and parses it back', () => {
    const { token, prefix } = formatIngestionToken(42, prefixBytes, secretBytes);
    expect(prefix).toBe('deadbeef');
    expect(token).toMatch(/^pxi_42_deadbeef_[A-Za-z0-9_-]{43}$/);
    expect(parseIngestionToken(token)).toEqual({ customerId: 42, prefix: 'deadbeef' });
  });

  it('refuses anything else (JWTs, upper-case prefix, short secret, customer 0)', () => {
    const { token } = formatIngestionToken(7, prefixBytes, secretBytes);
    expect(parseIngestionToken('eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjoxfQ.sig')).toBeNull();
    expect(parseIngestionToken(token.replace('deadbeef', 'DEADBEEF'))).toBeNull();
    expect(parseIngestionToken(token.slice(0, -1))).toBeNull();
    expect(parseIngestionToken(token.replace('pxi_7_', 'pxi_0_'))).toBeNull();
    expect(parseIngestionToken(`${token}\u0000`)).toBeNull();
  });

  it('stores a SHA-256 hex digest and compares the whole token', () => {
    const { token } = formatIngestionToken(7, prefixBytes, secretBytes);
    const hash = hashIngestionToken(token);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).not.toContain(token.split('_')[3]);
    expect(ingestionTokenMatches(token, hash)).toBe(true);
    expect(ingestionTokenMatches(`${token.slice(0, -1)}A`, hash)).toBe(false);
  });

  it('state: revoked wins over expired; expiry at the instant counts as expired', () => {
    const now = new Date('2026-03-01T00:00:00Z');
    expect(ingestionTokenState({ revoked_at: null, expires_at: null }, now)).toBe('active');
    expect(ingestionTokenState({ revoked_at: null, expires_at: now }, now)).toBe('expired');
    expect(ingestionTokenState({ revoked_at: now, expires_at: new Date(0) }, now)).toBe('revoked');
  });
});
