import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root (where `bin/payrixa` lives). */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** A loopback TCP port free at the moment of asking (the OS picks it). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address ? address.port : 0;
}

/** A `payrixa` child process with its stdout and stderr collected together. */
export interface RunningPayrixa {
  child: ChildProcessWithoutNullStreams;
  /** Everything written so far (stdout and stderr interleaved). */
  output: () => string;
  exited: Promise<number | null>;
}

/**
 * Starts `bin/payrixa <args>` as a real process with only `env` (plus PATH and HOME), for tests
 * of long-running commands (serve, worker) and their signals.
 */
export function spawnPayrixa(args: string[], env: Record<string, string>): RunningPayrixa {
  const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'bin', 'payrixa'), ...args], {
    cwd: PROJECT_ROOT,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += String(chunk);
  });
  child.stderr.on('data', (chunk) => {
    output += String(chunk);
  });
  return {
    child,
    output: () => output,
    exited: new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code))),
  };
}
