import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BacktestRangeError, requestBacktest } from '../../../commands/backtest-drift-watch.ts';
import { AppError } from '../../../config/errors.ts';
import { findRun } from '../../../db/repositories/analysis-runs.repository.ts';
import { can } from '../../../domain/accounts/permissions.ts';
import {
  BACKTEST_MAX_WEEKS,
  type BacktestEpisode,
  type BacktestWeek,
  fixed,
  type Sensitivity,
  severityLabelTitle,
  signedFixed,
} from '../../../domain/analytics/index.ts';
import { recordAudit } from '../../../obs/audit.ts';
import type { Services } from '../../../services.ts';
import { barChartSvg } from '../../../web/charts.ts';
import { requirePermission, requireProduct, requireView, sendNotFoundPage } from '../../guards.ts';
import { renderPage } from '../../page.ts';
import { field } from './form.ts';

/**
 * DriftWatch backtest pages (analytics §10.3, web-api-ops §1.3): the form (view permission,
 * product enabled), POST (run_analysis) which records a backtest run and enqueues its job, and
 * the result page of one run with the episode table and a week-by-week bar chart.
 */

const FORM_URL = '/portal/products/driftwatch/backtest/';
const DATE = /^\d{4}-\d{2}-\d{2}$/;

export const BACKTEST_NOTE =
  'claims are replayed as stored today, including adjudications that arrived later than the replayed date.';

interface FormValues {
  from: string;
  to: string;
  sensitivity: string;
}

function customerIdOf(request: FastifyRequest): number {
  const customer = request.auth.customer;
  if (!customer) throw new AppError('no_customer', 'No customer.', 403);
  return customer.id;
}

/** Δ of an episode's first detection in the signal's display unit (as the CLI prints it). */
function deltaText(signal: string, delta: number): string {
  return signal === 'DECISION_TIME' ? `${signedFixed(delta, 1)} days` : `${signedFixed(delta * 100, 1)} pts`;
}

function renderForm(
  request: FastifyRequest,
  reply: FastifyReply,
  values: FormValues,
  error: string | null,
  status = 200,
): Promise<FastifyReply> {
  return renderPage(
    request,
    reply,
    'driftwatch_backtest',
    {
      values,
      error,
      maxWeeks: BACKTEST_MAX_WEEKS,
      canRun: can(request.auth.actor, 'run_analysis'),
      sensitivities: [
        { value: '', label: "Customer's setting", selected: values.sensitivity === '' },
        { value: 'strict', label: 'Strict', selected: values.sensitivity === 'strict' },
        { value: 'reference', label: 'Reference', selected: values.sensitivity === 'reference' },
      ],
      note: BACKTEST_NOTE,
    },
    { title: 'DriftWatch backtest', section: 'driftwatch', status },
  );
}

export function registerBacktestRoutes(app: FastifyInstance, services: Services): void {
  const { db } = services.database;

  app.get(FORM_URL, { preHandler: [requireView, requireProduct('driftwatch')] }, async (request, reply) =>
    renderForm(request, reply, { from: '', to: '', sensitivity: '' }, null),
  );

  app.post(
    FORM_URL,
    { preHandler: [requirePermission('run_analysis'), requireProduct('driftwatch')] },
    async (request, reply) => {
      const customerId = customerIdOf(request);
      const values: FormValues = {
        from: field(request, 'from').trim(),
        to: field(request, 'to').trim(),
        sensitivity: field(request, 'sensitivity').trim(),
      };
      if (!DATE.test(values.from) || !DATE.test(values.to)) {
        return renderForm(request, reply, values, 'From and to must be dates (YYYY-MM-DD).', 400);
      }
      if (
        values.sensitivity !== '' &&
        values.sensitivity !== 'strict' &&
        values.sensitivity !== 'reference'
      ) {
        return renderForm(request, reply, values, 'Sensitivity must be Strict or Reference.', 400);
      }
      try {
        const { run } = await requestBacktest(
          { db, queue: services.queue },
          {
            customerId,
            from: values.from,
            to: values.to,
            ...(values.sensitivity && { sensitivity: values.sensitivity as Sensitivity }),
            requestedBy: request.auth.user?.id ?? null,
            requestId: request.id,
            today: services.clock.now().toISOString().slice(0, 10),
          },
        );
        await recordAudit(db, {
          action: 'analysis_triggered',
          userId: request.auth.user?.id ?? null,
          customerId,
          entityType: 'analysis_run',
          entityId: run.id,
          requestId: request.id,
          ip: request.ip,
          metadata: { products: ['driftwatch'], runs: [run.id], run_type: 'backtest', source: 'portal' },
        });
        request.flash('success', 'Backtest started. This page shows the result when it finishes.');
        return reply.redirect(`${FORM_URL}${run.id}/`, 302);
      } catch (error) {
        if (error instanceof BacktestRangeError) {
          return renderForm(request, reply, values, error.message, 400);
        }
        if (error instanceof AppError && error.code === 'invalid_as_of') {
          return renderForm(request, reply, values, 'From and to must be real calendar dates.', 400);
        }
        throw error;
      }
    },
  );

  app.get(
    `${FORM_URL}:id/`,
    { preHandler: [requireView, requireProduct('driftwatch')] },
    async (request, reply) => {
      const customerId = customerIdOf(request);
      const raw = (request.params as { id: string }).id;
      const id = /^\d{1,15}$/.test(raw) ? Number(raw) : Number.NaN;
      if (!Number.isSafeInteger(id)) return sendNotFoundPage(request, reply);
      const run = await findRun(db, customerId, id);
      if (run?.run_type !== 'backtest') return sendNotFoundPage(request, reply);
      const params = (run.parameters ?? {}) as Record<string, unknown>;
      const summary = (run.summary_json ?? {}) as Record<string, unknown>;
      const weeks = (Array.isArray(summary['weeks']) ? summary['weeks'] : []) as BacktestWeek[];
      const episodes = (Array.isArray(summary['episodes']) ? summary['episodes'] : []) as BacktestEpisode[];
      const done = run.status === 'success';
      const chart =
        done && weeks.length > 0
          ? {
              svg: barChartSvg({
                id: 'chart-backtest-weeks',
                title: 'DriftWatch findings per replayed week',
                desc: 'Number of DriftWatch findings for each replayed Monday of the backtest.',
                bars: weeks.map((w) => ({ label: w.as_of, value: w.findings })),
                formatValue: (v) => String(Math.round(v)),
              }),
              columns: ['Week (as of)', 'Findings'],
              rows: weeks.map((w) => [w.as_of, String(w.findings)]),
            }
          : null;
      return renderPage(
        request,
        reply,
        'driftwatch_backtest_result',
        {
          run,
          from: String(params['from'] ?? ''),
          to: String(params['to'] ?? run.as_of),
          sensitivity: params['sensitivity'] === 'reference' ? 'Reference' : 'Strict',
          done,
          pending: run.status === 'queued' || run.status === 'running',
          failed: run.status === 'failed',
          weeksCount: weeks.length,
          chart,
          episodes: episodes.map((e) => ({
            payer: e.payer,
            group: e.cpt_group,
            signal: e.signal_type,
            direction: e.direction,
            first: e.first_detected_as_of,
            last: e.last_detected_as_of,
            weeks: e.weeks_detected,
            firstSeverity: `${severityLabelTitle(e.first_severity_label)} (${fixed(e.first_severity, 2)})`,
            maxSeverity: `${severityLabelTitle(e.max_severity_label)} (${fixed(e.max_severity, 2)})`,
            firstDelta: deltaText(e.signal_type, e.first_delta),
            firstQ: e.first_q_value === null ? '-' : e.first_q_value.toPrecision(3),
          })),
          note: BACKTEST_NOTE,
        },
        { title: `DriftWatch backtest #${run.id}`, section: 'driftwatch' },
      );
    },
  );
}
