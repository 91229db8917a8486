import { describe, expect, it } from 'vitest';
import { findingRecord } from '../../test/analytics-records.ts';
import { addDays } from '../domain/analytics/index.ts';
import { type ClaimLine, rollupsFromClaims } from '../domain/analytics/rollup-fixtures.ts';
import { DENIAL_TREND_WEEKS, type DenialDay } from '../queries/alert-deep-dive.ts';
import { DELAY_CHART_WEEKS } from '../queries/delayguard-dashboard.ts';
import { alertTrendChart, denialTrendChart } from './alert-trend.ts';

/** The deep dive's trend chart by product (alerts-reports §12 section 5). */

const AS_OF = '2026-11-30';
const FIRST = addDays(AS_OF, -7 * DENIAL_TREND_WEEKS);

function denied(day: string, allowed: string | null): ClaimLine {
  return {
    payer: 'Aetna',
    submitted_date: addDays(day, -5),
    decided_date: day,
    outcome: 'DENIED',
    denial_reason_code: 'CO-97',
    allowed_amount: allowed,
  };
}

/** The deep-dive read's days of claim lines (one payer and reason), via the rollup reference. */
function denialDays(claims: readonly ClaimLine[]): DenialDay[] {
  return rollupsFromClaims(claims)
    .filter((r) => r.outcome === 'DENIED')
    .map((r) => ({
      day: r.day,
      claimCount: r.claim_count,
      allowedSum: r.allowed_sum,
      allowedCount: r.allowed_count,
    }));
}

const denialFinding = findingRecord({
  product: 'denialscope',
  signal_type: 'denial_dollars_spike',
  payer: 'Aetna',
  cpt_group: null,
  denial_reason: 'CO-97',
  as_of: AS_OF,
  baseline_start: addDays(AS_OF, -28),
  baseline_end: addDays(AS_OF, -7),
  current_start: addDays(AS_OF, -7),
  current_end: AS_OF,
  severity_label: 'critical',
});

describe('denialTrendChart', () => {
  // Baseline: one $100.00 denial a week for 3 weeks; current window: three of $100.00, $50.25.
  const days = denialDays([
    denied(addDays(AS_OF, -25), '100.00'),
    denied(addDays(AS_OF, -18), '100.00'),
    denied(addDays(AS_OF, -11), '100.00'),
    denied(addDays(AS_OF, -3), '100.00'),
    denied(addDays(AS_OF, -2), '100.00'),
    denied(addDays(AS_OF, -1), '50.25'),
  ]);

  it('sums 12 seven-day periods ending with the finding window, the last one marked', () => {
    const chart = denialTrendChart({ first: FIRST, days }, denialFinding);
    expect(chart.columns).toEqual(['Week', 'Denied claims', 'Denied dollars']);
    expect(chart.rows).toHaveLength(DENIAL_TREND_WEEKS);
    expect(chart.rows.at(-1)).toEqual(['2026-11-23 – 2026-11-29', '3', '$250.25']);
    expect(chart.rows.at(-2)).toEqual(['2026-11-16 – 2026-11-22', '1', '$100.00']);
    expect(chart.rows[0]).toEqual(['2026-09-07 – 2026-09-13', '0', '$0.00']);
    expect(chart.svg).toContain('Weekly denied dollars — Aetna · CO-97');
    // Baseline weekly mean: $300.00 over 21 days × 7 = $100.
    expect(chart.svg).toContain('<title>Baseline $100</title>');
    expect(chart.svg).toContain('Aetna · CO-97: $100.00 → $250.25 a week · Critical');
    expect(chart.svg.match(/class="chart-marker"/g)).toHaveLength(1);
  });

  it('falls back to denied claims when no denial has an allowed amount', () => {
    const counts = denialDays([denied(addDays(AS_OF, -3), null), denied(addDays(AS_OF, -2), null)]);
    const chart = denialTrendChart({ first: FIRST, days: counts }, denialFinding);
    expect(chart.svg).toContain('Weekly denied claims — Aetna · CO-97');
    expect(chart.rows.at(-1)).toEqual(['2026-11-23 – 2026-11-29', '2', '$0.00']);
  });
});

describe('alertTrendChart', () => {
  it('is null without a live finding, or for a DenialScope payer and reason without denials', () => {
    expect(alertTrendChart(null, denialFinding)).toBeNull();
    expect(
      alertTrendChart({ product: 'denialscope', data: { first: FIRST, days: [] } }, denialFinding),
    ).toBeNull();
    const days = denialDays([denied(addDays(AS_OF, -3), '100.00')]);
    expect(alertTrendChart({ product: 'denialscope', data: { first: FIRST, days } }, null)).toBeNull();
    expect(
      alertTrendChart({ product: 'denialscope', data: { first: FIRST, days } }, denialFinding)?.svg,
    ).toContain('chart-alert-denials');
  });

  const paid = (payer: string, submitted: string, days: number): ClaimLine => ({
    payer,
    submitted_date: submitted,
    decided_date: addDays(submitted, days),
    payment_date: addDays(submitted, days),
    outcome: 'PAID',
  });
  const settled = rollupsFromClaims(
    [paid('Cigna', addDays(AS_OF, -20), 10), paid('Cigna', addDays(AS_OF, -40), 30)],
    'settled',
  );
  const delay = {
    product: 'delayguard' as const,
    data: { asOf: AS_OF, first: addDays('2026-11-23', -7 * (DELAY_CHART_WEEKS - 1)), rows: settled },
  };

  it('draws the DelayGuard chart of the finding’s payer', () => {
    const finding = findingRecord({
      product: 'delayguard',
      signal_type: 'payment_delay_drift',
      payer: 'Cigna',
      cpt_group: null,
      unit: 'days',
    });
    expect(alertTrendChart(delay, finding)?.svg).toContain('Weekly average days to payment — Cigna');
  });

  it('never stands another payer’s chart in for the finding’s (the dashboard falls back to the busiest)', () => {
    const finding = findingRecord({ product: 'delayguard', payer: 'Aetna', cpt_group: null, unit: 'days' });
    expect(alertTrendChart(delay, finding)).toBeNull();
    const drift = {
      product: 'driftwatch' as const,
      data: {
        first: FIRST,
        payers: ['Cigna'],
        groups: [],
        payer: 'Cigna',
        group: '',
        weeks: [],
        baseline: null,
      },
    };
    expect(alertTrendChart(drift, findingRecord({ payer: 'Aetna', cpt_group: null }))).toBeNull();
    expect(alertTrendChart(drift, findingRecord({ payer: 'Cigna', cpt_group: 'E&M' }))).toBeNull();
    expect(alertTrendChart(drift, findingRecord({ payer: 'Cigna', cpt_group: null }))?.svg).toContain(
      'Cigna',
    );
  });
});
