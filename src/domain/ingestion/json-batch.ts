/**
 * The body of a JSON batch (`POST /api/v1/ingest/webhook/`, ingestion spec §6.1,
 * web-api-ops §4.7): a JSON array of claim objects or `{"claims": […]}`. Read at submission
 * (to answer 400/413 before anything is stored) and again by the ingest job from the stored
 * bytes. Pure.
 */

export const JSON_BATCH_MESSAGES = {
  empty: 'Empty payload',
  notJson: 'Request body is not valid JSON',
  wrongShape: "Payload must be a JSON array of claims or an object with a 'claims' array.",
  tooMany: (max: number) => `Batch must contain between 1 and ${max} claims`,
} as const;

export type JsonBatch =
  | { ok: true; claims: unknown[] }
  | { ok: false; code: 'empty' | 'not_json' | 'wrong_shape' | 'too_many'; message: string };

/** Parses and checks a batch body (UTF-8, an optional BOM is ignored). */
export function parseJsonBatch(body: Uint8Array, maxRecords: number): JsonBatch {
  let text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '') return { ok: false, code: 'empty', message: JSON_BATCH_MESSAGES.empty };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, code: 'not_json', message: JSON_BATCH_MESSAGES.notJson };
  }
  let claims: unknown;
  if (Array.isArray(parsed)) claims = parsed;
  else if (parsed !== null && typeof parsed === 'object' && 'claims' in parsed) {
    claims = (parsed as { claims: unknown }).claims;
  }
  if (!Array.isArray(claims)) {
    return { ok: false, code: 'wrong_shape', message: JSON_BATCH_MESSAGES.wrongShape };
  }
  if (claims.length === 0) return { ok: false, code: 'empty', message: JSON_BATCH_MESSAGES.empty };
  if (claims.length > maxRecords) {
    return { ok: false, code: 'too_many', message: JSON_BATCH_MESSAGES.tooMany(maxRecords) };
  }
  return { ok: true, claims };
}

/** `X-Idempotency-Key`: 1–255 visible ASCII characters (§6.1). */
export function isValidIdempotencyKey(value: string): boolean {
  return /^[\x21-\x7e]{1,255}$/.test(value);
}
