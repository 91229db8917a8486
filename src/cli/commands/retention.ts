import { runRetention } from '../../commands/run-retention.ts';
import { createDatabase } from '../../db/database.ts';
import { retentionReportLines } from '../../domain/retention.ts';
import { createLogger } from '../../obs/logger.ts';
import { systemClock } from '../../services.ts';
import { type Command, parseFlags } from '../context.ts';
import { println } from '../io.ts';
import { resolveCustomer } from './analytics-shared.ts';

export const retentionCommand: Command = {
  name: 'retention',
  summary: 'Delete data past its retention period (or count it with --dry-run)',
  usage: `Usage: payrixa retention [--dry-run] [--customer <id|name>]

Deletes what is past its retention period (web-api-ops §7.5, alerts-reports §15), as the
daily maintenance.retention job does at SCHEDULE_RETENTION: claims by submitted date (never
within 120 days) with their rollups, row-level validation results and rejected-row details,
uploads and quality reports no claim references any more, report artifacts (rows and files;
rebuilt on the next download), analysis runs with their findings, alert events with their
judgments and deliveries, webhook delivery logs, system events, finished job records and
audit events. The latest successful run of each product, and every run and alert an operator
judged in the last 730 days, are kept. Jobs and audit events of no customer are only handled
by a run over every customer. Periods come from RETENTION_* (docs/OPERATIONS.md "Retention").
Every run records audit retention_run.

Options:
  --dry-run              count what would be deleted; delete nothing
  --customer <id|name>   only this customer (default: every customer)`,
  async run(args, context) {
    const { values } = parseFlags('retention', args, {
      'dry-run': { type: 'boolean' },
      customer: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      println(context.io.stdout, retentionCommand.usage);
      return 0;
    }
    const config = context.config();
    const database = await createDatabase(config, { embedded: { role: 'retention' } });
    const logger = createLogger(config, 'payrixa');
    try {
      const db = database.db;
      const customer =
        values.customer === undefined ? null : await resolveCustomer(db, values.customer, 'retention');
      const dryRun = values['dry-run'] ?? false;
      const result = await runRetention(
        { db, config, clock: systemClock, logger },
        { dryRun, customerId: customer?.id ?? null },
      );
      for (const line of retentionReportLines(result.counts, dryRun)) println(context.io.stdout, line);
      return 0;
    } finally {
      await database.close();
    }
  },
};
