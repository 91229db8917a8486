import { type ParseArgsConfig, parseArgs } from 'node:util';
import { type Config, loadConfig } from '../config/env.ts';
import { UsageError } from '../config/errors.ts';
import type { CliIO } from './io.ts';

export interface CommandContext {
  io: CliIO;
  /** Loads (once) and returns the validated configuration. */
  config(): Config;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(args: string[], context: CommandContext): Promise<number>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Strict flag parsing: unknown flags and missing values are usage errors (exit 2) with
 * a pointer to the command's help instead of a stack trace.
 */
export function parseFlags<T extends Options>(
  command: string,
  args: string[],
  options: T,
  allowPositionals = false,
): {
  values: ReturnType<
    typeof parseArgs<{ options: T; args: string[]; strict: true; allowPositionals: boolean }>
  >['values'];
  positionals: string[];
} {
  try {
    const parsed = parseArgs({ args, options, strict: true, allowPositionals });
    return { values: parsed.values, positionals: parsed.positionals };
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    const unknown = /Unknown option '([^']+)'/.exec(message ?? '');
    const detail = unknown
      ? `Unknown option '${unknown[1]}'`
      : (message ?? 'invalid arguments').replace(/\.$/, '');
    throw new UsageError(`${detail}. Run 'payrixa ${command} --help' for usage.`);
  }
}

export function makeContext(io: CliIO): CommandContext {
  let config: Config | null = null;
  return {
    io,
    config() {
      config ??= loadConfig(io.env);
      return config;
    },
  };
}
