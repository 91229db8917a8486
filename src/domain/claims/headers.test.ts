import { describe, expect, it } from 'vitest';
import {
  type ColumnMappingProfile,
  ignoredColumnWarnings,
  isIdentifierColumn,
  resolveColumns,
  suggestColumnMap,
  validateMappingChoice,
} from './headers.ts';

describe('resolveColumns (§2.5)', () => {
  it('A3: BOM, spaces and case are matched', () => {
    const r = resolveColumns(['\uFEFF Payer ', ' CPT ', 'Submitted_Date', 'DECIDED_DATE', 'outcome']);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.columnIndex).toEqual({ payer: 0, cpt: 1, submitted_date: 2, decided_date: 3, outcome: 4 });
    expect(r.columnMap.payer).toBe('Payer');
    expect(r.ignoredColumns).toEqual([]);
  });

  it('A3: missing outcome', () => {
    const r = resolveColumns(['payer', 'cpt', 'submitted_date', 'decided_date']);
    expect(r).toMatchObject({ ok: false, code: 'missing_required_column', missing: 'outcome' });
    expect(!r.ok && r.message).toBe('Missing required column: outcome');
  });

  it('first missing field in required order; separator hints', () => {
    expect(resolveColumns(['foo']).ok === false && resolveColumns(['foo'])).toMatchObject({
      message: 'Missing required column: payer',
    });
    const semi = resolveColumns(['payer;cpt;submitted_date;decided_date;outcome']);
    expect(!semi.ok && semi.message).toBe(
      "Missing required column: payer The file seems to use ';' as separator; save it as comma-separated CSV.",
    );
    const tab = resolveColumns(['payer\tcpt']);
    expect(!tab.ok && tab.message).toBe(
      'Missing required column: payer The file seems to use tab as separator; save it as comma-separated CSV.',
    );
  });

  it('duplicate columns fail; empty header cells are skipped; cpt_group is ignored', () => {
    expect(resolveColumns(['payer', 'PAYER', 'cpt'])).toMatchObject({
      ok: false,
      code: 'duplicate_column',
      message: 'Duplicate column: payer',
    });
    const r = resolveColumns([
      'payer',
      '',
      'cpt',
      'submitted_date',
      'decided_date',
      'outcome',
      'cpt_group',
      'notes',
    ]);
    expect(r.ok && r.ignoredColumns).toEqual(['cpt_group', 'notes']);
    expect(r.ok && r.headerCount).toBe(8);
  });

  const clearinghouse = ['Payer Name', 'CPT Code', 'Date Submitted', 'Adjudication Date', 'Claim Status'];

  it('A3: suggestions pre-fill all 5 required fields', () => {
    const s = suggestColumnMap(clearinghouse);
    expect(s).toMatchObject({
      payer: 'Payer Name',
      cpt: 'CPT Code',
      submitted_date: 'Date Submitted',
      decided_date: 'Adjudication Date',
      outcome: 'Claim Status',
      allowed_amount: null,
    });
    expect(validateMappingChoice(s)).toBeNull();
    expect(validateMappingChoice({ ...s, outcome: null })).toBe('Map a column to outcome');
    expect(validateMappingChoice({ ...s, allowed_amount: 'CPT Code' })).toBe(
      "Column 'CPT Code' is mapped to more than one field",
    );
  });

  it('A3: a saved profile maps the next file automatically; most recent applicable profile wins', () => {
    const profile: ColumnMappingProfile = {
      id: 3,
      name: 'Clearinghouse export',
      mapping: {
        payer: 'payer name',
        cpt: 'cpt code',
        submitted_date: 'date submitted',
        decided_date: 'adjudication date',
        outcome: 'claim status',
      },
      lastUsedAt: '2026-11-27T10:00:00Z',
    };
    const unrelated: ColumnMappingProfile = {
      id: 1,
      mapping: { payer: 'insurer' },
      lastUsedAt: '2026-11-27T11:00:00Z',
    };
    const incomplete: ColumnMappingProfile = {
      id: 2,
      mapping: { payer: 'payer name' },
      lastUsedAt: '2026-11-27T12:00:00Z',
    };
    const r = resolveColumns([...clearinghouse, 'Notes'], { profiles: [unrelated, incomplete, profile] });
    expect(r).toMatchObject({
      ok: true,
      profileId: 3,
      columnMap: { payer: 'Payer Name', outcome: 'Claim Status' },
      ignoredColumns: ['Notes'],
    });
    // Name matches take precedence over the profile.
    const mixed = resolveColumns(
      ['payer', 'CPT Code', 'Date Submitted', 'Adjudication Date', 'Claim Status'],
      {
        profiles: [profile],
      },
    );
    expect(mixed.ok && mixed.columnIndex.payer).toBe(0);
    // Without profiles: needs mapping.
    expect(resolveColumns(clearinghouse).ok).toBe(false);
    // Explicit map from the mapping step.
    const explicit = resolveColumns(clearinghouse, { explicitMap: suggestColumnMap(clearinghouse) as never });
    expect(explicit.ok).toBe(true);
  });
});

describe('ignored and identifier columns (§3.3)', () => {
  it.each([
    'patient_name',
    'SSN',
    'Patient DOB',
    'Member ID',
    'name',
    'City',
    'Email Address',
    'Zip Code',
    'guarantor',
  ])('%s is an identifier column', (h) => {
    expect(isIdentifierColumn(h)).toBe(true);
  });
  it.each(['notes', 'payer_name_old', 'department', 'cpt_group'])('%s is not', (h) => {
    expect(isIdentifierColumn(h)).toBe(false);
  });

  it('caps the list at 20 names of 40 characters', () => {
    const names = Array.from({ length: 23 }, (_, i) => `column_${i}_${'x'.repeat(40)}`);
    const { warnings, identifierColumns } = ignoredColumnWarnings(names);
    expect(identifierColumns).toEqual([]);
    expect(warnings).toHaveLength(1);
    const msg = warnings[0]?.message ?? '';
    expect(msg.startsWith('Ignored 23 unrecognized column(s): column_0_xxx')).toBe(true);
    expect(msg.endsWith(' and 3 more')).toBe(true);
    expect(msg).toContain(`column_0_${'x'.repeat(31)},`);
  });
});
