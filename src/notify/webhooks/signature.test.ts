import { describe, expect, it } from 'vitest';
import {
  parseSignatureHeader,
  signatureHeaderValue,
  signatureTimestamp,
  signPayload,
  verifySignature,
} from './signature.ts';

// B14 (alerts-reports §16), verbatim.
const SECRET = '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
const BODY =
  '{"id":"evt_01","type":"alert.triggered","created_at":"2026-03-02T06:00:00.000Z","customer_id":42,"data":{"alert_id":981,"product":"driftwatch","signal_type":"DENIAL_RATE","payer":"Aetna","severity":0.8},"metadata":{"request_id":"req-01"}}';

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value as Record<string, unknown>)
        .sort()
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

describe('webhook signature (B14)', () => {
  it('the worked example: body of 238 bytes signed at t = 1772431200', () => {
    expect(Buffer.byteLength(BODY, 'utf8')).toBe(238);
    expect(signatureTimestamp(new Date('2026-03-02T06:00:00Z'))).toBe(1772431200);
    expect(signatureHeaderValue({ secret: SECRET, timestamp: 1772431200, body: BODY })).toBe(
      't=1772431200,v1=c52ef62ab75c01e761c84338a6b988db43be144eb88b77b357afe184a737f5d4',
    );
  });

  it('the retry two minutes later signs the same bytes with its own timestamp', () => {
    expect(signatureTimestamp(new Date('2026-03-02T06:02:00.999Z'))).toBe(1772431320);
    expect(signPayload(SECRET, 1772431320, BODY)).toBe(
      '6930203e2f72f86950dde92e20555da7e49d2c1c547a77426aa46af7eb2107c2',
    );
  });

  it('a trailing newline or re-serialising with sorted keys changes the signature', () => {
    expect(signPayload(SECRET, 1772431200, `${BODY}\n`)).toBe(
      'd1b0c1b1ce530fe612c2a3ce810b37842d26f08a24653f70cbafd54e0182d07d',
    );
    const sorted = JSON.stringify(sortKeys(JSON.parse(BODY)));
    expect(sorted).not.toBe(BODY);
    expect(signPayload(SECRET, 1772431200, sorted)).toBe(
      'fd7816238da7cc0415956b946e08d6009a3f054220cbbb33a51f9cba3985a4a4',
    );
  });

  it('after a rotation a second v1 with the previous secret is appended', () => {
    const header = signatureHeaderValue({
      secret: 'new-secret',
      previousSecret: SECRET,
      timestamp: 1772431200,
      body: BODY,
    });
    expect(header).toBe(
      `t=1772431200,v1=${signPayload('new-secret', 1772431200, BODY)},v1=c52ef62ab75c01e761c84338a6b988db43be144eb88b77b357afe184a737f5d4`,
    );
    expect(parseSignatureHeader(header)?.signatures).toHaveLength(2);
    // A receiver holding either secret accepts it.
    for (const secret of ['new-secret', SECRET]) {
      expect(verifySignature({ header, rawBody: BODY, secret, nowSeconds: 1772431200 })).toBe(true);
    }
  });

  it('verification: raw bytes, any v1, ±300 s, anything else refused', () => {
    const header = signatureHeaderValue({ secret: SECRET, timestamp: 1772431200, body: BODY });
    const ok = (over: Partial<Parameters<typeof verifySignature>[0]>) =>
      verifySignature({
        header,
        rawBody: Buffer.from(BODY),
        secret: SECRET,
        nowSeconds: 1772431200,
        ...over,
      });
    expect(ok({})).toBe(true);
    expect(ok({ nowSeconds: 1772431500 })).toBe(true);
    expect(ok({ nowSeconds: 1772431501 })).toBe(false);
    expect(ok({ nowSeconds: 1772430899 })).toBe(false);
    expect(ok({ rawBody: `${BODY}\n` })).toBe(false);
    expect(ok({ secret: 'other' })).toBe(false);
    expect(ok({ header: 't=1772431200' })).toBe(false);
    expect(ok({ header: 'v1=c52ef62ab75c01e761c84338a6b988db43be144eb88b77b357afe184a737f5d4' })).toBe(false);
  });
});
