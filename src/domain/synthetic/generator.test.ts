import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { findPhiPattern, looksLikePersonName } from '../claims/phi.ts';
import { PAYERS, TEMPLATE_COLUMNS } from './catalog.ts';
import { isoDay, parseIsoDay } from './dates.ts';
import { createSyntheticGenerator, DIRTY_KINDS, manifestJson } from './generator.ts';
import { demoGeneratorInput, GeneratorOptionError } from './options.ts';
import { mulberry32 } from './prng.ts';
import { normalizeOutcome, parseCents, parseCsv, parseDay, renderAll } from './test-helpers.ts';

const END = '2026-11-27';
const END_DAY = parseIsoDay(END)!;
const SMALL = { endDate: END, claimsPerDay: 20 } as const;

const median = (values: number[]): number => {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

describe('mulberry32', () => {
  it('is deterministic and uniform-looking', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const xs = Array.from({ length: 10_000 }, () => a());
    expect(xs.slice(0, 5)).toEqual(Array.from({ length: 5 }, () => b()));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(mean(xs)).toBeCloseTo(0.5, 1);
  });
});

describe('determinism', () => {
  const input = {
    ...SMALL,
    seed: 99,
    dirtyRate: 0.05,
    formatVariety: 0.2,
    scenarios: ['payment_delay:payer=Cigna'],
  };

  it('gives byte-identical files and manifest for identical options', () => {
    const a = renderAll(input);
    const b = renderAll(input);
    expect([...a.texts.keys()]).toEqual([...b.texts.keys()]);
    for (const [name, text] of a.texts) expect(b.texts.get(name)).toBe(text);
    expect(manifestJson(b.manifest)).toBe(manifestJson(a.manifest));
  });

  it('gives different files for a different seed', () => {
    const a = renderAll(input);
    const b = renderAll({ ...input, seed: 100 });
    const name = [...a.texts.keys()][3]!;
    expect(b.texts.get(name)).not.toBe(a.texts.get(name));
  });

  it('does not depend on the split: the monthly files concatenate to the single file', () => {
    const monthly = renderAll({ ...SMALL, seed: 5, split: 'monthly' });
    const single = renderAll({ ...SMALL, seed: 5, split: 'none' });
    const body = (text: string) => text.slice(text.indexOf('\n') + 1);
    const joined = [...monthly.texts.values()].map(body).join('');
    expect(single.texts.size).toBe(1);
    expect(body(single.texts.get('claims.csv')!)).toBe(joined);
  });

  it('streams the same bytes as render, chunk by chunk', () => {
    const generator = createSyntheticGenerator({ ...SMALL, seed: 3 });
    const file = generator.files[1]!;
    const stream = generator.stream(file);
    const chunks = [...stream.chunks];
    expect(chunks.length).toBeGreaterThan(20);
    expect(chunks.join('')).toBe(generator.render(file).text);
    expect(() => generator.stream(file).result()).toThrow(/not been fully generated/);
  });
});

describe('shape of clean output', () => {
  const { generator, texts, manifest } = renderAll({ ...SMALL, seed: 11 });
  const records = [...texts.values()].flatMap(parseCsv);

  it('writes the 16-column template header, LF endings, rows sorted by submitted_date, claim_id, cpt', () => {
    for (const text of texts.values()) {
      expect(text.startsWith(`${TEMPLATE_COLUMNS.join(',')}\n`)).toBe(true);
      expect(text).not.toContain('\r');
      expect(text.endsWith('\n')).toBe(true);
    }
    const keys = records.map((r) => `${r['submitted_date']}|${r['claim_id']}|${r['cpt']}`);
    expect(keys).toEqual([...keys].sort());
    expect(records.every((r) => /^RFP-\d{8}$/.test(r['claim_id']!))).toBe(true);
  });

  it('covers 13 months of history ending the day before the end date, one file per month', () => {
    expect(manifest.history).toMatchObject({ start: isoDay(END_DAY - 395), end: END, days: 395 });
    expect(records[0]!['submitted_date']).toBe(isoDay(END_DAY - 395));
    expect(records.at(-1)!['submitted_date']).toBe(isoDay(END_DAY - 1));
    expect(generator.files.map((f) => f.name)).toEqual(
      [...new Set(records.map((r) => r['submitted_date']!.slice(0, 7)))].map((m) => `claims-${m}.csv`),
    );
  });

  it('uses code numbers only, exact decimal amounts, consistent outcomes and dates', () => {
    const problems: string[] = [];
    const check = (ok: boolean, what: string, r: Record<string, string>) => {
      if (!ok && problems.length < 5) problems.push(`${what}: ${JSON.stringify(r)}`);
    };
    for (const r of records) {
      check(/^(\d{5}|J\d{4})$/.test(r['cpt']!), 'cpt', r);
      for (const money of ['allowed_amount', 'billed_amount', 'paid_amount']) {
        check(r[money] === '' || /^\d+\.\d{2}$/.test(r[money]!), money, r);
      }
      check(['PAID', 'DENIED', 'OTHER'].includes(r['outcome']!), 'outcome', r);
      const submitted = parseDay(r['submitted_date']!)!;
      const decided = parseDay(r['decided_date']!)!;
      check(decided >= submitted + 3, 'decision lag', r);
      check(r['payment_date'] === '' || parseDay(r['payment_date']!)! > decided, 'payment after decision', r);
      if (r['outcome'] === 'DENIED') {
        check(/^(CO|PR)-\d+$/.test(r['denial_reason_code']!), 'denial code', r);
        check(r['paid_amount'] === '0.00' && r['denial_reason_text'] !== '', 'denied paid/text', r);
      } else {
        check(r['denial_reason_code'] === '', 'no code unless denied', r);
      }
      check(['11', '02'].includes(r['place_of_service']!), 'place of service', r);
    }
    expect(problems).toEqual([]);
  });

  it('follows the payer, outcome and lab-line mix of §7.1', () => {
    const n = records.length;
    const share = (pred: (r: Record<string, string>) => boolean) => records.filter(pred).length / n;
    expect(share((r) => r['payer'] === 'BCBS')).toBeGreaterThan(0.05);
    expect(share((r) => r['payer'] === 'BC/BS')).toBeGreaterThan(0.01);
    expect(share((r) => r['payer'] === 'Medicare')).toBeCloseTo(0.15, 1);
    expect(share((r) => r['outcome'] === 'OTHER')).toBeCloseTo(0.1, 1);
    expect(share((r) => r['outcome'] === 'DENIED')).toBeGreaterThan(0.1);
    expect(share((r) => r['outcome'] === 'DENIED')).toBeLessThan(0.2);
    const claims = new Set(records.map((r) => r['claim_id'])).size;
    expect(n / claims - 1).toBeGreaterThan(0.12);
    expect(n / claims - 1).toBeLessThan(0.18);
    expect(records.some((r) => r['modifiers'] === '25')).toBe(true);
    expect(records.filter((r) => r['cpt'] === '20610').every((r) => /^(RT|LT)$/.test(r['modifiers']!))).toBe(
      true,
    );
    const auth = records.filter((r) => r['authorization_required'] === 'Y');
    expect(auth.every((r) => ['20610', '71046', 'J3301'].includes(r['cpt']!))).toBe(true);
    expect(
      auth
        .filter((r) => r['authorization_obtained'] === 'N')
        .every((r) => r['denial_reason_code'] === 'CO-197'),
    ).toBe(true);
  });

  it('has no PHI in clean rows', () => {
    const hits: string[] = [];
    for (const r of records) {
      if (looksLikePersonName(r['payer']!) !== null) hits.push(`payer ${r['payer']}`);
      for (const column of TEMPLATE_COLUMNS) {
        const kind = r[column] === '' ? null : findPhiPattern(r[column]!, column);
        if (kind) hits.push(`${kind} in ${column}: ${r[column]}`);
      }
    }
    expect(hits).toEqual([]);
  });
});

describe('options', () => {
  it('raises --months to the minimum of 13 and validates values', () => {
    expect(createSyntheticGenerator({ ...SMALL, months: 2 }).options).toMatchObject({
      months: 13,
      monthsRequested: 2,
    });
    expect(createSyntheticGenerator({ ...SMALL, months: 24 }).options.historyStart).toBe(END_DAY - 730);
    expect(() => createSyntheticGenerator({ endDate: '2026-02-30' })).toThrow(GeneratorOptionError);
    expect(() => createSyntheticGenerator({ dirtyRate: 1.5 })).toThrow(
      /--dirty-rate must be a number between 0 and 1/,
    );
    expect(() => createSyntheticGenerator({ claimsPerDay: 0 })).toThrow(/--claims-per-day/);
    expect(() => createSyntheticGenerator({ scenarios: ['nope'] })).toThrow(/Unknown scenario 'nope'/);
  });

  it('defaults: seed 20261127, end date today, 80 claims per weekday and 8 on weekends', () => {
    const g = createSyntheticGenerator({}, new Date('2026-03-04T23:59:00Z'));
    expect(g.options).toMatchObject({
      seed: 20261127,
      endDate: '2026-03-04',
      pending: 'include',
      split: 'monthly',
    });
    const saturday = parseIsoDay('2026-02-28')!;
    expect(new Set(g.dayLines(saturday).map((l) => l.seq)).size).toBe(8);
    const monday = new Set(g.dayLines(parseIsoDay('2026-03-02')!).map((l) => l.seq)).size;
    expect(monday).toBeGreaterThanOrEqual(72);
    expect(monday).toBeLessThanOrEqual(88);
  });

  it('--no-claim-id leaves the column empty and keeps everything else', () => {
    const a = renderAll({ ...SMALL, seed: 4 });
    const b = renderAll({ ...SMALL, seed: 4, claimId: false });
    const name = [...a.texts.keys()][2]!;
    expect(b.texts.get(name)).toBe(a.texts.get(name)!.replace(/RFP-\d{8}/g, ''));
  });

  it('--pending omit drops claims decided after the end date and future payment dates', () => {
    const include = [...renderAll({ ...SMALL, seed: 8 }).texts.values()].flatMap(parseCsv);
    const omit = [...renderAll({ ...SMALL, seed: 8, pending: 'omit' }).texts.values()].flatMap(parseCsv);
    expect(include.some((r) => r['decided_date']! > END)).toBe(true);
    expect(omit.some((r) => r['decided_date']! > END)).toBe(false);
    expect(omit.some((r) => r['payment_date']! > END)).toBe(false);
    expect(omit.length).toBe(include.filter((r) => r['decided_date']! <= END).length);
  });

  it('--format-variety writes the same claims in other accepted formats', () => {
    const plain = [...renderAll({ ...SMALL, seed: 6 }).texts.values()].flatMap(parseCsv);
    const varied = [...renderAll({ ...SMALL, seed: 6, formatVariety: 0.3 }).texts.values()].flatMap(parseCsv);
    expect(varied.length).toBe(plain.length);
    let variants = 0;
    const mismatches: string[] = [];
    const same = (a: unknown, b: unknown, what: string) => {
      if (a !== b && mismatches.length < 5) mismatches.push(`${what}: ${String(a)} vs ${String(b)}`);
    };
    varied.forEach((r, i) => {
      const p = plain[i]!;
      if (r['submitted_date']!.includes('/')) {
        variants++;
        same(/^\$\d{1,3}(,\d{3})*\.\d{2}$/.test(r['allowed_amount']!), true, 'display money');
        same(['approved', 'rejected', 'OTHER'].includes(r['outcome']!), true, 'outcome synonym');
      }
      for (const c of ['submitted_date', 'decided_date', 'payment_date']) {
        same(r[c] === '' ? null : parseDay(r[c]!), p[c] === '' ? null : parseDay(p[c]!), c);
      }
      for (const c of ['allowed_amount', 'billed_amount', 'paid_amount']) {
        same(r[c] === '' ? null : parseCents(r[c]!), p[c] === '' ? null : parseCents(p[c]!), c);
      }
      same(normalizeOutcome(r['outcome']!), p['outcome'], 'outcome');
      same(r['claim_id'], p['claim_id'], 'claim_id');
    });
    expect(mismatches).toEqual([]);
    expect(variants / varied.length).toBeGreaterThan(0.25);
    expect(variants / varied.length).toBeLessThan(0.35);
  });
});

describe('dirty rows', () => {
  const { texts, manifest } = renderAll({ ...SMALL, seed: 12, dirtyRate: 0.05 });
  const clean = [...renderAll({ ...SMALL, seed: 12 }).texts.values()].flatMap(parseCsv);
  const records = [...texts.values()].flatMap(parseCsv);

  it('replace clean rows at about the rate, kinds rotating in equal shares', () => {
    expect(records.length).toBe(clean.length);
    const changed = records.filter((r, i) => JSON.stringify(r) !== JSON.stringify(clean[i])).length;
    expect(manifest.totals.dirty_rows).toBe(changed);
    expect(changed / records.length).toBeGreaterThan(0.04);
    expect(changed / records.length).toBeLessThan(0.06);
    const counts = DIRTY_KINDS.map((k) => manifest.dirty_rows.kinds[k].rows);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(manifest.files.length);
    expect(Math.min(...counts)).toBeGreaterThan(0);
  });

  it('plant each kind as §7.1 describes', () => {
    const dirty = records.filter((r, i) => JSON.stringify(r) !== JSON.stringify(clean[i]));
    expect(dirty.some((r) => looksLikePersonName(r['payer']!) !== null)).toBe(true);
    expect(dirty.some((r) => r['denial_reason_text'] === 'Patient SSN 123-45-6789')).toBe(true);
    for (const column of ['payer', 'cpt', 'submitted_date', 'decided_date', 'outcome']) {
      expect(dirty.some((r) => r[column] === '')).toBe(true);
    }
    for (const bad of ['2024-02-30', '31/12/2024', 'invalid-date']) {
      expect(dirty.some((r) => r['decided_date'] === bad || r['submitted_date'] === bad)).toBe(true);
    }
    expect(
      dirty.some((r) => parseDay(r['decided_date']!) === (parseDay(r['submitted_date']!) ?? 0) - 3),
    ).toBe(true);
    expect(dirty.some((r) => r['outcome'] === 'PENDING')).toBe(true);
    expect(dirty.some((r) => r['allowed_amount'] === '12.3.4')).toBe(true);
  });

  it('are accounted for in the manifest with their expected categories', () => {
    const k = manifest.dirty_rows.kinds;
    const e = manifest.totals.expected;
    expect(e.rejected_by_category).toEqual({
      phi: k.phi_name.rows + k.phi_pattern.rows,
      missing_fields: k.missing_field.rows,
      invalid_dates: k.bad_date.rows + k.date_order.rows,
      invalid_values: 0,
    });
    expect(e.warnings).toEqual({ unusual_outcome: k.unusual_outcome.rows, invalid_amount: k.bad_money.rows });
    expect(e.accepted + e.rejected).toBe(manifest.totals.rows);
  });
});

describe('manifest', () => {
  const { texts, manifest } = renderAll({
    ...SMALL,
    seed: 21,
    dirtyRate: 0.02,
    scenarios: ['underpayment:payer=Aetna,group=E&M Office Visit'],
  });

  it('lists every file with its row count, size and sha256, and totals that add up', () => {
    expect(manifest.files.map((f) => f.name)).toEqual([...texts.keys()]);
    let rows = 0;
    for (const f of manifest.files) {
      const text = texts.get(f.name)!;
      expect(f.sha256).toBe(createHash('sha256').update(text).digest('hex'));
      expect(f.bytes).toBe(Buffer.byteLength(text));
      expect(f.rows).toBe(text.split('\n').length - 2);
      expect(f.submitted_min! <= f.submitted_max!).toBe(true);
      rows += f.rows;
      expect(Object.values(f.dirty_rows).reduce((a, b) => a + b, 0)).toBe(
        f.expected.rejected + Object.values(f.expected.warnings).reduce((a, b) => a + b, 0),
      );
    }
    expect(manifest.totals).toMatchObject({ files: texts.size, rows });
  });

  it('records the options and the scenarios with their windows and expected effects', () => {
    expect(manifest.options).toMatchObject({
      seed: 21,
      end_date: END,
      months: 13,
      claims_per_day: 20,
      dirty_rate: 0.02,
      format_variety: 0,
      claim_id: true,
      pending: 'include',
      split: 'monthly',
    });
    expect(manifest.scenarios).toEqual([
      expect.objectContaining({
        name: 'underpayment',
        payer: 'Aetna',
        group: 'E&M Office Visit',
        parameters: { points: 0.1 },
        window: { start: '2026-11-13', end: END, days: 14 },
        product: 'DriftWatch',
        finding: 'PAYMENT_AMOUNT',
      }),
    ]);
    expect(manifest.scenarios[0]!.rows_changed).toBeGreaterThan(0);
    expect(manifestJson(manifest).endsWith('}\n')).toBe(true);
  });
});

describe('scenarios', () => {
  const demo = renderAll(demoGeneratorInput(END));
  const records = [...demo.texts.values()]
    .flatMap(parseCsv)
    .filter((r) => parseDay(r['submitted_date']!) !== null && parseDay(r['decided_date']!) !== null);
  const canonical = (payer: string) =>
    PAYERS.find((p) => p.name === payer || p.spellings.some(([s]) => s === payer))?.name ?? payer;
  const officeVisit = (r: Record<string, string>) => ['99213', '99214', '99215'].includes(r['cpt']!);
  const rows = (
    payer: string,
    from: number,
    to: number,
    pred: (r: Record<string, string>) => boolean = () => true,
  ) =>
    records.filter((r) => {
      const day = parseDay(r['submitted_date']!)!;
      return canonical(r['payer']!) === payer && day >= END_DAY - from && day < END_DAY - to && pred(r);
    });
  const outcome = (r: Record<string, string>) => normalizeOutcome(r['outcome']!);
  const lag = (r: Record<string, string>, column: string) =>
    parseDay(r[column]!)! - parseDay(r['submitted_date']!)!;

  it('denial_spike raises the BCBS × E&M Office Visit denial rate in its 14-day window only', () => {
    const rate = (rs: Record<string, string>[]) => {
      const decided = rs.filter((r) => ['PAID', 'DENIED'].includes(outcome(r)));
      return decided.filter((r) => outcome(r) === 'DENIED').length / decided.length;
    };
    const baseline = rate(rows('Blue Cross Blue Shield', 104, 14, officeVisit));
    const current = rate(rows('Blue Cross Blue Shield', 14, 0, officeVisit));
    expect(current - baseline).toBeGreaterThan(0.1);
    expect(current - baseline).toBeLessThan(0.35);
    // Other BCBS groups are untouched.
    const labs = (r: Record<string, string>) => ['36415', '85025', '80053'].includes(r['cpt']!);
    expect(
      Math.abs(
        rate(rows('Blue Cross Blue Shield', 14, 0, labs)) -
          rate(rows('Blue Cross Blue Shield', 104, 14, labs)),
      ),
    ).toBeLessThan(0.12);
  });

  it('decision_drift adds about 8 days to Medicare office-visit decisions', () => {
    const before = median(rows('Medicare', 104, 14, officeVisit).map((r) => lag(r, 'decided_date')));
    const after = median(rows('Medicare', 14, 0, officeVisit).map((r) => lag(r, 'decided_date')));
    expect(after - before).toBeGreaterThanOrEqual(6);
    expect(after - before).toBeLessThanOrEqual(10);
  });

  it('payment_delay adds about 12 days to Cigna decisions and payments', () => {
    const paid = (r: Record<string, string>) =>
      r['payment_date'] !== '' && parseDay(r['payment_date']!) !== null;
    const before = median(rows('Cigna', 104, 14, paid).map((r) => lag(r, 'payment_date')));
    const after = median(rows('Cigna', 14, 0, paid).map((r) => lag(r, 'payment_date')));
    expect(after - before).toBeGreaterThanOrEqual(9);
    expect(after - before).toBeLessThanOrEqual(15);
  });

  it('underpayment takes about 10 points off Aetna office-visit paid/allowed', () => {
    const r = (rs: Record<string, string>[]) =>
      mean(
        rs
          .filter(
            (x) =>
              outcome(x) === 'PAID' &&
              parseCents(x['allowed_amount']!) &&
              parseCents(x['paid_amount']!) !== null,
          )
          .map((x) => 1 - parseCents(x['paid_amount']!)! / parseCents(x['allowed_amount']!)!),
      );
    const delta = r(rows('Aetna', 14, 0, officeVisit)) - r(rows('Aetna', 104, 14, officeVisit));
    expect(delta).toBeGreaterThan(0.07);
    expect(delta).toBeLessThan(0.13);
  });

  it('new_denial_reason plants 15 Aetna CO-252 denials in the last 7 days and none before', () => {
    const co252 = (r: Record<string, string>) => r['denial_reason_code'] === 'CO-252';
    const all = [...demo.texts.values()].flatMap(parseCsv).filter(co252);
    expect(all.length).toBeGreaterThanOrEqual(13);
    expect(all.length).toBeLessThanOrEqual(15);
    // Dirty rows may replace a few (a person-name payer, an SSN in the text).
    const intact = all.filter(
      (r) => r['payer'] === 'Aetna' && r['denial_reason_text'] === 'Documentation required',
    );
    expect(intact.length).toBeGreaterThanOrEqual(13);
    expect(all.every((r) => r['payer'] === 'Aetna' || looksLikePersonName(r['payer']!) !== null)).toBe(true);
    expect(rows('Aetna', 395, 7, co252)).toHaveLength(0);
    expect(demo.manifest.scenarios.find((s) => s.name === 'new_denial_reason')!.rows_changed).toBe(15);
  });

  it('denial_dollars_spike multiplies UnitedHealthcare CO-197 denied dollars in the last 7 days', () => {
    const dollars = (from: number, to: number) =>
      rows('UnitedHealthcare', from, to, (r) => r['denial_reason_code'] === 'CO-197').reduce(
        (sum, r) => sum + (parseCents(r['allowed_amount']!) ?? 0),
        0,
      );
    const weeklyBaseline = dollars(98, 7) / 13;
    expect(dollars(7, 0) / weeklyBaseline - 1).toBeGreaterThanOrEqual(1);
  });

  it('never changes rows outside a scenario’s window and target', () => {
    const base = renderAll({ ...SMALL, seed: 31 });
    const withScenario = renderAll({
      ...SMALL,
      seed: 31,
      scenarios: ['denial_spike:payer=Humana,delta=0.5', 'payment_delay:payer=Medicaid,days=20'],
    });
    const a = [...base.texts.values()].flatMap(parseCsv);
    const b = [...withScenario.texts.values()].flatMap(parseCsv);
    expect(b.length).toBe(a.length);
    let changed = 0;
    b.forEach((r, i) => {
      if (JSON.stringify(r) === JSON.stringify(a[i])) return;
      changed++;
      expect(['Humana', 'Medicaid']).toContain(r['payer']);
      expect(parseDay(r['submitted_date']!)!).toBeGreaterThanOrEqual(END_DAY - 14);
    });
    expect(changed).toBe(withScenario.manifest.scenarios.reduce((n, s) => n + s.rows_changed, 0));
    expect(changed).toBeGreaterThan(5);
  });
});
