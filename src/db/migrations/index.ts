import { migration as m0001 } from './0001_accounts.ts';
import { migration as m0002 } from './0002_events.ts';
import { migration as m0003 } from './0003_jobs.ts';
import type { Migration } from './types.ts';

/** Every migration in order. Later features append theirs here. */
export const migrations: readonly Migration[] = [m0001, m0002, m0003];
