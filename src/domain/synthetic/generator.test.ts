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
    // Pending claims are omitted: claims of the last two days (lag >= 3) are all still pending.
    const lastSubmitted = parseDay(records.at(-1)!['submitted_date']!)!;
    expect(lastSubmitted).toBeLessThanOrEqual(END_DAY - 3);
    expect(lastSubmitted).toBeGreaterThanOrEqual(END_DAY - 7);
    expect(Math.max(...records.map((r) => parseDay(r['decided_date']!)!))).toBe(END_DAY);
    const include = [...renderAll({ ...SMALL, seed: 11, pending: 'include' }).texts.values()].flatMap(
      parseCsv,
    );
    expect(include.at(-1)!['submitted_date']).toBe(isoDay(END_DAY - 1));
    expect(generator.files.map((f) => f.name)).toEqual(
      [...new Set(records.map((r) => r['submitted_date']!.slice(0, 7)))].map((m) => `claims-${m}.csv`),
    );
  });

  it('writes no header-only file: a last month whose claims are all pending is left out with omit', () => {
    // End 2026-12-03: December has the submissions of the 1st and 2nd, none decided by the 3rd.
    const omit = createSyntheticGenerator({ ...SMALL, endDate: '2026-12-03' });
    const include = createSyntheticGenerator({ ...SMALL, endDate: '2026-12-03', pending: 'include' });
    expect(include.files.at(-1)!.name).toBe('claims-2026-12.csv');
    expect(omit.files.at(-1)!.name).toBe('claims-2026-11.csv');
    expect(omit.files).toEqual(include.files.slice(0, -1));
    for (const file of omit.files) expect(omit.render(file).result.rows).toBeGreaterThan(0);
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

  it('defaults: seed 20261127, end date today, pending omitted, 80 claims per weekday and 8 on weekends', () => {
    const g = createSyntheticGenerator({}, new Date('2026-03-04T23:59:00Z'));
    expect(g.options).toMatchObject({
      seed: 20261127,
      endDate: '2026-03-04',
      pending: 'omit',
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

  it('--pending omit (default) drops claims decided after the end date and blanks later payment dates; include keeps them', () => {
    const include = [...renderAll({ ...SMALL, seed: 8, pending: 'include' }).texts.values()].flatMap(
      parseCsv,
    );
    const omit = [...renderAll({ ...SMALL, seed: 8 }).texts.values()].flatMap(parseCsv);
    expect(include.some((r) => r['decided_date']! > END)).toBe(true);
    expect(include.some((r) => r['payment_date']! > END && r['decided_date']! <= END)).toBe(true);
    expect(omit.some((r) => r['decided_date']! > END)).toBe(false);
    expect(omit.some((r) => r['payment_date']! > END)).toBe(false);
    const kept = include.filter((r) => r['decided_date']! <= END);
    expect(omit.length).toBe(kept.length);
    // The same rows, with the payment dates after the end date blank.
    expect(omit).toEqual(kept.map((r) => (r['payment_date']! > END ? { ...r, payment_date: '' } : r)));
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
      pending: 'omit',
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

describe('scenarios act on the decision timeline', () => {
  // One scenario per payer, so every line is in at most one target; `include` keeps every line
  // (a slowdown may move a decision past the end date) so base and planted lines pair up.
  const specs = [
    'denial_spike:payer=Humana,delta=0.4',
    'decision_drift:payer=Medicare,group=E&M Office Visit,days=8',
    'denial_dollars_spike:payer=UHC',
    'new_denial_reason:payer=Aetna,count=12',
    'payment_delay:payer=Cigna,days=12',
    'underpayment:payer=Medicaid,points=0.2',
  ];
  const generator = createSyntheticGenerator({ ...SMALL, seed: 41, scenarios: specs, pending: 'include' });
  const { historyStart, historyEnd } = generator.options;
  const [spike, drift, dollars, reason, delay, underpay] = generator.scenarios.map((scenario, index) => ({
    index,
    scenario,
    start: historyEnd - scenario.windowDays,
  }));
  type Line = ReturnType<typeof generator.dayLines>[number];
  const pairs: { base: Line; planted: Line }[] = [];
  for (let day = historyStart; day < historyEnd; day++) {
    const base = generator.dayLines(day, false);
    const planted = generator.dayLines(day);
    for (const [k, line] of base.entries()) pairs.push({ base: line, planted: planted[k]! });
  }
  const values = (l: Line) => ({ ...l, scenariosInTarget: [], scenariosChanged: [] });
  const officeVisit = (l: Line) => ['99213', '99214', '99215'].includes(l.cpt);
  /** The lines of a scenario's payer (and group) whose BASE decision is on/after its window start. */
  const target = (s: { index: number; scenario: { payer: string }; start: number }, l: Line) =>
    l.payer === s.scenario.payer && (s !== drift || officeVisit(l)) && l.decided >= s.start;
  const all = [spike, drift, dollars, reason, delay, underpay].map((s) => s!);
  const of = (s: (typeof all)[number]) => pairs.filter(({ base }) => target(s, base));

  it('marks exactly the lines of the target decided on/after the window start; every other line is the base line', () => {
    // Scenarios never add, drop or reorder lines (same claims, same draws).
    expect(pairs.every(({ base, planted }) => base.seq === planted.seq && base.cpt === planted.cpt)).toBe(
      true,
    );
    let untouched = 0;
    for (const { base, planted } of pairs) {
      const expected = all.filter((s) => target(s, base)).map((s) => s.index);
      expect(planted.scenariosInTarget).toEqual(expected);
      if (expected.length === 0) {
        expect(values(planted)).toEqual(values(base));
        expect(planted.scenariosChanged).toEqual([]);
        untouched++;
      }
    }
    expect(untouched).toBeGreaterThan(0.9 * pairs.length);
    // The windows are on the decision timeline: lines submitted before the window are in targets.
    for (const s of all) expect(of(s).some(({ base }) => base.submitted < s.start)).toBe(true);
  });

  it('denial_spike denies PAID lines decided in the window, on their decision date', () => {
    const lines = of(spike!);
    const turned = lines.filter(({ base, planted }) => planted.outcome !== base.outcome);
    for (const { base, planted } of turned) {
      expect([base.outcome, planted.outcome]).toEqual(['PAID', 'DENIED']);
      expect(planted).toMatchObject({ decided: base.decided, payment: null, paidCents: 0 });
      expect(planted.denialCode).toMatch(/^(CO|PR)-\d+$/);
      expect(planted.scenariosChanged).toEqual([spike!.index]);
    }
    const paid = lines.filter(({ base }) => base.outcome === 'PAID').length;
    // Humana: p = 0.16, PAID draws in [0.26, 1): 0.40 of them → 0.40 / 0.74 of the PAID lines.
    expect(turned.length / paid).toBeGreaterThan(0.4);
    expect(turned.length / paid).toBeLessThan(0.7);
    expect(lines.every(({ base, planted }) => planted.decided === base.decided)).toBe(true);
  });

  it('decision_drift moves every decision of the target from the window start on (a backlog)', () => {
    const lines = of(drift!);
    expect(lines.length).toBeGreaterThan(20);
    for (const { base, planted } of lines) {
      expect(planted.decided).toBe(base.decided + 8);
      expect(planted.payment).toBe(base.payment === null ? null : base.payment + 8);
      expect({ ...values(planted), decided: 0, payment: 0 }).toEqual({
        ...values(base),
        decided: 0,
        payment: 0,
      });
      expect(planted.scenariosChanged).toEqual([drift!.index]);
    }
    // No decision of the target in the 8 days after the window start; decisions before it stay.
    const decided = pairs
      .filter(({ base }) => base.payer === 'Medicare' && officeVisit(base))
      .map((p) => p.planted.decided);
    expect(decided.some((d) => d >= drift!.start && d < drift!.start + 8)).toBe(false);
    expect(decided.some((d) => d === drift!.start - 1)).toBe(true);
  });

  it('payment_delay moves decisions and payments of the payer by the same days', () => {
    const lines = of(delay!);
    expect(lines.length).toBeGreaterThan(20);
    for (const { base, planted } of lines) {
      expect(planted.decided - base.decided).toBe(12);
      if (base.payment !== null) expect(planted.payment! - base.payment).toBe(12);
    }
    // The default window is 14 + days: decisions resume as DelayGuard's 14-day current window begins.
    expect(delay!.scenario.windowDays).toBe(26);
    expect(Math.min(...lines.map((p) => p.planted.decided))).toBe(historyEnd - 14);
  });

  it('underpayment lowers paid/allowed on PAID lines decided in the window only', () => {
    for (const { base, planted } of of(underpay!)) {
      expect(planted.decided).toBe(base.decided);
      if (base.outcome !== 'PAID') {
        expect(values(planted)).toEqual(values(base));
        continue;
      }
      const ratio = (l: Line) => l.paidCents! / l.allowedCents;
      expect(ratio(base) - ratio(planted)).toBeCloseTo(0.2, 2);
      expect(planted.scenariosChanged).toEqual([underpay!.index]);
    }
  });

  it('new_denial_reason denies `count` PAID lines decided in the 7-day window, with the code', () => {
    const changed = pairs.filter(({ planted }) => planted.scenariosChanged.includes(reason!.index));
    expect(changed).toHaveLength(12);
    for (const { base, planted } of changed) {
      expect(base.payer).toBe('Aetna');
      expect(base.outcome).toBe('PAID');
      expect(base.decided).toBeGreaterThanOrEqual(historyEnd - 7);
      expect(base.decided).toBeLessThan(historyEnd);
      expect(planted).toMatchObject({
        outcome: 'DENIED',
        decided: base.decided,
        payment: null,
        denialCode: 'CO-252',
        denialText: 'Documentation required',
      });
    }
    expect(pairs.filter(({ planted }) => planted.denialCode === 'CO-252')).toHaveLength(12);
  });

  it('denial_dollars_spike: the payer’s denials in the window carry the code, more PAID lines are denied with it, ×3 dollars', () => {
    const lines = of(dollars!);
    const deniedBase = lines.filter(({ base }) => base.outcome === 'DENIED');
    const turned = lines.filter(
      ({ base, planted }) => base.outcome === 'PAID' && planted.outcome === 'DENIED',
    );
    for (const { base, planted } of [...deniedBase, ...turned]) {
      expect(planted).toMatchObject({
        outcome: 'DENIED',
        denialCode: 'CO-197',
        decided: base.decided,
        payment: null,
      });
      expect(planted.allowedCents).toBe(Math.round(base.allowedCents * 3));
    }
    const paid = lines.filter(({ base }) => base.outcome === 'PAID').length;
    expect(turned.length / paid).toBeGreaterThan(0.2);
    expect(turned.length / paid).toBeLessThan(0.4);
    // OTHER lines (decided late) are never turned into denials.
    for (const { base, planted } of lines.filter(({ base }) => base.outcome === 'OTHER')) {
      expect(values(planted)).toEqual(values(base));
    }
  });

  it('the manifest counts the lines each scenario changed', () => {
    const { manifest } = renderAll({ ...SMALL, seed: 41, scenarios: specs, pending: 'include' });
    for (const s of all) {
      const changed = pairs.filter(
        ({ base, planted }) =>
          JSON.stringify(values(base)) !== JSON.stringify(values(planted)) && target(s, base),
      );
      expect(manifest.scenarios[s.index]!.rows_changed).toBe(changed.length);
      expect(manifest.scenarios[s.index]!.rows_in_target).toBe(of(s).length);
      expect(manifest.scenarios[s.index]!.window).toEqual({
        start: isoDay(s.start),
        end: END,
        days: s.scenario.windowDays,
      });
    }
  });
});

describe('the demo files (§7.2 options: pending omit)', () => {
  const demo = renderAll(demoGeneratorInput(END));
  const records = [...demo.texts.values()]
    .flatMap(parseCsv)
    .filter((r) => parseDay(r['submitted_date']!) !== null && parseDay(r['decided_date']!) !== null);
  const canonical = (payer: string) =>
    PAYERS.find((p) => p.name === payer || p.spellings.some(([s]) => s === payer))?.name ?? payer;
  const officeVisit = (r: Record<string, string>) => ['99213', '99214', '99215'].includes(r['cpt']!);
  /** Rows of the payer DECIDED in [END − from, END − to) — the windows the detectors read. */
  const rows = (
    payer: string,
    from: number,
    to: number,
    pred: (r: Record<string, string>) => boolean = () => true,
  ) =>
    records.filter((r) => {
      const day = parseDay(r['decided_date']!)!;
      return canonical(r['payer']!) === payer && day >= END_DAY - from && day < END_DAY - to && pred(r);
    });
  const outcome = (r: Record<string, string>) => normalizeOutcome(r['outcome']!);
  const lag = (r: Record<string, string>, column: string) =>
    parseDay(r[column]!)! - parseDay(r['submitted_date']!)!;

  it('is an export at the end date: nothing decided or paid after it', () => {
    expect(demo.manifest.options.pending).toBe('omit');
    expect(records.some((r) => parseDay(r['decided_date']!)! > END_DAY)).toBe(false);
    expect(records.some((r) => r['payment_date'] !== '' && parseDay(r['payment_date']!)! > END_DAY)).toBe(
      false,
    );
  });

  it('denial_spike raises the BCBS × E&M Office Visit denial rate of the claims decided in its 14 days only', () => {
    const rate = (rs: Record<string, string>[]) => {
      const decided = rs.filter((r) => ['PAID', 'DENIED'].includes(outcome(r)));
      return decided.filter((r) => outcome(r) === 'DENIED').length / decided.length;
    };
    const baseline = rate(rows('Blue Cross Blue Shield', 104, 14, officeVisit));
    const current = rate(rows('Blue Cross Blue Shield', 14, 0, officeVisit));
    expect(current - baseline).toBeGreaterThan(0.1);
    expect(current - baseline).toBeLessThan(0.35);
    const labs = (r: Record<string, string>) => ['36415', '85025', '80053'].includes(r['cpt']!);
    expect(
      Math.abs(
        rate(rows('Blue Cross Blue Shield', 14, 0, labs)) -
          rate(rows('Blue Cross Blue Shield', 104, 14, labs)),
      ),
    ).toBeLessThan(0.12);
  });

  it('decision_drift: Medicare office visits decided in the last 14 days took about 8 days longer', () => {
    const before = median(rows('Medicare', 104, 22, officeVisit).map((r) => lag(r, 'decided_date')));
    const after = median(rows('Medicare', 14, 0, officeVisit).map((r) => lag(r, 'decided_date')));
    expect(after - before).toBeGreaterThanOrEqual(6);
    expect(after - before).toBeLessThanOrEqual(10);
    // The backlog: no Medicare office visit decided in the 8 days after the change.
    expect(rows('Medicare', 22, 14, officeVisit)).toHaveLength(0);
    expect(rows('Medicare', 14, 0, officeVisit).length).toBeGreaterThanOrEqual(30);
  });

  it('payment_delay: Cigna claims decided in the last 14 days were paid about 12 days later', () => {
    const paid = (r: Record<string, string>) =>
      r['payment_date'] !== '' && parseDay(r['payment_date']!) !== null;
    const before = median(rows('Cigna', 74, 26, paid).map((r) => lag(r, 'payment_date')));
    const after = median(rows('Cigna', 14, 7, paid).map((r) => lag(r, 'payment_date')));
    expect(after - before).toBeGreaterThanOrEqual(9);
    expect(after - before).toBeLessThanOrEqual(15);
    expect(rows('Cigna', 26, 14)).toHaveLength(0);
  });

  it('underpayment takes about 10 points off Aetna office-visit paid/allowed of the claims decided in the window', () => {
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

  it('new_denial_reason plants 15 Aetna CO-252 denials decided in the last 7 days and none before', () => {
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
    expect(rows('Aetna', 7, 0, co252).length).toBe(intact.length);
    expect(rows('Aetna', 395, 7, co252)).toHaveLength(0);
    expect(demo.manifest.scenarios.find((s) => s.name === 'new_denial_reason')!.rows_changed).toBe(15);
  });

  it('denial_dollars_spike: UnitedHealthcare CO-197 denials decided in the last 7 days — dollars ×2 or more, ≥ 30 denials with the 21 days before', () => {
    const co197 = (r: Record<string, string>) => r['denial_reason_code'] === 'CO-197';
    const dollars = (rs: Record<string, string>[]) =>
      rs.reduce((sum, r) => sum + (parseCents(r['allowed_amount']!) ?? 0), 0);
    const recent = rows('UnitedHealthcare', 7, 0, co197);
    const baseline = rows('UnitedHealthcare', 28, 7, co197);
    expect(dollars(recent) / 7 / (dollars(baseline) / 21) - 1).toBeGreaterThanOrEqual(1);
    // DenialScope's confidence (recent + baseline)/40 must reach 0.75 for Critical (issue 9).
    expect(recent.length + baseline.length).toBeGreaterThanOrEqual(30);
  });

  it('never changes rows outside a scenario’s window and target (judged on the base decision date)', () => {
    const input = { ...SMALL, seed: 31, pending: 'include' as const };
    const base = renderAll(input);
    const withScenario = renderAll({
      ...input,
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
      const window = r['payer'] === 'Humana' ? 14 : 34;
      expect(parseDay(a[i]!['decided_date']!)!).toBeGreaterThanOrEqual(END_DAY - window);
    });
    expect(changed).toBe(withScenario.manifest.scenarios.reduce((n, s) => n + s.rows_changed, 0));
    expect(changed).toBeGreaterThan(5);
  });
});
