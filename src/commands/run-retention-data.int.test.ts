import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onPostgres } from '../../test/db.ts';
import { createIngestionHarness, csv, type IngestionHarness } from '../../test/ingestion.ts';
import { expectRollupsMatchClaims } from '../../test/rollups.ts';
import { loadConfig } from '../config/env.ts';
import type { DB } from '../db/schema.ts';
import { emptyRetentionCounts } from '../domain/retention.ts';
import { runRetention } from './run-retention.ts';

/**
 * Retention of the issue-13 categories (web-api-ops §7.5) on data ingested through the real
 * upload path: claims by submitted date with their rollups, uploads kept while claims reference
 * them, validation rows and rejected-row details, system events, finished jobs and audit events,
 * each with rows on both sides of its cutoff. Today is 2026-03-20: claims before 2024-03-20,
 * uploads before 2024-03-20, validation before 2025-12-20, system events before 2025-03-20, jobs
 * finished before 2026-02-18, audit before 2020-03-21 go.
 */

const TODAY = '2026-03-20T03:30:00Z';
const HEADER = 'claim_id,payer,cpt,submitted_date,decided_date,outcome,allowed_amount';

let harness: IngestionHarness;
let db: Kysely<DB>;
let riverside: number;
let lakeside: number;
const uploads: Record<string, number> = {};

type Table =
  | 'claims'
  | 'claim_daily_rollups'
  | 'claim_decision_rollups'
  | 'claim_settlement_rollups'
  | 'uploads'
  | 'upload_quality_reports'
  | 'validation_results'
  | 'system_events'
  | 'jobs'
  | 'audit_events';
const TABLES: readonly Table[] = [
  'claims',
  'claim_daily_rollups',
  'claim_decision_rollups',
  'claim_settlement_rollups',
  'uploads',
  'upload_quality_reports',
  'validation_results',
  'system_events',
  'jobs',
  'audit_events',
];

/**
 * Row counts per table and owner ("null" = rows of no customer), plus the rejection lists; the
 * audit rows of the retention runs themselves are left out (every run, dry or not, adds one).
 */
async function snapshot(): Promise<Record<string, number | string>> {
  const out: Record<string, number | string> = {};
  for (const table of TABLES) {
    const rows = await sql<{ owner: string | null; n: number }>`
      SELECT customer_id::text AS owner, count(*)::int AS n FROM ${sql.table(table)}
       WHERE ${table === 'audit_events' ? sql`action <> 'retention_run'` : sql`true`}
       GROUP BY customer_id`.execute(db);
    for (const row of rows.rows) out[`${table}:${row.owner ?? 'null'}`] = Number(row.n);
  }
  const details = await sql<{ customer_id: string; upload_id: string; details: string }>`
    SELECT customer_id::text, upload_id::text, rejection_details::text AS details
      FROM upload_quality_reports ORDER BY customer_id, upload_id`.execute(db);
  for (const row of details.rows) out[`details/${row.upload_id}:${row.customer_id}`] = row.details;
  return out;
}

function deps(overrides: { claimsDays?: number; batchSize?: number } = {}) {
  const config = harness.services.config;
  return {
    db,
    config: {
      ...config,
      retention: {
        ...config.retention,
        ...(overrides.claimsDays !== undefined && { claimsDays: overrides.claimsDays }),
      },
    },
    clock: { now: () => new Date(TODAY) },
    ...(overrides.batchSize !== undefined && { batchSize: overrides.batchSize }),
  };
}

async function ingest(customerId: number, name: string, rows: string[]): Promise<number> {
  const upload = await harness.ingest(name, csv(HEADER, rows), { customerId });
  expect(['success', 'partial', 'failed']).toContain(upload.status);
  return upload.id;
}

async function backdateUpload(customerId: number, uploadId: number, at: string): Promise<void> {
  await db
    .updateTable('uploads')
    .set({ created_at: new Date(at) })
    .where('customer_id', '=', customerId)
    .where('id', '=', uploadId)
    .execute();
  await db
    .updateTable('upload_quality_reports')
    .set({ created_at: new Date(at) })
    .where('customer_id', '=', customerId)
    .where('upload_id', '=', uploadId)
    .execute();
  await db
    .updateTable('validation_results')
    .set({ created_at: new Date(at) })
    .where('customer_id', '=', customerId)
    .where('upload_id', '=', uploadId)
    .execute();
}

async function claimDates(customerId: number): Promise<string[]> {
  const rows = await sql<{ d: string }>`SELECT submitted_date::text AS d FROM claims
                                         WHERE customer_id = ${customerId} ORDER BY d`.execute(db);
  return rows.rows.map((row) => row.d);
}

async function uploadIds(customerId: number): Promise<number[]> {
  const rows = await db
    .selectFrom('uploads')
    .select('id')
    .where('customer_id', '=', customerId)
    .orderBy('id')
    .execute();
  return rows.map((row) => row.id);
}

async function seedLogs(customerId: number | null, tag: string): Promise<void> {
  if (customerId !== null) {
    for (const at of ['2025-03-01T12:00:00Z', '2025-04-01T12:00:00Z']) {
      await db
        .insertInto('system_events')
        .values({
          customer_id: customerId,
          event_type: 'retention_test',
          payload: JSON.stringify({ tag }),
          created_at: new Date(at),
        })
        .execute();
    }
  }
  const jobs: Array<{ status: 'succeeded' | 'failed' | 'queued'; created: string; finished: string | null }> =
    [
      { status: 'succeeded', created: '2026-02-01T00:00:00Z', finished: '2026-02-01T00:05:00Z' }, // goes
      { status: 'failed', created: '2026-02-10T00:00:00Z', finished: '2026-02-17T23:59:00Z' }, // goes
      { status: 'succeeded', created: '2026-02-17T23:00:00Z', finished: '2026-02-18T00:01:00Z' }, // stays
      { status: 'queued', created: '2025-12-01T00:00:00Z', finished: null }, // live work: stays
    ];
  for (const job of jobs) {
    await db
      .insertInto('jobs')
      .values({
        customer_id: customerId,
        queue: 'maintenance',
        kind: `test.${tag}`,
        status: job.status,
        created_at: new Date(job.created),
        run_at: new Date(job.created),
        finished_at: job.finished === null ? null : new Date(job.finished),
      })
      .execute();
  }
  for (const at of ['2020-03-20T23:00:00Z', '2020-03-21T00:00:00Z']) {
    await db
      .insertInto('audit_events')
      .values({
        customer_id: customerId,
        action: 'retention_test',
        metadata: JSON.stringify({ tag }),
        created_at: new Date(at),
      })
      .execute();
  }
}

beforeAll(async () => {
  harness = await createIngestionHarness();
  db = harness.services.database.db;
  riverside = harness.customerId;
  lakeside = await harness.addCustomer('Lakeside Clinic');
  for (const customerId of [riverside, lakeside]) {
    const tag = String(customerId);
    // Every claim old: the upload can go once they are gone. Day 2024-03-19 goes, 2024-03-20 is
    // the first day kept (exactly 730 days).
    uploads[`old-${tag}`] = await ingest(customerId, `old-${tag}.csv`, [
      'C-1,Aetna,99213,2024-01-10,2024-01-20,PAID,100',
      'C-2,Aetna,99214,2024-01-10,2024-03-25,DENIED,',
      'C-3,Cigna,99213,2024-03-19,2024-03-25,PAID,90',
    ]);
    // One old claim and one kept: the upload stays. One rejected row (rejection details).
    uploads[`mixed-${tag}`] = await ingest(customerId, `mixed-${tag}.csv`, [
      'M-1,Aetna,99213,2024-02-01,2024-03-25,PAID,100',
      'M-2,Aetna,99213,2024-03-20,2024-03-25,PAID,100',
      'M-3,Aetna,99213,not-a-date,2024-03-25,PAID,100',
    ]);
    // Nothing accepted: no claim ever references it.
    uploads[`bad-${tag}`] = await ingest(customerId, `bad-${tag}.csv`, [
      'B-1,Aetna,99213,not-a-date,2024-03-25,PAID,100',
    ]);
    // Recent claims: one 109 days old, one 19 days old — inside 120 days whatever is configured.
    uploads[`recent-${tag}`] = await ingest(customerId, `recent-${tag}.csv`, [
      'R-1,Aetna,99213,2025-12-01,2025-12-10,PAID,100',
      'R-2,Aetna,99213,2026-03-01,2026-03-10,PAID,100',
      'R-3,Aetna,99213,not-a-date,2026-03-10,PAID,100',
    ]);
    for (const name of ['old', 'mixed', 'bad']) {
      await backdateUpload(customerId, uploads[`${name}-${tag}`] as number, '2024-03-19T12:00:00Z');
    }
    // The recent upload: created exactly at the uploads cutoff day and validated 2025-12-20 — kept.
    await backdateUpload(customerId, uploads[`recent-${tag}`] as number, '2025-12-20T00:00:00Z');
    for (const [at, row] of [
      ['2025-12-19T23:59:59Z', 1],
      ['2025-12-20T00:00:00Z', 2],
    ] as const) {
      await db
        .insertInto('validation_results')
        .values({
          customer_id: customerId,
          upload_id: uploads[`mixed-${tag}`] as number,
          rule_code: 'TEST',
          row_number: row,
          message: 'test',
          severity: 'warning',
          created_at: new Date(at),
        })
        .execute();
    }
    await seedLogs(customerId, tag);
  }
  await seedLogs(null, 'system');
}, 300_000);

afterAll(async () => {
  await harness?.dispose();
});

describe(`retention of claims, uploads, validation rows and logs (${onPostgres ? 'PostgreSQL' : 'PGlite'})`, () => {
  it('--customer: the dry run deletes nothing and counts exactly what the real run deletes, for that tenant only', async () => {
    const before = await snapshot();
    const rollupsBefore = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM claim_daily_rollups
       WHERE customer_id = ${riverside} AND day < '2024-03-20'::date`.execute(db);
    const dry = await runRetention(deps(), { dryRun: true, customerId: riverside });
    expect(await snapshot()).toEqual(before);
    expect(dry.counts).toEqual({
      ...emptyRetentionCounts(),
      claims: 4,
      claim_daily_rollups: Number(rollupsBefore.rows[0]?.n),
      validation_results: Number(dry.counts.validation_results),
      rejected_row_details: 2,
      uploads: 2,
      quality_reports: 2,
      system_events: 1,
      jobs: 2,
      audit_events: 1,
    });
    expect(dry.counts.claim_daily_rollups).toBeGreaterThanOrEqual(3);
    // The mixed upload's own validation rows (rejected date) plus the test row before the cutoff.
    expect(dry.counts.validation_results).toBeGreaterThanOrEqual(1);

    // Batches of one cross every boundary: a day split over batches, an upload per batch.
    const real = await runRetention(deps({ batchSize: 1 }), { customerId: riverside });
    expect(real.counts).toEqual(dry.counts);

    expect(await claimDates(riverside)).toEqual(['2024-03-20', '2025-12-01', '2026-03-01']);
    await expectRollupsMatchClaims(db, riverside);
    expect(await uploadIds(riverside)).toEqual(
      [uploads[`mixed-${riverside}`], uploads[`recent-${riverside}`]].sort((a, b) => Number(a) - Number(b)),
    );
    const reports = await db
      .selectFrom('upload_quality_reports')
      .select(['upload_id', 'rejection_details'])
      .where('customer_id', '=', riverside)
      .orderBy('upload_id')
      .execute();
    expect(reports.map((r) => [r.upload_id, (r.rejection_details as unknown[]).length])).toEqual([
      [uploads[`mixed-${riverside}`], 0],
      [uploads[`recent-${riverside}`], 1],
    ]);
    const validation = await db
      .selectFrom('validation_results')
      .select('created_at')
      .where('customer_id', '=', riverside)
      .execute();
    expect(validation.every((row) => new Date(row.created_at) >= new Date('2025-12-20T00:00:00Z'))).toBe(
      true,
    );
    expect(validation.length).toBeGreaterThanOrEqual(1);

    // The other tenant and the rows of no customer are untouched.
    const after = await snapshot();
    for (const [key, value] of Object.entries(before)) {
      if (key.endsWith(`:${lakeside}`) || key.endsWith(':null')) expect(after[key], key).toEqual(value);
    }
    for (const id of [uploads[`old-${lakeside}`], uploads[`mixed-${lakeside}`]]) {
      expect(after[`details/${id}:${lakeside}`]).toEqual(before[`details/${id}:${lakeside}`]);
    }
    // Jobs of no customer (scheduler work) wait for a run over every customer.
    expect(after['jobs:null']).toBe(4);

    const audit = await db
      .selectFrom('audit_events')
      .select(['customer_id', 'metadata'])
      .where('action', '=', 'retention_run')
      .orderBy('id')
      .execute();
    expect(audit.map((row) => row.customer_id)).toEqual([riverside, riverside]);
    expect(audit[1]?.metadata).toMatchObject({
      dry_run: false,
      system_rows: false,
      counts: { claims: 4, uploads: 2, jobs: 2, audit_events: 1 },
    });
  });

  it('every customer: dry run equals the real run; rows of no customer go too; a second run finds nothing', async () => {
    const before = await snapshot();
    const dry = await runRetention(deps(), { dryRun: true });
    expect(await snapshot()).toEqual(before);
    expect(dry.counts).toMatchObject({
      claims: 4,
      uploads: 2,
      quality_reports: 2,
      system_events: 1,
      jobs: 4,
      audit_events: 2,
    });
    const real = await runRetention(deps({ batchSize: 2 }));
    expect(real.counts).toEqual(dry.counts);
    expect(await claimDates(lakeside)).toEqual(['2024-03-20', '2025-12-01', '2026-03-01']);
    await expectRollupsMatchClaims(db, lakeside);
    const after = await snapshot();
    expect(after['jobs:null']).toBe(2);
    expect(after['audit_events:null']).toBeGreaterThanOrEqual(1); // the kept 2020-03-21 row (+ retention_run rows)
    const again = await runRetention(deps());
    expect(again.total).toBe(0);
  });

  it('claims inside 120 days are never deleted, even with a claims period of 1 day', async () => {
    expect(loadConfig({ RETENTION_CLAIMS_DAYS: '1' }).retention.claimsDays).toBe(120);
    // Passed unclamped straight to the command: the cutoff clamps again (2025-11-20).
    const result = await runRetention(deps({ claimsDays: 1 }));
    expect(result.cutoffs.claimsSubmittedBefore).toBe('2025-11-20');
    expect(result.counts.claims).toBe(2); // the two 2024-03-20 lines
    // The mixed uploads lost their last claims in this run, so the same run removed them.
    expect(result.counts.uploads).toBe(2);
    for (const customerId of [riverside, lakeside]) {
      expect(await claimDates(customerId)).toEqual(['2025-12-01', '2026-03-01']);
      await expectRollupsMatchClaims(db, customerId);
    }
  });
});
