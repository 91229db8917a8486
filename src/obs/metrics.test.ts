import { describe, expect, it } from 'vitest';
import { bearerMatches } from '../http/routes/metrics.ts';
import { queryOperationOf } from './metrics.ts';

describe('queryOperationOf', () => {
  it('classifies a statement by its first keyword, whatever the case and leading noise', () => {
    expect(queryOperationOf('select 1')).toBe('select');
    expect(queryOperationOf('  SELECT "id" from "users"')).toBe('select');
    expect(queryOperationOf('(select 1) union (select 2)')).toBe('select');
    expect(queryOperationOf('/* audit */ insert into "audit_events" values ($1)')).toBe('insert');
    expect(queryOperationOf('-- why\nupdate "jobs" set "status" = $1')).toBe('update');
    expect(queryOperationOf('delete from "sessions" where "expires_at" < $1')).toBe('delete');
  });

  it('puts everything else under other (CTEs, DDL, transactions, empty)', () => {
    for (const text of [
      'with x as (select 1) select * from x',
      'begin',
      'create table t ()',
      'copy t from stdin',
      '',
    ]) {
      expect(queryOperationOf(text), text).toBe('other');
    }
  });
});

describe('bearerMatches', () => {
  it('accepts exactly the token after "Bearer " (scheme in any case)', () => {
    expect(bearerMatches('Bearer s3cret-token', 's3cret-token')).toBe(true);
    expect(bearerMatches('bearer s3cret-token', 's3cret-token')).toBe(true);
    expect(bearerMatches('Bearer s3cret-tokeN', 's3cret-token')).toBe(false);
    expect(bearerMatches('Bearer s3cret', 's3cret-token')).toBe(false);
    expect(bearerMatches('Basic s3cret-token', 's3cret-token')).toBe(false);
    expect(bearerMatches('s3cret-token', 's3cret-token')).toBe(false);
    expect(bearerMatches(undefined, 's3cret-token')).toBe(false);
    expect(bearerMatches('Bearer ', '')).toBe(false);
  });
});
