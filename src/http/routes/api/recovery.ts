import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { recoveryLedger } from '../../../domain/alerts/recovery.ts';
import { presentRecoveryLedger } from '../../../presenters/alerts.ts';
import { listRecoveries } from '../../../queries/recovery-ledger.ts';
import type { Services } from '../../../services.ts';
import { apiScope } from '../../api-tenancy.ts';
import { operation } from '../../schemas/index.ts';
import { CustomerOnlyQuery, RecoveryLedger } from './alerts.schemas.ts';

/**
 * `recovery/` (web-api-ops §4.5–§4.6, alerts-reports §11): the customer's recovery ledger as of
 * the clock's UTC date. Every member reads it; staff name the customer.
 */
export function registerRecoveryApiRoutes(app: FastifyInstance, services: Services): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = services.database;
  api.get(
    '/api/v1/recovery/',
    {
      preValidation: apiScope({ requireCustomer: true }),
      schema: operation(
        {
          tag: 'Recovery',
          summary: 'Recovery ledger (unpaginated)',
          description:
            'Sums of recovered amounts recorded with alert feedback: this UTC month, the last 30 days, ' +
            'all time, and the 5 newest recoveries. Money as exact decimal strings.',
        },
        { querystring: CustomerOnlyQuery, response: { 200: RecoveryLedger } },
      ),
    },
    async (request) => {
      const today = services.clock.now().toISOString().slice(0, 10);
      const recoveries = await listRecoveries(db, request.apiCustomerId as number);
      return presentRecoveryLedger(recoveryLedger(recoveries, today));
    },
  );
}
