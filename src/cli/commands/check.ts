import { formatCheckLine, hasErrors, runChecks } from '../../config/checks.ts';
import { describeError } from '../../config/errors.ts';
import { createDatabase, type Database } from '../../db/database.ts';
import { type Command, parseFlags } from '../context.ts';
import { println } from '../io.ts';
import { gatherProbes } from './startup.ts';

export const checkCommand: Command = {
  name: 'check',
  summary: 'Check configuration and dependencies (--deploy: production rules)',
  usage: `Usage: payrixa check [--deploy] [--database]

Prints one line per item: "✓ item", "✗ item: problem" (error) or "! item: warning".
Exits 1 when any item is an error.

Options:
  --deploy     apply the production rules whatever PAYRIXA_ENV says
  --database   only connect to the database and print "Database connected: True"`,
  async run(args, context) {
    const { values } = parseFlags('check', args, {
      deploy: { type: 'boolean' },
      database: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      println(context.io.stdout, checkCommand.usage);
      return 0;
    }
    const config = context.config();
    let database: Database | null = null;
    let databaseError: string | undefined;
    try {
      database = await createDatabase(config, { embedded: { role: 'check' } });
      await database.ping(5_000);
    } catch (error) {
      databaseError = describeError(error);
      await database?.close();
      database = null;
    }
    try {
      if (values.database) {
        if (database) {
          println(context.io.stdout, 'Database connected: True');
          return 0;
        }
        println(context.io.stdout, `Database connected: False (${databaseError})`);
        return 1;
      }
      const probes = await gatherProbes(config, {
        database,
        ...(databaseError !== undefined && { databaseError }),
        migrations: true,
        tools: true,
      });
      const lines = runChecks(config, probes, { deploy: values.deploy ?? false, migrations: true });
      for (const line of lines) println(context.io.stdout, formatCheckLine(line));
      return hasErrors(lines) ? 1 : 0;
    } finally {
      await database?.close();
    }
  },
};
