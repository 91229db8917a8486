import { describe, expect, it } from 'vitest';
import { isValidIdempotencyKey, JSON_BATCH_MESSAGES as M, parseJsonBatch } from './json-batch.ts';

const bytes = (text: string) => Buffer.from(text, 'utf8');

describe('parseJsonBatch', () => {
  it('accepts a bare array or {"claims": [...]}', () => {
    expect(parseJsonBatch(bytes('[{"payer":"A"}]'), 10)).toEqual({ ok: true, claims: [{ payer: 'A' }] });
    expect(parseJsonBatch(bytes('\ufeff{"claims":[{},{}]}'), 10)).toEqual({ ok: true, claims: [{}, {}] });
  });

  it('answers the spec message of each refusal', () => {
    expect(parseJsonBatch(bytes(''), 10)).toMatchObject({ code: 'empty', message: M.empty });
    expect(parseJsonBatch(bytes('  \n'), 10)).toMatchObject({ code: 'empty', message: M.empty });
    expect(parseJsonBatch(bytes('[]'), 10)).toMatchObject({ code: 'empty', message: M.empty });
    expect(parseJsonBatch(bytes('{"claims":[]}'), 10)).toMatchObject({ code: 'empty', message: M.empty });
    expect(parseJsonBatch(bytes('[{"payer":'), 10)).toMatchObject({ code: 'not_json', message: M.notJson });
    expect(parseJsonBatch(bytes('{"rows":[]}'), 10)).toMatchObject({
      code: 'wrong_shape',
      message: M.wrongShape,
    });
    expect(parseJsonBatch(bytes('"claims"'), 10)).toMatchObject({ code: 'wrong_shape' });
    expect(parseJsonBatch(bytes('{"claims":{}}'), 10)).toMatchObject({ code: 'wrong_shape' });
    expect(parseJsonBatch(bytes('[1,2,3]'), 2)).toMatchObject({
      code: 'too_many',
      message: 'Batch must contain between 1 and 2 claims',
    });
  });
});

describe('isValidIdempotencyKey', () => {
  it('1–255 visible ASCII characters', () => {
    expect(isValidIdempotencyKey('batch-2026-03-01#1')).toBe(true);
    expect(isValidIdempotencyKey('')).toBe(false);
    expect(isValidIdempotencyKey('a b')).toBe(false);
    expect(isValidIdempotencyKey('é')).toBe(false);
    expect(isValidIdempotencyKey('k'.repeat(255))).toBe(true);
    expect(isValidIdempotencyKey('k'.repeat(256))).toBe(false);
  });
});
