import type { Migration } from './types.ts';

/**
 * Single-use password-reset / invitation tokens (stored as SHA-256) and the server-side
 * record of JWT refresh tokens for rotation and reuse detection (web-api-ops §3.5, §4.3).
 */
export const migration: Migration = {
  name: '0006_auth_tokens',
  up: [
    `CREATE TABLE password_reset_tokens (
       id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
       token_hash char(64) NOT NULL UNIQUE,
       user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
       purpose varchar(10) NOT NULL CHECK (purpose IN ('reset', 'invite')),
       created_at timestamptz NOT NULL DEFAULT now(),
       expires_at timestamptz NOT NULL,
       used_at timestamptz
     )`,
    'CREATE INDEX password_reset_tokens_user ON password_reset_tokens (user_id)',
    `CREATE TABLE refresh_tokens (
       jti varchar(64) PRIMARY KEY,
       family varchar(64) NOT NULL,
       user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
       created_at timestamptz NOT NULL DEFAULT now(),
       expires_at timestamptz NOT NULL,
       used_at timestamptz,
       revoked_at timestamptz
     )`,
    'CREATE INDEX refresh_tokens_family ON refresh_tokens (family)',
    'CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id)',
    'CREATE INDEX refresh_tokens_expires ON refresh_tokens (expires_at)',
  ],
  down: ['DROP TABLE refresh_tokens', 'DROP TABLE password_reset_tokens'],
};
