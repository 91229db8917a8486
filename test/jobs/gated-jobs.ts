import { existsSync } from 'node:fs';
import type { JobRegistry } from '../../src/jobs/registry.ts';

/**
 * Job kinds for the job-thread tests, loaded by the threads themselves (jobModules):
 * - `test.gated` runs until the file named in its payload exists, or until its abort signal
 *   fires (a shutdown) — then it throws, like a handler that undid its work;
 * - `test.stubborn` ignores its abort signal until the file exists (a handler stuck in a
 *   long computation), so stopping must terminate its thread.
 * Both allow ONE attempt: only a hand-back that does not count the interrupted attempt lets
 * them run again after a restart.
 */
export function registerJobs(registry: JobRegistry): void {
  registry.register<{ release_file: string }>({
    kind: 'test.gated',
    queue: 'maintenance',
    maxAttempts: 1,
    async handler({ payload, signal }) {
      while (!existsSync(payload.release_file)) {
        if (signal.aborted) throw new Error('interrupted');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return { released: true };
    },
  });
  registry.register<{ release_file: string }>({
    kind: 'test.stubborn',
    queue: 'maintenance',
    maxAttempts: 1,
    async handler({ payload }) {
      while (!existsSync(payload.release_file)) await new Promise((resolve) => setTimeout(resolve, 20));
      return { released: true };
    },
  });
}
