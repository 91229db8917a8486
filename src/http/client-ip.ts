import { BlockList, isIP } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { TrustProxy } from '../config/env.ts';

/**
 * Client IP of web-api-ops §3.6: when the socket peer is a trusted proxy (`TRUST_PROXY`),
 * `X-Real-IP`, else the LAST `X-Forwarded-For` entry (the one the proxy appended; spoofed
 * left-most entries are never used), else the socket address. Headers from untrusted peers
 * are ignored. Values that are not IP addresses are ignored too, so what rate limits,
 * lockout, audit and the request log key on is always an address.
 */
export interface ClientIpSource {
  /** undefined for a unix-socket peer. */
  socketAddress: string | undefined;
  headers: Record<string, string | string[] | undefined>;
}

/** Whether a peer is a trusted proxy. Unix-socket peers count as loopback (§3.6). */
export type ProxyTrust = (peer: string | undefined) => boolean;

const LOOPBACK = ['127.0.0.0/8', '::1/128'];

/** IPv4-mapped IPv6 (`::ffff:127.0.0.1`) is compared as the IPv4 address. */
function unmapped(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? mapped[1]! : address;
}

function addSubnet(list: BlockList, cidr: string): void {
  const [address, prefix] = cidr.split('/');
  const family = isIP(address ?? '');
  if (family === 0 || !address) return;
  const type = family === 6 ? 'ipv6' : 'ipv4';
  if (prefix === undefined) list.addAddress(address, type);
  else list.addSubnet(address, Number(prefix), type);
}

export function proxyTrust(trust: TrustProxy): ProxyTrust {
  if (trust.kind === 'none') return () => false;
  if (trust.kind === 'all') return () => true;
  const list = new BlockList();
  const cidrs = trust.kind === 'loopback' ? LOOPBACK : trust.cidrs;
  const unixSockets = trust.kind === 'loopback' || cidrs.includes('loopback');
  for (const cidr of cidrs) {
    if (cidr === 'loopback') for (const range of LOOPBACK) addSubnet(list, range);
    else addSubnet(list, cidr);
  }
  return (peer) => {
    if (peer === undefined || peer === '') return unixSockets;
    const address = unmapped(peer);
    const family = isIP(address);
    if (family === 0) return false;
    return list.check(address, family === 6 ? 'ipv6' : 'ipv4');
  };
}

function header(headers: ClientIpSource['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function validAddress(text: string | undefined): string | null {
  if (text === undefined) return null;
  const address = unmapped(text.trim());
  return isIP(address) !== 0 ? address : null;
}

export function clientIp(source: ClientIpSource, trusted: ProxyTrust): string {
  const socket = source.socketAddress ? unmapped(source.socketAddress) : '127.0.0.1';
  if (!trusted(source.socketAddress)) return socket;
  const realIp = validAddress(header(source.headers, 'x-real-ip'));
  if (realIp) return realIp;
  const forwarded = header(source.headers, 'x-forwarded-for');
  if (forwarded !== undefined) {
    const last = validAddress(forwarded.split(',').pop());
    if (last) return last;
  }
  return socket;
}

/**
 * Makes `request.ip` the §3.6 client IP for everything downstream (rate limits, lockout,
 * audit, request log): an own property shadowing Fastify's getter, set by the first
 * onRequest hook, so the routes keep reading `request.ip`.
 */
export function registerClientIp(app: FastifyInstance, trust: TrustProxy): void {
  const trusted = proxyTrust(trust);
  app.addHook('onRequest', async (request) => {
    const ip = clientIp(
      { socketAddress: request.raw.socket.remoteAddress, headers: request.headers },
      trusted,
    );
    Object.defineProperty(request, 'ip', { value: ip, configurable: true, enumerable: true });
  });
}
