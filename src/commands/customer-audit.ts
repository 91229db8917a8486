import type { Kysely } from 'kysely';
import type { DB, JsonObject } from '../db/schema.ts';
import { recordAudit } from '../obs/audit.ts';

/**
 * The audit event of a change a person makes to one of a customer's objects (settings,
 * ingestion tokens): who, from which request and address, and — when a staff operator acts for
 * the customer — `acting_as_operator`, so every such event says it the same way.
 */

/** Who makes the change. */
export interface CustomerActor {
  customerId: number;
  userId: number | null;
  /** A staff operator acting for the customer (recorded in the event's metadata). */
  actingAsOperator?: boolean;
  requestId?: string | null;
  ip?: string | null;
}

/**
 * Records the event in the caller's transaction (so it commits or rolls back with the change),
 * then hands back `result`: the command's last step is `return auditedResult(trx, …, saved)`.
 */
export async function auditedResult<Result>(
  trx: Kysely<DB>,
  actor: CustomerActor,
  event: { action: string; entityType: string; entityId: number; metadata: JsonObject },
  result: Result,
): Promise<Result> {
  await recordAudit(trx, {
    action: event.action,
    customerId: actor.customerId,
    userId: actor.userId,
    entityType: event.entityType,
    entityId: event.entityId,
    requestId: actor.requestId ?? null,
    ip: actor.ip ?? null,
    metadata: { ...event.metadata, ...(actor.actingAsOperator && { acting_as_operator: true }) },
  });
  return result;
}
