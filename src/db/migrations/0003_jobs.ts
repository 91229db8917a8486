import type { Migration } from './types.ts';

/**
 * Job records. Every background job has a row here whichever queue runs it (the API's
 * `/api/v1/jobs/<id>/` reads it); without Redis the same table is the queue itself.
 */
export const migration: Migration = {
  name: '0003_jobs',
  up: [
    `CREATE TABLE jobs (
       id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
       customer_id bigint REFERENCES customers (id) ON DELETE CASCADE,
       queue varchar(30) NOT NULL,
       kind varchar(50) NOT NULL,
       unique_key varchar(255),
       singleton_key varchar(255),
       payload jsonb NOT NULL DEFAULT '{}'::jsonb,
       status varchar(20) NOT NULL DEFAULT 'queued'
         CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
       attempts integer NOT NULL DEFAULT 0,
       max_attempts integer NOT NULL DEFAULT 3 CHECK (max_attempts >= 1),
       backoff_ms integer NOT NULL DEFAULT 10000,
       run_at timestamptz NOT NULL DEFAULT now(),
       locked_by varchar(100),
       locked_until timestamptz,
       progress_done bigint,
       progress_total bigint,
       result jsonb,
       error text,
       request_id varchar(64),
       created_at timestamptz NOT NULL DEFAULT now(),
       started_at timestamptz,
       finished_at timestamptz
     )`,
    // A scheduled slot or other idempotent job is enqueued at most once, ever.
    'CREATE UNIQUE INDEX jobs_unique_key ON jobs (unique_key) WHERE unique_key IS NOT NULL',
    // Debounced work: at most one queued job per singleton key (a new enqueue reschedules it).
    `CREATE UNIQUE INDEX jobs_singleton_queued ON jobs (singleton_key)
       WHERE singleton_key IS NOT NULL AND status = 'queued'`,
    // The claim query: next due queued job of the given queues.
    `CREATE INDEX jobs_due ON jobs (queue, run_at, id) WHERE status = 'queued'`,
    `CREATE INDEX jobs_running_lease ON jobs (locked_until) WHERE status = 'running'`,
    'CREATE INDEX jobs_customer_created ON jobs (customer_id, created_at DESC)',
  ],
  down: ['DROP TABLE jobs'],
};
