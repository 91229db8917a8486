import { Worker } from 'node:worker_threads';

const BOOTSTRAP = new URL('./bootstrap.mjs', import.meta.url);

/**
 * Starts a worker thread running the TypeScript module `entry` (a file URL) with `data` as
 * its workerData. The thread gets its own copy of the environment.
 */
export function spawnThread(entry: URL, data: Record<string, unknown>, name: string): Worker {
  return new Worker(BOOTSTRAP, {
    workerData: { ...data, entry: entry.href },
    name,
    // Threads log and report through messages; keep their stdio on the process's own.
    stdout: false,
    stderr: false,
  });
}
