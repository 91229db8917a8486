import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type { CliIO } from '../src/cli/io.ts';
import { main } from '../src/cli/main.ts';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `payrixa <argv>` in-process with its own streams and environment. */
export async function runCli(
  argv: string[],
  env: Record<string, string | undefined>,
  stdinText?: string,
): Promise<CliResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk) => {
    out += String(chunk);
  });
  stderr.on('data', (chunk) => {
    err += String(chunk);
  });
  if (stdinText !== undefined) stdin.end(stdinText);
  else stdin.end();
  const io: CliIO = { stdout, stderr, stdin, env: { ...env } };
  const code = await main(argv, io);
  return { code, stdout: out, stderr: err };
}

/** A development-mode environment with a fresh DATA_DIR (embedded database on disk). */
export function cliEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PAYRIXA_ENV: 'development',
    DATA_DIR: mkdtempSync(path.join(tmpdir(), 'payrixa-cli-')),
    LOG_LEVEL: 'silent',
    ...extra,
  };
}
