import type { JobRegistry } from '../../src/jobs/registry.ts';
import { PermanentJobError } from '../../src/jobs/types.ts';

/**
 * A job kind that always fails, for the job-metrics tests; loaded by job threads (jobModules) or
 * registered in-process. One attempt: the failure is final at once.
 */
export const FAILING_KIND = 'test.failing';

export function registerJobs(registry: JobRegistry): void {
  registry.register({
    kind: FAILING_KIND,
    queue: 'maintenance',
    maxAttempts: 1,
    async handler() {
      throw new PermanentJobError('this job kind always fails');
    },
  });
}
