import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AccountFixtures, createAccountFixtures, PortalClient } from '../../test/accounts.ts';
import { type JsonSchema, TOLERATED_LABELS, urlFuzzValues } from '../../test/openapi.ts';
import { createTestServices, type TestServices } from '../../test/services.ts';
import { buildApp } from './app.ts';
import type { RouteSchema } from './errors.ts';

/**
 * The portal's form schemas (issue 11): pages and forms are not in the OpenAPI document, so
 * this test walks the route table instead. Every portal route that takes input declares it
 * (params, querystring, body); each declared field gets malformed values one at a time (NUL
 * and control characters, over-long text, arrays for scalars, huge numbers, invalid dates),
 * which must be a 4xx page — never a 5xx — and store nothing; and every portal write is tried
 * by each customer role against the role matrix of web-api-ops §2.3.
 */

type Role = 'owner' | 'admin' | 'analyst' | 'viewer';
const ROLES: readonly Role[] = ['owner', 'admin', 'analyst', 'viewer'];

interface PortalRoute {
  url: string;
  method: string;
  schema: RouteSchema | null;
}

/**
 * Routes still reading their input by hand. The lists only shrink: an entry whose route has
 * gained its schema fails the first test until it is removed here.
 */
const PENDING_SCHEMAS = new Set<string>([]);

/**
 * GET pages that read the query string (filters, sorting, paging, `next`): they must declare a
 * querystring schema. Path parameters and POST bodies are found from the route itself.
 */
const QUERY_PAGES = new Set<string>([
  '/portal/admin/audit/',
  '/portal/claims/',
  '/portal/claims/export.csv',
  '/portal/drift-feed/',
  '/portal/insights/',
  '/portal/login/',
  '/portal/products/delayguard/',
  '/portal/products/denialscope/',
  '/portal/products/driftwatch/',
  '/portal/quality/',
  '/portal/quality/anomalies/',
  '/portal/quality/api/metrics/chart-data/',
  '/portal/quality/api/validation/chart-data/',
  '/portal/quality/trends/',
  '/portal/reports/',
  '/portal/reports/alerts.xlsx',
  '/portal/reports/:id/download/:format/',
  '/portal/reports/progress/',
  '/portal/uploads/',
]);

/**
 * Which customer roles may perform a portal write (§2.3); first match wins. `conditional`
 * roles may or may not depending on the form (an admin manages analysts and viewers only; an
 * analyst edits mappings but not the payer allow-list): they must only never get a 5xx.
 * `anyone` writes are about the caller's own session or account.
 */
const PORTAL_WRITE_PERMISSIONS: ReadonlyArray<{
  prefix: string;
  roles: readonly Role[] | 'anyone';
  conditional?: readonly Role[];
}> = [
  { prefix: '/portal/login/', roles: 'anyone' },
  { prefix: '/portal/logout/', roles: 'anyone' },
  { prefix: '/portal/password-reset/', roles: 'anyone' },
  { prefix: '/portal/account/', roles: 'anyone' },
  { prefix: '/portal/admin/', roles: [] }, // staff only
  { prefix: '/portal/operator/', roles: [] }, // staff only
  { prefix: '/portal/team/', roles: ['owner'], conditional: ['admin'] },
  { prefix: '/portal/settings/', roles: ['owner', 'admin'] },
  { prefix: '/portal/alerts/webhooks/', roles: ['owner', 'admin'] },
  { prefix: '/portal/quality/rules/', roles: ['owner', 'admin'] },
  { prefix: '/portal/quality/api/anomalies/', roles: ['owner', 'admin', 'analyst'] },
  { prefix: '/portal/uploads/:id/delete/', roles: ['owner', 'admin'] },
  { prefix: '/portal/uploads/', roles: ['owner', 'admin', 'analyst'] },
  { prefix: '/portal/mappings/', roles: ['owner', 'admin', 'analyst'] },
  { prefix: '/portal/products/driftwatch/backtest/', roles: ['owner', 'admin', 'analyst'] },
  { prefix: '/portal/reports/run/', roles: ['owner', 'admin', 'analyst'] },
  { prefix: '/portal/reports/:id/generate/', roles: ['owner', 'admin', 'analyst'] }, // run_analysis
  { prefix: '/portal/alerts/rules/', roles: ['owner', 'admin'] },
  { prefix: '/portal/alerts/channels/', roles: ['owner', 'admin'] },
  { prefix: '/portal/alerts/:id/feedback/', roles: ['owner', 'admin', 'analyst'] }, // triage_alerts
];

const key = (route: { method: string; url: string }) => `${route.method} ${route.url}`;

function permissionOf(route: PortalRoute) {
  return PORTAL_WRITE_PERMISSIONS.find((p) => route.url.startsWith(p.prefix)) ?? null;
}

/** What a route should declare but does not. */
function schemaGaps(route: PortalRoute): string[] {
  const gaps: string[] = [];
  if (route.url.includes(':') && !route.schema?.params) gaps.push('params');
  if (route.method === 'POST' && !route.schema?.body) gaps.push('body');
  if (route.method === 'GET' && QUERY_PAGES.has(route.url) && !route.schema?.querystring)
    gaps.push('querystring');
  return gaps;
}

let services: TestServices;
let fx: AccountFixtures;
let app: FastifyInstance;
let portalRoutes: PortalRoute[];
const clients: Partial<Record<Role | 'superuser', PortalClient>> = {};

const USERNAMES: Record<Role | 'superuser', string> = {
  owner: 'owner_a',
  admin: 'admin_a',
  analyst: 'analyst_a',
  viewer: 'viewer_a',
  superuser: 'admin',
};

/** Audit rows that record a change (exports audit who read what, not what was stored). */
async function auditCount(): Promise<number> {
  const result = await sql<{ n: string }>`
    select count(*) as n from audit_events
     where action not in ('data_exported', 'report_exported', 'login_succeeded')`.execute(
    services.database.db,
  );
  return Number(result.rows[0]?.n ?? 0);
}

/** A logged-in portal client (the superuser acts on customer A). */
async function clientFor(who: Role | 'superuser'): Promise<PortalClient> {
  const existing = clients[who];
  if (existing) return existing;
  const client = new PortalClient(app);
  const login = await client.login(USERNAMES[who]);
  if (login.statusCode !== 302) throw new Error(`${USERNAMES[who]} could not log in (${login.statusCode})`);
  if (who === 'superuser') {
    const switched = await client.post('/portal/operator/switch/', { customer_id: String(fx.customerA.id) });
    if (switched.statusCode !== 302) throw new Error(`operator switch answered ${switched.statusCode}`);
  }
  clients[who] = client;
  return client;
}

function cookieHeader(client: PortalClient): string {
  return [...client.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
}

/**
 * Sends raw (already URL-encoded) values: the path filled with `pathValues`, the query string
 * and, for a POST, a form body with the client's CSRF token first.
 */
async function send(
  client: PortalClient,
  route: PortalRoute,
  input: { path?: Record<string, string>; query?: string[]; form?: string[] },
): Promise<LightMyRequestResponse> {
  const path = route.url.replace(/:([A-Za-z_]+)/g, (_m, name: string) => input.path?.[name] ?? '987654321');
  const query = input.query?.length ? `?${input.query.join('&')}` : '';
  const isPost = route.method === 'POST';
  const form = isPost ? [`csrf_token=${encodeURIComponent(await client.csrf())}`, ...(input.form ?? [])] : [];
  return app.inject({
    method: route.method as 'GET',
    url: `${path}${query}`,
    remoteAddress: '127.0.0.1',
    headers: {
      cookie: cookieHeader(client),
      ...(isPost ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
    },
    ...(isPost ? { payload: form.join('&') } : {}),
  });
}

function propertiesOf(schema: unknown): Array<[string, JsonSchema]> {
  const properties = (schema as JsonSchema | undefined)?.properties ?? {};
  return Object.entries(properties).filter(([name]) => name !== 'csrf_token');
}

beforeAll(async () => {
  services = await createTestServices({
    env: {
      PORTAL_RATE_LIMIT: '100000/minute',
      API_THROTTLE_USER: '1000000/hour',
      API_THROTTLE_ANON: '1000000/hour',
    },
  });
  fx = await createAccountFixtures(services.database.db);
  app = await buildApp(services);
  await app.ready();
  portalRoutes = app.routeTable
    .routes()
    .filter((route) => route.url.startsWith('/portal/') && route.method !== 'HEAD');
}, 180_000);

afterAll(async () => {
  await app?.close();
  await services?.dispose();
});

describe('portal form schemas (walked from the route table)', () => {
  it('every portal route that takes input declares its schema (the pending list only shrinks)', () => {
    const gaps = portalRoutes
      .filter((route) => !PENDING_SCHEMAS.has(key(route)))
      .flatMap((route) => schemaGaps(route).map((gap) => `${key(route)}: no ${gap} schema`));
    expect(gaps).toEqual([]);
    const stale = [...PENDING_SCHEMAS].filter((entry) => {
      const route = portalRoutes.find((candidate) => key(candidate) === entry);
      return !route || schemaGaps(route).length === 0;
    });
    expect(stale).toEqual([]);
  });

  it('answers malformed fields with a 4xx page, never a 5xx, storing nothing', async () => {
    const failures: string[] = [];
    let cases = 0;
    // Logging out (or in) and switching the acting customer (the session id rotates) change the
    // session the next cases run in: those routes go last.
    const changesSession = (url: string) => Number(/logout|login|operator\/switch/.test(url));
    const ordered = [...portalRoutes].sort((a, b) => changesSession(a.url) - changesSession(b.url));
    for (const route of ordered) {
      if (!route.schema) continue;
      // Staff-only routes are fuzzed as the superuser (a member is refused before validation).
      const who = /^\/portal\/(admin|operator)\//.test(route.url) ? 'superuser' : 'owner';
      const client = await clientFor(who);
      const fields: Array<{ where: 'path' | 'query' | 'form'; name: string; schema: JsonSchema }> = [
        ...propertiesOf(route.schema.params).map(([name, schema]) => ({
          where: 'path' as const,
          name,
          schema,
        })),
        ...propertiesOf(route.schema.querystring).map(([name, schema]) => ({
          where: 'query' as const,
          name,
          schema,
        })),
        ...propertiesOf(route.schema.body).map(([name, schema]) => ({
          where: 'form' as const,
          name,
          schema,
        })),
      ];
      for (const field of fields) {
        for (const [label, value] of urlFuzzValues(field.schema)) {
          if (field.where === 'path' && Array.isArray(value)) continue; // a path segment cannot repeat
          cases += 1;
          // A tolerated value (invalid UTF-8 in free text) may be a valid input: it may be stored.
          const tolerated = TOLERATED_LABELS.has(label);
          const before = tolerated ? 0 : await auditCount();
          const values = Array.isArray(value) ? value : [value];
          const pairs = values.map((v) => `${field.name}=${v}`);
          const response = await send(client, route, {
            ...(field.where === 'path' ? { path: { [field.name]: String(value) } } : {}),
            ...(field.where === 'query' ? { query: pairs } : {}),
            ...(field.where === 'form' ? { form: pairs } : {}),
          });
          const where = `${key(route)} ${field.where} ${field.name}: ${label}`;
          if (response.statusCode >= 500) failures.push(`${where} → ${response.statusCode}`);
          else if (response.statusCode < 400 && !tolerated)
            failures.push(`${where} → ${response.statusCode} (accepted)`);
          if (!tolerated && (await auditCount()) !== before) failures.push(`${where}: something was stored`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(cases).toBeGreaterThan(20);
  }, 600_000);
});

describe('portal role × write matrix (walked from the route table)', () => {
  it('every portal write is listed in the matrix', () => {
    const unlisted = portalRoutes
      .filter((route) => route.method === 'POST' && permissionOf(route) === null)
      .map(key);
    expect(unlisted).toEqual([]);
  });

  it('denied roles get a 403 page and change nothing; allowed roles are never refused by role', async () => {
    const failures: string[] = [];
    let denials = 0;
    for (const route of portalRoutes) {
      if (route.method !== 'POST') continue;
      const permission = permissionOf(route);
      if (!permission || permission.roles === 'anyone') continue;
      const allowed = permission.roles;
      const conditional = permission.conditional ?? [];
      // Denied roles first (nothing may change), then the allowed ones.
      const ordered = [...ROLES].sort((a, b) => Number(allowed.includes(a)) - Number(allowed.includes(b)));
      for (const role of ordered) {
        const client = await clientFor(role);
        const before = await auditCount();
        const response = await send(client, route, {});
        const where = `${key(route)} as ${role}`;
        if (response.statusCode >= 500) failures.push(`${where} → ${response.statusCode}`);
        if (conditional.includes(role)) continue;
        if (allowed.includes(role)) {
          if (response.statusCode === 403) failures.push(`${where} → 403 (the matrix allows it)`);
          continue;
        }
        denials += 1;
        if (response.statusCode !== 403) failures.push(`${where} → ${response.statusCode} (expected 403)`);
        if ((await auditCount()) !== before) failures.push(`${where}: something was recorded`);
      }
    }
    expect(failures).toEqual([]);
    expect(denials).toBeGreaterThan(15);
  }, 300_000);
});
