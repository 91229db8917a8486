import type { AlertRunsNowResult } from '../../commands/alert-runs-now.ts';
import { type SeedDemoResult, seedDemo } from '../../commands/seed-demo.ts';
import { AppError } from '../../config/errors.ts';
import { mailDestination } from '../../notify/mail.ts';
import { createLogger } from '../../obs/logger.ts';
import { type Command, parseFlags } from '../context.ts';
import { println } from '../io.ts';
import { startServer, stopOnSignals } from '../serve.ts';
import { demoGenerateCommand } from './demo-generate.ts';

export const demoCommand: Command = {
  name: 'demo',
  summary: 'Start the portal with demo data on the embedded default',
  usage: `Usage: payrixa demo [--customer-name <n>] [--reset] [--force]

Prepares the database, creates the demo customer "Riverside Family Practice" with one
user per role and an operator, loads 13 months of generated claims (with planted payer
changes) through the upload pipeline, creates the email channel "Billing team" (to
demo-owner@riverside.example), runs every analysis, evaluates the alert rules and sends
the alerts (without SMTP_HOST the email lands in the local mailbox: 'payrixa mail'), starts
the server and prints its URL and the demo logins (fresh passwords on every start). An existing demo
customer is kept unless --reset is given: no analysis runs again, so no new alerts are raised; the
summary counts the alerts it already has and says where their email is. --reset reloads everything
and empties the local mailbox first, so that it holds the fresh demo's email only. Refuses in
production without --force.

  payrixa demo generate --help   write the synthetic claim files only`,
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
    // The demo's own progress lines are the output; the expected PHI rejections of its
    // dirty rows would bury them at the default level. LOG_LEVEL still wins when set.
    context.io.env['LOG_LEVEL'] ??= 'error';
    const config = context.config();
    if (config.isProduction && !values.force) {
      throw new AppError(
        'demo_in_production',
        'Refusing to load demo data in production; add --force if you mean it.',
      );
    }
    const logger = createLogger(config, 'payrixa');
    const { stdout } = context.io;
    let seeded: SeedDemoResult | null = null;
    const server = await startServer(config, logger, {
      beforeListen: async (services) => {
        seeded = await seedDemo(services, {
          ...(values['customer-name'] !== undefined && { customerName: values['customer-name'] }),
          reset: values.reset ?? false,
          log: (line) => println(stdout, line),
        });
      },
    });
    const result = seeded as SeedDemoResult | null;
    println(stdout);
    println(stdout, `  Payrixa ${config.version} demo is running at ${server.url}/portal/`);
    println(stdout, `  Database: ${server.services.database.description}`);
    if (result) {
      const note = result.created ? '' : ' (existing data kept; run with --reset to reload)';
      println(stdout, `  Customer: ${result.customerName}${note}`);
      for (const analysis of result.analyses) {
        const outcome = analysis.error ? `failed: ${analysis.error}` : `${analysis.findings} findings`;
        println(stdout, `  ${analysis.product.padEnd(12)} ${outcome}`);
      }
      for (const line of demoAlertLines(result, mailDestination(config))) println(stdout, `  ${line}`);
      println(stdout);
      println(stdout, '  Logins (passwords are new on every start):');
      for (const login of result.logins) {
        println(stdout, `    ${login.username.padEnd(14)} ${login.password}   ${login.role}`);
      }
    }
    println(stdout);
    println(stdout, '  Press Ctrl+C to stop.');
    println(stdout);
    await stopOnSignals(() => server.stop(), logger, config.shutdownGraceMs);
    return 0;
  },
};

function outcomeCounts({ sent, suppressed, failed, pending }: AlertRunsNowResult): string {
  return (
    `${sent} sent, ${suppressed} suppressed` +
    `${failed ? `, ${failed} failed` : ''}${pending ? `, ${pending} retrying` : ''}`
  );
}

/**
 * The summary's alert lines: what this start raised and sent, or for a kept demo the alerts it
 * already has (a kept demo runs no analysis, so normally nothing is new), and where the email is.
 */
export function demoAlertLines(
  result: Pick<SeedDemoResult, 'created' | 'alerts' | 'totals'>,
  emailDestination: string,
): string[] {
  const { alerts, totals } = result;
  const raised = `${alerts.created} created, ${outcomeCounts(alerts)}`;
  const line = result.created
    ? raised
    : `${totals.alerts} kept from earlier runs (${totals.emailed} emailed); ` +
      (alerts.created > 0 || alerts.sent > 0 ? `now ${raised}` : 'none new (no new analysis ran)');
  return [`Alerts       ${line}`, `Email        ${emailDestination}`];
}
