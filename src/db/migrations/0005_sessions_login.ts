import type { Migration } from './types.ts';

/**
 * Server-side portal sessions (used when REDIS_URL is unset) and the login-failure log
 * behind the lockout of web-api-ops §3.4. The session id in the cookie is never stored:
 * `id` is its SHA-256 (hex).
 */
export const migration: Migration = {
  name: '0005_sessions_login',
  up: [
    `CREATE TABLE sessions (
       id char(64) PRIMARY KEY,
       user_id bigint REFERENCES users (id) ON DELETE CASCADE,
       data jsonb NOT NULL DEFAULT '{}'::jsonb,
       created_at timestamptz NOT NULL DEFAULT now(),
       last_activity_at timestamptz NOT NULL DEFAULT now(),
       expires_at timestamptz NOT NULL
     )`,
    'CREATE INDEX sessions_user ON sessions (user_id) WHERE user_id IS NOT NULL',
    'CREATE INDEX sessions_expires ON sessions (expires_at)',
    // scope: 'username' (lower-cased submitted name, known or not) or 'ip'.
    `CREATE TABLE login_failures (
       id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
       scope varchar(10) NOT NULL CHECK (scope IN ('username', 'ip')),
       key varchar(255) NOT NULL,
       failed_at timestamptz NOT NULL DEFAULT now()
     )`,
    'CREATE INDEX login_failures_key ON login_failures (scope, key, failed_at)',
  ],
  down: ['DROP TABLE login_failures', 'DROP TABLE sessions'],
};
