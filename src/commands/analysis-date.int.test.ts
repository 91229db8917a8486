/**
 * Issue 9, item 4: the analysis date follows the data. A run requested without `as_of` analyses
 * up to the customer's latest decision when that is earlier than today, the dashboards say so,
 * a run over a period without data never replaces one with findings as "latest", future-dated
 * rows are ignored, and a backfilled upload's period gets its own runs.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccountFixtures, loggedInClient } from '../../test/accounts.ts';
import { a1Claims, a12Claims, a16Claims, writeClaims } from '../../test/analytics.ts';
import { createTestServices, type TestServices } from '../../test/services.ts';
import { findLatestRun, listRuns } from '../db/repositories/analysis-runs.repository.ts';
import { listFindings } from '../db/repositories/findings.repository.ts';
import { insertUpload, updateUpload } from '../db/repositories/uploads.repository.ts';
import { addDays } from '../domain/analytics/dates.ts';
import { buildApp } from '../http/app.ts';
import type { JobQueue } from '../jobs/types.ts';
import {
  analysisAsOf,
  dataFollowingAsOf,
  requestAnalysesForCustomer,
  requestBackfillAnalyses,
  runEnabledAnalysesNow,
} from './request-analysis.ts';
import { runAnalysis } from './run-analysis.ts';

const TODAY = '2026-12-07';
/** The historical data's as_of: its latest decision is Sunday 2024-09-22. */
const T = '2024-09-23';

let services: TestServices;
let app: FastifyInstance;
let customer: number;

/** A queue that records enqueued jobs without running them. */
function recordingQueue(): Pick<JobQueue, 'enqueue'> & { jobs: Array<{ kind: string; payload: unknown }> } {
  const jobs: Array<{ kind: string; payload: unknown }> = [];
  let id = 1000;
  return {
    jobs,
    async enqueue(kind, payload) {
      jobs.push({ kind, payload });
      id += 1;
      return { id, created: true } as Awaited<ReturnType<JobQueue['enqueue']>>;
    },
  };
}

beforeAll(async () => {
  services = await createTestServices({
    env: { PORTAL_RATE_LIMIT: '10000/minute', EMAIL_BACKEND: 'memory' },
  });
  services.clock = { now: () => new Date(`${TODAY}T12:00:00Z`) };
  app = await buildApp(services);
  const fx = await createAccountFixtures(services.database.db, {
    productsA: ['driftwatch', 'denialscope', 'delayguard'],
  });
  customer = fx.customerA.id;
  // A backfill of 2024: the spec's A1/A12/A16 drifts ending on 2024-09-22, plus one claim whose
  // decision date lies in the future (a data error), which must not move the analysis date.
  const claims = [...a1Claims(T), ...a12Claims(T), ...a16Claims(T)];
  const lastDecision = claims
    .map((c) => c.decided_date)
    .sort()
    .at(-1);
  expect(lastDecision).toBe('2024-09-22');
  await writeClaims(services.database.db, customer, [
    ...claims,
    {
      payer: 'Aetna',
      cpt_group: 'EVAL',
      submitted_date: '2026-11-30',
      decided_date: '2027-01-15',
      outcome: 'PAID',
    },
  ]);
}, 60_000);

afterAll(async () => {
  await app.close();
  await services.dispose();
});

describe('the analysis date follows the data (issue 9 item 4)', () => {
  it('as_of rule: the day after the latest decision when that is before the on-demand date', () => {
    expect(dataFollowingAsOf('driftwatch', TODAY, '2024-09-22')).toBe('2024-09-23');
    expect(dataFollowingAsOf('denialscope', TODAY, '2024-09-22')).toBe('2024-09-23');
    // Data ending mid-week: DriftWatch still ends where the data ends (no day skipped).
    expect(dataFollowingAsOf('driftwatch', TODAY, '2024-09-25')).toBe('2024-09-26');
    // Current data: the on-demand date (DriftWatch: the latest Monday, 2026-12-07 itself).
    expect(dataFollowingAsOf('driftwatch', '2026-12-09', '2026-12-08')).toBe('2026-12-07');
    expect(dataFollowingAsOf('delayguard', TODAY, '2026-12-06')).toBe(TODAY);
    expect(dataFollowingAsOf('delayguard', TODAY, null)).toBe(TODAY);
  });

  it('a run requested without as_of analyses the historical period and finds its drifts; the future-dated row is ignored', async () => {
    const db = services.database.db;
    expect(await analysisAsOf(db, customer, 'driftwatch', TODAY)).toBe(T);
    const results = await runEnabledAnalysesNow({ db }, { customerId: customer, today: TODAY });
    expect(results.map((r) => [r.product, r.result?.run.as_of, r.error])).toEqual([
      ['driftwatch', T, null],
      ['denialscope', T, null],
      ['delayguard', T, null],
    ]);
    const findings = await listFindings(db, customer);
    expect(new Set(findings.map((f) => f.signal_type))).toEqual(
      new Set(['DENIAL_RATE', 'denial_rate_spike', 'denial_dollars_spike', 'payment_delay_drift']),
    );
    expect(findings.every((f) => f.current_end === T)).toBe(true);
  });

  it('the dashboards say how far the analysis reaches and why', async () => {
    const c = await loggedInClient(app, 'viewer_a');
    for (const product of ['driftwatch', 'denialscope', 'delayguard']) {
      const r = await c.get(`/portal/products/${product}/`);
      expect(r.statusCode).toBe(200);
      expect(r.body).toContain('Analysed through 2024-09-22: your latest claims are from then.');
    }
  });

  it('a run over a period without data never replaces the one with findings as the latest run', async () => {
    const db = services.database.db;
    const empty = await runAnalysis(
      { db },
      { customerId: customer, product: 'driftwatch', asOf: TODAY, runType: 'manual' },
    );
    expect(empty.findings).toBe(0);
    expect((empty.run.summary_json as Record<string, unknown>)['current_claims']).toBe(0);
    const latest = await findLatestRun(db, customer, 'driftwatch');
    expect(latest?.as_of).toBe(T);
    // Both runs are kept; the list shows them newest first.
    expect((await listRuns(db, customer, { product: 'driftwatch' })).map((r) => r.as_of)).toEqual([TODAY, T]);
  });

  it('"Run analysis now" requests the data-following as_of; an explicit as_of is kept', async () => {
    const db = services.database.db;
    const queue = recordingQueue();
    const requested = await requestAnalysesForCustomer(
      { db, queue },
      { customerId: customer, runType: 'manual', today: TODAY, products: ['denialscope'] },
    );
    expect(requested.map((r) => r.run.as_of)).toEqual([T]);
    const explicit = await requestAnalysesForCustomer(
      { db, queue },
      {
        customerId: customer,
        runType: 'manual',
        today: TODAY,
        products: ['denialscope'],
        asOf: '2024-08-01',
      },
    );
    expect(explicit.map((r) => r.run.as_of)).toEqual(['2024-08-01']);
  });

  it('a backfilled upload well behind the current data gets runs at the end of its own period', async () => {
    const db = services.database.db;
    const queue = recordingQueue();
    const backfill = await insertUpload(db, customer, {
      filename: 'claims-2023.csv',
      format: 'csv',
      source: 'web_ui',
      file_sha256: 'a'.repeat(64),
    });
    await updateUpload(db, customer, backfill.id, {
      status: 'success',
      date_min: '2023-01-02',
      date_max: '2023-06-30',
    });
    const recent = await insertUpload(db, customer, {
      filename: 'claims-2024-09.csv',
      format: 'csv',
      source: 'web_ui',
      file_sha256: 'b'.repeat(64),
    });
    await updateUpload(db, customer, recent.id, {
      status: 'success',
      date_min: '2024-09-01',
      date_max: '2024-09-22',
    });
    const extra = await requestBackfillAnalyses(
      { db, queue },
      {
        customerId: customer,
        uploadIds: [backfill.id, recent.id],
        today: TODAY,
        requested: [
          { product: 'driftwatch', run: { as_of: T } },
          { product: 'denialscope', run: { as_of: T } },
        ],
      },
    );
    // Only the 2023 upload is a backfill (the 2024-09 one is the period just requested).
    expect(extra.map((r) => [r.product, r.run.as_of, r.run.run_type])).toEqual([
      ['driftwatch', '2023-07-01', 'post_upload'],
      ['denialscope', '2023-07-01', 'post_upload'],
    ]);
    expect(addDays('2023-06-30', 1)).toBe('2023-07-01');
  });
});
