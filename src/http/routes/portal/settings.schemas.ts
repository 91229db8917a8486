import { ButtonForm, Form, FormText, IdParams } from '../../schemas/index.ts';

/** Form schemas of `/portal/settings/` (see src/http/schemas/forms.ts for the rules). */

export const SettingsForm = Form({
  to_email: FormText(254),
  cc_email: FormText(254),
  attach_pdf: FormText(10),
  weekly_report_enabled: FormText(10),
  drift_sensitivity: FormText(20),
  time_zone: FormText(64),
  weekly_report_day: FormText(20),
  weekly_report_hour: FormText(4),
});

export const TokenForm = Form({
  name: FormText(400),
  expires_at: FormText(40),
});

export const TokenIdParams = IdParams;

export const RevokeTokenForm = ButtonForm;
