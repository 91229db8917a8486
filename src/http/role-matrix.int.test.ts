import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD } from '../../test/accounts.ts';
import { type ClaimsFixtures, createClaimsFixtures } from '../../test/claims.ts';
import {
  fillPath,
  isProblemBody,
  isPublic,
  jsonBodySchema,
  loadDocument,
  type Operation,
  operationsOf,
  sampleObject,
} from '../../test/openapi.ts';
import { waitFor } from '../../test/wait.ts';
import { buildApp } from './app.ts';

/**
 * The role × endpoint matrix of web-api-ops §2.3, generated from the served OpenAPI document
 * (issue 11): every documented write is tried by each customer role with a plausible body, and
 * a role the matrix denies must get 403 with the error body and leave no audit row; a role it
 * allows must never get 403. Writes documented later join the matrix without a new test — only
 * a new permission needs a line in `WRITE_PERMISSIONS`.
 */

type Role = 'owner' | 'admin' | 'analyst' | 'viewer';
const ROLES: readonly Role[] = ['owner', 'admin', 'analyst', 'viewer'];

/**
 * Which customer roles may perform the writes of a path prefix (§2.3), optionally for one
 * method; first match wins. `conditional` roles may or may not, depending on the body (an
 * admin manages analysts and viewers only, §2.4): they are checked for never getting a 5xx.
 */
const WRITE_PERMISSIONS: ReadonlyArray<{
  prefix: string;
  method?: string;
  roles: readonly Role[];
  conditional?: readonly Role[];
}> = [
  { prefix: '/api/v1/customers/', roles: [] }, // staff only
  { prefix: '/api/v1/uploads/{id}/', method: 'DELETE', roles: ['owner', 'admin'] },
  { prefix: '/api/v1/uploads/', roles: ['owner', 'admin', 'analyst'] },
  { prefix: '/api/v1/payer-mappings/', roles: ['owner', 'admin', 'analyst'] },
  { prefix: '/api/v1/cpt-mappings/', roles: ['owner', 'admin', 'analyst'] },
  { prefix: '/api/v1/mappings/reapply/', roles: ['owner', 'admin', 'analyst'] },
  { prefix: '/api/v1/column-profiles/', roles: ['owner', 'admin', 'analyst'] },
  { prefix: '/api/v1/reports/trigger/', roles: ['owner', 'admin', 'analyst'] },
  { prefix: '/api/v1/payer-allowlist/', roles: ['owner', 'admin'] },
  { prefix: '/api/v1/settings/', roles: ['owner', 'admin'] },
  { prefix: '/api/v1/ingestion-tokens/', roles: ['owner', 'admin'] },
  { prefix: '/api/v1/alert-rules/', roles: ['owner', 'admin'] },
  { prefix: '/api/v1/channels/', roles: ['owner', 'admin'] },
  { prefix: '/api/v1/webhook-endpoints/', roles: ['owner', 'admin'] },
  { prefix: '/api/v1/members/', roles: ['owner'], conditional: ['admin'] },
  { prefix: '/api/v1/alerts/', roles: ['owner', 'admin', 'analyst'] }, // feedback: triage_alerts
];

function permissionOf(operation: Operation) {
  return (
    WRITE_PERMISSIONS.find(
      (p) => operation.path.startsWith(p.prefix) && (p.method === undefined || p.method === operation.method),
    ) ?? null
  );
}

let fixtures: ClaimsFixtures;
let app: FastifyInstance;
let writes: Operation[];
const bearers: Partial<Record<Role, string>> = {};

/**
 * Allowed writes may enqueue work (re-applying mappings, processing an upload) whose audit
 * row lands when the job finishes; on PostgreSQL + BullMQ that can be during a later, denied
 * request. Waiting for the started queue to be idle keeps each count about one request.
 */
async function jobsSettled(): Promise<void> {
  await waitFor(async () => {
    const result = await sql<{ n: string }>`select count(*) as n from jobs
      where queue = 'ingest' and status in ('queued', 'running')`.execute(fixtures.services.database.db);
    return Number(result.rows[0]?.n ?? 0) === 0;
  }, 120_000);
}

async function auditCount(): Promise<number> {
  const result = await sql<{ n: string }>`select count(*) as n from audit_events`.execute(
    fixtures.services.database.db,
  );
  return Number(result.rows[0]?.n ?? 0);
}

beforeAll(async () => {
  fixtures = await createClaimsFixtures();
  app = await buildApp(fixtures.services);
  const doc = await loadDocument(app);
  writes = operationsOf(doc).filter(
    (o) =>
      o.method !== 'GET' &&
      !isPublic(o) &&
      !o.path.startsWith('/api/v1/auth/') && // the public token endpoints (§4.3)
      !JSON.stringify(o.op.security ?? []).includes('ingestionToken'),
  );
  for (const role of ROLES) {
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/token/',
      payload: { username: `${role}_a`, password: PASSWORD },
    });
    bearers[role] = (response.json() as { access: string }).access;
  }
}, 240_000);

afterAll(async () => {
  await app?.close();
  await fixtures?.services.dispose();
});

describe('role × endpoint matrix (generated from the OpenAPI document)', () => {
  it('every documented write is listed in the matrix', () => {
    const unlisted = writes.filter((o) => permissionOf(o) === null).map((o) => `${o.method} ${o.path}`);
    expect(unlisted).toEqual([]);
    expect(writes.length).toBeGreaterThanOrEqual(15);
  });

  it('denied roles get 403 with the error body and change nothing; allowed roles are never refused by role', async () => {
    const failures: string[] = [];
    let denials = 0;
    // Denied roles first (nothing may change), then allowed ones on the same operation.
    for (const operation of writes) {
      const permission = permissionOf(operation);
      const allowed = permission?.roles ?? [];
      const conditional = permission?.conditional ?? [];
      const ordered = [...ROLES].sort((a, b) => Number(allowed.includes(a)) - Number(allowed.includes(b)));
      for (const role of ordered) {
        const schema = jsonBodySchema(operation);
        await jobsSettled();
        const before = await auditCount();
        const response = await app.inject({
          method: operation.method as 'POST',
          url: fillPath(operation.path, { id: 999_999 }),
          headers: { authorization: `Bearer ${bearers[role]}` },
          ...(schema ? { payload: sampleObject(schema) } : {}),
        });
        const where = `${operation.method} ${operation.path} as ${role}`;
        if (response.statusCode >= 500) failures.push(`${where} → ${response.statusCode}`);
        if (conditional.includes(role)) continue;
        if (allowed.includes(role)) {
          if (response.statusCode === 403) failures.push(`${where} → 403 (the matrix allows it)`);
          continue;
        }
        denials += 1;
        if (response.statusCode !== 403 || !isProblemBody(response))
          failures.push(`${where} → ${response.statusCode} (expected 403)`);
        await jobsSettled();
        if ((await auditCount()) !== before) failures.push(`${where}: something was recorded`);
      }
    }
    expect(failures).toEqual([]);
    expect(denials).toBeGreaterThan(20);
  }, 300_000);
});
