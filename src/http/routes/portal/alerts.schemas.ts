import { Type } from 'typebox';
import {
  MAX_NOTES_LENGTH,
  MAX_REASON_CODE_LENGTH,
  MAX_REASON_CODES,
} from '../../../domain/alerts/feedback.ts';
import {
  Choice,
  Form,
  FormCheckboxes,
  FormText,
  FormTextArea,
  IdParams,
  PaginationProperties,
} from '../../schemas/index.ts';
import { ALERT_PRODUCTS, ALERT_SEVERITIES, ALERT_STATUSES } from '../api/alerts.schemas.ts';

/**
 * Query and form schemas of the alert pages (alerts-reports §12). The list's filters are the
 * values its selects offer ('' = "All"), so an unknown status, product or severity is a 400 page
 * (issue 11's convention) rather than a silently unfiltered list; a well-formed payer without
 * alerts simply lists nothing. The feedback rules are the domain's, so the form answers with
 * the API's field messages.
 */

const optionalChoice = <const Values extends string[]>(values: readonly [...Values]) =>
  Type.Optional(Choice(['', ...values]));

export const AlertsPageQuery = Type.Object({
  status: optionalChoice(ALERT_STATUSES),
  product: optionalChoice(ALERT_PRODUCTS),
  severity: optionalChoice(ALERT_SEVERITIES),
  payer: FormText(255),
  page: PaginationProperties.page,
});

export const AlertIdParams = IdParams;

export const FeedbackForm = Form({
  verdict: FormText(40),
  // A few more than allowed, so that "too many" is the domain's field message, not a 400 page.
  reason_codes: FormCheckboxes(MAX_REASON_CODES * 2, MAX_REASON_CODE_LENGTH * 2),
  recovered_amount: FormText(40),
  recovered_date: FormText(40),
  notes: FormTextArea(MAX_NOTES_LENGTH * 2),
});
