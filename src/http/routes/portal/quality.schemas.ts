import { Type } from 'typebox';
import { METRIC_TYPES } from '../../../queries/quality-pages.ts';
import { Choice, Form, FormText, FormTextArea, IdParams, Integer } from '../../schemas/index.ts';

/**
 * Schemas of the data-quality pages (ingestion spec §4.4, web-api-ops §1.3). `days` is a whole
 * number of days (1–365; a page offering fixed windows falls back to 30 for any other value, as
 * it always did); a hostile value (NUL, an array, a huge number) is the 400 page. A malformed
 * id is the 404 page. Form fields are bounded text: a wrong rule code or severity a person
 * could send is the rule's flashed message, not a 400.
 */

const Days = Type.Optional(Integer({ minimum: 1, maximum: 365, description: 'Window in days.' }));

export const QualityIdParams = IdParams;

/** The dashboard reads no query parameter; unknown ones are ignored (§4.1). */
export const QualityDashboardQuery = Type.Object({});

export const DaysQuery = Type.Object({ days: Days });

export const MetricChartQuery = Type.Object({
  metric_type: Type.Optional(Choice(METRIC_TYPES)),
  days: Days,
});

/** "Acknowledge" on the anomaly lists: `next` (the page to go back to) makes it a page POST, not JSON. */
export const AcknowledgeForm = Form({
  notes: FormTextArea(10_000),
  next: FormText(2000),
});

/** One rule's row on `/portal/quality/rules/`. */
export const RuleForm = Form({
  code: FormText(100),
  severity: FormText(20),
  enabled: FormText(10),
});
