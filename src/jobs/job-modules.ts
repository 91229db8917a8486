import type { Config } from '../config/env.ts';
import type { Database } from '../db/database.ts';
import type { JobRegistry } from './registry.ts';

/** What a job module exports: extra job kinds for the threads of this process (tests, plugins). */
export type RegisterJobModule = (registry: JobRegistry, deps: { database: Database; config: Config }) => void;

/** Imports job modules (file URLs or paths) and returns their `registerJobs` functions. */
export async function loadJobModules(specifiers: readonly string[]): Promise<RegisterJobModule[]> {
  const registers: RegisterJobModule[] = [];
  for (const specifier of specifiers) {
    const module = (await import(specifier)) as { registerJobs?: RegisterJobModule };
    if (typeof module.registerJobs !== 'function') {
      throw new Error(`job module ${specifier} does not export registerJobs`);
    }
    registers.push(module.registerJobs);
  }
  return registers;
}
