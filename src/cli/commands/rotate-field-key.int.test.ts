import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnv, runCli } from '../../../test/cli.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/db.ts';
import { loadConfig } from '../../config/env.ts';
import { createDatabase } from '../../db/database.ts';
import {
  claimIdHash,
  decryptClaimId,
  deriveClaimIdHmacKey,
  encryptClaimId,
} from '../../domain/claims/claim-id.ts';
import { claimIdentityKey } from '../../domain/claims/identity.ts';

/**
 * `payrixa rotate-field-key` (web-api-ops §7.1): progress lines per batch, the summary, exit 0 when
 * everything is under the current key and exit 1 (run completed) when a claim number opens with
 * no configured key. 12,000 lines written under key A, the CLI configured with B + fallback A.
 */

const KEY_A = randomBytes(32);
const KEY_B = randomBytes(32);
const LINES = 12_000;
let env: Record<string, string>;
let pgHandle: TestDatabase | null = null;
let customerId = 0;

async function withDb<T>(
  fn: (db: Awaited<ReturnType<typeof createDatabase>>['db']) => Promise<T>,
): Promise<T> {
  const database = await createDatabase(loadConfig(env));
  try {
    return await fn(database.db);
  } finally {
    await database.close();
  }
}

beforeAll(async () => {
  env = cliEnv({
    FIELD_ENCRYPTION_KEY: KEY_B.toString('base64'),
    FIELD_ENCRYPTION_KEY_FALLBACKS: KEY_A.toString('base64'),
  });
  if (process.env['TEST_DATABASE_URL']) {
    pgHandle = await createTestDatabase({ migrated: false });
    await pgHandle.database.close();
    env['DATABASE_URL'] = pgHandle.url as string;
  }
  expect((await runCli(['migrate'], env)).code).toBe(0);
  await withDb(async (db) => {
    customerId = (
      await db
        .insertInto('customers')
        .values({ name: 'Riverside Family Practice' })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
    const upload = await db
      .insertInto('uploads')
      .values({
        customer_id: customerId,
        filename: 'claims.csv',
        format: 'csv',
        source: 'cli',
        status: 'success',
        file_sha256: '0'.repeat(64),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const hmacA = deriveClaimIdHmacKey(KEY_A, customerId);
    for (let start = 0; start < LINES; start += 1_000) {
      const rows = [];
      for (let i = start; i < Math.min(start + 1_000, LINES); i += 1) {
        const claimId = `CLM-${String(i).padStart(6, '0')}`;
        const hash = claimIdHash(hmacA, claimId);
        rows.push({
          customer_id: customerId,
          identity_key: claimIdentityKey(hash, '99213', 1),
          claim_id_enc: encryptClaimId(KEY_A, claimId),
          claim_id_hash: hash,
          claim_id_last4: claimId.slice(-4),
          line_occurrence: 1,
          row_hash: hash,
          upload_id: upload.id,
          first_upload_id: upload.id,
          source_row_number: i + 2,
          payer: 'Aetna',
          payer_raw: 'Aetna',
          cpt: '99213',
          submitted_date: '2026-01-05',
          decided_date: '2026-01-20',
          outcome: 'PAID' as const,
          adjustments: JSON.stringify([]),
        });
      }
      await db.insertInto('claims').values(rows).execute();
    }
  });
}, 300_000);

afterAll(async () => {
  await pgHandle?.close();
});

describe('payrixa rotate-field-key', () => {
  it('prints progress per batch and the summary; exit 0; everything opens with the current key', async () => {
    const started = performance.now();
    const result = await runCli(['rotate-field-key'], env);
    const seconds = (performance.now() - started) / 1000;
    // Not asserted (shared machine); recorded for docs/OPERATIONS.md "Key rotation".
    console.info(`rotate-field-key: ${LINES} lines in ${seconds.toFixed(2)} s`);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const name = `Customer ${customerId} (Riverside Family Practice)`;
    expect(result.stdout.split('\n')).toEqual([
      `${name}: 5,000 / 12,000 claim numbers checked, 5,000 re-encrypted`,
      `${name}: 10,000 / 12,000 claim numbers checked, 10,000 re-encrypted`,
      `${name}: 12,000 / 12,000 claim numbers checked, 12,000 re-encrypted`,
      `${name}: 12,000 re-encrypted, 0 already under the current key, 0 notification secrets re-sealed`,
      'Total: 12,000 claim numbers re-encrypted, 0 already current, 0 not decryptable, 0 identity conflicts, 0 notification secrets re-sealed (1 customers).',
      '',
    ]);
    await withDb(async (db) => {
      const rows = await db
        .selectFrom('claims')
        .select(['claim_id_enc'])
        .where('customer_id', '=', customerId)
        .execute();
      expect(rows.every((row) => decryptClaimId(KEY_B, row.claim_id_enc as Buffer).startsWith('CLM-'))).toBe(
        true,
      );
    });
  });

  it('a claim number no configured key opens: reported, the run completes, exit 1', async () => {
    await withDb(async (db) => {
      const victim = await db
        .selectFrom('claims')
        .select('id')
        .where('customer_id', '=', customerId)
        .orderBy('id')
        .executeTakeFirstOrThrow();
      await db
        .updateTable('claims')
        .set({ claim_id_enc: encryptClaimId(randomBytes(32), 'CLM-LOST') })
        .where('customer_id', '=', customerId)
        .where('id', '=', victim.id)
        .execute();
    });
    const result = await runCli(
      ['rotate-field-key', '--customer', 'Riverside Family Practice', '--batch-size', '10000'],
      env,
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      `Customer ${customerId} (Riverside Family Practice): 0 re-encrypted, 11,999 already under the current key, 0 notification secrets re-sealed; 1 not decryptable with any configured key\n`,
    );
    expect(result.stderr).toContain('keep FIELD_ENCRYPTION_KEY_FALLBACKS');
    const usage = await runCli(['rotate-field-key', '--batch-size', '0'], env);
    expect(usage.code).toBe(2);
  });
});
