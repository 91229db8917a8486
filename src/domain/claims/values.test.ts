import { describe, expect, it } from 'vitest';
import {
  claimIdHash,
  claimIdLast4,
  createClaimIdProtector,
  decryptClaimId,
  deriveClaimIdHmacKey,
  encryptClaimId,
} from './claim-id.ts';
import {
  claimIdentityKey,
  computeRowHash,
  decideWrite,
  hashIdentityKey,
  type RowHashInput,
} from './identity.ts';
import { cptMappingKey, defaultCptGroup, mapPayer, resolveCptGroup } from './normalize.ts';
import {
  addDays,
  centsToDecimal,
  cleanCell,
  decimalToCents,
  parseBoolean,
  parseDate,
  parseModifiers,
  parseMoney,
  parsePlaceOfService,
  splitCpt,
} from './values.ts';

describe('cells and dates', () => {
  it('cleans control characters and trims', () => {
    expect(cleanCell('  a\u0000b\u007f\tc \r\n')).toBe('ab\tc');
    expect(cleanCell(undefined)).toBe('');
  });

  it('parses and classifies dates', () => {
    expect(parseDate('2023-13-01')).toEqual({ ok: false, error: 'calendar' });
    expect(parseDate('02/30/2024')).toEqual({ ok: false, error: 'calendar' });
    expect(parseDate('1899-12-31')).toEqual({ ok: false, error: 'format' });
    expect(parseDate('2023-01-19 14:30')).toEqual({ ok: true, value: '2023-01-19' });
    expect(parseDate('2023-01-19T23:59:59.123+05:30')).toEqual({ ok: true, value: '2023-01-19' });
    expect(parseDate('2023-01-19T24:00')).toEqual({ ok: false, error: 'format' });
    expect(parseDate('2000-02-29')).toEqual({ ok: true, value: '2000-02-29' });
    expect(parseDate('1900-02-29')).toEqual({ ok: false, error: 'calendar' });
    expect(addDays('2026-11-27', 1)).toBe('2026-11-28');
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
  });
});

describe('money', () => {
  it.each([
    ['$1,200.50', '1200.50', 120050],
    ['(45.00)', '-45.00', -4500],
    ['($45.00)', '-45.00', -4500],
    ['-$45', '-45.00', -4500],
    ['$-45', '-45.00', -4500],
    ['1,200', '1200.00', 120000],
    ['12.500', '12.50', 1250],
    ['0.1', '0.10', 10],
    ['-0', '0.00', 0],
    ['9999999999.99', '9999999999.99', 999999999999],
    ['007', '7.00', 700],
  ])('%s → %s', (text, value, cents) => {
    expect(parseMoney(text)).toEqual({ value, cents });
  });

  it.each([
    '12.505',
    '1e3',
    'NaN',
    'Infinity',
    '12,00',
    '$',
    '',
    '10000000000.00',
    '--5',
    '-(5)',
    '1,2345',
    '12.',
    '+5',
    '$ 5',
    'abc',
  ])('%j is invalid', (text) => {
    expect(parseMoney(text)).toBeNull();
  });

  it('round-trips cents', () => {
    expect(centsToDecimal(-5)).toBe('-0.05');
    expect(decimalToCents('-0.05')).toBe(-5);
    expect(decimalToCents('12.5')).toBe(1250);
    expect(decimalToCents('x')).toBeNull();
  });
});

describe('booleans, CPT, modifiers, place of service', () => {
  it('booleans', () => {
    for (const t of ['Y', 'yes', 'TRUE', '1']) expect(parseBoolean(t)).toBe(true);
    for (const t of ['n', 'No', 'false', '0']) expect(parseBoolean(t)).toBe(false);
    expect(parseBoolean('maybe')).toBeUndefined();
  });

  it('CPT split', () => {
    expect(splitCpt('99213-25')).toEqual({ code: '99213', modifiers: ['25'] });
    expect(splitCpt('99213 25 59')).toEqual({ code: '99213', modifiers: ['25', '59'] });
    expect(splitCpt('j3301:jw')).toEqual({ code: 'J3301', modifiers: ['JW'] });
    expect(splitCpt('99213')).toEqual({ code: '99213', modifiers: [] });
    expect(splitCpt('9921-25')).toEqual({ code: '9921-25', modifiers: [] });
    expect(splitCpt('claim')).toEqual({ code: 'CLAIM', modifiers: [] });
  });

  it('modifiers', () => {
    expect(parseModifiers('25;59,lt|RT 25')).toEqual({ value: '25;59;LT;RT', invalid: [], truncated: false });
    expect(parseModifiers('25:59:76:77:91')).toEqual({ value: '25;59;76;77', invalid: [], truncated: true });
    expect(parseModifiers('2;259', ['GT'])).toEqual({ value: 'GT', invalid: ['2', '259'], truncated: false });
    expect(parseModifiers('')).toEqual({ value: null, invalid: [], truncated: false });
  });

  it('place of service', () => {
    expect(parsePlaceOfService('2')).toBe('02');
    expect(parsePlaceOfService('11')).toBe('11');
    expect(parsePlaceOfService('111')).toBeNull();
    expect(parsePlaceOfService('A1')).toBeNull();
  });
});

describe('normalization (§5)', () => {
  it('A13 payer mapping by key', () => {
    const m = new Map([
      ['bcbs', 'Blue Cross Blue Shield'],
      ['bc/bs', 'Blue Cross Blue Shield'],
      ['uhc', 'UnitedHealthcare'],
      ['united health', 'UnitedHealthcare'],
    ]);
    expect(['BCBS', 'bc/bs', ' UHC ', 'United  Health', 'Aetna'].map((p) => mapPayer(p, m))).toEqual([
      'Blue Cross Blue Shield',
      'Blue Cross Blue Shield',
      'UnitedHealthcare',
      'UnitedHealthcare',
      'Aetna',
    ]);
  });

  it.each([
    ['99213', 'E&M'],
    ['99202', 'E&M'],
    ['99499', 'E&M'],
    ['99201', 'OTHER'],
    ['00100', 'Anesthesia'],
    ['01999', 'Anesthesia'],
    ['10004', 'Surgery'],
    ['69990', 'Surgery'],
    ['70010', 'Radiology'],
    ['80047', 'Pathology & Lab'],
    ['36415', 'Surgery'],
    ['93555', 'Medicine'],
    ['99500', 'Medicine'],
    ['99607', 'Medicine'],
    ['99608', 'OTHER'],
    ['J3301', 'HCPCS'],
    ['1036F', 'OTHER'],
    ['0001T', 'OTHER'],
    ['0001U', 'OTHER'],
    ['CLAIM', 'OTHER'],
    ['00099', 'OTHER'],
  ])('default group of %s is %s', (cpt, group) => {
    expect(defaultCptGroup(cpt)).toBe(group);
  });

  it('customer CPT mapping first', () => {
    const m = new Map([
      ['36415', 'Lab Services'],
      ['99213', 'E&M Office Visit'],
    ]);
    expect(resolveCptGroup('36415', m)).toBe('Lab Services');
    expect(resolveCptGroup('99212', m)).toBe('E&M');
    expect(cptMappingKey(' 99213-25 ')).toBe('99213');
  });
});

describe('claim-number protection', () => {
  const key = new Uint8Array(32).fill(1);
  const other = new Uint8Array(32).fill(2);

  it('encrypts with a random nonce and decrypts, with key fallbacks', () => {
    const a = encryptClaimId(key, 'C-1001');
    const b = encryptClaimId(key, 'C-1001');
    expect(a.equals(b)).toBe(false);
    expect(a.length).toBe(12 + 6 + 16);
    expect(decryptClaimId(key, a)).toBe('C-1001');
    expect(decryptClaimId([other, key], a)).toBe('C-1001');
    expect(() => decryptClaimId(other, a)).toThrow();
    const tampered = Buffer.from(a);
    tampered[13] = (tampered[13] ?? 0) ^ 1;
    expect(() => decryptClaimId(key, tampered)).toThrow();
    expect(() => encryptClaimId(new Uint8Array(16), 'x')).toThrow(RangeError);
  });

  it('per-customer HMAC differs between customers and is stable', () => {
    const h1 = claimIdHash(deriveClaimIdHmacKey(key, 1), 'C-1001');
    expect(h1).toMatch(/^[0-9a-f]{64}$/);
    expect(claimIdHash(deriveClaimIdHmacKey(key, 1), 'C-1001')).toBe(h1);
    expect(claimIdHash(deriveClaimIdHmacKey(key, 2), 'C-1001')).not.toBe(h1);
    const p = createClaimIdProtector(key, 1).protect('C-1001');
    expect(p.hash).toBe(h1);
    expect(p.last4).toBe('1001');
    expect(claimIdLast4('AB')).toBe('AB');
  });

  it('reuses the protected form of a recent claim number (lines of one claim), not of old ones', () => {
    const protector = createClaimIdProtector(key, 1);
    const first = protector.protect('C-1001');
    expect(protector.protect('C-1001')).toBe(first);
    const other = protector.protect('C-1002');
    expect(other.hash).not.toBe(first.hash);
    expect(decryptClaimId(key, other.enc)).toBe('C-1002');
    // Once many other numbers came by, it is protected afresh (new nonce, same hash).
    for (let n = 0; n < 100; n++) protector.protect(`X-${n}`);
    const again = protector.protect('C-1001');
    expect(again).not.toBe(first);
    expect(again.hash).toBe(first.hash);
    expect(again.enc.equals(first.enc)).toBe(false);
    expect(decryptClaimId(key, again.enc)).toBe('C-1001');
  });
});

describe('identity (§2.8)', () => {
  const base: RowHashInput = {
    payerRaw: 'BCBS',
    cpt: '99213',
    modifiers: null,
    submittedDate: '2026-03-02',
    decidedDate: '2026-03-10',
    paymentDate: null,
    outcome: 'DENIED',
    allowedAmount: null,
    billedAmount: null,
    paidAmount: null,
    denialReasonCode: 'CO-197',
    denialReasonText: null,
    claimId: 'C-1001',
    authorizationRequired: null,
    authorizationObtained: null,
    placeOfService: null,
  };

  it('row hash: payer case-insensitive, every other field counts', () => {
    const h = computeRowHash(base);
    expect(computeRowHash({ ...base, payerRaw: 'bcbs' })).toBe(h);
    expect(computeRowHash({ ...base, authorizationRequired: true })).not.toBe(h);
    expect(computeRowHash({ ...base, decidedDate: '2026-04-02' })).not.toBe(h);
  });

  it('keys and decisions', () => {
    const h = computeRowHash(base);
    const c = claimIdentityKey('abc', '99213', 1);
    expect(c).toBe('c:abc\u001f99213\u001f1');
    expect(decideWrite(c, h, null)).toBe('insert');
    expect(decideWrite(c, h, { rowHash: 'other' })).toBe('update');
    expect(decideWrite(c, h, { rowHash: h })).toBe('duplicate');
    expect(decideWrite(hashIdentityKey(h), h, { rowHash: h })).toBe('duplicate');
  });
});
