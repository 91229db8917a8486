import { Type } from 'typebox';
import { DRIFT_SENSITIVITIES, WEEKDAYS } from '../../../domain/accounts/settings.ts';
import { Bool, Choice, DateTimeString, Id, Integer, MAX_ID, PageQuery, Text } from '../../schemas/index.ts';

/**
 * Schemas of `settings/` (web-api-ops §4.5, §4.6) with the delivery fields of issue 11. Types,
 * bounds and choices are checked here; the e-mail syntax, the time zone and the cross-field
 * rule (weekly report needs an e-mail) by `validateSettingsChange`, shared with the portal form.
 */

const CustomerParam = Type.Optional(
  Integer({
    minimum: 1,
    maximum: MAX_ID,
    description: 'Staff only: the customer to act on (members: ignored).',
  }),
);

export const Settings = Type.Object(
  {
    id: Id,
    customer: Id,
    to_email: Type.String({
      description: 'Notification e-mail (alerts, weekly report).',
      examples: ['billing@practice.example'],
    }),
    cc_email: Type.String({ description: 'Copy recipient; empty when none.', examples: [''] }),
    attach_pdf: Type.Boolean(),
    weekly_report_enabled: Type.Boolean(),
    drift_sensitivity: Choice(DRIFT_SENSITIVITIES, {
      description:
        '`strict` = thresholds + false-discovery control (default); `reference` = thresholds only.',
    }),
    time_zone: Type.String({ description: 'IANA time zone of the customer.', examples: ['America/Chicago'] }),
    weekly_report_day: Choice(WEEKDAYS, { description: 'Local weekday of the weekly report e-mail.' }),
    weekly_report_hour: Type.Integer({
      minimum: 0,
      maximum: 23,
      description: 'Local hour (0–23) of the weekly report e-mail.',
    }),
    updated_at: DateTimeString,
  },
  { title: 'Settings' },
);

/** PUT (to_email required; absent booleans false) and PATCH (only what is sent) bodies. */
export const SettingsWrite = Type.Object({
  to_email: Type.Optional(Text({ maxLength: 254, required: false, examples: ['billing@practice.example'] })),
  cc_email: Type.Optional(Type.Union([Text({ maxLength: 254, required: false }), Type.Null()])),
  attach_pdf: Type.Optional(Bool),
  weekly_report_enabled: Type.Optional(Bool),
  drift_sensitivity: Type.Optional(Choice(DRIFT_SENSITIVITIES)),
  time_zone: Type.Optional(Text({ maxLength: 64, examples: ['America/Chicago'] })),
  weekly_report_day: Type.Optional(Choice(WEEKDAYS)),
  weekly_report_hour: Type.Optional(Integer({ minimum: 0, maximum: 23 })),
  customer: CustomerParam,
});

export const SettingsQuery = Type.Object({ customer: CustomerParam });
export const SettingsListQuery = PageQuery({ customer: CustomerParam });
