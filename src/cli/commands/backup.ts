import { UsageError } from '../../config/errors.ts';
import { createDatabase } from '../../db/database.ts';
import { createBackup, formatSize } from '../../ops/backup.ts';
import { systemClock } from '../../services.ts';
import { type Command, parseFlags } from '../context.ts';
import { println } from '../io.ts';

export const backupCommand: Command = {
  name: 'backup',
  summary: 'Write a database backup (pg_dump or embedded data directory) and rotate old ones',
  usage: `Usage: payrixa backup [--out <file>] [--dir <dir>] [--keep-days <n>]

Writes one consistent copy of the database (web-api-ops §7.4), with <file>.sha256 and
<file>.manifest.json (row counts per table, last migration), then deletes our backups
(payrixa_<YYYYmmdd_HHMMSS>.dump|.tar.gz) older than the keep period in that directory.
  PostgreSQL (DATABASE_URL): pg_dump custom format, payrixa_<ts>.dump (pg_dump of the
    server's major version or newer must be installed).
  Embedded database: the data directory as payrixa_<ts>.tar.gz, taken while payrixa serve
    runs (or directly when no server runs).
Records audit backup_created. docs/OPERATIONS.md "Backup and restore".

Options:
  --out <file>       write exactly this file (its directory is rotated)
  --dir <dir>        directory for payrixa_<ts>.* (default BACKUP_DIR)
  --keep-days <n>    delete our backups older than n days (default BACKUP_KEEP_DAYS, 30)`,
  async run(args, context) {
    const { values } = parseFlags('backup', args, {
      out: { type: 'string' },
      dir: { type: 'string' },
      'keep-days': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      println(context.io.stdout, backupCommand.usage);
      return 0;
    }
    if (values.out !== undefined && values.dir !== undefined) {
      throw new UsageError("Give --out or --dir, not both. Run 'payrixa backup --help' for usage.");
    }
    let keepDays: number | undefined;
    if (values['keep-days'] !== undefined) {
      keepDays = Number(values['keep-days']);
      if (!Number.isInteger(keepDays) || keepDays < 1) {
        throw new UsageError(
          "--keep-days must be a whole number of days, at least 1. Run 'payrixa backup --help' for usage.",
        );
      }
    }
    const config = context.config();
    const database = await createDatabase(config, { embedded: { role: 'backup' } });
    try {
      const result = await createBackup(
        { database, config, clock: systemClock },
        {
          actor: 'cli',
          ...(values.out !== undefined && { out: values.out }),
          ...(values.dir !== undefined && { dir: values.dir }),
          ...(keepDays !== undefined && { keepDays }),
        },
      );
      println(context.io.stdout, `Backup written: ${result.path} (${formatSize(result.bytes)})`);
      for (const name of result.deleted) println(context.io.stdout, `Deleted old backup: ${name}`);
      return 0;
    } finally {
      await database.close();
    }
  },
};
