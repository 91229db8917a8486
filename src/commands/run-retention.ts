import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../config/env.ts';
import { NotFoundError } from '../config/errors.ts';
import { findCustomerById, listCustomerIds } from '../db/repositories/customers.repository.ts';
import {
  countExpiredAlertEvents,
  countExpiredArtifacts,
  countExpiredRuns,
  countExpiredWebhookDeliveries,
  deleteExpiredAlertEvents,
  deleteExpiredArtifacts,
  deleteExpiredRuns,
  deleteExpiredWebhookDeliveries,
} from '../db/repositories/retention.repository.ts';
import type { DB } from '../db/schema.ts';
import {
  emptyRetentionCounts,
  RETENTION_COUNTS,
  type RetentionCounts,
  type RetentionCutoffs,
  retentionCutoffs,
  retentionTotal,
} from '../domain/retention.ts';
import { recordAudit } from '../obs/audit.ts';
import { type ArtifactStore, createArtifactStore } from '../reports/artifact-store.ts';
import type { Clock } from '../services.ts';

/**
 * Retention (alerts-reports §15, web-api-ops §7.5): `payrixa retention [--dry-run] [--customer]`
 * and the daily `maintenance.retention` job. One tenant at a time, one category after the other;
 * each category deletes in batches of `batchSize` rows, every batch its own transaction, so a
 * large backlog never holds long locks and a crash leaves whole batches (a run never without its
 * findings' alert events cleared, an artifact row never half-deleted). A dry run only counts.
 * Every run (dry ones too) records audit `retention_run` with the counts.
 */

export interface RetentionDeps {
  db: Kysely<DB>;
  config: Pick<Config, 'retention' | 'dataDir'>;
  clock: Clock;
  /** Defaults to the artifact store under DATA_DIR. */
  store?: ArtifactStore;
  logger?: Pick<Logger, 'warn'>;
  /** Rows per batch (transaction); tests use small ones to cross batch boundaries. */
  batchSize?: number;
}

export interface RetentionInput {
  dryRun?: boolean;
  /** Only this tenant (`--customer`); every customer otherwise. */
  customerId?: number | null;
  userId?: number | null;
  requestId?: string | null;
}

export interface RetentionResult {
  dryRun: boolean;
  cutoffs: RetentionCutoffs;
  counts: RetentionCounts;
  total: number;
  customers: number;
}

const DEFAULT_BATCH_SIZE = 500;

/** One batch's outcome: the counts it adds, the files to remove after commit, whether it was full. */
interface BatchOutcome {
  counts: Partial<RetentionCounts>;
  files?: string[];
  /** Primary rows the batch deleted; fewer than the limit means the category is done. */
  rows: number;
}

/**
 * A retention category: how to count what would go, and how to delete one batch of it in the
 * given transaction. Adding a category (issue 13: claims, uploads, validation rows, system events,
 * audit) is one entry in RETENTION_CATEGORIES plus its counts in RETENTION_COUNTS.
 *
 * Order matters only for the dry run's honesty: artifacts expired by age go first, then the runs
 * with the rest of their artifacts (by cascade; files removed, counted as report artifacts too),
 * so a dry run and a real run on the same day report the same numbers.
 */
interface RetentionCategory {
  count(db: Kysely<DB>, customerId: number, cutoffs: RetentionCutoffs): Promise<Partial<RetentionCounts>>;
  deleteBatch(
    trx: Kysely<DB>,
    customerId: number,
    cutoffs: RetentionCutoffs,
    limit: number,
  ): Promise<BatchOutcome>;
}

const RETENTION_CATEGORIES: readonly RetentionCategory[] = [
  {
    count: async (db, customerId, cutoffs) => ({
      report_artifacts: await countExpiredArtifacts(db, customerId, cutoffs),
    }),
    async deleteBatch(trx, customerId, cutoffs, limit) {
      const files = await deleteExpiredArtifacts(trx, customerId, cutoffs, limit);
      return { counts: { report_artifacts: files.length }, files, rows: files.length };
    },
  },
  {
    async count(db, customerId, cutoffs) {
      const { runs, findings, artifacts } = await countExpiredRuns(db, customerId, cutoffs);
      return { analysis_runs: runs, findings, report_artifacts: artifacts };
    },
    async deleteBatch(trx, customerId, cutoffs, limit) {
      const { runs, findings, artifacts, storageKeys } = await deleteExpiredRuns(
        trx,
        customerId,
        cutoffs,
        limit,
      );
      return {
        counts: { analysis_runs: runs, findings, report_artifacts: artifacts },
        files: storageKeys,
        rows: runs,
      };
    },
  },
  {
    async count(db, customerId, cutoffs) {
      const { events, judgments } = await countExpiredAlertEvents(db, customerId, cutoffs);
      return { alert_events: events, operator_judgments: judgments };
    },
    async deleteBatch(trx, customerId, cutoffs, limit) {
      const { events, judgments } = await deleteExpiredAlertEvents(trx, customerId, cutoffs, limit);
      return { counts: { alert_events: events, operator_judgments: judgments }, rows: events };
    },
  },
  {
    count: async (db, customerId, cutoffs) => ({
      webhook_deliveries: await countExpiredWebhookDeliveries(db, customerId, cutoffs),
    }),
    async deleteBatch(trx, customerId, cutoffs, limit) {
      const deleted = await deleteExpiredWebhookDeliveries(trx, customerId, cutoffs, limit);
      return { counts: { webhook_deliveries: deleted }, rows: deleted };
    },
  },
];

function addCounts(into: RetentionCounts, more: Partial<RetentionCounts>): void {
  for (const { key } of RETENTION_COUNTS) into[key] += more[key] ?? 0;
}

export async function runRetention(
  deps: RetentionDeps,
  input: RetentionInput = {},
): Promise<RetentionResult> {
  const dryRun = input.dryRun ?? false;
  const cutoffs = retentionCutoffs(deps.clock.now(), deps.config.retention);
  const batchSize = deps.batchSize ?? DEFAULT_BATCH_SIZE;
  const store = deps.store ?? createArtifactStore(deps.config.dataDir);

  let customerIds: number[];
  if (input.customerId !== undefined && input.customerId !== null) {
    if (!(await findCustomerById(deps.db, input.customerId))) {
      throw new NotFoundError(`Customer ${input.customerId} not found`);
    }
    customerIds = [input.customerId];
  } else {
    customerIds = await listCustomerIds(deps.db);
  }

  const counts = emptyRetentionCounts();
  for (const customerId of customerIds) {
    for (const category of RETENTION_CATEGORIES) {
      if (dryRun) {
        addCounts(counts, await category.count(deps.db, customerId, cutoffs));
        continue;
      }
      for (;;) {
        const outcome = await deps.db
          .transaction()
          .execute((trx) => category.deleteBatch(trx, customerId, cutoffs, batchSize));
        addCounts(counts, outcome.counts);
        // Files after commit: a rolled-back batch keeps its files. A file whose removal fails is
        // only logged — its row is gone, so it is never served, and a rebuild overwrites it.
        for (const key of outcome.files ?? []) {
          try {
            await store.remove(key);
          } catch (error) {
            deps.logger?.warn(
              { err: error, customer_id: customerId },
              'retention: artifact file not removed',
            );
          }
        }
        if (outcome.rows < batchSize) break;
      }
    }
  }

  const total = retentionTotal(counts);
  await recordAudit(deps.db, {
    action: 'retention_run',
    customerId: input.customerId ?? null,
    userId: input.userId ?? null,
    requestId: input.requestId ?? null,
    metadata: {
      dry_run: dryRun,
      today: cutoffs.today,
      customers: customerIds.length,
      counts: { ...counts },
      total,
    },
  });
  return { dryRun, cutoffs, counts, total, customers: customerIds.length };
}
