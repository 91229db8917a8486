import { Type } from 'typebox';
import { IdParams, Text } from '../../schemas/index.ts';

/**
 * Form schemas of `/portal/settings/` (bounded, no control characters): hostile input is a
 * 400 page before anything runs. Blank or wrong values that a person can type are left to the
 * domain rules, which re-render the form with the field's message.
 */

const optionalText = (maxLength: number) => Type.Optional(Text({ maxLength, required: false }));

export const SettingsForm = Type.Object({
  csrf_token: optionalText(200),
  to_email: optionalText(254),
  cc_email: optionalText(254),
  attach_pdf: optionalText(10),
  weekly_report_enabled: optionalText(10),
  drift_sensitivity: optionalText(20),
  time_zone: optionalText(64),
  weekly_report_day: optionalText(20),
  weekly_report_hour: optionalText(4),
});

export const TokenForm = Type.Object({
  csrf_token: optionalText(200),
  name: optionalText(400),
  expires_at: optionalText(40),
});

export const TokenIdParams = IdParams;
