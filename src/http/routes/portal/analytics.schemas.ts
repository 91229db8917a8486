import { Type } from 'typebox';
import { SIGNAL_TYPES } from '../../../presenters/dashboard-common.ts';
import { FEED_DIRECTIONS, FEED_SEVERITIES, FEED_TYPE_VALUES } from '../../../presenters/drift-feed.ts';
import { ButtonForm, Choice, Form, FormText, Integer } from '../../schemas/index.ts';

/**
 * Query and form schemas of the analytics pages (dashboards, drift feed, finding detail,
 * reports, backtest, insights). Every value is bounded and free of control characters, choices
 * are the values the page's own selects offer ('' = "All"), so a NUL byte, a 10 kB payer, a
 * list where one value belongs or `page=1e400` is a 400 page (a malformed `page` the 404
 * "Invalid page.", a malformed id 404) before anything is read. A payer or CPT group that is
 * well-formed but unknown is not an error: the page falls back to its default selection, as
 * before. Unknown query parameters are ignored (links from elsewhere may carry their own).
 */

/** An optional choice; '' is the select's "All" option. */
const optionalChoice = (values: readonly string[]) => Type.Optional(Choice(['', ...values]));

/** Routes without input: nothing to declare, but the route table records that it was looked at. */
export const NoQuery = Type.Object({});

export const DriftWatchQuery = Type.Object({
  payer: FormText(255),
  cpt_group: FormText(50),
  signal: optionalChoice(SIGNAL_TYPES.driftwatch),
});

export const PayerQuery = Type.Object({
  payer: FormText(255),
});

export const DriftFeedQuery = Type.Object({
  product: optionalChoice(FEED_TYPE_VALUES),
  payer: FormText(255),
  severity: optionalChoice(FEED_SEVERITIES),
  direction: optionalChoice(FEED_DIRECTIONS),
  page: Type.Optional(Integer({ minimum: 1, maximum: 1_000_000 })),
});

/** "Run analysis now": a button, its form posts only the CSRF token. */
export const RunAnalysisForm = ButtonForm;

/**
 * The backtest form. Dates and sensitivity are typed or chosen by a person: their mistakes
 * re-render the form with its message (the route's checks), only hostile values are a 400 page.
 */
export const BacktestForm = Form({
  from: FormText(40),
  to: FormText(40),
  sensitivity: FormText(20),
});
