import type { FastifyRequest } from 'fastify';
import type { TriggerActor } from '../../../commands/trigger-analysis.ts';
import { AppError } from '../../../config/errors.ts';
import { can } from '../../../domain/accounts/permissions.ts';
import type { Services } from '../../../services.ts';

/** Request context shared by the analytics pages' routes (after their view/permission guard). */

/** The context customer (the guards let no request without one through; this is the type's proof). */
export function customerIdOf(request: FastifyRequest): number {
  const customer = request.auth.customer;
  if (!customer) throw new AppError('no_customer', 'No customer.', 403);
  return customer.id;
}

/** Today's UTC date from the service clock. */
export function todayOf(services: Services): string {
  return services.clock.now().toISOString().slice(0, 10);
}

/** Whether the page offers "Run analysis now". */
export function canRunAnalysis(request: FastifyRequest): boolean {
  return can(request.auth.actor, 'run_analysis');
}

/** A text filter as the pages always read it: trimmed, absent when blank. */
export function filterText(value: string | undefined): string | undefined {
  const trimmed = value?.trim() ?? '';
  return trimmed === '' ? undefined : trimmed;
}

/** The user starting an analysis, for the command's audit event. */
export function triggerActorOf(request: FastifyRequest): TriggerActor {
  return {
    customerId: customerIdOf(request),
    userId: request.auth.user?.id ?? null,
    requestId: request.id,
    ip: request.ip,
  };
}
