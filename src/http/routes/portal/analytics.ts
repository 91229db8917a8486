import type { FastifyInstance, FastifyRequest } from 'fastify';
import { denialReasonRows, findingEvidence, latestRunEvidence } from '../../../commands/finding-evidence.ts';
import { requestAnalysesForCustomer } from '../../../commands/request-analysis.ts';
import { AppError } from '../../../config/errors.ts';
import { findLatestRun, listRuns } from '../../../db/repositories/analysis-runs.repository.ts';
import { findingCountsByRun, queryFindings } from '../../../db/repositories/finding-feed.repository.ts';
import {
  type FindingRecord,
  listFindingPayers,
  listLatestRunFindings,
} from '../../../db/repositories/findings.repository.ts';
import { latestDecisionDay } from '../../../db/repositories/rollups.repository.ts';
import type { AnalysisProduct } from '../../../db/schema.ts';
import { can } from '../../../domain/accounts/permissions.ts';
import { PRODUCT_LIST_ORDER, PRODUCTS } from '../../../domain/accounts/products.ts';
import {
  addDays,
  fixed,
  formatMoney,
  formatTimestampCard,
  formatTimestampTable,
  parseCents,
  SIGNAL_LABEL,
  severityLabelTitle,
} from '../../../domain/analytics/index.ts';
import { recordAudit } from '../../../obs/audit.ts';
import {
  analysisCoverage,
  cut,
  emergingRows,
  findingRow,
  formatUnitDelta,
  formatUnitValue,
  runWindowText,
} from '../../../presenters/analytics.ts';
import type { Services } from '../../../services.ts';
import { requirePermission, requireProduct, requireView, sendNotFoundPage } from '../../guards.ts';
import { renderPage } from '../../page.ts';
import { delayGuardChart, denialScopeData, driftWatchCharts, reasonBarChart } from './analytics-data.ts';

/** Product dashboards, finding detail, drift feed and reports (analytics §13, web-api-ops §1.3). */

function query(request: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((request.query ?? {}) as Record<string, unknown>)) {
    const s = Array.isArray(v) ? v[0] : v;
    if (typeof s === 'string' && s.trim() !== '') out[k] = s.trim();
  }
  return out;
}

function customerIdOf(request: FastifyRequest): number {
  const customer = request.auth.customer;
  if (!customer) throw new AppError('no_customer', 'No customer.', 403);
  return customer.id;
}

function todayOf(services: Services): string {
  return services.clock.now().toISOString().slice(0, 10);
}

function canRun(request: FastifyRequest): boolean {
  return can(request.auth.actor, 'run_analysis');
}

export const SIGNAL_TYPES: Readonly<Record<AnalysisProduct, readonly string[]>> = {
  driftwatch: ['DENIAL_RATE', 'DECISION_TIME', 'PAYMENT_AMOUNT'],
  denialscope: ['new_denial_reason', 'denial_rate_spike', 'denial_dollars_spike', 'denial_volume_spike'],
  delayguard: ['payment_delay_drift'],
};

interface PayerFreq {
  payer: string;
  findings: number;
  degrading: number;
  avgSeverity: string;
  maxSeverity: string;
  latestAsOf: string;
  avgDelta: string;
  maxDelta: string;
  atRisk: string;
}

function payerFrequency(findings: readonly FindingRecord[]): PayerFreq[] {
  const by = new Map<string, FindingRecord[]>();
  for (const f of findings) by.set(f.payer, [...(by.get(f.payer) ?? []), f]);
  return [...by.entries()]
    .map(([payer, fs]) => {
      const cents = fs.reduce((s, f) => s + (f.estimated_impact ? parseCents(f.estimated_impact) : 0n), 0n);
      return {
        payer,
        findings: fs.length,
        degrading: fs.filter((f) => f.direction === 'degrading').length,
        avgSeverity: fixed(fs.reduce((s, f) => s + f.severity, 0) / fs.length, 2),
        maxSeverity: fixed(Math.max(...fs.map((f) => f.severity)), 2),
        latestAsOf:
          fs
            .map((f) => f.as_of)
            .sort()
            .at(-1) ?? '-',
        avgDelta: fixed(fs.reduce((s, f) => s + f.delta_value, 0) / fs.length, 1),
        maxDelta: fixed(Math.max(...fs.map((f) => f.delta_value)), 1),
        atRisk: formatMoney(cents),
      };
    })
    .sort((a, b) => b.findings - a.findings || (a.payer < b.payer ? -1 : 1))
    .slice(0, 5);
}

function byLabelText(findings: readonly FindingRecord[]): string {
  const parts: string[] = [];
  for (const label of ['critical', 'high', 'medium', 'low'] as const) {
    const n = findings.filter((f) => f.severity_label === label).length;
    if (n > 0) parts.push(`${n} ${label}`);
  }
  return parts.length ? parts.join(' · ') : 'No findings';
}

/** Delay urgency of §13.5. */
function delayUrgency(f: FindingRecord): { level: number; label: string } {
  const d = f.delta_value;
  if (f.severity_label === 'critical' || d >= 15) return { level: 5, label: 'URGENT' };
  if (f.severity_label === 'high' || d >= 10) return { level: 4, label: 'HIGH' };
  if (f.severity_label === 'medium' || d >= 5) return { level: 3, label: 'MEDIUM' };
  if (d >= 3) return { level: 2, label: 'LOW' };
  return { level: 1, label: 'INFO' };
}

/** Live Axis tile data of one product (latest run, findings by label, worst payer). */
export async function axisTile(services: Services, customerId: number, product: AnalysisProduct) {
  const { db } = services.database;
  const run = await findLatestRun(db, customerId, product);
  const latest = await listLatestRunFindings(db, customerId, product);
  const worst = latest.findings[0];
  return {
    ...PRODUCTS[product],
    asOf: run?.as_of ?? null,
    status: run?.status ?? null,
    lastRun: run?.finished_at ? formatTimestampCard(run.finished_at) : null,
    openFindings: latest.findings.length,
    byLabel: byLabelText(latest.findings),
    worstPayer: worst ? `${worst.payer} (${severityLabelTitle(worst.severity_label)})` : null,
  };
}

export function registerAnalyticsPortalRoutes(app: FastifyInstance, services: Services): void {
  const { db } = services.database;

  // ---- DriftWatch (§13.3) ----
  app.get(
    '/portal/products/driftwatch/',
    { preHandler: [requireView, requireProduct('driftwatch')] },
    async (request, reply) => {
      const customerId = customerIdOf(request);
      const q = query(request);
      const run = await findLatestRun(db, customerId, 'driftwatch');
      const latest = await listLatestRunFindings(db, customerId, 'driftwatch');
      const signalFilter =
        q['signal'] && SIGNAL_TYPES.driftwatch.includes(q['signal']) ? q['signal'] : undefined;
      const recent = (
        await queryFindings(
          db,
          customerId,
          { products: ['driftwatch'], ...(signalFilter && { signalType: signalFilter }) },
          { limit: 50, offset: 0 },
        )
      ).rows;
      const since = addDays(todayOf(services), -90);
      const last90 = (
        await queryFindings(db, customerId, { products: ['driftwatch'] }, { limit: 10_000, offset: 0 })
      ).rows.filter((f) => f.as_of >= since);
      const degrading = latest.findings.filter((f) => f.direction === 'degrading');
      const impact = degrading.reduce((s, f) => {
        const c = f.estimated_impact ? parseCents(f.estimated_impact) : 0n;
        return c > 0n ? s + c : s;
      }, 0n);
      const summary = (run?.summary_json ?? {}) as Record<string, unknown>;
      const params = (run?.parameters ?? {}) as Record<string, unknown>;
      const sensitivity = params['sensitivity'] === 'reference' ? 'Reference' : 'Strict';
      const period =
        run && typeof summary['baseline_start'] === 'string'
          ? `Decisions: baseline ${summary['baseline_start']} – ${addDays(String(summary['baseline_end']), -1)} · current ${summary['current_start']} – ${addDays(String(summary['current_end']), -1)} · Sensitivity: ${sensitivity}`
          : null;
      const today = todayOf(services);
      const coverage = analysisCoverage(run, today, await latestDecisionDay(db, customerId, today));
      const charts = run
        ? await driftWatchCharts(db, customerId, { as_of: run.as_of, summary_json: summary }, recent, {
            ...(q['payer'] && { payer: q['payer'] }),
            ...(q['cpt_group'] && { group: q['cpt_group'] }),
          })
        : null;
      const evidence = await latestRunEvidence(db, customerId, 'driftwatch', {
        portalUrl: '/portal/products/driftwatch/',
      });
      return renderPage(
        request,
        reply,
        'driftwatch',
        {
          run,
          period,
          coverage,
          emerging: emergingRows(summary),
          cards: {
            active: latest.findings.length,
            degrading: degrading.length,
            improving: latest.findings.length - degrading.length,
            impact: formatMoney(impact),
            heldBack: typeof summary['held_back'] === 'number' ? summary['held_back'] : 0,
            showHeldBack: sensitivity === 'Strict',
          },
          charts,
          evidence,
          evidenceRows: evidence.evidence_rows.map((r) => {
            const unit = r['unit'] as FindingRecord['unit'];
            return {
              payer: String(r['payer'] ?? ''),
              group: String(r['cpt_group'] ?? ''),
              signal: SIGNAL_LABEL[r['signal_type'] as keyof typeof SIGNAL_LABEL] ?? String(r['signal_type']),
              baseline: formatUnitValue(unit, Number(r['baseline_value'])),
              current: formatUnitValue(unit, Number(r['current_value'])),
              change: formatUnitDelta(unit, Number(r['delta_value'])),
              severity: severityLabelTitle(r['severity_label'] as 'low'),
            };
          }),
          topPayers: payerFrequency(last90),
          recent: recent.map((f) => ({ ...findingRow(f), plainShort: cut(findingRow(f).plain, 80) })),
          signals: SIGNAL_TYPES.driftwatch.map((s) => ({
            value: s,
            label: SIGNAL_LABEL[s as keyof typeof SIGNAL_LABEL],
            selected: s === signalFilter,
          })),
          canRun: canRun(request),
        },
        { title: 'DriftWatch', section: 'driftwatch' },
      );
    },
  );

  // ---- DenialScope (§13.4) ----
  app.get(
    '/portal/products/denialscope/',
    { preHandler: [requireView, requireProduct('denialscope')] },
    async (request, reply) => {
      const customerId = customerIdOf(request);
      const q = query(request);
      const run = await findLatestRun(db, customerId, 'denialscope');
      const latest = await listLatestRunFindings(db, customerId, 'denialscope');
      const asOf = run?.as_of ?? todayOf(services);
      const data = await denialScopeData(db, customerId, asOf, q['payer'] ? { payer: q['payer'] } : {});
      const reasons = await denialReasonRows(db, customerId, asOf);
      const recent = (
        await queryFindings(db, customerId, { products: ['denialscope'] }, { limit: 10, offset: 0 })
      ).rows;
      const today = todayOf(services);
      const coverage = analysisCoverage(run, today, await latestDecisionDay(db, customerId, today));
      return renderPage(
        request,
        reply,
        'denialscope',
        {
          periodText: `${addDays(asOf, -30)} – ${addDays(asOf, -1)}`,
          lastComputed: run?.finished_at ? formatTimestampCard(run.finished_at) : 'Never',
          coverage,
          emerging: emergingRows(run?.summary_json as Record<string, unknown> | undefined),
          cards: data.cards,
          activeSignals: byLabelText(latest.findings),
          payers: data.payers,
          payer: data.payer,
          daily: data.daily,
          reasonChart: reasonBarChart(reasons),
          reasons: reasons.map((r) => ({
            ...r,
            dollars: formatMoney(r.denied_dollars),
            share: `${fixed(r.share_percent, 1)}%`,
          })),
          recent: recent.map((f) => {
            const row = findingRow(f);
            return { ...row, plainShort: cut(row.plain, 120) };
          }),
          canRun: canRun(request),
        },
        { title: 'DenialScope', section: 'denialscope' },
      );
    },
  );

  // ---- DelayGuard (§13.5) ----
  app.get(
    '/portal/products/delayguard/',
    { preHandler: [requireView, requireProduct('delayguard')] },
    async (request, reply) => {
      const customerId = customerIdOf(request);
      const q = query(request);
      const run = await findLatestRun(db, customerId, 'delayguard');
      const latest = await listLatestRunFindings(db, customerId, 'delayguard');
      const all = (
        await queryFindings(db, customerId, { products: ['delayguard'] }, { limit: 10_000, offset: 0 })
      ).rows;
      const since = addDays(todayOf(services), -90);
      const active = latest.findings;
      const meanDelta = active.length ? active.reduce((s, f) => s + f.delta_value, 0) / active.length : 0;
      const atRisk = active.reduce(
        (s, f) => s + (f.estimated_impact ? parseCents(f.estimated_impact) : 0n),
        0n,
      );
      const chart = run
        ? await delayGuardChart(db, customerId, run.as_of, all, q['payer'] ? { payer: q['payer'] } : {})
        : null;
      const summary = (run?.summary_json ?? {}) as Record<string, unknown>;
      const today = todayOf(services);
      const coverage = analysisCoverage(run, today, await latestDecisionDay(db, customerId, today));
      const warnings = Array.isArray(summary['data_quality_warnings'])
        ? (summary['data_quality_warnings'] as Array<Record<string, unknown>>).map(
            (w) => `${String(w['payer'] ?? '')}: ${String(w['message'] ?? '')}`,
          )
        : [];
      return renderPage(
        request,
        reply,
        'delayguard',
        {
          run,
          coverage,
          emerging: emergingRows(summary),
          cards: {
            active: active.length,
            critical: active.filter((f) => f.severity_label === 'critical').length,
            high: active.filter((f) => f.severity_label === 'high').length,
            meanDelta: `${meanDelta >= 0 ? '+' : ''}${fixed(meanDelta, 1)} days`,
            atRisk: formatMoney(atRisk),
          },
          chart,
          topPayers: payerFrequency(all.filter((f) => f.as_of >= since)),
          recent: all.slice(0, 50).map((f) => ({ ...findingRow(f), delayUrgency: delayUrgency(f) })),
          warnings,
          canRun: canRun(request),
        },
        { title: 'DelayGuard', section: 'delayguard' },
      );
    },
  );

  // ---- Finding detail (evidence, statistics, interpretation) ----
  app.get('/portal/findings/:id/', { preHandler: requireView }, async (request, reply) => {
    const customerId = customerIdOf(request);
    const raw = (request.params as { id: string }).id;
    const id = /^\d{1,15}$/.test(raw) ? Number(raw) : Number.NaN;
    if (!Number.isSafeInteger(id)) return sendNotFoundPage(request, reply);
    const result = await findingEvidence(db, customerId, id, { portalUrl: `/portal/findings/${id}/` });
    if (!result) return sendNotFoundPage(request, reply);
    const { finding, evidence, interpretation } = result;
    const row = findingRow(finding);
    const columns = evidence.evidence_rows[0] ? Object.keys(evidence.evidence_rows[0]) : [];
    return renderPage(
      request,
      reply,
      'finding_detail',
      {
        f: row,
        finding,
        evidence,
        interpretation,
        windowText: `Decisions: baseline ${finding.baseline_start} – ${addDays(finding.baseline_end, -1)} · current ${finding.current_start} – ${addDays(finding.current_end, -1)}`,
        columns,
        rows: evidence.evidence_rows.map((r) =>
          columns.map((c) => {
            const v = r[c];
            if (v === null || v === undefined) return '-';
            if (typeof v === 'number') return Number.isInteger(v) ? String(v) : fixed(v, 4);
            return String(v);
          }),
        ),
        productEnabled: request.auth.products.includes(finding.product),
      },
      { title: `Finding #${finding.id}`, section: finding.product },
    );
  });

  // ---- Drift feed (§13.6) ----
  app.get('/portal/drift-feed/', { preHandler: requireView }, async (request, reply) => {
    const customerId = customerIdOf(request);
    const q = query(request);
    const enabled = PRODUCT_LIST_ORDER.filter((p) => request.auth.products.includes(p));
    // Type: a product, or "product:SIGNAL_TYPE" (§13.6).
    const [typeProduct, typeSignal] = (q['product'] ?? '').split(':');
    const product =
      typeProduct && (enabled as string[]).includes(typeProduct)
        ? (typeProduct as AnalysisProduct)
        : undefined;
    const signal =
      product && typeSignal && SIGNAL_TYPES[product].includes(typeSignal) ? typeSignal : undefined;
    const typeValue = product ? (signal ? `${product}:${signal}` : product) : undefined;
    const severity =
      q['severity'] && ['critical', 'high', 'medium', 'low'].includes(q['severity'])
        ? q['severity']
        : undefined;
    const direction =
      q['direction'] && ['degrading', 'improving'].includes(q['direction']) ? q['direction'] : undefined;
    const payers = await listFindingPayers(db, customerId);
    const payer = q['payer'] && payers.includes(q['payer']) ? q['payer'] : undefined;
    const pageText = q['page'] ?? '1';
    const page = /^\d{1,6}$/.test(pageText) && Number(pageText) >= 1 ? Number(pageText) : 1;
    const { count, rows } = await queryFindings(
      db,
      customerId,
      {
        products: product ? [product] : enabled,
        ...(signal && { signalType: signal }),
        ...(payer && { payer }),
        ...(severity && { severityLabel: severity }),
        ...(direction && { direction }),
      },
      { limit: 50, offset: (page - 1) * 50 },
    );
    const pages = Math.max(1, Math.ceil(count / 50));
    const link = (p: number) => {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries({ product: typeValue, payer, severity, direction }))
        if (v) params.set(k, v);
      if (p > 1) params.set('page', String(p));
      const s = params.toString();
      return `/portal/drift-feed/${s ? `?${s}` : ''}`;
    };
    return renderPage(
      request,
      reply,
      'drift_feed',
      {
        rows: rows.map(findingRow),
        count,
        types: enabled.flatMap((p) => [
          { value: p, label: PRODUCTS[p].label, selected: p === typeValue },
          ...SIGNAL_TYPES[p].map((st) => ({
            value: `${p}:${st}`,
            label: `${PRODUCTS[p].label} › ${SIGNAL_LABEL[st as keyof typeof SIGNAL_LABEL]}`,
            selected: `${p}:${st}` === typeValue,
          })),
        ]),
        payers: payers.map((p) => ({ value: p, selected: p === payer })),
        severities: ['critical', 'high', 'medium', 'low'].map((s) => ({
          value: s,
          label: severityLabelTitle(s as 'low'),
          selected: s === severity,
        })),
        directions: ['degrading', 'improving'].map((d) => ({ value: d, selected: d === direction })),
        prev: page > 1 ? link(page - 1) : null,
        next: page < pages ? link(page + 1) : null,
        page,
        pages,
      },
      { title: 'Drift Feed', section: null },
    );
  });

  // ---- Reports (§1.6) ----
  app.get('/portal/reports/', { preHandler: requireView }, async (request, reply) => {
    const customerId = customerIdOf(request);
    const runs = await listRuns(db, customerId, { includeBacktests: true, limit: 100 });
    const counts = await findingCountsByRun(
      db,
      runs.map((r) => r.id),
    );
    return renderPage(
      request,
      reply,
      'reports',
      {
        runs: runs.map((r) => ({
          id: r.id,
          status: r.status,
          statusClass: r.status === 'success' ? 'ok' : r.status === 'failed' ? 'bad' : 'pending',
          product: PRODUCTS[r.product].label,
          type: r.run_type,
          asOf: r.as_of,
          started: r.started_at ? formatTimestampTable(r.started_at) : '-',
          finished: r.finished_at ? formatTimestampTable(r.finished_at) : '-',
          events: counts.get(r.id) ?? 0,
          window: runWindowText(r),
          error: r.error_message,
        })),
        canRun: canRun(request),
        pending: runs.some((r) => r.status === 'queued' || r.status === 'running'),
      },
      { title: 'Reports', section: 'reports' },
    );
  });

  app.post(
    '/portal/reports/run/',
    { preHandler: requirePermission('run_analysis') },
    async (request, reply) => {
      const customerId = customerIdOf(request);
      const results = await requestAnalysesForCustomer(
        { db, queue: services.queue },
        {
          customerId,
          runType: 'manual',
          today: todayOf(services),
          requestedBy: request.auth.user?.id ?? null,
          requestId: request.id,
        },
      );
      const started = results.filter((r) => r.outcome === 'enqueued');
      if (results.length === 0) {
        request.flash('warning', 'No products are enabled for this customer.');
      } else if (started.length === 0) {
        request.flash('info', 'Analysis is already running.');
      } else {
        const names = started.map((r) => PRODUCTS[r.product].label);
        request.flash(
          'success',
          `Analysis started for ${names.join(', ')}. This page updates when it finishes.`,
        );
      }
      await recordAudit(db, {
        action: 'analysis_triggered',
        userId: request.auth.user?.id ?? null,
        customerId,
        entityType: 'analysis_run',
        entityId: started[0]?.run.id ?? results[0]?.run.id ?? null,
        requestId: request.id,
        ip: request.ip,
        metadata: {
          products: results.map((r) => r.product),
          runs: results.map((r) => r.run.id),
          outcomes: results.map((r) => r.outcome),
          source: 'portal',
        },
      });
      return reply.redirect('/portal/reports/', 302);
    },
  );
}
