import { type Kysely, sql } from 'kysely';
import type { DB } from '../src/db/schema.ts';
import { createAccountFixtures } from './accounts.ts';

/**
 * A populated database for backup/restore checks: the account fixtures (customers A and B,
 * their members, staff) and `claimsPerCustomer` claims per customer under one upload each,
 * with varied payers, outcomes, amounts and adjustments (numeric, date, jsonb, bytea columns
 * all carry data, so a lossy copy would show in the checksum).
 */
export async function populateForBackup(db: Kysely<DB>, claimsPerCustomer = 500): Promise<void> {
  const fixtures = await createAccountFixtures(db);
  for (const customerId of [fixtures.customerA.id, fixtures.customerB.id]) {
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
    await sql`
      INSERT INTO claims (customer_id, identity_key, claim_id_enc, claim_id_hash, claim_id_last4,
        row_hash, upload_id, first_upload_id, source_row_number, payer, payer_raw, cpt,
        submitted_date, decided_date, payment_date, outcome, allowed_amount, billed_amount,
        paid_amount, denial_reason_code, adjustments)
      SELECT ${customerId}, 'k-' || g, decode(md5(g::text), 'hex'), md5('h' || g) || md5('i' || g),
        right(g::text, 4), md5('r' || g) || md5('s' || g), ${upload.id}, ${upload.id}, g,
        'Payer' || (g % 7), 'PAYER ' || (g % 7), (99200 + g % 15)::text,
        date '2024-01-01' + (g % 300), date '2024-01-08' + (g % 300),
        CASE WHEN g % 4 = 0 THEN NULL ELSE date '2024-01-20' + (g % 300) END,
        CASE WHEN g % 5 = 0 THEN 'DENIED' ELSE 'PAID' END,
        (g % 500) + 0.25, (g % 900) + 10.5, (g % 400) + 0.75,
        CASE WHEN g % 5 = 0 THEN 'CO-' || (g % 97) END,
        jsonb_build_array(jsonb_build_object('group', 'CO', 'amount', g % 13))
      FROM generate_series(1, ${claimsPerCustomer}) AS g`.execute(db);
  }
}

/** A digest of every claim's stable columns in id order: equal digests, equal claims. */
export async function claimsChecksum(db: Kysely<DB>): Promise<string> {
  const result = await sql<{ digest: string | null }>`
    SELECT md5(string_agg(concat_ws('|', customer_id, id, identity_key, encode(claim_id_enc, 'hex'),
      claim_id_hash, row_hash, upload_id, payer, cpt, submitted_date, decided_date, payment_date,
      outcome, allowed_amount, billed_amount, paid_amount, denial_reason_code, adjustments::text),
      E'\n' ORDER BY customer_id, id)) AS digest
    FROM claims`.execute(db);
  return result.rows[0]?.digest ?? '';
}
