import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures (alerts-reports §9 "Signature", example B14). At each attempt the sender
 * takes `t` = the current Unix time in seconds and signs `t + "." + raw body` with HMAC-SHA256
 * keyed by the UTF-8 bytes of the endpoint secret. The header is `t=<t>,v1=<hex>`; during 24 h
 * after a rotation a second `v1=` signed with the previous secret follows, so receivers that
 * still hold the old secret keep verifying while they roll over.
 *
 * The body is signed as the exact string that goes on the wire: re-serialising the JSON (key
 * order, whitespace, a trailing newline) changes the signature, which is the point.
 */

export const SIGNATURE_HEADER = 'Payrixa-Signature';

/** Receivers reject signatures whose timestamp is further than this from their clock (§9). */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/** Unix time in whole seconds of a Date (the `t` of the header). */
export function signatureTimestamp(at: Date): number {
  return Math.floor(at.getTime() / 1000);
}

/** Lower-case hex HMAC-SHA256 of `<timestamp>.<body>` under `secret`. */
export function signPayload(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8'))
    .update(`${timestamp}.${body}`, 'utf8')
    .digest('hex');
}

/**
 * The `Payrixa-Signature` value: `t=<t>,v1=<current>` plus `,v1=<previous>` while a rotated-out
 * secret is still honoured.
 */
export function signatureHeaderValue(input: {
  secret: string;
  previousSecret?: string | null;
  timestamp: number;
  body: string;
}): string {
  const parts = [`t=${input.timestamp}`, `v1=${signPayload(input.secret, input.timestamp, input.body)}`];
  if (input.previousSecret)
    parts.push(`v1=${signPayload(input.previousSecret, input.timestamp, input.body)}`);
  return parts.join(',');
}

export interface ParsedSignatureHeader {
  timestamp: number;
  signatures: string[];
}

/** Splits a header value; null when it has no integer `t` or no `v1`. */
export function parseSignatureHeader(value: string): ParsedSignatureHeader | null {
  let timestamp: number | null = null;
  const signatures: string[] = [];
  for (const part of value.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const val = part.slice(eq + 1).trim();
    if (key === 't' && /^\d{1,12}$/.test(val)) timestamp = Number(val);
    else if (key === 'v1' && /^[0-9a-f]{64}$/.test(val)) signatures.push(val);
  }
  return timestamp === null || signatures.length === 0 ? null : { timestamp, signatures };
}

/**
 * The receiver's check (documented in docs/ALERTS.md "Webhooks"): recompute over the raw bytes,
 * compare in constant time against every `v1`, and refuse stale or future timestamps.
 */
export function verifySignature(input: {
  header: string;
  rawBody: string | Buffer;
  secret: string;
  nowSeconds: number;
  toleranceSeconds?: number;
}): boolean {
  const parsed = parseSignatureHeader(input.header);
  if (!parsed) return false;
  const tolerance = input.toleranceSeconds ?? SIGNATURE_TOLERANCE_SECONDS;
  if (Math.abs(input.nowSeconds - parsed.timestamp) > tolerance) return false;
  const expected = createHmac('sha256', Buffer.from(input.secret, 'utf8'))
    .update(`${parsed.timestamp}.`, 'utf8')
    .update(input.rawBody)
    .digest();
  // Check every candidate (no early exit on the first mismatch) so timing does not tell which.
  let matched = false;
  for (const candidate of parsed.signatures) {
    if (timingSafeEqual(expected, Buffer.from(candidate, 'hex'))) matched = true;
  }
  return matched;
}
