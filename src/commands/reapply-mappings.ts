import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../config/env.ts';
import { describeError } from '../config/errors.ts';
import type { Database } from '../db/database.ts';
import { lockCustomerClaims, recomputeRollups } from '../db/repositories/claims.repository.ts';
import { recordSystemEvent } from '../db/repositories/ingestion-records.repository.ts';
import { loadCptGroupMappings, loadPayerMappings } from '../db/repositories/mappings.repository.ts';
import { mapPayer, resolveCptGroup } from '../domain/claims/index.ts';
import type { JobQueue } from '../jobs/types.ts';
import { recordAudit } from '../obs/audit.ts';
import { requestPostUploadAnalysis } from './request-analysis.ts';

/**
 * Re-applying mappings to stored claims (ingestion spec §5.3): recomputes `payer` (from
 * payer_raw) and `cpt_group` (from cpt) of every claim of the customer with the current payer
 * and CPT-group mappings, updates the claims that change (revision unchanged), recomputes the
 * rollups of the affected days (their submitted dates, their decided dates for the decision
 * rollups, and — when the payer changed, the settlement rollups having no CPT group — their
 * settlement dates) — all in one transaction under the customer claims lock — then
 * writes `mappings_reapplied` (event and audit) and requests the post-upload analysis.
 */

export const REAPPLY_MAPPINGS_JOB = 'reapply-mappings';

export interface ReapplyResult {
  claimsUpdated: number;
  daysRecomputed: number;
}

const PAGE = 5_000;

export async function reapplyMappings(
  deps: { database: Database; queue?: Pick<JobQueue, 'enqueue'>; config?: Config; logger?: Logger },
  input: { customerId: number; userId?: number | null; requestId?: string | null },
): Promise<ReapplyResult> {
  const db = deps.database.db;
  const { customerId } = input;
  const payerMappings = await loadPayerMappings(db, customerId);
  const cptMappings = await loadCptGroupMappings(db, customerId);
  const result = await db.transaction().execute(async (trx) => {
    await lockCustomerClaims(trx, customerId);
    const days = new Set<string>();
    const decidedDays = new Set<string>();
    const settledDays = new Set<string>();
    let claimsUpdated = 0;
    let after = 0;
    for (;;) {
      const rows = await trx
        .selectFrom('claims')
        .select([
          'id',
          'payer',
          'payer_raw',
          'cpt',
          'cpt_group',
          'submitted_date',
          'decided_date',
          'payment_date',
        ])
        .where('customer_id', '=', customerId)
        .where('id', '>', after)
        .orderBy('id')
        .limit(PAGE)
        .execute();
      if (rows.length === 0) break;
      const changes: Array<{ id: number; payer: string; group: string }> = [];
      for (const row of rows) {
        const payer = mapPayer(row.payer_raw, payerMappings);
        const group = resolveCptGroup(row.cpt, cptMappings);
        if (payer !== row.payer || group !== row.cpt_group) {
          changes.push({ id: row.id, payer, group });
          days.add(row.submitted_date);
          decidedDays.add(row.decided_date);
          if (payer !== row.payer) settledDays.add(row.payment_date ?? row.decided_date);
        }
      }
      if (changes.length > 0) {
        const values = sql.join(
          changes.map((c) => sql`(${c.id}::bigint, ${c.payer}::varchar, ${c.group}::varchar)`),
        );
        await sql`UPDATE claims c
                     SET payer = v.payer, cpt_group = v.cpt_group, updated_at = now()
                    FROM (VALUES ${values}) AS v (id, payer, cpt_group)
                   WHERE c.customer_id = ${customerId} AND c.id = v.id`.execute(trx);
        claimsUpdated += changes.length;
      }
      after = rows[rows.length - 1]?.id ?? after;
      if (rows.length < PAGE) break;
    }
    const sortedDays = [...days].sort();
    await recomputeRollups(trx, customerId, {
      submitted: sortedDays,
      decided: [...decidedDays].sort(),
      settled: [...settledDays].sort(),
    });
    const payload = { claims_updated: claimsUpdated, days_recomputed: sortedDays.length };
    await recordSystemEvent(trx, customerId, {
      eventType: 'mappings_reapplied',
      payload,
      requestId: input.requestId ?? null,
    });
    await recordAudit(trx, {
      action: 'mappings_reapplied',
      customerId,
      userId: input.userId ?? null,
      requestId: input.requestId ?? null,
      metadata: payload,
    });
    return { claimsUpdated, daysRecomputed: sortedDays.length };
  });
  if (deps.queue && deps.config && result.claimsUpdated > 0) {
    await requestPostUploadAnalysis(
      { database: deps.database, queue: deps.queue, config: deps.config },
      customerId,
      {
        requestId: input.requestId ?? null,
      },
    ).catch((error) =>
      deps.logger?.warn(
        { err: describeError(error) },
        'could not request analysis after re-applying mappings',
      ),
    );
  }
  return result;
}

/**
 * Requests a re-apply run in the background (button / `POST /api/v1/mappings/reapply/` → 202):
 * at most one queued run per customer.
 */
export async function requestReapplyMappings(
  queue: Pick<JobQueue, 'enqueue'>,
  input: { customerId: number; userId?: number | null; requestId?: string | null },
): Promise<{ jobId: number; created: boolean }> {
  const job = await queue.enqueue(
    REAPPLY_MAPPINGS_JOB,
    { customer_id: input.customerId, user_id: input.userId ?? null },
    {
      customerId: input.customerId,
      singletonKey: `${REAPPLY_MAPPINGS_JOB}:${input.customerId}`,
      requestId: input.requestId ?? null,
    },
  );
  return { jobId: job.id, created: job.created };
}
