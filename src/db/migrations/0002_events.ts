import type { Migration } from './types.ts';

/** Append-only audit trail and the per-customer insight feed (system events). */
export const migration: Migration = {
  name: '0002_events',
  up: [
    // customer_id and user_id are nullable: sign-in and staff events have none.
    `CREATE TABLE audit_events (
       id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
       customer_id bigint REFERENCES customers (id) ON DELETE SET NULL,
       user_id bigint REFERENCES users (id) ON DELETE SET NULL,
       action varchar(50) NOT NULL,
       entity_type varchar(50),
       entity_id text,
       request_id varchar(64),
       ip varchar(45),
       metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
       created_at timestamptz NOT NULL DEFAULT now()
     )`,
    'CREATE INDEX audit_events_customer_created ON audit_events (customer_id, created_at DESC)',
    'CREATE INDEX audit_events_created ON audit_events (created_at DESC)',
    'CREATE INDEX audit_events_action_created ON audit_events (action, created_at DESC)',
    `CREATE TABLE system_events (
       customer_id bigint NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
       id bigint GENERATED ALWAYS AS IDENTITY,
       event_type varchar(50) NOT NULL,
       payload jsonb NOT NULL DEFAULT '{}'::jsonb,
       request_id varchar(64),
       related_upload_id bigint,
       created_at timestamptz NOT NULL DEFAULT now(),
       PRIMARY KEY (customer_id, id)
     )`,
    'CREATE INDEX system_events_customer_created ON system_events (customer_id, created_at DESC)',
  ],
  down: ['DROP TABLE system_events', 'DROP TABLE audit_events'],
};
