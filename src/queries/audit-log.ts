import { type Kysely, sql } from 'kysely';
import type { DB } from '../db/schema.ts';

/** Filters of the operator's audit log page (web-api-ops, portal admin). */
export interface AuditLogFilter {
  customerId: number | null;
  /** Exact action name, e.g. `upload_deleted`. */
  action: string;
  /** Username, compared case-insensitively (usernames are unique ignoring case). */
  username: string;
  /** A UTC calendar day `YYYY-MM-DD`: events of that day. */
  date: string;
}

export interface AuditLogRow {
  id: number;
  action: string;
  created_at: Date;
  entity_type: string | null;
  entity_id: string | null;
  ip: string | null;
  metadata: unknown;
  username: string | null;
  customer_name: string | null;
}

/**
 * One page of audit events, newest first, with the acting user's name and the customer's
 * name (both left joins: system actions have no user, staff actions may have no customer).
 *
 * Reads `pageSize + 1` rows so the page knows whether a next page exists without a
 * `count(*)` over an append-only table that only grows. The day filter compares the UTC
 * date of `created_at` (timestamptz), so the page means the same day whatever the session
 * time zone of the connection is.
 */
export async function auditLogPage(
  db: Kysely<DB>,
  filter: AuditLogFilter,
  page: number,
  pageSize: number,
): Promise<{ rows: AuditLogRow[]; hasNext: boolean }> {
  let query = db
    .selectFrom('audit_events as a')
    .leftJoin('users as u', 'u.id', 'a.user_id')
    .leftJoin('customers as c', 'c.id', 'a.customer_id');
  if (filter.customerId !== null) query = query.where('a.customer_id', '=', filter.customerId);
  if (filter.action) query = query.where('a.action', '=', filter.action);
  if (filter.username)
    query = query.where(sql<string>`lower(u.username)`, '=', filter.username.toLowerCase());
  if (filter.date)
    query = query.where(sql<string>`(a.created_at at time zone 'UTC')::date`, '=', filter.date);
  const rows = await query
    .select([
      'a.id',
      'a.action',
      'a.created_at',
      'a.entity_type',
      'a.entity_id',
      'a.ip',
      'a.metadata',
      'u.username',
      'c.name as customer_name',
    ])
    .orderBy('a.id', 'desc')
    .limit(pageSize + 1)
    .offset((page - 1) * pageSize)
    .execute();
  return { rows: rows.slice(0, pageSize), hasNext: rows.length > pageSize };
}
