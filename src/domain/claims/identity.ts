/**
 * Identity, row hash and the duplicate / re-adjudication decision (ingestion spec §2.8).
 */
import { createHash } from 'node:crypto';

const SEP = '\u001f';

/** The inputs of `row_hash`, in hash order. Nulls hash as empty strings. */
export interface RowHashInput {
  payerRaw: string;
  cpt: string;
  modifiers: string | null;
  submittedDate: string;
  decidedDate: string;
  paymentDate: string | null;
  outcome: string;
  allowedAmount: string | null;
  billedAmount: string | null;
  paidAmount: string | null;
  denialReasonCode: string | null;
  denialReasonText: string | null;
  /** Trimmed claim number in clear (hashed, never stored). */
  claimId: string | null;
  authorizationRequired: boolean | null;
  authorizationObtained: boolean | null;
  placeOfService: string | null;
}

function yn(v: boolean | null): string {
  return v === null ? '' : v ? 'Y' : 'N';
}

/**
 * `row_hash`: SHA-256 hex of the U+001F-joined fields (payer_raw lower-cased; amounts as plain
 * 2-decimal numbers; booleans Y/N/empty). Payer and CPT mappings are not part of it, so
 * re-applying mappings never turns a duplicate into an update.
 */
export function computeRowHash(r: RowHashInput): string {
  const parts = [
    r.payerRaw.toLowerCase(),
    r.cpt,
    r.modifiers ?? '',
    r.submittedDate,
    r.decidedDate,
    r.paymentDate ?? '',
    r.outcome,
    r.allowedAmount ?? '',
    r.billedAmount ?? '',
    r.paidAmount ?? '',
    r.denialReasonCode ?? '',
    r.denialReasonText ?? '',
    r.claimId ?? '',
    yn(r.authorizationRequired),
    yn(r.authorizationObtained),
    r.placeOfService ?? '',
  ];
  return createHash('sha256').update(parts.join(SEP), 'utf8').digest('hex');
}

/** Identity with a claim number: `c:` + claim_id_hash + US + cpt + US + occurrence k (1-based). */
export function claimIdentityKey(claimIdHash: string, cpt: string, occurrence: number): string {
  return `c:${claimIdHash}${SEP}${cpt}${SEP}${occurrence}`;
}

/** Identity without a claim number: `h:` + row_hash (identical lines collapse). */
export function hashIdentityKey(rowHash: string): string {
  return `h:${rowHash}`;
}

/** What the final transaction does with an accepted row. */
export type WriteDecision = 'insert' | 'update' | 'duplicate';

/**
 * Decide against the stored claim with the same identity key (§2.8): none → insert; `c:` key
 * with another row_hash → update (re-adjudication); same row_hash (or any `h:` match) →
 * duplicate.
 */
export function decideWrite(
  identityKey: string,
  rowHash: string,
  stored: { rowHash: string } | null,
): WriteDecision {
  if (!stored) return 'insert';
  if (identityKey.startsWith('c:') && stored.rowHash !== rowHash) return 'update';
  return 'duplicate';
}

/** Result of tracking a row's identity within one upload. */
export type InUploadIdentity =
  | { kind: 'new'; identityKey: string; occurrence: number | null }
  | { kind: 'duplicate'; identityKey: string; firstRow: number }
  | { kind: 'supersedes'; identityKey: string; occurrence: number; earlierRow: number };

/**
 * Tracks identities seen in one upload: the occurrence k of each (claim number, cpt) pair, and
 * earlier rows without claim number for in-upload duplicates. Map keys reuse the first 128 bits
 * of hashes already computed (row_hash, claim_id_hash) so a million-row file costs tens of
 * megabytes and no extra hashing.
 */
export class UploadIdentityTracker {
  private readonly occurrences = new Map<string, number>();
  private readonly firstRowByKey = new Map<string, number>();

  /**
   * Register a row. With a claim number the occurrence is counted per (claim, cpt) unless the
   * caller supplies it (835: occurrence within the CLP); a repeated explicit key means the later
   * row wins (`supersedes`). Without a claim number an equal earlier row makes a duplicate.
   */
  track(
    rowNumber: number,
    rowHash: string,
    claim: { hash: string; cpt: string; occurrence?: number } | null,
  ): InUploadIdentity {
    if (!claim) {
      const identityKey = hashIdentityKey(rowHash);
      const d = `h${rowHash.slice(0, 32)}`;
      const first = this.firstRowByKey.get(d);
      if (first !== undefined) return { kind: 'duplicate', identityKey, firstRow: first };
      this.firstRowByKey.set(d, rowNumber);
      return { kind: 'new', identityKey, occurrence: null };
    }
    const pair = `${claim.hash.slice(0, 32)}${SEP}${claim.cpt}`;
    let occurrence = claim.occurrence;
    if (occurrence === undefined) {
      occurrence = (this.occurrences.get(pair) ?? 0) + 1;
      this.occurrences.set(pair, occurrence);
    }
    const identityKey = claimIdentityKey(claim.hash, claim.cpt, occurrence);
    // Counted occurrences are unique by construction; only caller-supplied ones (835) can repeat.
    if (claim.occurrence === undefined) return { kind: 'new', identityKey, occurrence };
    const d = `c${pair}${SEP}${occurrence}`;
    const earlier = this.firstRowByKey.get(d);
    this.firstRowByKey.set(d, rowNumber);
    if (earlier !== undefined) return { kind: 'supersedes', identityKey, occurrence, earlierRow: earlier };
    return { kind: 'new', identityKey, occurrence };
  }
}
