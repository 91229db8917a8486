import { AppError } from '../../config/errors.ts';
import { createLogger } from '../../obs/logger.ts';
import { type Command, parseFlags } from '../context.ts';
import { println } from '../io.ts';
import { startServer, stopOnSignals } from '../serve.ts';
import { demoGenerateCommand } from './demo-generate.ts';

export const demoCommand: Command = {
  name: 'demo',
  summary: 'Start the portal with demo data on the embedded default',
  usage: `Usage: payrixa demo [--customer-name <n>] [--reset] [--force]

Prepares the database, loads the demo customer "Riverside Family Practice" (once
claims ingestion lands) and starts the server, printing its URL and the demo logins.
Refuses in production without --force.`,
  async run(args, context) {
    if (args[0] === 'generate') return demoGenerateCommand.run(args.slice(1), context);
    const { values } = parseFlags('demo', args, {
      'customer-name': { type: 'string' },
      reset: { type: 'boolean' },
      force: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      println(context.io.stdout, demoCommand.usage);
      return 0;
    }
    const config = context.config();
    if (config.isProduction && !values.force) {
      throw new AppError(
        'demo_in_production',
        'Refusing to load demo data in production; add --force if you mean it.',
      );
    }
    const logger = createLogger(config, 'payrixa');
    const server = await startServer(config, logger);
    const { stdout } = context.io;
    println(stdout);
    println(stdout, `  Payrixa ${config.version} demo is running at ${server.url}/portal/`);
    println(stdout, `  Database: ${server.services.database.description}`);
    println(stdout, `  Health:   ${server.url}/api/v1/health/`);
    println(stdout);
    println(stdout, '  Press Ctrl+C to stop.');
    println(stdout);
    await stopOnSignals(() => server.stop(), logger);
    return 0;
  },
};
