import type { Kysely } from 'kysely';
import { findRetentionOverrides, saveRetentionOverrides } from '../db/repositories/settings.repository.ts';
import type { DB } from '../db/schema.ts';
import {
  CUSTOMER_RETENTION_PERIODS,
  type CustomerRetentionName,
  type CustomerRetentionOverrides,
  readRetentionOverrides,
} from '../domain/retention.ts';
import { recordAudit } from '../obs/audit.ts';
import type { Clock } from '../services.ts';

export interface SetCustomerRetentionInput {
  customerId: number;
  /** Periods to set (already checked by parseRetentionSetting). */
  set: ReadonlyArray<{ name: CustomerRetentionName; days: number }>;
  /** Periods going back to the RETENTION_* default; `all` clears every override. */
  reset: ReadonlyArray<CustomerRetentionName> | 'all';
  userId?: number | null;
  via: 'cli' | 'portal' | 'api';
}

/**
 * Changes one customer's retention periods (issue 13 item 6): resets first, then sets, in one
 * transaction with the audit event `retention_periods_changed` (before and after), so the
 * record of who shortened a tenant's retention is never missing. Returns the overrides now in
 * force.
 */
export async function setCustomerRetention(
  deps: { db: Kysely<DB>; clock: Clock },
  input: SetCustomerRetentionInput,
): Promise<CustomerRetentionOverrides> {
  return deps.db.transaction().execute(async (trx) => {
    const before = readRetentionOverrides(await findRetentionOverrides(trx, input.customerId));
    const after: CustomerRetentionOverrides =
      input.reset === 'all' ? {} : Object.fromEntries(Object.entries(before));
    if (input.reset !== 'all') for (const name of input.reset) delete after[name];
    for (const { name, days } of input.set) after[name] = days;
    // Stored in the list's order so the JSON (and the audit diff) reads the same every time.
    const ordered = Object.fromEntries(
      CUSTOMER_RETENTION_PERIODS.flatMap(({ name }) =>
        after[name] === undefined ? [] : [[name, after[name]] as const],
      ),
    );
    await saveRetentionOverrides(trx, input.customerId, ordered, deps.clock.now());
    await recordAudit(trx, {
      action: 'retention_periods_changed',
      customerId: input.customerId,
      userId: input.userId ?? null,
      entityType: 'customer',
      entityId: input.customerId,
      metadata: { via: input.via, before: { ...before }, after: ordered },
    });
    return ordered;
  });
}
