import { createLogger } from '../../obs/logger.ts';
import { createErrorReporter, type ErrorReporterOptions } from '../../obs/sentry.ts';
import { type Command, parseFlags } from '../context.ts';
import { println } from '../io.ts';

/** The message of the test event (searchable in Sentry). */
export const SENTRY_TEST_MESSAGE = 'Payrixa Sentry test event';

/** How long the command waits for Sentry to answer. */
const SEND_TIMEOUT_MS = 10_000;

/** Builds the command; tests pass a transport, the product sends over HTTP. */
export function makeSentryTestCommand(reporterOptions: ErrorReporterOptions = {}): Command {
  const command: Command = {
    name: 'sentry-test',
    summary: 'Send a test event to Sentry (SENTRY_DSN) and print its id',
    usage: `Usage: payrixa sentry-test

Sends one event "${SENTRY_TEST_MESSAGE}" (level error) to the Sentry project of SENTRY_DSN,
through the same PHI scrubber as every other event, waits for Sentry to accept it and prints
its id. Exit 1 when SENTRY_DSN is not set or Sentry did not accept the event within 10 s.`,
    async run(args, context) {
      const { values } = parseFlags('sentry-test', args, { help: { type: 'boolean', short: 'h' } });
      if (values.help) {
        println(context.io.stdout, command.usage);
        return 0;
      }
      const config = context.config();
      if (!config.sentry.dsn) {
        println(context.io.stderr, 'SENTRY_DSN is not set; nothing to send.');
        return 1;
      }
      const logger = createLogger(config, 'payrixa.sentry');
      const reporter = createErrorReporter(config, { logger, ...reporterOptions });
      const eventId = reporter.captureMessage(SENTRY_TEST_MESSAGE) as string;
      await reporter.flush(SEND_TIMEOUT_MS);
      const status = reporter.deliveryStatus(eventId);
      if (typeof status === 'number' && status >= 200 && status < 300) {
        println(context.io.stdout, `Sentry test event sent (id ${eventId}).`);
        return 0;
      }
      const reason =
        status === undefined
          ? `no answer within ${SEND_TIMEOUT_MS / 1000} s`
          : status === null
            ? 'the request failed; check the DSN host and the network'
            : `Sentry answered HTTP ${status}`;
      println(context.io.stderr, `Could not send the Sentry test event (${reason}).`);
      return 1;
    },
  };
  return command;
}

export const sentryTestCommand = makeSentryTestCommand();
