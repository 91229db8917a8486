import type { Config } from '../config/env.ts';

/**
 * The production half of CSRF protection (web/API spec: unsafe requests from a session):
 * besides the token, the request's `Origin` (else `Referer`) must name the portal itself or
 * one of `CSRF_TRUSTED_ORIGINS`. A request with neither header passes (some clients strip
 * them; the token still guards it); an unparseable value fails. Development and tests skip
 * the check, since the portal is reached under several local names there.
 */
export function csrfOriginAllowed(
  config: Pick<Config, 'isProduction' | 'portalBaseUrl' | 'csrfTrustedOrigins'>,
  headers: { origin?: string | undefined; referer?: string | undefined },
): boolean {
  if (!config.isProduction) return true;
  const origin = headers.origin ?? headers.referer;
  if (typeof origin !== 'string' || origin === '') return true;
  let parsed: string;
  try {
    parsed = new URL(origin).origin;
  } catch {
    return false;
  }
  const allowed = [
    new URL(config.portalBaseUrl).origin,
    ...config.csrfTrustedOrigins.map((trusted) => trusted.replace(/\/+$/, '')),
  ];
  return allowed.includes(parsed);
}
