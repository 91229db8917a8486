import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/http/app.ts';
import type { QueueName } from '../src/jobs/types.ts';
import { type AccountFixtures, createAccountFixtures } from './accounts.ts';
import { ApiClient } from './api-client.ts';
import { createTestServices, type TestServices } from './services.ts';

/**
 * The set-up of an API test file: services on a fresh database, the two-customer account
 * fixtures, the app and a JWT client. Throttles are generous so that a file's many calls are
 * never refused (a test of a throttle sets its own limit through `env`).
 */

export const GENEROUS_THROTTLES: Readonly<Record<string, string>> = {
  API_THROTTLE_USER: '100000/hour',
  API_THROTTLE_ANON: '100000/hour',
  PORTAL_RATE_LIMIT: '10000/minute',
};

export interface ApiTestApp {
  services: TestServices;
  fx: AccountFixtures;
  app: FastifyInstance;
  api: ApiClient;
  /** Closes the app and disposes of the services and their database. */
  close(): Promise<void>;
}

export async function startApiTestApp(
  options: {
    /** Settings on top of {@link GENEROUS_THROTTLES}. */
    env?: Record<string, string>;
    /** Job queues to run in-process (no scheduler), e.g. `['ingest']`. */
    jobQueues?: readonly QueueName[];
  } = {},
): Promise<ApiTestApp> {
  const services = await createTestServices({ env: { ...GENEROUS_THROTTLES, ...options.env } });
  if (options.jobQueues) await services.startJobs({ queues: options.jobQueues, scheduler: false });
  const fx = await createAccountFixtures(services.database.db);
  const app = await buildApp(services);
  return {
    services,
    fx,
    app,
    api: new ApiClient(app),
    async close() {
      await app.close();
      await services.dispose();
    },
  };
}
