import { describe, expect, it } from 'vitest';
import { analysisRun, findingRecord } from '../../test/analytics-records.ts';
import { addDays, type EvidencePayload } from '../domain/analytics/index.ts';
import { type ClaimLine, rollupsFromClaims } from '../domain/analytics/rollup-fixtures.ts';
import { DELAY_CHART_WEEKS } from '../queries/delayguard-dashboard.ts';
import { DRIFT_CHART_WEEKS } from '../queries/driftwatch-dashboard.ts';
import { delayGuardChart, delayUrgency, presentDelayGuardDashboard } from './delayguard-dashboard.ts';
import { denialScopeCharts, presentDenialScopeDashboard, reasonBarChart } from './denialscope-dashboard.ts';
import { driftWatchCharts, presentDriftWatchDashboard } from './driftwatch-dashboard.ts';

/** The three product dashboards' presenters (analytics §13.3–§13.5), fed in-memory read models. */

const AS_OF = '2026-11-30';
const TODAY = '2026-12-07';

function denied(payer: string, day: string, reason: string, allowed: string | null): ClaimLine {
  return {
    payer,
    submitted_date: addDays(day, -10),
    decided_date: day,
    outcome: 'DENIED',
    denial_reason_code: reason,
    allowed_amount: allowed,
  };
}

describe('DenialScope dashboard', () => {
  const rows = rollupsFromClaims([
    denied('Aetna', addDays(AS_OF, -3), 'CO-97', '100.00'),
    denied('Aetna', addDays(AS_OF, -3), 'CO-97', '50.25'),
    denied('Aetna', addDays(AS_OF, -20), 'CO-16', '10.00'),
    denied('Cigna', addDays(AS_OF, -2), 'CO-16', null),
    {
      payer: 'Cigna',
      submitted_date: '2026-11-01',
      decided_date: '2026-11-20',
      outcome: 'PAID',
      allowed_amount: '999.00',
    },
  ]);

  it('cards count the denials of the 30 days, their dollars, the top payer and reason', () => {
    const charts = denialScopeCharts(rows, AS_OF, {});
    expect(charts.cards).toEqual({
      totalDenials: 4,
      deniedDollars: '$160.25',
      topPayer: { name: 'Aetna', count: 3 },
      topReason: { name: 'CO-16', count: 2 },
    });
    expect(charts.payers).toEqual(['Aetna', 'Cigna']);
  });

  it('charts the selected payer’s daily denied dollars, or claims when no denial has an allowed amount', () => {
    const aetna = denialScopeCharts(rows, AS_OF, { payer: 'Unknown' });
    expect(aetna.payer).toBe('Aetna'); // an unknown payer falls back to the busiest
    expect(aetna.daily?.columns).toEqual(['Day', 'Denied dollars']);
    expect(aetna.daily?.rows).toHaveLength(30);
    expect(aetna.daily?.rows.find(([day]) => day === addDays(AS_OF, -3))).toEqual([
      addDays(AS_OF, -3),
      '$150.25',
    ]);
    const cigna = denialScopeCharts(rows, AS_OF, { payer: 'Cigna' });
    expect(cigna.daily?.columns).toEqual(['Day', 'Denied claims']);
    expect(cigna.daily?.rows.find(([day]) => day === addDays(AS_OF, -2))).toEqual([addDays(AS_OF, -2), '1']);
    expect(denialScopeCharts([], AS_OF, {})).toMatchObject({ payer: null, daily: null, payers: [] });
  });

  it('reason chart: denied dollars by reason across payers, largest first; none without reasons', () => {
    const chart = reasonBarChart([
      { denial_reason: 'CO-16', denied_dollars: '10.00' },
      { denial_reason: 'CO-97', denied_dollars: '150.25' },
      { denial_reason: 'CO-16', denied_dollars: '5.00' },
    ]);
    expect(chart?.rows).toEqual([
      ['CO-97', '$150.25'],
      ['CO-16', '$15.00'],
    ]);
    expect(reasonBarChart([])).toBeNull();
  });

  it('an empty dashboard: never computed, no signals, no chart', () => {
    const page = presentDenialScopeDashboard(
      {
        run: undefined,
        asOf: AS_OF,
        latestFindings: [],
        rows: [],
        reasons: [],
        recent: [],
        latestDecision: null,
      },
      { today: TODAY, payer: undefined, canRun: false },
    );
    expect(page).toMatchObject({
      periodText: '2026-10-31 – 2026-11-29',
      lastComputed: 'Never',
      coverage: null,
      activeSignals: 'No findings',
      daily: null,
      reasonChart: null,
      recent: [],
      canRun: false,
    });
  });
});

describe('DelayGuard dashboard', () => {
  it('urgency follows the severity label or the delay in days', () => {
    expect(delayUrgency({ delta_value: 1, severity_label: 'critical' })).toEqual({
      level: 5,
      label: 'URGENT',
    });
    expect(delayUrgency({ delta_value: 15, severity_label: 'low' })).toEqual({ level: 5, label: 'URGENT' });
    expect(delayUrgency({ delta_value: 10, severity_label: 'low' })).toEqual({ level: 4, label: 'HIGH' });
    expect(delayUrgency({ delta_value: 5, severity_label: 'low' })).toEqual({ level: 3, label: 'MEDIUM' });
    expect(delayUrgency({ delta_value: 3, severity_label: 'low' })).toEqual({ level: 2, label: 'LOW' });
    expect(delayUrgency({ delta_value: 2.9, severity_label: 'low' })).toEqual({ level: 1, label: 'INFO' });
  });

  it('charts the weekly mean days to payment of the busiest payer', () => {
    const first = addDays(AS_OF, -7 * (DELAY_CHART_WEEKS - 1));
    const paid = (payer: string, submitted: string, days: number): ClaimLine => ({
      payer,
      submitted_date: submitted,
      decided_date: addDays(submitted, days),
      payment_date: addDays(submitted, days),
      outcome: 'PAID',
    });
    const rows = rollupsFromClaims(
      [
        paid('Aetna', addDays(AS_OF, -20), 10),
        paid('Aetna', addDays(AS_OF, -20), 12),
        paid('Cigna', addDays(AS_OF, -40), 30),
      ],
      'settled',
    );
    const result = delayGuardChart({ asOf: AS_OF, first, rows }, [], {});
    expect(result.payers).toEqual(['Aetna', 'Cigna']);
    expect(result.payer).toBe('Aetna');
    expect(result.chart?.rows).toHaveLength(DELAY_CHART_WEEKS);
    // Both Aetna payments (Nov 20 and 22) fall in the ISO week of Nov 16: mean 11.0 days.
    expect(result.chart?.rows.filter(([, mean]) => mean !== '-').map(([, mean]) => mean)).toEqual(['11.0']);
    expect(delayGuardChart({ asOf: AS_OF, first, rows: [] }, [], {})).toEqual({
      payers: [],
      payer: null,
      chart: null,
    });
  });

  it('cards: active findings, critical and high counts, mean delay and dollars at risk', () => {
    const latest = [
      findingRecord({
        product: 'delayguard',
        unit: 'days',
        delta_value: 6,
        severity_label: 'critical',
        estimated_impact: '200.00',
      }),
      findingRecord({
        product: 'delayguard',
        unit: 'days',
        delta_value: 3,
        severity_label: 'high',
        estimated_impact: null,
      }),
    ];
    const page = presentDelayGuardDashboard(
      {
        run: analysisRun({
          product: 'delayguard',
          summary_json: { data_quality_warnings: [{ payer: 'FastPay', message: 'few payment dates' }] },
        }),
        latestFindings: latest,
        history: latest,
        latestDecision: '2026-11-29',
        chart: null,
      },
      { today: TODAY, payer: undefined, canRun: true },
    );
    expect(page.cards).toEqual({
      active: 2,
      critical: 1,
      high: 1,
      meanDelta: '+4.5 days',
      atRisk: '$200.00',
    });
    expect(page.warnings).toEqual(['FastPay: few payment dates']);
    expect(page.recent.map((r) => r.delayUrgency.label)).toEqual(['URGENT', 'HIGH']);
    expect(page.chart).toBeNull();
  });
});

describe('DriftWatch dashboard', () => {
  it('no payer with decisions, no charts', () => {
    const charts = driftWatchCharts(
      { first: '2026-08-17', payers: [], groups: [], payer: null, group: '', weeks: [], baseline: null },
      [],
    );
    expect(charts).toEqual({ payers: [], groups: [], payer: null, group: '', rate: null, decision: null });
  });

  it('weekly denial rate and decided claims of the selection, weeks without decisions shown as "-"', () => {
    const first = addDays(AS_OF, -7 * (DRIFT_CHART_WEEKS - 1));
    const charts = driftWatchCharts(
      {
        first,
        payers: ['Aetna'],
        groups: ['E&M'],
        payer: 'Aetna',
        group: 'E&M',
        weeks: [{ week: DRIFT_CHART_WEEKS - 1, denied: 1, paid: 3, decisionDaysHist: { '10': 4 } }],
        baseline: { denied: 1, paid: 9 },
      },
      [findingRecord({ payer: 'Aetna', cpt_group: 'E&M', current_end: addDays(AS_OF, 7) })],
    );
    expect(charts.rate?.rows).toHaveLength(DRIFT_CHART_WEEKS);
    expect(charts.rate?.rows[0]).toEqual([first, '-', '0']);
    expect(charts.rate?.rows.at(-1)).toEqual([AS_OF, '25.0%', '4']);
    expect(charts.decision?.rows.at(-1)).toEqual([AS_OF, '10.0']);
    expect(charts.rate?.svg).toContain('Aetna (E&amp;M)');
  });

  it('cards count the latest run’s findings; impact sums degrading gains only', () => {
    const latest = [
      findingRecord({ direction: 'degrading', estimated_impact: '1000.00' }),
      findingRecord({ direction: 'degrading', estimated_impact: '-50.00' }),
      findingRecord({ direction: 'improving', estimated_impact: '400.00' }),
    ];
    const page = presentDriftWatchDashboard(
      {
        run: analysisRun({ parameters: { sensitivity: 'strict' }, summary_json: { held_back: 2 } }),
        latestFindings: latest,
        recent: latest,
        history: latest,
        latestDecision: '2026-11-29',
        charts: null,
        // Passed through to the page as is; only its rows are read.
        evidence: { evidence_rows: [] } as unknown as EvidencePayload,
      },
      { today: TODAY, signal: 'DECISION_TIME', canRun: false },
    );
    expect(page.cards).toEqual({
      active: 3,
      degrading: 2,
      improving: 1,
      impact: '$1,000.00',
      heldBack: 2,
      showHeldBack: true,
    });
    expect(page.signals.filter((s) => s.selected).map((s) => s.value)).toEqual(['DECISION_TIME']);
    expect(page.recent).toHaveLength(3);
    expect(page.charts).toBeNull();
  });
});
