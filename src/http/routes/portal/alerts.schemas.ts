import { Type } from 'typebox';
import {
  MAX_NOTES_LENGTH,
  MAX_REASON_CODE_LENGTH,
  MAX_REASON_CODES,
} from '../../../domain/alerts/feedback.ts';
import {
  Form,
  FormCheckboxes,
  FormText,
  FormTextArea,
  IdParams,
  PaginationProperties,
} from '../../schemas/index.ts';

/**
 * Query and form schemas of the alert pages (alerts-reports §12). Filter values a person can pick
 * wrongly are ignored by the page (no such filter); the feedback rules are the domain's, so the
 * form answers with the API's field messages.
 */

export const AlertsPageQuery = Type.Object({
  status: FormText(40),
  product: FormText(40),
  severity: FormText(40),
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
