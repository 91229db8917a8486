import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { scaleCustomerClaims } from './scale-claims.ts';

/**
 * The server process of `npm run bench api` (forked by bench/api.bench.ts, never run alone):
 * seeds the demo customer on a fresh database of the checkout named by API_BENCH_TREE (this
 * one by default) with that checkout's own code, scales it to API_BENCH_CLAIMS claims, starts
 * the real app with `app.listen` on 127.0.0.1 (random port) and reports the port and the demo
 * owner's login to the parent. It serves until the parent sends `stop`.
 *
 * The modules of the served checkout are imported by path, so the same script serves an older
 * commit (the before/after comparison) as long as these entry points kept their shape — they
 * have since issue 10: createTestServices, seedDemo, buildApp, rebuildCustomerRollups,
 * runEnabledAnalysesNow.
 */

export interface ServerReady {
  kind: 'ready';
  port: number;
  username: string;
  password: string;
  customerId: number;
  claims: number;
  scaleMs: number;
}

export interface ServerFailed {
  kind: 'failed';
  error: string;
}

/** Environment of the served app: the limits a load test would hit are lifted, nothing else. */
export const LIFTED_LIMITS = {
  PORTAL_RATE_LIMIT: '100000000/hour',
  API_THROTTLE_USER: '100000000/hour',
  API_THROTTLE_ANON: '100000000/hour',
} as const;

const here = path.dirname(fileURLToPath(import.meta.url));
const tree = process.env['API_BENCH_TREE'] ?? path.resolve(here, '..');

// The served checkout's modules, typed as this checkout's (their signatures are the same).
function load<Module>(relative: string): Promise<Module> {
  return import(pathToFileURL(path.join(tree, relative)).href) as Promise<Module>;
}

function send(message: ServerReady | ServerFailed): void {
  if (!process.send) throw new Error('bench/api-server.ts runs only as a child of bench/api.bench.ts');
  process.send(message);
}

async function main(): Promise<void> {
  const target = Number(process.env['API_BENCH_CLAIMS'] ?? 1_000_000);
  const { createTestServices } = await load<typeof import('../test/services.ts')>('test/services.ts');
  const { seedDemo } = await load<typeof import('../src/commands/seed-demo.ts')>('src/commands/seed-demo.ts');
  const { runEnabledAnalysesNow } = await load<typeof import('../src/commands/request-analysis.ts')>(
    'src/commands/request-analysis.ts',
  );
  const { rebuildCustomerRollups } = await load<typeof import('../src/db/repositories/claims.repository.ts')>(
    'src/db/repositories/claims.repository.ts',
  );
  const { buildApp } = await load<typeof import('../src/http/app.ts')>('src/http/app.ts');

  const services = await createTestServices({ env: { ...LIFTED_LIMITS } });
  const seeded = await seedDemo(services, { log: () => {} });
  const owner = seeded.logins.find((login) => login.role === 'owner');
  if (!owner) throw new Error('the demo has no owner');
  const scaled = await scaleCustomerClaims(
    services.database.db,
    { rebuildCustomerRollups, runEnabledAnalysesNow },
    seeded.customerId,
    target,
  );
  const app = await buildApp(services);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address() as AddressInfo;

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await app.close();
    await services.dispose();
    process.exit(0);
  };
  process.on('message', (message) => {
    if (message === 'stop') void stop();
  });
  // The parent died without saying stop: do not outlive it.
  process.on('disconnect', () => void stop());

  send({
    kind: 'ready',
    port: address.port,
    username: owner.username,
    password: owner.password,
    customerId: seeded.customerId,
    claims: scaled.claimsAfter,
    scaleMs: scaled.ms,
  });
}

main().catch((error: unknown) => {
  send({ kind: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exit(1);
});
