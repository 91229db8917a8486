import type { Migration } from './types.ts';

/**
 * Memberships (one customer per user), per-customer product switches and the customer's
 * settings row (web-api-ops §2.1, §2.6, §4.6). Memberships, like users, are account rows
 * outside the per-tenant key rule; product configs and settings are tenant rows whose keys
 * include customer_id.
 */
export const migration: Migration = {
  name: '0004_memberships_products',
  up: [
    `CREATE TABLE memberships (
       id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
       user_id bigint NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
       customer_id bigint NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
       role varchar(20) NOT NULL DEFAULT 'viewer'
         CHECK (role IN ('owner', 'admin', 'analyst', 'viewer')),
       created_at timestamptz NOT NULL DEFAULT now()
     )`,
    'CREATE INDEX memberships_customer_role ON memberships (customer_id, role)',
    `CREATE TABLE product_configs (
       customer_id bigint NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
       product_slug varchar(20) NOT NULL
         CHECK (product_slug IN ('driftwatch', 'denialscope', 'delayguard')),
       enabled boolean NOT NULL DEFAULT true,
       config jsonb NOT NULL DEFAULT '{}'::jsonb,
       updated_at timestamptz NOT NULL DEFAULT now(),
       PRIMARY KEY (customer_id, product_slug)
     )`,
    // One settings row per customer, created with it (§4.6); its own id for the API.
    `CREATE TABLE customer_settings (
       customer_id bigint NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
       id bigint GENERATED ALWAYS AS IDENTITY,
       to_email varchar(254) NOT NULL DEFAULT '',
       cc_email varchar(254) NOT NULL DEFAULT '',
       attach_pdf boolean NOT NULL DEFAULT true,
       weekly_report_enabled boolean NOT NULL DEFAULT false,
       drift_sensitivity varchar(20) NOT NULL DEFAULT 'strict'
         CHECK (drift_sensitivity IN ('strict', 'reference')),
       updated_at timestamptz NOT NULL DEFAULT now(),
       PRIMARY KEY (customer_id, id),
       UNIQUE (customer_id)
     )`,
  ],
  down: ['DROP TABLE customer_settings', 'DROP TABLE product_configs', 'DROP TABLE memberships'],
};
