import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertFinding, insertRun } from '../../../test/alert-fixtures.ts';
import { createAnalyticsCustomer } from '../../../test/analytics.ts';
import { createTestServices, type TestServices } from '../../../test/services.ts';
import { silentLogger } from '../../obs/logger.ts';
import type { JobContext } from '../types.ts';
import { configuredSchedules } from './index.ts';
import { RETENTION_JOB } from './retention.ts';

let services: TestServices;

beforeAll(async () => {
  services = await createTestServices();
}, 180_000);

afterAll(async () => {
  await services?.dispose();
});

describe('maintenance.retention', () => {
  it('is registered on the maintenance queue and scheduled at SCHEDULE_RETENTION (03:30 UTC; off disables)', () => {
    expect(services.registry.get(RETENTION_JOB)).toMatchObject({ queue: 'maintenance' });
    expect(configuredSchedules(services.config, services.registry)).toContainEqual({
      name: 'retention',
      cron: '30 3 * * *',
      kind: RETENTION_JOB,
    });
    const off = {
      ...services.config,
      scheduler: {
        ...services.config.scheduler,
        schedules: { ...services.config.scheduler.schedules, retention: null },
      },
    };
    expect(configuredSchedules(off, services.registry).some((s) => s.kind === RETENTION_JOB)).toBe(false);
  });

  it('deletes every customer’s expired data and audits the run with the job’s request id', async () => {
    const db = services.database.db;
    const customerId = await createAnalyticsCustomer(db, { products: ['driftwatch'] });
    const expired = await insertRun(db, customerId, { asOf: '2020-01-06' });
    await insertFinding(db, customerId, expired, { as_of: '2020-01-06' });
    const latest = await insertRun(db, customerId, { asOf: '2020-01-13' });

    const definition = services.registry.get(RETENTION_JOB)!;
    // The handler reads only the logger and the job record's request id.
    const result = await definition.handler({
      logger: silentLogger(),
      job: { request_id: 'req-retention' },
    } as unknown as JobContext<Record<string, never>>);
    expect(result).toMatchObject({ analysis_runs: 1, findings: 1, total: 2 });

    const runs = await db
      .selectFrom('analysis_runs')
      .select('id')
      .where('customer_id', '=', customerId)
      .execute();
    expect(runs.map((r) => r.id)).toEqual([latest]);
    const audit = await db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'retention_run')
      .executeTakeFirstOrThrow();
    expect(audit).toMatchObject({ customer_id: null, request_id: 'req-retention' });
    expect(audit.metadata).toMatchObject({ dry_run: false, total: 2 });
  });
});
