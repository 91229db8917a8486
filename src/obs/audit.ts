import type { Kysely } from 'kysely';
import type { DB, JsonObject } from '../db/schema.ts';

export interface AuditEntry {
  action: string;
  customerId?: number | null;
  userId?: number | null;
  entityType?: string | null;
  entityId?: string | number | null;
  requestId?: string | null;
  ip?: string | null;
  /** Never passwords, tokens, secrets or claim cell values. */
  metadata?: JsonObject;
}

/** Appends one audit event (web-api-ops §3.9). Runs inside the caller's transaction when given one. */
export async function recordAudit(db: Kysely<DB>, entry: AuditEntry): Promise<void> {
  await db
    .insertInto('audit_events')
    .values({
      action: entry.action,
      customer_id: entry.customerId ?? null,
      user_id: entry.userId ?? null,
      entity_type: entry.entityType ?? null,
      entity_id: entry.entityId === undefined || entry.entityId === null ? null : String(entry.entityId),
      request_id: entry.requestId ?? null,
      ip: entry.ip ?? null,
      metadata: JSON.stringify(entry.metadata ?? {}),
    })
    .execute();
}
