import { describe, expect, it } from 'vitest';
import {
  findPhiPattern,
  looksLikePersonName,
  PayerAllowList,
  PERSON_FIRST_NAMES,
  payerKey,
  phiLogLine,
  screenRow,
} from './phi.ts';

describe('payer-name heuristic (§3.1)', () => {
  it('has exactly 40 first names', () => {
    expect(PERSON_FIRST_NAMES.size).toBe(40);
  });

  it.each([
    ['John Smith', 2],
    ['Mary Johnson', 2],
    ['John A Smith', 3],
    ['  John   Smith  ', 2],
    ['John Smith-Jones', 2],
    ['John\u00a0Smith', 2],
  ])('%j looks like a name (%i words)', (v, words) => {
    expect(looksLikePersonName(v)).toEqual({ words });
  });

  it.each([
    'john smith',
    'JOHN SMITH',
    "John O'Brien",
    'Mary-Jane Watson',
    'Sarah McDonald',
    'David B. Smith',
    'John Smith2',
    'John',
    'John Adam Bob Smith',
    'Blue Cross Blue Shield',
  ])('%j does not', (v) => {
    expect(looksLikePersonName(v)).toBeNull();
  });

  it('allow-list: built-ins, customer entries, prefix plus space', () => {
    const list = new PayerAllowList(['Mark  Twain']);
    expect(list.allows('John Hancock')).toBe(true);
    expect(list.allows('john   hancock life')).toBe(true);
    expect(list.allows('Mark Twain Insurance')).toBe(true);
    expect(list.allows('Mark Twainx')).toBe(false);
    expect(list.allows('John Smith')).toBe(false);
    expect(new PayerAllowList().allows('Mark Twain Insurance')).toBe(false);
    expect(payerKey('  Mark \t Twain ')).toBe('mark twain');
  });
});

describe('pattern scan (§3.2)', () => {
  it.each([
    ['Patient SSN 123-45-6789', 'SSN'],
    ['SSN:123456789', 'SSN'],
    ['Contact jane.doe@example.com', 'email address'],
    ['Call (555) 123-4567', 'phone number'],
    ['555.123.4567', 'phone number'],
    ['MRN: 12345678', 'MRN'],
    ['mrn#AB12CD34', 'MRN'],
    ['DOB 01/02/1980', 'date of birth'],
    ['date of birth: 1980-01-02', 'date of birth'],
    ['D.O.B. 1.2.1980', 'date of birth'],
  ])('%j → %s', (v, kind) => {
    expect(findPhiPattern(v, 'denial_reason_text')).toBe(kind);
  });

  it('bare MRN only in payer and denial text', () => {
    expect(findPhiPattern('AB123456', 'claim_id')).toBeNull();
    expect(findPhiPattern('AB123456', 'payer')).toBe('MRN');
    expect(findPhiPattern('AB123456', 'denial_reason_text')).toBe('MRN');
  });

  it.each(['CO-197', '99213', 'Precertification absent', '2023-01-15', 'C-1001'])('%j is clean', (v) => {
    expect(findPhiPattern(v, 'denial_reason_text')).toBeNull();
  });

  it('scans cells in order; first hit wins; reason names kind and column', () => {
    const hit = screenRow(
      { payer: 'Aetna', cpt: '99213', denial_reason_text: 'a@b.org', claim_id: '123-45-6789' },
      new PayerAllowList(),
    );
    expect(hit).toMatchObject({ type: 'pattern', kind: 'email address', column: 'denial_reason_text' });
    expect(hit?.reason).toBe('PHI detected: email address pattern in denial_reason_text');
    const control = screenRow(
      { payer: 'Aetna', payer_claim_control_number: 'SSN 123456789' },
      new PayerAllowList(),
    );
    expect(control?.reason).toBe('PHI detected: SSN pattern in payer_claim_control_number');
  });

  it('log lines carry no value', () => {
    const hit = screenRow({ payer: 'John Smith' }, new PayerAllowList());
    expect(hit && phiLogLine(hit, 7)).toBe(
      'PHI_DETECTION: rejected payer that looks like a person name (row 7, words 2)',
    );
  });
});
