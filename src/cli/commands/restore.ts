import { UsageError } from '../../config/errors.ts';
import { countTableLines, restoreBackup } from '../../ops/restore.ts';
import { systemClock } from '../../services.ts';
import { type Command, parseFlags } from '../context.ts';
import { println } from '../io.ts';

export const restoreCommand: Command = {
  name: 'restore',
  summary: 'Restore a backup written by payrixa backup (checksum-verified)',
  usage: `Usage: payrixa restore <file> [--target-database-url <url>] [--yes]

Restores a backup of payrixa backup (web-api-ops §7.4) after checking <file>.sha256.
  .dump (PostgreSQL): pg_restore --clean --if-exists --single-transaction --no-owner
    --no-privileges into --target-database-url (default DATABASE_URL).
  .tar.gz (embedded): replaces DATA_DIR/pgdata (payrixa serve must be stopped); the old
    directory is kept as pgdata.replaced-<ts>.
Refuses a target that is not empty without --yes, and a backup made by a newer release.
Afterwards the row counts per table are compared with the backup's manifest; a difference
exits 1. Records audit restore_completed in the restored database.

Options:
  --target-database-url <url>   PostgreSQL database to restore into (a .dump only)
  --yes                         replace the contents of a non-empty target`,
  async run(args, context) {
    const { values, positionals } = parseFlags(
      'restore',
      args,
      {
        'target-database-url': { type: 'string' },
        yes: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      true,
    );
    if (values.help) {
      println(context.io.stdout, restoreCommand.usage);
      return 0;
    }
    const [file, ...extra] = positionals;
    if (file === undefined || extra.length > 0) {
      throw new UsageError("Give exactly one backup file. Run 'payrixa restore --help' for usage.");
    }
    const result = await restoreBackup(
      {
        config: context.config(),
        clock: systemClock,
        progress: (line) => println(context.io.stdout, line),
      },
      {
        file,
        yes: values.yes ?? false,
        ...(values['target-database-url'] !== undefined && {
          targetDatabaseUrl: values['target-database-url'],
        }),
      },
    );
    for (const line of countTableLines(result.checks)) println(context.io.stdout, line);
    if (result.verified === null) {
      println(context.io.stdout, 'No manifest beside the backup: row counts not verified.');
    }
    if (result.replacedDataDir) {
      println(
        context.io.stdout,
        `The replaced data directory was kept as ${result.replacedDataDir}; delete it once the restore is checked.`,
      );
    }
    if (result.verified === false) {
      println(context.io.stderr, 'Error: restored row counts differ from the backup (see MISMATCH above).');
      return 1;
    }
    println(
      context.io.stdout,
      `Restore complete: ${result.customers} customers, ${result.users} users, ${result.claims} claims, last migration ${result.lastMigration ?? '(none)'}.`,
    );
    return 0;
  },
};
