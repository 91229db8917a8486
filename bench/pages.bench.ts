import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { runEnabledAnalysesNow } from '../src/commands/request-analysis.ts';
import { seedDemo } from '../src/commands/seed-demo.ts';
import { recomputeRollupDays } from '../src/db/repositories/claims.repository.ts';
import { buildApp } from '../src/http/app.ts';
import { PortalClient } from '../test/accounts.ts';
import { createTestServices } from '../test/services.ts';
import type { Benchmark } from './run.ts';

/**
 * Server time of every portal page and API list endpoint (X-Request-Duration-Ms, median of 3)
 * on the demo customer (~27k claims), then again after its claims are multiplied to about
 * PAGES_BENCH_CLAIMS (default 1,000,000) with the rollups recomputed and the analyses re-run
 * — the checklist's floor is 1 s at any size (issue 10 item 5). Runs on the in-memory PGlite
 * unless TEST_DATABASE_URL is set.
 */

const PAGES = [
  '/portal/',
  '/portal/uploads/',
  '/portal/products/driftwatch/',
  '/portal/products/denialscope/',
  '/portal/products/delayguard/',
  '/portal/drift-feed/',
  '/portal/insights/',
  '/portal/axis/',
  '/portal/reports/',
  '/portal/claims/',
  '/portal/quality/',
  '/portal/quality/trends/',
  '/portal/quality/anomalies/',
  '/portal/quality/rules/',
  '/portal/team/',
  '/portal/account/',
  '/api/v1/dashboard/',
  '/api/v1/uploads/',
  '/api/v1/uploads/stats/',
  '/api/v1/claims/',
  '/api/v1/claims/payer_summary/',
  '/api/v1/me/',
];

async function measure(client: PortalClient, url: string): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const response = await client.get(url, url.startsWith('/api/') ? { accept: 'application/json' } : {});
    if (response.statusCode >= 400) throw new Error(`${url} answered ${response.statusCode}`);
    times.push(Number(response.headers['x-request-duration-ms'] ?? Number.NaN));
  }
  times.sort((a, b) => a - b);
  return times[1] as number;
}

async function measureAll(client: PortalClient, label: string, metrics: Record<string, number>) {
  for (const url of PAGES) {
    try {
      metrics[`${label} ${url}`] = Math.round(await measure(client, url));
    } catch (error) {
      metrics[`${label} ${url} (error)`] = -1;
      console.error(String(error));
    }
  }
}

export const benchmark: Benchmark = {
  name: 'pages',
  async run() {
    const target = Number(process.env['PAGES_BENCH_CLAIMS'] ?? 1_000_000);
    const services = await createTestServices({
      env: { PORTAL_RATE_LIMIT: '1000000/minute', API_USER_RATE_LIMIT: '1000000/minute' },
      redis: false,
    });
    try {
      const seeded = await seedDemo(services, { log: () => {} });
      const owner = seeded.logins.find((login) => login.role === 'owner') ?? seeded.logins[0];
      if (!owner) throw new Error('the demo has no logins');
      const app = await buildApp(services);
      const client = new PortalClient(app);
      const login = await client.login(owner.username, owner.password);
      if (login.statusCode !== 302) throw new Error(`login answered ${login.statusCode}`);
      const db = services.database.db;
      const customerId = seeded.customerId;
      const count = async () =>
        Number(
          (
            await sql<{
              n: string;
            }>`SELECT count(*) AS n FROM claims WHERE customer_id = ${customerId}`.execute(db)
          ).rows[0]?.n ?? 0,
        );
      const metrics: Record<string, number> = {};
      const demoClaims = await count();
      metrics['claims demo'] = demoClaims;
      await measureAll(client, 'demo', metrics);

      // Scale: copies of every claim with new identities (same days, payers and outcomes).
      const copies = Math.max(0, Math.round(target / Math.max(demoClaims, 1)) - 1);
      const started = performance.now();
      for (let copy = 1; copy <= copies; copy++) {
        await sql`
          INSERT INTO claims (customer_id, identity_key, claim_id_hash, row_hash, upload_id, first_upload_id,
                              source_row_number, payer, payer_raw, cpt, cpt_group, submitted_date, decided_date,
                              payment_date, outcome, outcome_raw, allowed_amount, billed_amount, paid_amount,
                              denial_reason_code, denial_reason_text, authorization_required,
                              authorization_obtained, place_of_service, adjustments)
          SELECT customer_id, identity_key || ':x' || ${copy}::text, NULL, row_hash, upload_id, first_upload_id,
                 source_row_number, payer, payer_raw, cpt, cpt_group, submitted_date, decided_date,
                 payment_date, outcome, outcome_raw, allowed_amount, billed_amount, paid_amount,
                 denial_reason_code, denial_reason_text, authorization_required,
                 authorization_obtained, place_of_service, adjustments
            FROM claims WHERE customer_id = ${customerId} AND identity_key NOT LIKE '%:x%'`.execute(db);
      }
      const days = (
        await sql<{ day: string }>`
          SELECT DISTINCT submitted_date::text AS day FROM claims WHERE customer_id = ${customerId}`.execute(
          db,
        )
      ).rows.map((row) => row.day);
      await db.transaction().execute((trx) => recomputeRollupDays(trx, customerId, days));
      await sql`ANALYZE claims`.execute(db);
      await sql`ANALYZE claim_daily_rollups`.execute(db);
      await runEnabledAnalysesNow({ db }, { customerId });
      metrics['scale_ms'] = Math.round(performance.now() - started);
      metrics['claims scaled'] = await count();
      await measureAll(client, 'scaled', metrics);
      await app.close();
      return { name: 'pages', metrics, notes: 'server ms (median of 3); -1 = error' };
    } finally {
      await services.dispose();
    }
  },
};
