import type { Migration } from './types.ts';

/**
 * Customer settings for local report delivery (issue 11): the customer's IANA time zone and
 * the weekday and local hour at which the weekly report e-mail should go out.
 *
 * The spec (alerts-reports §13.5) sends the weekly e-mail after the scheduled Monday
 * DriftWatch run (06:00 UTC); these columns let the delivery job of a later issue hold the
 * e-mail until the customer's chosen local day and hour (the first one at or after the run).
 * Defaults keep today's behaviour: UTC, Monday, 06:00 — the run's own slot.
 * `weekly_report_day` is an ISO weekday name (text with a CHECK, as every enumeration here).
 */
export const migration: Migration = {
  name: '0024_settings_delivery',
  up: [
    `ALTER TABLE customer_settings
       ADD COLUMN time_zone varchar(64) NOT NULL DEFAULT 'UTC',
       ADD COLUMN weekly_report_day varchar(9) NOT NULL DEFAULT 'monday'
         CHECK (weekly_report_day IN
           ('monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday')),
       ADD COLUMN weekly_report_hour smallint NOT NULL DEFAULT 6
         CHECK (weekly_report_hour BETWEEN 0 AND 23)`,
  ],
  down: [
    `ALTER TABLE customer_settings
       DROP COLUMN weekly_report_hour,
       DROP COLUMN weekly_report_day,
       DROP COLUMN time_zone`,
  ],
};
