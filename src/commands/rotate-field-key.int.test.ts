import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { onPostgres } from '../../test/db.ts';
import { createIngestionHarness, csv, type IngestionHarness } from '../../test/ingestion.ts';
import { fieldEncryptionKeys } from '../config/field-key.ts';
import { searchClaims } from '../db/repositories/claims-browser.repository.ts';
import type { DB } from '../db/schema.ts';
import {
  claimIdHash,
  decryptClaimId,
  deriveClaimIdHmacKey,
  encryptClaimId,
} from '../domain/claims/claim-id.ts';
import { claimIdentityKey } from '../domain/claims/identity.ts';
import { CLAIM_FILTER_PARAMS, type ClaimFilterParam, parseClaimFilters } from '../http/claims-query.ts';
import { rotateFieldKey } from './rotate-field-key.ts';

/**
 * `payrixa rotate-field-key` (web-api-ops §7.1, §6.1): claims ingested under key A, the
 * configuration then switched to key B with A as fallback; the rotation must leave every claim
 * number readable with B alone, with the keyed hash and identity key an ingest under B computes.
 */

const KEY_A = randomBytes(32).toString('base64');
const KEY_B = randomBytes(32).toString('base64');
const keyA = Buffer.from(KEY_A, 'base64');
const keyB = Buffer.from(KEY_B, 'base64');

const FILE = csv('claim_id,payer,cpt,submitted_date,decided_date,outcome,allowed_amount', [
  'CLM-1001,Aetna,99213,2026-01-05,2026-01-20,PAID,100.00',
  'CLM-1001,Aetna,99213,2026-01-05,2026-01-20,PAID,100.00',
  'CLM-1001,Aetna,36415,2026-01-05,2026-01-20,PAID,12.00',
  'CLM-1002,Cigna,99214,2026-01-06,2026-01-21,DENIED,',
  'CLM-1003,Cigna,99213,2026-01-07,2026-01-22,PAID,90.00',
  ',Humana,99213,2026-01-07,2026-01-22,PAID,80.00',
  'CLM-1004,Humana,99215,2026-01-08,2026-01-23,PAID,150.00',
]);

let harness: IngestionHarness | null = null;
afterEach(async () => {
  await harness?.dispose();
  harness = null;
});

interface StoredClaim {
  id: number;
  claim_id_enc: Buffer | null;
  claim_id_hash: string | null;
  identity_key: string;
  cpt: string;
  line_occurrence: number | null;
}

async function claimsOf(db: Kysely<DB>, customerId: number): Promise<StoredClaim[]> {
  return db
    .selectFrom('claims')
    .select(['id', 'claim_id_enc', 'claim_id_hash', 'identity_key', 'cpt', 'line_occurrence'])
    .where('customer_id', '=', customerId)
    .orderBy('id')
    .execute();
}

function opensWith(key: Buffer, data: Buffer): boolean {
  try {
    decryptClaimId(key, data);
    return true;
  } catch {
    return false;
  }
}

/** Switches the running services to key B with A as fallback (what a deploy of the new key does). */
function switchToKeyB(h: IngestionHarness): void {
  h.services.config.fieldEncryptionKey = KEY_B;
  h.services.config.fieldEncryptionKeyFallbacks = [KEY_A];
}

describe(`rotate-field-key (${onPostgres ? 'PostgreSQL' : 'PGlite'})`, () => {
  it('re-encrypts under B, recomputes hashes and identities, resumes after a cut-off run, and a second run changes nothing', async () => {
    harness = await createIngestionHarness({ env: { FIELD_ENCRYPTION_KEY: KEY_A } });
    const h = harness;
    const db = h.services.database.db;
    const first = await h.ingest('claims.csv', FILE);
    expect(first.status).toBe('success');
    const before = await claimsOf(db, h.customerId);
    const withNumber = before.filter((c) => c.claim_id_enc !== null);
    expect(withNumber).toHaveLength(6);
    expect(withNumber.every((c) => opensWith(keyA, c.claim_id_enc as Buffer))).toBe(true);
    // A Slack channel sealed under A is re-sealed as well.
    await db
      .insertInto('notification_channels')
      .values({
        customer_id: h.customerId,
        name: 'Ops Slack',
        type: 'slack',
        config: JSON.stringify({}),
        secret_enc: encryptClaimId(keyA, 'https://hooks.slack.com/services/T/B/secret'),
        secret_last4: 'cret',
      })
      .execute();

    switchToKeyB(h);
    const keys = fieldEncryptionKeys(h.services.config);

    // Cut off after the first committed batch of 2.
    await expect(
      rotateFieldKey({
        db,
        keys,
        batchSize: 2,
        afterBatch: () => {
          throw new Error('power cut');
        },
      }),
    ).rejects.toThrow('power cut');
    const half = await claimsOf(db, h.customerId);
    const halfUnderB = half.filter((c) => c.claim_id_enc && opensWith(keyB, c.claim_id_enc));
    expect(halfUnderB).toHaveLength(2);

    const progress: string[] = [];
    const rerun = await rotateFieldKey({
      db,
      keys,
      batchSize: 2,
      onProgress: (p) => progress.push(`${p.checked}/${p.total}:${p.reencrypted}`),
    });
    expect(rerun.customers).toEqual([
      expect.objectContaining({
        customerId: h.customerId,
        name: 'Riverside Family Practice',
        total: 6,
        checked: 6,
        reencrypted: 4,
        alreadyCurrent: 2,
        undecryptable: 0,
        conflicts: 0,
        secretsResealed: 1,
      }),
    ]);
    expect(rerun.complete).toBe(true);
    expect(progress).toEqual(['2/6:0', '4/6:2', '6/6:4']);

    // Every claim number now opens with B alone; hash and identity are what B derives.
    const hmacB = deriveClaimIdHmacKey(keyB, h.customerId);
    const after = await claimsOf(db, h.customerId);
    const occurrences = new Map<string, number>();
    for (const claim of after) {
      const old = before.find((c) => c.id === claim.id);
      if (claim.claim_id_enc === null) {
        expect(claim).toEqual(old); // the line without claim number is untouched
        continue;
      }
      const clear = decryptClaimId(keyB, claim.claim_id_enc);
      expect(opensWith(keyA, claim.claim_id_enc)).toBe(false);
      expect(claim.claim_id_hash).toBe(claimIdHash(hmacB, clear));
      const pair = `${clear}/${claim.cpt}`;
      const k = (occurrences.get(pair) ?? 0) + 1;
      occurrences.set(pair, k);
      expect(claim.identity_key).toBe(claimIdentityKey(claimIdHash(hmacB, clear), claim.cpt, k));
    }
    const channel = await db
      .selectFrom('notification_channels')
      .select('secret_enc')
      .where('customer_id', '=', h.customerId)
      .executeTakeFirstOrThrow();
    expect(decryptClaimId(keyB, channel.secret_enc as Buffer)).toBe(
      'https://hooks.slack.com/services/T/B/secret',
    );

    // The browser's claim-number search (hash under the current key) finds them.
    const { filters } = parseClaimFilters(
      {
        ...(Object.fromEntries(CLAIM_FILTER_PARAMS.map((name) => [name, ''])) as Record<
          ClaimFilterParam,
          string
        >),
        claim_id: 'CLM-1001',
      },
      {
        customerId: h.customerId,
        config: h.services.config,
      },
    );
    const found = await searchClaims(db, h.customerId, filters, { limit: 10, offset: 0 });
    expect(found.map((c) => c.cpt).sort()).toEqual(['36415', '99213', '99213']);

    // Re-uploading the same file under B: every line is a duplicate, no new claims.
    const again = await h.ingest('claims.csv', FILE, { allowDuplicate: true });
    expect(again).toMatchObject({ status: 'success', inserted_rows: 0, updated_rows: 0, duplicate_rows: 7 });
    expect(await claimsOf(db, h.customerId)).toHaveLength(after.length);

    // A second run changes nothing.
    const second = await rotateFieldKey({ db, keys, batchSize: 2 });
    expect(second).toMatchObject({ reencrypted: 0, alreadyCurrent: 6, secretsResealed: 0, complete: true });
    const unchanged = await claimsOf(db, h.customerId);
    expect(unchanged.map((c) => c.claim_id_enc?.toString('hex'))).toEqual(
      after.map((c) => c.claim_id_enc?.toString('hex')),
    );

    const audits = await db
      .selectFrom('audit_events')
      .select(['customer_id', 'metadata'])
      .where('action', '=', 'field_key_rotated')
      .orderBy('id')
      .execute();
    // The cut-off run never reached its audit row; the two complete runs did.
    expect(audits).toHaveLength(2);
    expect(audits[0]?.metadata).toMatchObject({
      complete: true,
      reencrypted: 4,
      already_current: 2,
      customers: [
        {
          customer_id: h.customerId,
          claim_numbers: 6,
          reencrypted: 4,
          already_current: 2,
          undecryptable: 0,
          secrets_resealed: 1,
        },
      ],
    });
  });

  it('--customer rotates only that tenant; a claim number no key opens is reported and the run goes on', async () => {
    harness = await createIngestionHarness({ env: { FIELD_ENCRYPTION_KEY: KEY_A } });
    const h = harness;
    const db = h.services.database.db;
    const other = await h.addCustomer('Lakeside Clinic');
    expect((await h.ingest('a.csv', FILE)).status).toBe('success');
    expect((await h.ingest('b.csv', FILE, { customerId: other })).status).toBe('success');
    switchToKeyB(h);
    const keys = fieldEncryptionKeys(h.services.config);

    const only = await rotateFieldKey({ db, keys }, { customerId: h.customerId });
    expect(only.customers.map((c) => [c.customerId, c.reencrypted])).toEqual([[h.customerId, 6]]);
    const untouched = (await claimsOf(db, other)).filter((c) => c.claim_id_enc !== null);
    expect(untouched.every((c) => opensWith(keyA, c.claim_id_enc as Buffer))).toBe(true);
    const audit = await db
      .selectFrom('audit_events')
      .select('customer_id')
      .where('action', '=', 'field_key_rotated')
      .executeTakeFirstOrThrow();
    expect(audit.customer_id).toBe(h.customerId);

    // One of the other tenant's claim numbers was sealed under a key nobody configured.
    const victim = untouched[1] as StoredClaim;
    await db
      .updateTable('claims')
      .set({ claim_id_enc: encryptClaimId(randomBytes(32), 'CLM-LOST') })
      .where('customer_id', '=', other)
      .where('id', '=', victim.id)
      .execute();
    const all = await rotateFieldKey({ db, keys, batchSize: 4 });
    expect(all.complete).toBe(false);
    expect(
      all.customers.map((c) => [c.customerId, c.reencrypted, c.alreadyCurrent, c.undecryptable]),
    ).toEqual([
      [h.customerId, 0, 6, 0],
      [other, 5, 0, 1],
    ]);
    const rotated = (await claimsOf(db, other)).filter((c) => c.claim_id_enc !== null && c.id !== victim.id);
    expect(rotated.every((c) => opensWith(keyB, c.claim_id_enc as Buffer))).toBe(true);
  });
});
