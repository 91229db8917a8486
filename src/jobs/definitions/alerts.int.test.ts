import { afterEach, describe, expect, it } from 'vitest';
import { acmeCustomer, insertRule, T } from '../../../test/alerts.ts';
import { createTestServices, type TestServices } from '../../../test/services.ts';
import { waitFor } from '../../../test/wait.ts';
import { evaluateAlerts } from '../../commands/evaluate-alerts.ts';
import { requestAnalysisRun } from '../../commands/request-analysis.ts';
import { insertBacktestRun } from '../../db/repositories/analysis-runs.repository.ts';
import { configuredSchedules } from './index.ts';

describe('alert jobs (alerts-reports §14)', () => {
  let services: TestServices | undefined;

  afterEach(async () => {
    await services?.dispose();
    services = undefined;
  });

  it('a successful analysis run (through its job) ends with a delivered alert: run → evaluate → send', async () => {
    services = await createTestServices({
      env: { EMAIL_BACKEND: 'memory', PORTAL_BASE_URL: 'https://payrixa.example' },
    });
    const db = services.database.db;
    await acmeCustomer(db);
    await insertRule(db, 42, { name: 'High Denial Rate Alert', threshold_value: 0.7 });
    const requested = await requestAnalysisRun(
      { db, queue: services.queue },
      { customerId: 42, product: 'driftwatch', asOf: T, runType: 'manual', requestId: 'req-e2e' },
    );
    await services.startJobs({ scheduler: false, concurrency: 1 });
    // The alert is sent inside the send job, which is marked succeeded just after: wait for both.
    const alert = await waitFor(async () => {
      const row = await db
        .selectFrom('alert_events')
        .selectAll()
        .where('customer_id', '=', 42)
        .executeTakeFirst();
      const send = await db
        .selectFrom('jobs')
        .select('status')
        .where('kind', '=', 'alerts.send')
        .executeTakeFirst();
      return row?.status === 'sent' && send?.status === 'succeeded' ? row : null;
    });
    expect(alert).toMatchObject({
      run_id: requested.run.id,
      payer: 'UnitedHealthcare',
      request_id: 'req-e2e',
    });
    expect(services.mailer.outbox.map((m) => m.subject)).toEqual([
      '[DriftWatch Alert] Acme Family Practice - High Severity',
    ]);
    const jobs = await db
      .selectFrom('jobs')
      .select(['kind', 'status', 'request_id'])
      .where('queue', '=', 'alerts')
      .orderBy('id')
      .execute();
    expect(jobs.map((j) => [j.kind, j.status])).toEqual([
      ['alerts.evaluate', 'succeeded'],
      ['alerts.send', 'succeeded'],
    ]);
    expect(jobs.every((j) => j.request_id === 'req-e2e')).toBe(true);
  });

  it('registers the three kinds and the every-minute dispatch schedule (SCHEDULE_ALERT_DISPATCH, off disables)', async () => {
    services = await createTestServices({ env: { EMAIL_BACKEND: 'memory' } });
    expect(
      ['alerts.evaluate', 'alerts.send', 'alerts.dispatch'].every((k) => services?.registry.get(k)),
    ).toBe(true);
    expect(configuredSchedules(services.config, services.registry)).toContainEqual({
      name: 'alert_dispatch',
      cron: '* * * * *',
      kind: 'alerts.dispatch',
    });
    const off = {
      ...services.config,
      scheduler: {
        ...services.config.scheduler,
        schedules: { ...services.config.scheduler.schedules, alert_dispatch: null },
      },
    };
    expect(configuredSchedules(off, services.registry).some((s) => s.kind === 'alerts.dispatch')).toBe(false);
  });

  it('a backtest run is never evaluated', async () => {
    services = await createTestServices({ env: { EMAIL_BACKEND: 'memory' } });
    const db = services.database.db;
    await acmeCustomer(db);
    await insertRule(db, 42, { name: 'Any', threshold_value: 0 });
    const run = await insertBacktestRun(db, 42, { asOf: T, parameters: {}, status: 'success' });
    const result = await evaluateAlerts(
      { db, clock: services.clock, portalBaseUrl: 'https://payrixa.example' },
      { customerId: 42, runId: run.id },
    );
    expect(result).toEqual({ evaluated: false, created: [], reused: [] });
  });
});
