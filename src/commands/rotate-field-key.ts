import { type Kysely, sql } from 'kysely';
import { NotFoundError } from '../config/errors.ts';
import { CLAIMS_LOCK_CLASS } from '../db/repositories/claims.repository.ts';
import { findCustomerById, listCustomerIds } from '../db/repositories/customers.repository.ts';
import type { DB } from '../db/schema.ts';
import {
  claimIdHash,
  decryptClaimId,
  deriveClaimIdHmacKey,
  encryptClaimId,
} from '../domain/claims/claim-id.ts';
import { claimIdentityKey } from '../domain/claims/identity.ts';
import { recordAudit } from '../obs/audit.ts';

/**
 * `payrixa rotate-field-key` (web-api-ops §7.1, §6.1): after FIELD_ENCRYPTION_KEY has been replaced
 * and the old key moved to FIELD_ENCRYPTION_KEY_FALLBACKS, re-encrypt every stored claim number
 * under the current key and recompute what the key also derives — the per-customer keyed hash
 * (`claim_id_hash`) and the `c:` identity key built from it (ingestion spec §2.8) — so that a
 * re-upload under the new key matches the stored lines and the fallback can then be dropped.
 * Notification secrets (Slack URLs, webhook signing secrets) share the key and are re-sealed too.
 *
 * One customer at a time, under that customer's claims lock held for the whole pass (a session
 * advisory lock on one connection, the lock uploads and mapping re-apply take per transaction), so
 * no upload of that customer interleaves with a half-rotated claims table. Batches of `batchSize`
 * rows each commit on their own; the marker of progress is the ciphertext itself: a row whose
 * `claim_id_enc` authenticates under the current key is already done and is skipped untouched.
 * A run cut off anywhere therefore resumes by simply running again, and never re-encrypts a row
 * twice. No migration or key-version column is needed, and a run against a database where some
 * rows were written by uploads after the key change treats those as done — which they are.
 */

export interface RotateFieldKeyDeps {
  db: Kysely<DB>;
  /** The decoded keys (`fieldEncryptionKeys(config)`). */
  keys: { current: Uint8Array; fallbacks: readonly Uint8Array[] };
  /** Rows per batch (transaction). */
  batchSize?: number;
  /** Called after each committed batch (progress lines). */
  onProgress?: (progress: CustomerRotationProgress) => void;
  /** Test seam: runs after a batch has committed (a throw there cuts the run off). */
  afterBatch?: (customerId: number, batch: number) => void | Promise<void>;
}

export interface RotateFieldKeyInput {
  /** Only this tenant (`--customer`); every customer otherwise. */
  customerId?: number | null;
  userId?: number | null;
  requestId?: string | null;
}

/** What the rotation did for one customer. */
export interface CustomerRotation {
  customerId: number;
  name: string;
  /** Stored claim lines with a claim number. */
  total: number;
  /** Lines looked at so far (== total at the end). */
  checked: number;
  /** Re-encrypted from a fallback key in this run. */
  reencrypted: number;
  /** Already under the current key (untouched). */
  alreadyCurrent: number;
  /** Decrypted with no configured key: left as they are, reported, exit 1. */
  undecryptable: number;
  /**
   * Lines whose new identity key is already taken by another line — one written by an upload
   * that ran under the new key before this rotation. Left as they are, reported, exit 1.
   */
  conflicts: number;
  /** Notification secrets re-sealed / not decryptable. */
  secretsResealed: number;
  secretsUndecryptable: number;
}

export type CustomerRotationProgress = Readonly<CustomerRotation>;

export interface RotateFieldKeyResult {
  customers: CustomerRotation[];
  reencrypted: number;
  alreadyCurrent: number;
  undecryptable: number;
  conflicts: number;
  secretsResealed: number;
  secretsUndecryptable: number;
  /** True when everything now decrypts with the current key alone. */
  complete: boolean;
}

const DEFAULT_BATCH_SIZE = 5_000;
const SEP = '\u001f';

type Opened = { state: 'current' } | { state: 'fallback'; clear: string } | { state: 'unknown' };

/** Which key opens a ciphertext: the current one, a fallback (with the clear text), or none. */
function open(keys: RotateFieldKeyDeps['keys'], data: Uint8Array): Opened {
  try {
    decryptClaimId(keys.current, data);
    return { state: 'current' };
  } catch {
    // not under the current key: try the fallbacks
  }
  if (keys.fallbacks.length === 0) return { state: 'unknown' };
  try {
    return { state: 'fallback', clear: decryptClaimId(keys.fallbacks, data) };
  } catch {
    return { state: 'unknown' };
  }
}

/**
 * The new identity key: the stored key with its hash part swapped (`c:<hash>␟<cpt>␟<k>`), so the
 * cpt and occurrence exactly as ingestion wrote them are kept; rebuilt from the columns only if
 * the stored key does not have the expected shape.
 */
function rotatedIdentityKey(
  stored: string,
  oldHash: string | null,
  newHash: string,
  row: { cpt: string; line_occurrence: number | null },
): string {
  if (oldHash !== null && stored.startsWith(`c:${oldHash}${SEP}`)) {
    return `c:${newHash}${stored.slice(2 + oldHash.length)}`;
  }
  if (!stored.startsWith('c:')) return stored;
  return claimIdentityKey(newHash, row.cpt, row.line_occurrence ?? 1);
}

interface BatchOutcome {
  lastId: number | null;
  checked: number;
  reencrypted: number;
  alreadyCurrent: number;
  undecryptable: number;
  conflicts: number;
}

async function rotateBatch(
  trx: Kysely<DB>,
  keys: RotateFieldKeyDeps['keys'],
  hmacKey: Buffer,
  customerId: number,
  afterId: number,
  limit: number,
): Promise<BatchOutcome> {
  const rows = await trx
    .selectFrom('claims')
    .select(['id', 'claim_id_enc', 'claim_id_hash', 'identity_key', 'cpt', 'line_occurrence'])
    .where('customer_id', '=', customerId)
    .where('id', '>', afterId)
    .where('claim_id_enc', 'is not', null)
    .orderBy('id')
    .limit(limit)
    .execute();
  const outcome: BatchOutcome = {
    lastId: rows.at(-1)?.id ?? null,
    checked: rows.length,
    reencrypted: 0,
    alreadyCurrent: 0,
    undecryptable: 0,
    conflicts: 0,
  };
  const updates: Array<{ id: number; enc: Buffer; hash: string; identity: string }> = [];
  for (const row of rows) {
    if (row.claim_id_enc === null) continue;
    const opened = open(keys, row.claim_id_enc);
    if (opened.state === 'current') outcome.alreadyCurrent += 1;
    else if (opened.state === 'unknown') outcome.undecryptable += 1;
    else {
      const hash = claimIdHash(hmacKey, opened.clear);
      updates.push({
        id: row.id,
        enc: encryptClaimId(keys.current, opened.clear),
        hash,
        identity: rotatedIdentityKey(row.identity_key, row.claim_id_hash, hash, row),
      });
    }
  }
  if (updates.length === 0) return outcome;

  // A new identity already taken means an upload stored the same claim line under the new key
  // before this rotation reached it; updating would violate UNIQUE (customer_id, identity_key).
  const taken = new Set(
    (
      await trx
        .selectFrom('claims')
        .select('identity_key')
        .where('customer_id', '=', customerId)
        .where(
          'identity_key',
          'in',
          updates.map((u) => u.identity),
        )
        .execute()
    ).map((row) => row.identity_key),
  );
  const applicable = updates.filter((u) => !taken.has(u.identity));
  outcome.conflicts = updates.length - applicable.length;
  if (applicable.length > 0) {
    const values = sql.join(
      applicable.map((u) => sql`(${u.id}::bigint, ${u.enc}::bytea, ${u.hash}::text, ${u.identity}::text)`),
    );
    const result = await sql`
      UPDATE claims AS c
         SET claim_id_enc = v.enc, claim_id_hash = v.hash, identity_key = v.identity
        FROM (VALUES ${values}) AS v(id, enc, hash, identity)
       WHERE c.customer_id = ${customerId} AND c.id = v.id`.execute(trx);
    outcome.reencrypted = Number(result.numAffectedRows ?? applicable.length);
  }
  return outcome;
}

/** Re-seals the customer's notification secrets (one small transaction). */
async function resealSecrets(
  db: Kysely<DB>,
  keys: RotateFieldKeyDeps['keys'],
  customerId: number,
): Promise<{ resealed: number; undecryptable: number }> {
  const counts = { resealed: 0, undecryptable: 0 };
  const reseal = (sealed: Buffer | null): Buffer | null => {
    if (sealed === null) return null;
    const opened = open(keys, sealed);
    if (opened.state === 'current') return null;
    if (opened.state === 'unknown') {
      counts.undecryptable += 1;
      return null;
    }
    counts.resealed += 1;
    return encryptClaimId(keys.current, opened.clear);
  };
  await db.transaction().execute(async (trx) => {
    const channels = await trx
      .selectFrom('notification_channels')
      .select(['id', 'secret_enc'])
      .where('customer_id', '=', customerId)
      .where('secret_enc', 'is not', null)
      .forUpdate()
      .execute();
    for (const channel of channels) {
      const fresh = reseal(channel.secret_enc);
      if (fresh === null) continue;
      await trx
        .updateTable('notification_channels')
        .set({ secret_enc: fresh })
        .where('customer_id', '=', customerId)
        .where('id', '=', channel.id)
        .execute();
    }
    const endpoints = await trx
      .selectFrom('webhook_endpoints')
      .select(['id', 'secret_enc', 'previous_secret_enc'])
      .where('customer_id', '=', customerId)
      .forUpdate()
      .execute();
    for (const endpoint of endpoints) {
      const secret = reseal(endpoint.secret_enc);
      const previous = reseal(endpoint.previous_secret_enc);
      if (secret === null && previous === null) continue;
      await trx
        .updateTable('webhook_endpoints')
        .set({
          ...(secret !== null && { secret_enc: secret }),
          ...(previous !== null && { previous_secret_enc: previous }),
        })
        .where('customer_id', '=', customerId)
        .where('id', '=', endpoint.id)
        .execute();
    }
  });
  return counts;
}

async function rotateCustomer(
  deps: RotateFieldKeyDeps,
  customer: { id: number; name: string },
): Promise<CustomerRotation> {
  const batchSize = deps.batchSize ?? DEFAULT_BATCH_SIZE;
  const hmacKey = deriveClaimIdHmacKey(deps.keys.current, customer.id);
  const state: CustomerRotation = {
    customerId: customer.id,
    name: customer.name,
    total: 0,
    checked: 0,
    reencrypted: 0,
    alreadyCurrent: 0,
    undecryptable: 0,
    conflicts: 0,
    secretsResealed: 0,
    secretsUndecryptable: 0,
  };
  // One connection for the whole pass: the session-level lock lives on it, and every batch
  // transaction runs on it (same session, so the uploads' xact lock is re-entrant for us only).
  await deps.db.connection().execute(async (connection) => {
    await sql`SELECT pg_advisory_lock(${CLAIMS_LOCK_CLASS}, ${customer.id}::int)`.execute(connection);
    try {
      const total = await connection
        .selectFrom('claims')
        .select((eb) => eb.fn.countAll<string | number>().as('n'))
        .where('customer_id', '=', customer.id)
        .where('claim_id_enc', 'is not', null)
        .executeTakeFirst();
      state.total = Number(total?.n ?? 0);
      let afterId = 0;
      for (let batch = 1; ; batch += 1) {
        const outcome = await connection
          .transaction()
          .execute((trx) => rotateBatch(trx, deps.keys, hmacKey, customer.id, afterId, batchSize));
        if (outcome.lastId === null) break;
        afterId = outcome.lastId;
        state.checked += outcome.checked;
        state.reencrypted += outcome.reencrypted;
        state.alreadyCurrent += outcome.alreadyCurrent;
        state.undecryptable += outcome.undecryptable;
        state.conflicts += outcome.conflicts;
        deps.onProgress?.({ ...state });
        await deps.afterBatch?.(customer.id, batch);
        if (outcome.checked < batchSize) break;
      }
    } finally {
      await sql`SELECT pg_advisory_unlock(${CLAIMS_LOCK_CLASS}, ${customer.id}::int)`.execute(connection);
    }
  });
  const secrets = await resealSecrets(deps.db, deps.keys, customer.id);
  state.secretsResealed = secrets.resealed;
  state.secretsUndecryptable = secrets.undecryptable;
  return state;
}

export async function rotateFieldKey(
  deps: RotateFieldKeyDeps,
  input: RotateFieldKeyInput = {},
): Promise<RotateFieldKeyResult> {
  let customers: Array<{ id: number; name: string }>;
  if (input.customerId !== undefined && input.customerId !== null) {
    const customer = await findCustomerById(deps.db, input.customerId);
    if (!customer) throw new NotFoundError(`Customer ${input.customerId} not found`);
    customers = [{ id: customer.id, name: customer.name }];
  } else {
    customers = [];
    for (const id of await listCustomerIds(deps.db)) {
      const customer = await findCustomerById(deps.db, id);
      if (customer) customers.push({ id: customer.id, name: customer.name });
    }
  }

  const results: CustomerRotation[] = [];
  for (const customer of customers) results.push(await rotateCustomer(deps, customer));

  const sum = (pick: (r: CustomerRotation) => number) => results.reduce((n, r) => n + pick(r), 0);
  const result: RotateFieldKeyResult = {
    customers: results,
    reencrypted: sum((r) => r.reencrypted),
    alreadyCurrent: sum((r) => r.alreadyCurrent),
    undecryptable: sum((r) => r.undecryptable),
    conflicts: sum((r) => r.conflicts),
    secretsResealed: sum((r) => r.secretsResealed),
    secretsUndecryptable: sum((r) => r.secretsUndecryptable),
    complete: false,
  };
  result.complete = result.undecryptable === 0 && result.conflicts === 0 && result.secretsUndecryptable === 0;

  await recordAudit(deps.db, {
    action: 'field_key_rotated',
    customerId: input.customerId ?? null,
    userId: input.userId ?? null,
    requestId: input.requestId ?? null,
    metadata: {
      complete: result.complete,
      fallback_keys: deps.keys.fallbacks.length,
      customers: results.map((r) => ({
        customer_id: r.customerId,
        claim_numbers: r.total,
        reencrypted: r.reencrypted,
        already_current: r.alreadyCurrent,
        undecryptable: r.undecryptable,
        identity_conflicts: r.conflicts,
        secrets_resealed: r.secretsResealed,
        secrets_undecryptable: r.secretsUndecryptable,
      })),
      reencrypted: result.reencrypted,
      already_current: result.alreadyCurrent,
      undecryptable: result.undecryptable,
      identity_conflicts: result.conflicts,
      secrets_resealed: result.secretsResealed,
      secrets_undecryptable: result.secretsUndecryptable,
    },
  });
  return result;
}
