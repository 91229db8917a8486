import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIngestionHarness, csv, type IngestionHarness } from '../../test/ingestion.ts';
import type { DB } from '../db/schema.ts';
import { runRetention } from './run-retention.ts';
import { setCustomerRetention } from './set-customer-retention.ts';

/**
 * Per-customer retention periods (issue 13 item 6): a customer's own claims period replaces
 * RETENTION_CLAIMS_DAYS for that customer only, the change is audited, and the retention run
 * records which customers ran on their own periods. Today is 2026-03-20.
 */

const TODAY = new Date('2026-03-20T03:30:00Z');
const clock = { now: () => TODAY };
const HEADER = 'claim_id,payer,cpt,submitted_date,decided_date,outcome,allowed_amount';
// 231 and 69 days before today: both inside the 730-day default, only the second inside 200.
const ROWS = [
  'C-1,Aetna,99213,2025-08-01,2025-08-20,PAID,100',
  'C-2,Aetna,99213,2026-01-10,2026-01-20,PAID,90',
];

let harness: IngestionHarness;
let db: Kysely<DB>;
let riverside: number;
let lakeside: number;

async function claimDates(customerId: number): Promise<string[]> {
  const rows = await sql<{ d: string }>`SELECT submitted_date::text AS d FROM claims
                                         WHERE customer_id = ${customerId} ORDER BY d`.execute(db);
  return rows.rows.map((row) => row.d);
}

function retentionDeps() {
  return { db, config: harness.services.config, clock };
}

beforeAll(async () => {
  harness = await createIngestionHarness();
  db = harness.services.database.db;
  riverside = harness.customerId;
  lakeside = await harness.addCustomer('Lakeside Clinic');
  for (const customerId of [riverside, lakeside]) {
    const upload = await harness.ingest(`claims-${customerId}.csv`, csv(HEADER, ROWS), { customerId });
    expect(upload.status).toBe('success');
  }
});

afterAll(async () => {
  await harness?.dispose();
});

describe('per-customer retention periods', () => {
  it('a customer’s shorter claims period deletes its older claims only, audited, and reset returns to the default', async () => {
    const overrides = await setCustomerRetention(
      { db, clock },
      { customerId: riverside, set: [{ name: 'claims', days: 200 }], reset: [], via: 'cli' },
    );
    expect(overrides).toEqual({ claims: 200 });
    const change = await db
      .selectFrom('audit_events')
      .select(['customer_id', 'metadata'])
      .where('action', '=', 'retention_periods_changed')
      .executeTakeFirstOrThrow();
    expect(change.customer_id).toBe(riverside);
    expect(change.metadata).toMatchObject({ via: 'cli', before: {}, after: { claims: 200 } });

    const dry = await runRetention(retentionDeps(), { dryRun: true });
    expect(dry.counts.claims).toBe(1);
    expect(await claimDates(riverside)).toEqual(['2025-08-01', '2026-01-10']);

    const real = await runRetention(retentionDeps());
    expect(real.counts.claims).toBe(1);
    expect(await claimDates(riverside)).toEqual(['2026-01-10']);
    expect(await claimDates(lakeside)).toEqual(['2025-08-01', '2026-01-10']);
    const run = await db
      .selectFrom('audit_events')
      .select('metadata')
      .where('action', '=', 'retention_run')
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    expect(run.metadata).toMatchObject({ custom_periods: { [String(riverside)]: { claims: 200 } } });

    // Lakeside sets a longer audit period and resets nothing else; riverside goes back to the
    // defaults, after which nothing more of either is deleted.
    expect(
      await setCustomerRetention(
        { db, clock },
        { customerId: lakeside, set: [{ name: 'audit', days: 3650 }], reset: [], via: 'cli' },
      ),
    ).toEqual({ audit: 3650 });
    expect(
      await setCustomerRetention({ db, clock }, { customerId: riverside, set: [], reset: 'all', via: 'cli' }),
    ).toEqual({});
    const after = await runRetention(retentionDeps());
    expect(after.counts.claims).toBe(0);
    expect(await claimDates(lakeside)).toEqual(['2025-08-01', '2026-01-10']);
  });

  it('the stored periods are read defensively: an out-of-bounds value written by hand is ignored', async () => {
    await db
      .updateTable('customer_settings')
      .set({ retention_days: JSON.stringify({ claims: 5, bogus: 1 }) })
      .where('customer_id', '=', lakeside)
      .execute();
    const result = await runRetention(retentionDeps(), { customerId: lakeside });
    // 5 days would delete both claims; the 120-day floor is never crossed, and the default applies.
    expect(result.counts.claims).toBe(0);
    expect(await claimDates(lakeside)).toEqual(['2025-08-01', '2026-01-10']);
  });
});
