import { describe, expect, it } from 'vitest';
import { clientIp, proxyTrust } from './client-ip.ts';

describe('client IP (web-api-ops §3.6)', () => {
  const loopback = proxyTrust({ kind: 'loopback' });

  it('trusts loopback (IPv4, IPv6, IPv4-mapped) and unix sockets by default', () => {
    expect(loopback('127.0.0.1')).toBe(true);
    expect(loopback('127.8.9.10')).toBe(true);
    expect(loopback('::1')).toBe(true);
    expect(loopback('::ffff:127.0.0.1')).toBe(true);
    expect(loopback(undefined)).toBe(true);
    expect(loopback('10.0.0.1')).toBe(false);
  });

  it('honours CIDR lists, none and all', () => {
    const cidrs = proxyTrust({ kind: 'cidrs', cidrs: ['10.0.0.0/8', '2001:db8::/32', '192.0.2.5'] });
    expect(cidrs('10.20.30.40')).toBe(true);
    expect(cidrs('2001:db8::1')).toBe(true);
    expect(cidrs('192.0.2.5')).toBe(true);
    expect(cidrs('192.0.2.6')).toBe(false);
    expect(cidrs('127.0.0.1')).toBe(false);
    expect(cidrs(undefined)).toBe(false);
    expect(proxyTrust({ kind: 'none' })('127.0.0.1')).toBe(false);
    expect(proxyTrust({ kind: 'all' })('198.51.100.1')).toBe(true);
  });

  it('takes X-Real-IP, else the last X-Forwarded-For entry, else the socket', () => {
    const from = (headers: Record<string, string>, socketAddress = '127.0.0.1') =>
      clientIp({ socketAddress, headers }, loopback);
    expect(from({ 'x-real-ip': '203.0.113.1', 'x-forwarded-for': '198.51.100.2' })).toBe('203.0.113.1');
    expect(from({ 'x-forwarded-for': '1.1.1.1, 198.51.100.2' })).toBe('198.51.100.2');
    expect(from({ 'x-forwarded-for': '2001:db8::5' })).toBe('2001:db8::5');
    expect(from({})).toBe('127.0.0.1');
    expect(from({ 'x-real-ip': 'bogus', 'x-forwarded-for': '198.51.100.2,' })).toBe('127.0.0.1');
    expect(from({ 'x-real-ip': '203.0.113.1' }, '::ffff:10.0.0.1')).toBe('10.0.0.1');
  });
});
