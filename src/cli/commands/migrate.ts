import { AppError } from '../../config/errors.ts';
import { createDatabase } from '../../db/database.ts';
import { migrations } from '../../db/migrations/index.ts';
import { migrate, migrationStatus } from '../../db/migrator.ts';
import { type Command, parseFlags } from '../context.ts';
import { println } from '../io.ts';
import { refuseInsecureProduction } from './startup.ts';

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'Apply pending migrations, or move to a named migration (--to)',
  usage: `Usage: payrixa migrate [--to <name>|zero] [--plan]

Applies pending migrations in order, each in its own transaction, under an advisory
lock. Beside a running embedded server (serve, demo) they are applied through it, live;
unapplying (--to an earlier migration) needs that server stopped first. With --to, a later target applies up to it and an earlier target unapplies the
later migrations newest first; names may be given by unique prefix (0002).

Options:
  --to <name>   target migration name or prefix, or 'zero' to unapply all
  --plan        print the steps without running them
  --env-file    load variables from a file first`,
  async run(args, context) {
    const { values } = parseFlags('migrate', args, {
      to: { type: 'string' },
      plan: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      println(context.io.stdout, migrateCommand.usage);
      return 0;
    }
    const config = context.config();
    const database = await createDatabase(config, { embedded: { role: 'migrate' } });
    try {
      // No STATIC_ROOT check: the deployment checklist migrates before collectstatic.
      if (await refuseInsecureProduction(config, context.io, { database, staticRoot: false })) return 1;
      const server = database.embedded && !database.embedded.ownsHost ? database.embedded : null;
      if (server) {
        const who = `payrixa ${server.hostRole} (process ${server.hostPid})`;
        if (values.to !== undefined && !values.plan) {
          // Unapplying drops what the running code reads: that needs the server stopped.
          throw new AppError(
            'server_running',
            `${who} is running on this embedded database. Unapplying migrations needs it stopped: stop it (Ctrl+C in its terminal, or kill ${server.hostPid}), then run 'payrixa migrate --to ${values.to}' again.`,
          );
        }
        println(
          context.io.stdout,
          `${who} is running on this embedded database: pending migrations are applied through it, live. Restart it afterwards if this release is newer than the one it runs.`,
        );
      }
      await migrate(database, migrations, {
        ...(values.to !== undefined && { to: values.to }),
        plan: values.plan ?? false,
        log: (line) => println(context.io.stdout, line),
      });
      return 0;
    } finally {
      await database.close();
    }
  },
};

export const migrationsCommand: Command = {
  name: 'migrations',
  summary: 'List migrations as [X] applied / [ ] pending',
  usage: `Usage: payrixa migrations [--check]

Prints one line per migration: " [X] 0001_accounts" when applied, " [ ] 0004_…" when
pending. --check exits 1 when any migration is pending.`,
  async run(args, context) {
    const { values } = parseFlags('migrations', args, {
      check: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      println(context.io.stdout, migrationsCommand.usage);
      return 0;
    }
    const database = await createDatabase(context.config(), { embedded: { role: 'migrations' } });
    try {
      const status = await migrationStatus(database, migrations);
      for (const state of status.migrations) {
        const suffix = state.checksumMatches ? '' : '  (changed since it was applied!)';
        println(context.io.stdout, ` [${state.applied ? 'X' : ' '}] ${state.name}${suffix}`);
      }
      for (const name of status.unknownApplied) {
        println(context.io.stdout, ` [?] ${name}  (applied by a newer Payrixa release)`);
      }
      const pending = status.migrations.some((state) => !state.applied);
      return values.check && pending ? 1 : 0;
    } finally {
      await database.close();
    }
  },
};
