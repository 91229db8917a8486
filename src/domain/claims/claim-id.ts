/**
 * Claim-number protection (ingestion spec §1.2, claims.claim_id_*): a practice claim number can
 * embed an account or record number, so it is stored encrypted (AES-256-GCM), indexed by a
 * per-customer HMAC and shown elsewhere only as its last 4 characters. Pure given the key (the
 * random nonce aside); reading the key from configuration is the caller's business.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

const NONCE_BYTES = 12;
const TAG_BYTES = 16;

function assertKey(key: Uint8Array): void {
  if (key.length !== 32) throw new RangeError('FIELD_ENCRYPTION_KEY must be 32 bytes');
}

// randomBytes(12) per row cost more than the encryption itself; draw nonces from a pooled
// buffer refilled from the CSPRNG instead (each nonce is still used once).
const NONCE_POOL_SIZE = NONCE_BYTES * 4096;
let noncePool = Buffer.alloc(0);
let noncePoolOffset = 0;

function nextNonce(): Buffer {
  if (noncePoolOffset + NONCE_BYTES > noncePool.length) {
    noncePool = randomBytes(NONCE_POOL_SIZE);
    noncePoolOffset = 0;
  }
  const nonce = Buffer.from(noncePool.subarray(noncePoolOffset, noncePoolOffset + NONCE_BYTES));
  noncePoolOffset += NONCE_BYTES;
  return nonce;
}

/**
 * Encrypt a (trimmed) claim number: `nonce(12) ‖ ciphertext ‖ tag(16)`, the bytes of
 * `claim_id_enc`. A fresh random 96-bit nonce each time; `nonce` is injectable for tests.
 */
export function encryptClaimId(key: Uint8Array, claimId: string, nonce: Uint8Array = nextNonce()): Buffer {
  assertKey(key);
  if (nonce.length !== NONCE_BYTES) throw new RangeError('nonce must be 12 bytes');
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  const body = Buffer.concat([cipher.update(claimId, 'utf8'), cipher.final()]);
  return Buffer.concat([nonce, body, cipher.getAuthTag()]);
}

/**
 * Decrypt `claim_id_enc` with the current key, then each fallback key (rotation: the
 * `FIELD_ENCRYPTION_KEY_FALLBACKS`). Throws when no key authenticates the ciphertext.
 */
export function decryptClaimId(keys: Uint8Array | readonly Uint8Array[], data: Uint8Array): string {
  const list = keys instanceof Uint8Array ? [keys] : keys;
  if (data.length < NONCE_BYTES + TAG_BYTES) throw new Error('claim_id_enc is too short');
  const nonce = data.subarray(0, NONCE_BYTES);
  const tag = data.subarray(data.length - TAG_BYTES);
  const body = data.subarray(NONCE_BYTES, data.length - TAG_BYTES);
  for (const key of list) {
    assertKey(key);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, nonce);
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
    } catch {
      // wrong key (or tampered data): try the next one
    }
  }
  throw new Error('claim_id_enc could not be decrypted with any configured key');
}

/**
 * The per-customer HMAC key: HKDF-SHA256 of the field key with the customer id as context, so
 * equal claim numbers of two customers never share a hash (no cross-tenant correlation).
 */
export function deriveClaimIdHmacKey(key: Uint8Array, customerId: number | bigint | string): Buffer {
  assertKey(key);
  return Buffer.from(
    hkdfSync('sha256', key, 'payrixa:claim-id-hmac:v1', `customer:${String(customerId)}`, 32),
  );
}

/** `claim_id_hash`: HMAC-SHA256 (lower-case hex) of the trimmed claim number. */
export function claimIdHash(hmacKey: Uint8Array, claimId: string): string {
  return createHmac('sha256', hmacKey).update(claimId, 'utf8').digest('hex');
}

/** `claim_id_last4`: the last 4 characters (code points) — all a log or notification may show. */
export function claimIdLast4(claimId: string): string {
  const chars = Array.from(claimId);
  return chars.slice(-4).join('');
}

/** The three stored forms of a claim number. */
export interface ProtectedClaimId {
  enc: Buffer;
  hash: string;
  last4: string;
}

/** Protects claim numbers of one customer; built once per upload job. */
export interface ClaimIdProtector {
  protect(claimId: string): ProtectedClaimId;
  hash(claimId: string): string;
}

/** A protector for one customer from the 32-byte field key. */
export function createClaimIdProtector(
  key: Uint8Array,
  customerId: number | bigint | string,
): ClaimIdProtector {
  const hmacKey = deriveClaimIdHmacKey(key, customerId);
  // The service lines of one claim arrive on adjacent rows with the same claim number: the
  // recent numbers' protected forms are reused instead of encrypting and hashing again (a
  // third of the row pipeline's time). Sharing one ciphertext among the lines of one claim
  // reveals nothing the HMAC does not already link. A small map keeps memory flat.
  const recent = new Map<string, ProtectedClaimId>();
  return {
    hash: (claimId) => claimIdHash(hmacKey, claimId),
    protect: (claimId) => {
      const known = recent.get(claimId);
      if (known) return known;
      const fresh: ProtectedClaimId = {
        enc: encryptClaimId(key, claimId),
        hash: claimIdHash(hmacKey, claimId),
        last4: claimIdLast4(claimId),
      };
      if (recent.size >= RECENT_CLAIM_IDS) {
        const oldest = recent.keys().next().value;
        if (oldest !== undefined) recent.delete(oldest);
      }
      recent.set(claimId, fresh);
      return fresh;
    },
  };
}

/** Claim numbers whose protected forms a protector keeps (lines of one claim are adjacent). */
const RECENT_CLAIM_IDS = 64;
