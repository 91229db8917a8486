import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/**
 * Destination guard of outbound webhooks (alerts-reports §9 "Request"): the URL's host is
 * resolved and the request goes only to a public address, unless
 * `WEBHOOK_ALLOW_PRIVATE_TARGETS=true`. The check runs when an endpoint is saved and again at
 * every attempt (DNS may change between the two), and the HTTP client then connects to exactly
 * the address that was checked (http-post.ts), so a second resolution cannot swap in a private
 * one (DNS rebinding).
 *
 * Addresses are classified by their bytes, not by string prefixes, so every spelling of an
 * address (`::ffff:10.0.0.1`, `0:0:0:0:0:ffff:a00:1`, `::1`, `0::1`) lands in the same class.
 */

export type AddressClass =
  | 'public'
  | 'loopback'
  | 'private'
  | 'link_local'
  | 'cgnat'
  | 'unique_local'
  | 'multicast'
  | 'unspecified'
  | 'reserved'
  | 'invalid';

export const BLOCKED_DESTINATION_MESSAGE = 'Blocked: destination address not allowed';

/** Resolves a host name to its addresses (injectable so tests control DNS). */
export type HostResolver = (hostname: string) => Promise<Array<{ address: string; family: 4 | 6 }>>;

export const systemResolver: HostResolver = async (hostname) => {
  const results = await lookup(hostname, { all: true, verbatim: true });
  return results.map((r) => ({ address: r.address, family: r.family === 6 ? 6 : 4 }));
};

function parseIPv4(text: string): number[] | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const bytes = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : Number.NaN));
  return bytes.every((b) => Number.isInteger(b) && b <= 255) ? bytes : null;
}

/** The 16 bytes of an IPv6 address (with an optional trailing dotted IPv4 and zone id). */
function parseIPv6(text: string): number[] | null {
  let rest = text.replace(/%.*$/, '');
  const tail: number[] = [];
  const lastColon = rest.lastIndexOf(':');
  if (rest.slice(lastColon + 1).includes('.')) {
    const v4 = parseIPv4(rest.slice(lastColon + 1));
    if (!v4) return null;
    tail.push(...v4);
    rest = `${rest.slice(0, lastColon + 1)}0:0`;
  }
  const halves = rest.split('::');
  if (halves.length > 2) return null;
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const head = groups(halves[0] ?? '');
  const back = halves.length === 2 ? groups(halves[1] ?? '') : [];
  const missing = 8 - head.length - back.length;
  if (halves.length === 2 ? missing < 0 : missing !== 0) return null;
  const all = [...head, ...Array<string>(Math.max(missing, 0)).fill('0'), ...back];
  const bytes: number[] = [];
  for (const group of all) {
    if (!/^[0-9a-f]{1,4}$/i.test(group)) return null;
    const value = Number.parseInt(group, 16);
    bytes.push(value >> 8, value & 0xff);
  }
  if (tail.length === 4) bytes.splice(12, 4, ...tail);
  return bytes.length === 16 ? bytes : null;
}

function classifyIPv4Bytes([a = 0, b = 0, c = 0]: number[]): AddressClass {
  if (a === 0) return 'unspecified'; // 0.0.0.0/8 "this network"
  if (a === 127) return 'loopback';
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'private';
  if (a === 169 && b === 254) return 'link_local'; // includes the 169.254.169.254 metadata service
  if (a === 100 && b >= 64 && b <= 127) return 'cgnat';
  if (a >= 224 && a <= 239) return 'multicast';
  // IETF protocol assignments, benchmarking, documentation nets, 240/4 and broadcast.
  if (a === 192 && b === 0 && c === 0) return 'reserved';
  if (a === 198 && (b === 18 || b === 19)) return 'reserved';
  if (
    (a === 192 && b === 0 && c === 2) ||
    (a === 198 && b === 51 && c === 100) ||
    (a === 203 && b === 0 && c === 113)
  )
    return 'reserved';
  if (a >= 240) return 'reserved';
  return 'public';
}

function classifyIPv6Bytes(bytes: number[]): AddressClass {
  const first10Zero = bytes.slice(0, 10).every((b) => b === 0);
  if (bytes.every((b) => b === 0)) return 'unspecified';
  if (bytes.slice(0, 15).every((b) => b === 0) && bytes[15] === 1) return 'loopback';
  // IPv4-mapped ::ffff:a.b.c.d and IPv4-compatible ::a.b.c.d carry an IPv4 destination.
  if (first10Zero && ((bytes[10] === 0xff && bytes[11] === 0xff) || (bytes[10] === 0 && bytes[11] === 0)))
    return classifyIPv4Bytes(bytes.slice(12));
  // NAT64 64:ff9b::/96 reaches the embedded IPv4 address too.
  if (
    bytes[0] === 0 &&
    bytes[1] === 0x64 &&
    bytes[2] === 0xff &&
    bytes[3] === 0x9b &&
    bytes.slice(4, 12).every((b) => b === 0)
  )
    return classifyIPv4Bytes(bytes.slice(12));
  const [b0 = 0, b1 = 0] = bytes;
  if (b0 === 0xfe && (b1 & 0xc0) === 0x80) return 'link_local'; // fe80::/10
  if ((b0 & 0xfe) === 0xfc) return 'unique_local'; // fc00::/7
  if (b0 === 0xff) return 'multicast';
  if (b0 === 0xfe && (b1 & 0xc0) === 0xc0) return 'reserved'; // deprecated site-local fec0::/10
  if (b0 === 0x20 && b1 === 0x01 && bytes[2] === 0x0d && bytes[3] === 0xb8) return 'reserved'; // documentation
  return 'public';
}

/** The class of an IPv4 or IPv6 address literal (`invalid` when it is neither). */
export function classifyAddress(address: string): AddressClass {
  const text = address.trim().replace(/^\[|\]$/g, '');
  const family = isIP(text.replace(/%.*$/, ''));
  if (family === 4) {
    const bytes = parseIPv4(text);
    return bytes ? classifyIPv4Bytes(bytes) : 'invalid';
  }
  if (family === 6) {
    const bytes = parseIPv6(text);
    return bytes ? classifyIPv6Bytes(bytes) : 'invalid';
  }
  return 'invalid';
}

export function isPublicAddress(address: string): boolean {
  return classifyAddress(address) === 'public';
}

export interface CheckedDestination {
  url: URL;
  /** The address the request must connect to. */
  address: string;
  family: 4 | 6;
}

export type DestinationCheck =
  | { ok: true; destination: CheckedDestination }
  | { ok: false; reason: 'invalid_url' | 'unresolvable' | 'blocked'; detail: string };

/**
 * Resolves the URL's host and picks the address to connect to. Every resolved address must be
 * public (one private answer among public ones is refused: the client could be steered to it),
 * unless private targets are allowed.
 */
export async function checkDestination(
  rawUrl: string,
  options: { allowPrivate: boolean; resolve?: HostResolver },
): Promise<DestinationCheck> {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    return { ok: false, reason: 'invalid_url', detail: 'Invalid URL' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return { ok: false, reason: 'invalid_url', detail: 'Unsupported URL scheme' };
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: Array<{ address: string; family: 4 | 6 }>;
  const literal = isIP(host);
  if (literal) {
    addresses = [{ address: host, family: literal === 6 ? 6 : 4 }];
  } else {
    try {
      addresses = await (options.resolve ?? systemResolver)(host);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      return {
        ok: false,
        reason: 'unresolvable',
        detail: `Could not resolve host ${host}${typeof code === 'string' ? ` (${code})` : ''}`,
      };
    }
  }
  const first = addresses[0];
  if (!first) return { ok: false, reason: 'unresolvable', detail: `Could not resolve host ${host}` };
  if (!options.allowPrivate && addresses.some((a) => classifyAddress(a.address) !== 'public')) {
    return { ok: false, reason: 'blocked', detail: BLOCKED_DESTINATION_MESSAGE };
  }
  return { ok: true, destination: { url, address: first.address, family: first.family } };
}
