import { runEnabledAnalysesNow } from '../src/commands/request-analysis.ts';
import { seedDemo } from '../src/commands/seed-demo.ts';
import { rebuildCustomerRollups } from '../src/db/repositories/claims.repository.ts';
import { buildApp } from '../src/http/app.ts';
import { PortalClient } from '../test/accounts.ts';
import { createTestServices } from '../test/services.ts';
import type { Benchmark } from './run.ts';
import { countClaims, scaleCustomerClaims } from './scale-claims.ts';

/**
 * Server time of every portal page and API list endpoint (X-Request-Duration-Ms, median of 3)
 * on the demo customer (~27k claims), then again after its claims are multiplied to about
 * PAGES_BENCH_CLAIMS (default 1,000,000) with the rollups rebuilt and the analyses re-run
 * (bench/scale-claims.ts) — the checklist's floor is 1 s at any size (issue 10 item 5). Runs on the in-memory PGlite
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
      env: { PORTAL_RATE_LIMIT: '1000000/minute', API_THROTTLE_USER: '1000000/minute' },
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
      const metrics: Record<string, number> = {};
      metrics['claims demo'] = await countClaims(db, seeded.customerId);
      await measureAll(client, 'demo', metrics);

      const scaled = await scaleCustomerClaims(
        db,
        { rebuildCustomerRollups, runEnabledAnalysesNow },
        seeded.customerId,
        target,
      );
      metrics['scale_ms'] = scaled.ms;
      metrics['claims scaled'] = scaled.claimsAfter;
      await measureAll(client, 'scaled', metrics);
      await app.close();
      return { name: 'pages', metrics, notes: 'server ms (median of 3); -1 = error' };
    } finally {
      await services.dispose();
    }
  },
};
