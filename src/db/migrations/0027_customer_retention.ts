import type { Migration } from './types.ts';

/**
 * Per-customer retention periods (issue 13 item 6; web-api-ops §7.5): `{ "<period>": days }`
 * overriding the RETENTION_* defaults for one customer. Names and bounds are checked by
 * `parseRetentionSetting` (src/domain/retention.ts) when staff set them and again when read;
 * the column only insists on a JSON object.
 */
export const migration: Migration = {
  name: '0027_customer_retention',
  up: [
    `ALTER TABLE customer_settings
       ADD COLUMN retention_days jsonb NOT NULL DEFAULT '{}'::jsonb
       CHECK (jsonb_typeof(retention_days) = 'object')`,
  ],
  down: ['ALTER TABLE customer_settings DROP COLUMN retention_days'],
};
