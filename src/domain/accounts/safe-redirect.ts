/**
 * The `next` redirect rule (web-api-ops §1.4, §1.6, acceptance example 9): a post-login
 * or operator-switch redirect target is honoured only when it is a same-site relative
 * path starting with a single `/`; everything else falls back to `/portal/axis/`.
 *
 * Browsers are lenient about URLs (they strip tabs/newlines, treat `\` as `/`, resolve
 * `..`), so the check is done both on the raw text and on what a URL parser makes of it,
 * and the parser's normalised form is what gets returned.
 */

/** Where users land when `next` is missing or unsafe. */
export const DEFAULT_NEXT = '/portal/axis/';

/**
 * Paths a `next` may point into. Only the portal: the login and operator-switch forms
 * exist to get back to a portal page, and limiting them keeps API and infrastructure
 * routes out of redirect chains.
 */
export const SAFE_NEXT_PREFIXES: readonly string[] = ['/portal/'];

const MAX_NEXT_LENGTH = 2048;
// C0 controls, DEL, C1 controls and the Unicode line/paragraph separators.
const CONTROL = /[\p{Cc}\u2028\u2029]/u;
const PROBE_ORIGIN = 'http://payrixa.invalid';

/**
 * Decodes percent-escapes repeatedly (bounded) to see through double-encoding. A stray
 * `%` (e.g. a decoded `50%` in a query) ends decoding; what remains cannot turn into
 * a slash or backslash.
 */
function fullyDecoded(value: string): string {
  let cur = value;
  for (let i = 0; i < 4; i++) {
    let next: string;
    try {
      next = decodeURIComponent(cur);
    } catch {
      return cur;
    }
    if (next === cur) return cur;
    cur = next;
  }
  return cur;
}

function looksDangerous(s: string): boolean {
  return CONTROL.test(s) || s.includes('\\') || !s.startsWith('/') || s.startsWith('//');
}

/**
 * Returns the normalised `next` path when it is safe, otherwise null. Rejects absolute
 * and scheme-relative URLs (`https://evil.example/`, `//evil.example`, `/\evil`), any
 * backslash, control characters (raw or percent-encoded), encoded slashes or backslashes
 * that decode to such forms, dot segments escaping the allowed prefixes, and anything
 * outside `prefixes`.
 */
export function safeNextPath(next: unknown, prefixes: readonly string[] = SAFE_NEXT_PREFIXES): string | null {
  if (typeof next !== 'string' || next.length === 0 || next.length > MAX_NEXT_LENGTH) return null;
  if (looksDangerous(next)) return null;
  if (looksDangerous(fullyDecoded(next))) return null;
  let url: URL;
  try {
    url = new URL(next, PROBE_ORIGIN);
  } catch {
    return null;
  }
  if (url.origin !== PROBE_ORIGIN || url.username || url.password) return null;
  const path = url.pathname;
  // Dot segments can leave "//host" at the front after resolution ("/.//evil").
  if (path.startsWith('//') || path.includes('\\')) return null;
  if (!prefixes.some((p) => path.startsWith(p))) return null;
  return path + url.search + url.hash;
}

/** The redirect target for a submitted `next`: the safe path, or `fallback` (`/portal/axis/`). */
export function resolveNext(next: unknown, fallback: string = DEFAULT_NEXT): string {
  return safeNextPath(next) ?? fallback;
}

/**
 * The login URL for an anonymous request to `pathAndQuery` (§1.4):
 * `/portal/login/?next=<path and query>`, percent-encoded except `/`
 * (e.g. `/portal/claims/?payer=Aetna` → `?next=/portal/claims/%3Fpayer%3DAetna`).
 */
export function loginRedirectUrl(pathAndQuery: string): string {
  return `/portal/login/?next=${encodeURIComponent(pathAndQuery).replace(/%2F/gi, '/')}`;
}
