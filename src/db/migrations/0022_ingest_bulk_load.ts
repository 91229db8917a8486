import type { Migration } from './types.ts';

/**
 * Bulk-load speed of uploads (issue 4, docs/PERFORMANCE.md "Ingestion"):
 *
 * - `upload_staging_rows` becomes UNLOGGED and loses its foreign key to `uploads`. Staging
 *   rows are transient (the final transaction or the sweeper deletes them) and a crashed
 *   upload is re-run from its stored file, so they need neither WAL (PostgreSQL empties an
 *   unlogged table after a crash, which is what recovery wants anyway) nor a per-row
 *   referential check on every COPYed row (a third of the COPY time in the measurement).
 *   Cleanup that the ON DELETE CASCADE used to do is explicit: the final transaction, the
 *   failure paths and the sweeper delete an upload's staging rows, and `demo --reset`
 *   deletes a customer's before the customer.
 * - The exact claim-number lookup `(customer_id, claim_id_hash)` becomes a hash index on
 *   `claim_id_hash`: the HMAC values are random, so every B-tree insert landed on a random
 *   leaf of a wide (64-character keys) tree, the single most expensive index of the claims
 *   insert; a hash index stores 4-byte hash codes and serves the same equality search (the
 *   HMAC is per customer, and the query still filters on customer_id).
 * - `claims_customer_first_upload` is dropped: nothing queries claims by first upload.
 */
export const migration: Migration = {
  name: '0022_ingest_bulk_load',
  up: [
    'ALTER TABLE upload_staging_rows DROP CONSTRAINT upload_staging_rows_customer_id_upload_id_fkey',
    'ALTER TABLE upload_staging_rows SET UNLOGGED',
    'DROP INDEX claims_customer_claim_id_hash',
    'CREATE INDEX claims_claim_id_hash ON claims USING hash (claim_id_hash)',
    'DROP INDEX claims_customer_first_upload',
  ],
  down: [
    'CREATE INDEX claims_customer_first_upload ON claims (customer_id, first_upload_id)',
    'DROP INDEX claims_claim_id_hash',
    'CREATE INDEX claims_customer_claim_id_hash ON claims (customer_id, claim_id_hash)',
    'ALTER TABLE upload_staging_rows SET LOGGED',
    // Staging rows of uploads that no longer exist would block the constraint.
    `DELETE FROM upload_staging_rows s
      WHERE NOT EXISTS (SELECT 1 FROM uploads u WHERE u.customer_id = s.customer_id AND u.id = s.upload_id)`,
    `ALTER TABLE upload_staging_rows ADD CONSTRAINT upload_staging_rows_customer_id_upload_id_fkey
       FOREIGN KEY (customer_id, upload_id) REFERENCES uploads (customer_id, id) ON DELETE CASCADE`,
  ],
};
