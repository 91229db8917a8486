import { Type } from 'typebox';
import { FormText } from '../../schemas/forms.ts';
import { Choice } from '../../schemas/primitives.ts';
import { ALERT_PRODUCTS, ALERT_SEVERITIES, ALERT_STATUSES } from '../api/alerts.schemas.ts';

/**
 * Query of `/portal/reports/alerts.xlsx`: the alerts list's filters (alerts-reports §12). The
 * list's form sends `""` for "all", so each choice also accepts the empty string; anything else
 * is a 400 (a link from the list never carries one).
 */
const optionalChoice = <const V extends string[]>(values: readonly [...V]) =>
  Type.Optional(Choice(['', ...values]));

export const AlertsExportQuery = Type.Object({
  status: optionalChoice(ALERT_STATUSES),
  product: optionalChoice(ALERT_PRODUCTS),
  severity: optionalChoice(ALERT_SEVERITIES),
  payer: FormText(255),
});
