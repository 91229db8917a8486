import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../config/env.ts';
import { NotFoundError } from '../config/errors.ts';
import { findCustomerById, listCustomerIds } from '../db/repositories/customers.repository.ts';
import {
  clearExpiredRejectionDetails,
  countExpiredAlertEvents,
  countExpiredArtifacts,
  countExpiredClaims,
  countExpiredLogRows,
  countExpiredRuns,
  countExpiredUploads,
  countExpiredValidation,
  countExpiredWebhookDeliveries,
  deleteExpiredAlertEvents,
  deleteExpiredArtifacts,
  deleteExpiredClaims,
  deleteExpiredLogRows,
  deleteExpiredRuns,
  deleteExpiredUploads,
  deleteExpiredValidationResults,
  deleteExpiredWebhookDeliveries,
  type RetentionLog,
} from '../db/repositories/retention.repository.ts';
import { findRetentionOverrides } from '../db/repositories/settings.repository.ts';
import type { DB } from '../db/schema.ts';
import {
  type CustomerRetentionOverrides,
  effectiveRetentionPeriods,
  emptyRetentionCounts,
  RETENTION_COUNTS,
  type RetentionCounts,
  type RetentionCutoffs,
  readRetentionOverrides,
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
 * given transaction. Adding a category is one entry in RETENTION_CATEGORIES plus its counts in
 * RETENTION_COUNTS.
 *
 * Order matters only for the dry run's honesty: artifacts expired by age go first, then the runs
 * with the rest of their artifacts (by cascade; files removed, counted as report artifacts too),
 * so a dry run and a real run on the same day report the same numbers.
 *
 * `countSystem` / `deleteSystemBatch`: tables that also hold rows of no customer (jobs, audit
 * events). A run over every customer handles those rows after the tenants; a `--customer` run
 * leaves them alone (they belong to no tenant).
 */
interface RetentionCategory {
  count(db: Kysely<DB>, customerId: number, cutoffs: RetentionCutoffs): Promise<Partial<RetentionCounts>>;
  deleteBatch(
    trx: Kysely<DB>,
    customerId: number,
    cutoffs: RetentionCutoffs,
    limit: number,
  ): Promise<BatchOutcome>;
  countSystem?(db: Kysely<DB>, cutoffs: RetentionCutoffs): Promise<Partial<RetentionCounts>>;
  deleteSystemBatch?(trx: Kysely<DB>, cutoffs: RetentionCutoffs, limit: number): Promise<BatchOutcome>;
}

/** A category over one of the log tables (system events, jobs, audit events). */
function logCategory(log: RetentionLog, systemRows: boolean): RetentionCategory {
  const counts = (n: number): Partial<RetentionCounts> => ({ [log]: n });
  const category: RetentionCategory = {
    count: async (db, customerId, cutoffs) => counts(await countExpiredLogRows(db, log, customerId, cutoffs)),
    async deleteBatch(trx, customerId, cutoffs, limit) {
      const deleted = await deleteExpiredLogRows(trx, log, customerId, cutoffs, limit);
      return { counts: counts(deleted), rows: deleted };
    },
  };
  if (systemRows) {
    category.countSystem = async (db, cutoffs) => counts(await countExpiredLogRows(db, log, null, cutoffs));
    category.deleteSystemBatch = async (trx, cutoffs, limit) => {
      const deleted = await deleteExpiredLogRows(trx, log, null, cutoffs, limit);
      return { counts: counts(deleted), rows: deleted };
    };
  }
  return category;
}

/**
 * Claims go first (their rollups with them), then validation rows, then uploads — which the dry
 * run counts as if the claims had already gone (see countExpiredUploads) — then the analytics
 * categories and the logs.
 */
const RETENTION_CATEGORIES: readonly RetentionCategory[] = [
  {
    async count(db, customerId, cutoffs) {
      const { claims, rollups } = await countExpiredClaims(db, customerId, cutoffs);
      return { claims, claim_daily_rollups: rollups };
    },
    async deleteBatch(trx, customerId, cutoffs, limit) {
      const { claims, rollups } = await deleteExpiredClaims(trx, customerId, cutoffs, limit);
      return { counts: { claims, claim_daily_rollups: rollups }, rows: claims };
    },
  },
  {
    count: async (db, customerId, cutoffs) => ({
      validation_results: (await countExpiredValidation(db, customerId, cutoffs)).results,
    }),
    async deleteBatch(trx, customerId, cutoffs, limit) {
      const deleted = await deleteExpiredValidationResults(trx, customerId, cutoffs, limit);
      return { counts: { validation_results: deleted }, rows: deleted };
    },
  },
  {
    count: async (db, customerId, cutoffs) => ({
      rejected_row_details: (await countExpiredValidation(db, customerId, cutoffs)).details,
    }),
    async deleteBatch(trx, customerId, cutoffs, limit) {
      const cleared = await clearExpiredRejectionDetails(trx, customerId, cutoffs, limit);
      return { counts: { rejected_row_details: cleared }, rows: cleared };
    },
  },
  {
    async count(db, customerId, cutoffs) {
      const { uploads, reports } = await countExpiredUploads(db, customerId, cutoffs);
      return { uploads, quality_reports: reports };
    },
    async deleteBatch(trx, customerId, cutoffs, limit) {
      const { uploads, reports } = await deleteExpiredUploads(trx, customerId, cutoffs, limit);
      return { counts: { uploads, quality_reports: reports }, rows: uploads };
    },
  },
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
  logCategory('system_events', false),
  logCategory('jobs', true),
  logCategory('audit_events', true),
];

function addCounts(into: RetentionCounts, more: Partial<RetentionCounts>): void {
  for (const { key } of RETENTION_COUNTS) into[key] += more[key] ?? 0;
}

export async function runRetention(
  deps: RetentionDeps,
  input: RetentionInput = {},
): Promise<RetentionResult> {
  const dryRun = input.dryRun ?? false;
  const now = deps.clock.now();
  const cutoffs = retentionCutoffs(now, deps.config.retention);
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
  /** Counts (dry run) or deletes batch after batch until a batch comes back short. */
  const apply = async (
    owner: number | null,
    count: (db: Kysely<DB>) => Promise<Partial<RetentionCounts>>,
    deleteBatch: (trx: Kysely<DB>) => Promise<BatchOutcome>,
  ): Promise<void> => {
    if (dryRun) {
      addCounts(counts, await count(deps.db));
      return;
    }
    for (;;) {
      const outcome = await deps.db.transaction().execute(deleteBatch);
      addCounts(counts, outcome.counts);
      // Files after commit: a rolled-back batch keeps its files. A file whose removal fails is
      // only logged — its row is gone, so it is never served, and a rebuild overwrites it.
      for (const key of outcome.files ?? []) {
        try {
          await store.remove(key);
        } catch (error) {
          deps.logger?.warn({ err: error, customer_id: owner }, 'retention: artifact file not removed');
        }
      }
      if (outcome.rows < batchSize) break;
    }
  };
  /** Customers whose own periods (`payrixa customer retention`) replaced some defaults. */
  const customPeriods: Record<string, CustomerRetentionOverrides> = {};
  for (const customerId of customerIds) {
    const overrides = readRetentionOverrides(await findRetentionOverrides(deps.db, customerId));
    const customerCutoffs =
      Object.keys(overrides).length === 0
        ? cutoffs
        : retentionCutoffs(now, effectiveRetentionPeriods(deps.config.retention, overrides));
    if (customerCutoffs !== cutoffs) customPeriods[String(customerId)] = overrides;
    for (const category of RETENTION_CATEGORIES) {
      await apply(
        customerId,
        (db) => category.count(db, customerId, customerCutoffs),
        (trx) => category.deleteBatch(trx, customerId, customerCutoffs, batchSize),
      );
    }
  }
  const everyCustomer = input.customerId === undefined || input.customerId === null;
  if (everyCustomer) {
    for (const category of RETENTION_CATEGORIES) {
      const { countSystem, deleteSystemBatch } = category;
      if (!countSystem || !deleteSystemBatch) continue;
      await apply(
        null,
        (db) => countSystem(db, cutoffs),
        (trx) => deleteSystemBatch(trx, cutoffs, batchSize),
      );
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
      system_rows: everyCustomer,
      custom_periods: customPeriods,
      counts: { ...counts },
      total,
    },
  });
  return { dryRun, cutoffs, counts, total, customers: customerIds.length };
}
