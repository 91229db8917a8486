import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BacktestRangeError } from '../../../commands/backtest-drift-watch.ts';
import { triggerPortalBacktest } from '../../../commands/trigger-analysis.ts';
import { AppError } from '../../../config/errors.ts';
import { findRun } from '../../../db/repositories/analysis-runs.repository.ts';
import type { Sensitivity } from '../../../domain/analytics/index.ts';
import {
  type BacktestFormValues,
  presentBacktestForm,
  presentBacktestResult,
} from '../../../presenters/backtest.ts';
import type { Services } from '../../../services.ts';
import { requirePermission, requireProduct, requireView, sendNotFoundPage } from '../../guards.ts';
import { renderPage } from '../../page.ts';
import { IdParams } from '../../schemas/index.ts';
import { BacktestForm, NoQuery } from './analytics.schemas.ts';
import { canRunAnalysis, customerIdOf, todayOf, triggerActorOf } from './analytics-context.ts';

/**
 * DriftWatch backtest pages (analytics §10.3, web-api-ops §1.3): the form (view permission,
 * product enabled), POST (run_analysis) which records a backtest run and enqueues its job, and
 * the result page of one run with the episode table and a week-by-week bar chart.
 */

const FORM_URL = '/portal/products/driftwatch/backtest/';
const DATE = /^\d{4}-\d{2}-\d{2}$/;

function renderForm(
  request: FastifyRequest,
  reply: FastifyReply,
  values: BacktestFormValues,
  error: string | null,
  status = 200,
): Promise<FastifyReply> {
  return renderPage(
    request,
    reply,
    'driftwatch_backtest',
    presentBacktestForm(values, error, { canRun: canRunAnalysis(request) }),
    { title: 'DriftWatch backtest', section: 'driftwatch', status },
  );
}

/** The person's mistake in the form, in the words the page shows (null when none). */
function formError(values: BacktestFormValues): string | null {
  if (!DATE.test(values.from) || !DATE.test(values.to)) return 'From and to must be dates (YYYY-MM-DD).';
  if (values.sensitivity !== '' && values.sensitivity !== 'strict' && values.sensitivity !== 'reference') {
    return 'Sensitivity must be Strict or Reference.';
  }
  return null;
}

export function registerBacktestRoutes(app: FastifyInstance, services: Services): void {
  const { db } = services.database;
  const portal = app.withTypeProvider<TypeBoxTypeProvider>();

  portal.get(
    FORM_URL,
    { preValidation: [requireView, requireProduct('driftwatch')], schema: { querystring: NoQuery } },
    async (request, reply) => renderForm(request, reply, { from: '', to: '', sensitivity: '' }, null),
  );

  // Guards in preValidation: CSRF (the auth plugin's hook) → permission → product → the form schema.
  portal.post(
    FORM_URL,
    {
      preValidation: [requirePermission('run_analysis'), requireProduct('driftwatch')],
      schema: { body: BacktestForm },
    },
    async (request, reply) => {
      const values: BacktestFormValues = {
        from: request.body.from?.trim() ?? '',
        to: request.body.to?.trim() ?? '',
        sensitivity: request.body.sensitivity?.trim() ?? '',
      };
      const error = formError(values);
      if (error) return renderForm(request, reply, values, error, 400);
      try {
        const run = await triggerPortalBacktest({ db, queue: services.queue }, triggerActorOf(request), {
          from: values.from,
          to: values.to,
          ...(values.sensitivity && { sensitivity: values.sensitivity as Sensitivity }),
          today: todayOf(services),
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

  portal.get(
    `${FORM_URL}:id/`,
    {
      preValidation: [requireView, requireProduct('driftwatch')],
      schema: { params: IdParams, querystring: NoQuery },
    },
    async (request, reply) => {
      const run = await findRun(db, customerIdOf(request), request.params.id);
      if (run?.run_type !== 'backtest') return sendNotFoundPage(request, reply);
      return renderPage(request, reply, 'driftwatch_backtest_result', presentBacktestResult(run), {
        title: `DriftWatch backtest #${run.id}`,
        section: 'driftwatch',
      });
    },
  );
}
