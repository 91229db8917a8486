import { afterEach, describe, expect, it } from 'vitest';
import { onPostgres } from '../../test/db.ts';
import { createIngestionHarness, csv, type IngestionHarness } from '../../test/ingestion.ts';
import { expectRollupsMatchClaims } from '../../test/rollups.ts';
import { waitFor } from '../../test/wait.ts';
import {
  listClaimsOfUpload,
  listDecisionRollups,
  listRollups,
} from '../db/repositories/claims.repository.ts';
import { insertCptGroupMapping, insertPayerMapping } from '../db/repositories/mappings.repository.ts';
import { reapplyMappings, requestReapplyMappings } from './reapply-mappings.ts';

let harness: IngestionHarness | null = null;
afterEach(async () => {
  await harness?.dispose();
  harness = null;
});

const DEMO_PAYERS: Array<[string, string]> = [
  ['BCBS', 'Blue Cross Blue Shield'],
  ['BC/BS', 'Blue Cross Blue Shield'],
  ['United Health', 'UnitedHealthcare'],
  ['UHC', 'UnitedHealthcare'],
];
const DEMO_CPT: Array<[string, string]> = [
  ['99213', 'E&M Office Visit'],
  ['99214', 'E&M Office Visit'],
  ['99215', 'E&M Office Visit'],
  ['36415', 'Lab Services'],
  ['85025', 'Lab Services'],
  ['80053', 'Lab Services'],
];

describe(`normalization and re-apply (${onPostgres ? 'PostgreSQL' : 'PGlite'})`, () => {
  it('A13: demo mappings normalise at ingestion; a new mapping applies only after re-apply', async () => {
    harness = await createIngestionHarness();
    const h = harness;
    const db = h.services.database.db;
    for (const [rawName, normalizedName] of DEMO_PAYERS) {
      await insertPayerMapping(db, h.customerId, { rawName, normalizedName });
    }
    for (const [cptCode, cptGroup] of DEMO_CPT)
      await insertCptGroupMapping(db, h.customerId, { cptCode, cptGroup });
    const upload = await h.ingest(
      'norm.csv',
      csv('payer,cpt,submitted_date,decided_date,outcome', [
        'BCBS,99213-25,2024-01-15,2024-01-20,PAID',
        'bc/bs,99212,2024-01-15,2024-01-20,PAID',
        '" UHC ",36415,2024-01-16,2024-01-20,PAID',
        'United  Health,J3301,2024-01-16,2024-01-20,PAID',
        'Aetna,1036F,2024-01-17,2024-01-20,PAID',
      ]),
    );
    expect(upload.status).toBe('success');
    const claims = await listClaimsOfUpload(db, h.customerId, upload.id);
    expect(claims.map((c) => [c.payer, c.cpt, c.modifiers, c.cpt_group])).toEqual([
      ['Blue Cross Blue Shield', '99213', '25', 'E&M Office Visit'],
      ['Blue Cross Blue Shield', '99212', null, 'E&M'],
      ['UnitedHealthcare', '36415', null, 'Lab Services'],
      ['UnitedHealthcare', 'J3301', null, 'HCPCS'],
      ['Aetna', '1036F', null, 'OTHER'],
    ]);

    await insertPayerMapping(db, h.customerId, { rawName: 'Aetna', normalizedName: 'Aetna Inc' });
    const before = await listClaimsOfUpload(db, h.customerId, upload.id);
    expect(before[4]?.payer).toBe('Aetna');

    const result = await reapplyMappings(
      { database: h.services.database },
      { customerId: h.customerId, requestId: 'req-reapply' },
    );
    expect(result).toEqual({ claimsUpdated: 1, daysRecomputed: 1 });
    const after = await listClaimsOfUpload(db, h.customerId, upload.id);
    expect(after[4]).toMatchObject({ payer: 'Aetna Inc', revision: 1 });
    const rollups = await listRollups(db, h.customerId, { from: '2024-01-17', to: '2024-01-17' });
    expect(rollups.map((r) => [r.payer, r.claim_count])).toEqual([['Aetna Inc', 1]]);
    // On the decision timeline all five share 2024-01-20; the Aetna bucket is renamed there too.
    const decided = await listDecisionRollups(db, h.customerId, { from: '2024-01-20', to: '2024-01-20' });
    expect(decided.map((r) => [r.payer, r.cpt_group, r.claim_count])).toEqual([
      ['Aetna Inc', 'OTHER', 1],
      ['Blue Cross Blue Shield', 'E&M', 1],
      ['Blue Cross Blue Shield', 'E&M Office Visit', 1],
      ['UnitedHealthcare', 'HCPCS', 1],
      ['UnitedHealthcare', 'Lab Services', 1],
    ]);
    await expectRollupsMatchClaims(db, h.customerId);
    const event = await db
      .selectFrom('system_events')
      .selectAll()
      .where('event_type', '=', 'mappings_reapplied')
      .executeTakeFirstOrThrow();
    expect(event.payload).toEqual({ claims_updated: 1, days_recomputed: 1 });

    // The background job does the same (nothing left to change now).
    const { jobId } = await requestReapplyMappings(h.services.queue, { customerId: h.customerId });
    const job = await waitFor(async () => {
      const row = await db.selectFrom('jobs').selectAll().where('id', '=', jobId).executeTakeFirst();
      return row?.status === 'succeeded' ? row : null;
    });
    expect(job.result).toEqual({ claims_updated: 0, days_recomputed: 0 });
  });
});
