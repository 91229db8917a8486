import net from 'node:net';
import { Counter, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { testConfig } from '../../test/config.ts';
import { silentLogger } from './logger.ts';
import {
  bearerMatches,
  startWorkerMetricsServer,
  type WorkerMetricsServer,
} from './worker-metrics-server.ts';

/** The listener `payrixa worker` serves its registry on (the process test is in work-metrics.int.test.ts). */

describe('worker metrics listener', () => {
  const opened: Array<WorkerMetricsServer | net.Server> = [];
  afterEach(async () => {
    for (const server of opened.splice(0)) {
      if (server instanceof net.Server) await new Promise((resolve) => server.close(resolve));
      else await server.close();
    }
  });

  function registryWithACount(): Registry {
    const registry = new Registry();
    new Counter({
      name: 'payrixa_jobs_processed_total',
      help: 'x',
      labelNames: ['queue'],
      registers: [registry],
    }).inc({
      queue: 'ingest',
    });
    return registry;
  }

  it('serves the registry on 127.0.0.1 in the Prometheus text format; with METRICS_TOKEN only to the bearer', async () => {
    const config = testConfig({ METRICS_TOKEN: 's3cret-token' });
    const server = await startWorkerMetricsServer(config, silentLogger(), {
      port: 0,
      registry: registryWithACount(),
    });
    expect(server).not.toBeNull();
    opened.push(server!);
    const url = `http://127.0.0.1:${server!.port}/metrics`;

    const anonymous = await fetch(url);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await anonymous.text()).toBe('Unauthorized');
    expect((await fetch(url, { headers: { authorization: 'Bearer wrong-token!' } })).status).toBe(401);

    const scraped = await fetch(url, { headers: { authorization: 'Bearer s3cret-token' } });
    expect(scraped.status).toBe(200);
    expect(scraped.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(await scraped.text()).toContain('payrixa_jobs_processed_total{queue="ingest"} 1');
    expect((await fetch(`http://127.0.0.1:${server!.port}/other`)).status).toBe(404);
  });

  it('without a token the scrape is open; METRICS_ENABLED=false starts no listener', async () => {
    const open = await startWorkerMetricsServer(testConfig(), silentLogger(), {
      port: 0,
      registry: registryWithACount(),
    });
    opened.push(open!);
    expect((await fetch(`http://127.0.0.1:${open!.port}/metrics`)).status).toBe(200);
    expect(
      await startWorkerMetricsServer(testConfig({ METRICS_ENABLED: 'false' }), silentLogger(), { port: 0 }),
    ).toBeNull();
  });

  it('a port already in use logs a warning and yields no listener (the worker keeps running)', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    opened.push(blocker);
    const address = blocker.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const warnings: string[] = [];
    const logger = silentLogger();
    logger.warn = ((_obj: unknown, msg?: string) => {
      warnings.push(String(msg));
    }) as typeof logger.warn;
    expect(await startWorkerMetricsServer(testConfig(), logger, { port })).toBeNull();
    expect(warnings).toEqual(['worker metrics port unavailable; running without /metrics']);
  });

  it('bearerMatches compares the whole header', () => {
    expect(bearerMatches('Bearer abc', 'abc')).toBe(true);
    expect(bearerMatches('Bearer abcd', 'abc')).toBe(false);
    expect(bearerMatches('bearer abc', 'abc')).toBe(false);
    expect(bearerMatches(undefined, 'abc')).toBe(false);
  });
});
