import type { Migration } from './types.ts';

/** Customers (tenants) and user accounts: the only global tables besides events and jobs. */
export const migration: Migration = {
  name: '0001_accounts',
  up: [
    `CREATE TABLE customers (
       id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
       name varchar(255) NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 255),
       is_active boolean NOT NULL DEFAULT true,
       created_at timestamptz NOT NULL DEFAULT now()
     )`,
    // Names are unique ignoring case (web-api-ops §0).
    'CREATE UNIQUE INDEX customers_name_ci ON customers (lower(name))',
    `CREATE TABLE users (
       id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
       username varchar(150) NOT NULL,
       email varchar(254) NOT NULL DEFAULT '',
       first_name varchar(150) NOT NULL DEFAULT '',
       last_name varchar(150) NOT NULL DEFAULT '',
       password_hash text,
       is_active boolean NOT NULL DEFAULT true,
       is_staff boolean NOT NULL DEFAULT false,
       is_superuser boolean NOT NULL DEFAULT false,
       last_login timestamptz,
       date_joined timestamptz NOT NULL DEFAULT now(),
       tokens_valid_after timestamptz
     )`,
    'CREATE UNIQUE INDEX users_username_ci ON users (lower(username))',
    // Email is unique among active users only (a deactivated account frees its address).
    `CREATE UNIQUE INDEX users_email_active_ci ON users (lower(email)) WHERE is_active AND email <> ''`,
  ],
  down: ['DROP TABLE users', 'DROP TABLE customers'],
};
