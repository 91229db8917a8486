import { loadEnvFile, PRODUCT_VERSION } from '../config/env.ts';
import { AppError, ConfigError, describeError, UsageError } from '../config/errors.ts';
import { errorReporter } from '../obs/sentry.ts';
import { analyzeCommand } from './commands/analyze.ts';
import { backtestCommand } from './commands/backtest.ts';
import { backupCommand } from './commands/backup.ts';
import { checkCommand } from './commands/check.ts';
import { collectstaticCommand } from './commands/collectstatic.ts';
import { createsuperuserCommand } from './commands/createsuperuser.ts';
import { createuserCommand } from './commands/createuser.ts';
import { customerCommand } from './commands/customer.ts';
import { demoCommand } from './commands/demo.ts';
import { mailCommand } from './commands/mail.ts';
import { migrateCommand, migrationsCommand } from './commands/migrate.ts';
import { restoreCommand } from './commands/restore.ts';
import { retentionCommand } from './commands/retention.ts';
import { rotateFieldKeyCommand } from './commands/rotate-field-key.ts';
import { sentryTestCommand } from './commands/sentry-test.ts';
import { serveCommand } from './commands/serve.ts';
import { workerCommand } from './commands/worker.ts';
import { type Command, makeContext } from './context.ts';
import { type CliIO, println, processIO } from './io.ts';

export const COMMANDS: readonly Command[] = [
  serveCommand,
  workerCommand,
  migrateCommand,
  migrationsCommand,
  checkCommand,
  createsuperuserCommand,
  createuserCommand,
  customerCommand,
  collectstaticCommand,
  demoCommand,
  mailCommand,
  analyzeCommand,
  backtestCommand,
  retentionCommand,
  backupCommand,
  restoreCommand,
  rotateFieldKeyCommand,
  sentryTestCommand,
];

function generalHelp(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length));
  return [
    `Payrixa ${PRODUCT_VERSION}: early-warning system for healthcare revenue operations`,
    '',
    'Usage: payrixa [--env-file <path>] <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    "Run 'payrixa <command> --help' for a command's options.",
    'Configuration comes from environment variables (docs/CONFIGURATION.md), a .env file in',
    'the current directory, and --env-file.',
  ].join('\n');
}

/** Takes `--env-file <path>` / `--env-file=<path>` (any position) out of argv. */
function extractEnvFiles(argv: string[]): { args: string[]; envFiles: string[] } {
  const args: string[] = [];
  const envFiles: string[] = [];
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index] as string;
    if (arg === '--env-file') {
      const value = argv[index + 1];
      if (value === undefined || value.startsWith('--')) throw new UsageError('--env-file needs a path.');
      envFiles.push(value);
      index++;
    } else if (arg.startsWith('--env-file=')) {
      envFiles.push(arg.slice('--env-file='.length));
    } else {
      args.push(arg);
    }
  }
  return { args, envFiles };
}

/**
 * Runs the payrixa command line and returns the exit code: 0 success, 1 failure,
 * 2 usage error. Errors are one clear line on stderr, never a stack trace.
 */
export async function main(argv: string[], io: CliIO = processIO()): Promise<number> {
  try {
    const { args, envFiles } = extractEnvFiles(argv);
    for (const file of envFiles) loadEnvFile(file, io.env);
    loadEnvFile('.env', io.env, false);

    const [name, ...rest] = args;
    if (name === '--version' || name === '-V' || name === 'version') {
      println(io.stdout, PRODUCT_VERSION);
      return 0;
    }
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      println(io.stdout, generalHelp());
      return name === undefined ? 2 : 0;
    }
    const command = COMMANDS.find((candidate) => candidate.name === name);
    if (!command) {
      throw new UsageError(`Unknown command '${name}'. Run 'payrixa --help' for the list of commands.`);
    }
    return await command.run(rest, makeContext(io));
  } catch (error) {
    const code = reportError(error, io);
    // An unexpected failure of a command that reports (serve, worker) reaches Sentry first.
    if (!(error instanceof AppError) && errorReporter().enabled) {
      errorReporter().capture(error);
      await errorReporter().flush(2_000);
    }
    return code;
  }
}

function reportError(error: unknown, io: CliIO): number {
  if (error instanceof UsageError) {
    println(io.stderr, `Error: ${error.message}`);
    return 2;
  }
  if (error instanceof ConfigError) {
    println(io.stderr, 'Error: invalid configuration:');
    for (const problem of error.problems) println(io.stderr, `  ${problem}`);
    return 1;
  }
  if (error instanceof AppError) {
    println(io.stderr, `Error: ${error.message}`);
    return 1;
  }
  println(io.stderr, `Error: ${describeError(error)}`);
  if (io.env['PAYRIXA_TRACEBACK'] === '1' && error instanceof Error && error.stack)
    println(io.stderr, error.stack);
  return 1;
}
