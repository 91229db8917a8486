/**
 * Schemas of `settings/` (web-api-ops §4.5, §4.6; issue 11 adds time zone and weekly delivery).
 * Plain JSON Schema until the shared TypeBox building blocks (src/http/schemas/) land on this
 * branch; then these become `Type.*` definitions of the same shape.
 */

const SINGLE_LINE = '^[^\\u0000-\\u001f\\u007f]*$';
const WEEKDAY_VALUES = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];

export interface SettingsIdParams {
  id: number;
}
export interface SettingsListQuery {
  customer?: number;
  page?: string;
  page_size?: string;
}

const id = { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } as const;
const customer = { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } as const;

export const Settings = {
  type: 'object',
  title: 'Settings',
  required: [
    'id',
    'customer',
    'to_email',
    'cc_email',
    'attach_pdf',
    'weekly_report_enabled',
    'drift_sensitivity',
    'time_zone',
    'weekly_report_day',
    'weekly_report_hour',
    'updated_at',
  ],
  properties: {
    id,
    customer: id,
    to_email: { type: 'string', examples: ['billing@practice.example'] },
    cc_email: { type: 'string' },
    attach_pdf: { type: 'boolean' },
    weekly_report_enabled: { type: 'boolean' },
    drift_sensitivity: { type: 'string', enum: ['strict', 'reference'] },
    time_zone: { type: 'string', examples: ['America/Chicago'] },
    weekly_report_day: { type: 'string', enum: WEEKDAY_VALUES },
    weekly_report_hour: { type: 'integer', minimum: 0, maximum: 23 },
    updated_at: { type: 'string', format: 'date-time' },
  },
} as const;

/** PUT and PATCH bodies: field types and bounds here; e-mail, time zone and the rules in the domain. */
const SettingsWrite = {
  type: 'object',
  additionalProperties: false,
  properties: {
    to_email: { type: 'string', maxLength: 254, pattern: SINGLE_LINE },
    cc_email: { type: ['string', 'null'], maxLength: 254, pattern: SINGLE_LINE },
    attach_pdf: { type: 'boolean' },
    weekly_report_enabled: { type: 'boolean' },
    drift_sensitivity: { type: 'string', maxLength: 20 },
    time_zone: { type: 'string', maxLength: 64, pattern: SINGLE_LINE },
    weekly_report_day: { type: 'string', maxLength: 9 },
    weekly_report_hour: { type: 'integer', minimum: 0, maximum: 23 },
    customer,
  },
} as const;

const Problem = {
  type: 'object',
  properties: {
    detail: { type: 'string' },
    code: { type: 'string' },
    errors: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } },
    request_id: { type: 'string' },
  },
} as const;
const errors = { 400: Problem, 401: Problem, 403: Problem, 404: Problem, 429: Problem, 500: Problem };

const Page = {
  type: 'object',
  required: ['count', 'next', 'previous', 'results'],
  properties: {
    count: { type: 'integer' },
    next: { type: ['string', 'null'] },
    previous: { type: ['string', 'null'] },
    results: { type: 'array', items: Settings },
  },
} as const;

const IdParams = { type: 'object', required: ['id'], properties: { id } } as const;
const CustomerQuery = {
  type: 'object',
  properties: {
    customer,
    page: { type: 'string', maxLength: 20 },
    page_size: { type: 'string', maxLength: 20 },
  },
} as const;

const security = [{ bearerAuth: [] }, { sessionAuth: [] }];
const base = { tags: ['settings'], security };

export const settingsOperations = {
  list: {
    ...base,
    summary: 'List settings (members: their own row; staff: all or ?customer=)',
    querystring: CustomerQuery,
    response: { 200: Page, ...errors },
  },
  current: {
    ...base,
    summary: "The caller's customer settings",
    querystring: CustomerQuery,
    response: { 200: Settings, ...errors },
  },
  detail: {
    ...base,
    summary: 'One settings row',
    params: IdParams,
    querystring: CustomerQuery,
    response: { 200: Settings, ...errors },
  },
  put: {
    ...base,
    summary: 'Replace settings (manage_configuration)',
    params: IdParams,
    body: SettingsWrite,
    response: { 200: Settings, ...errors },
  },
  patch: {
    ...base,
    summary: 'Change some settings (manage_configuration)',
    params: IdParams,
    body: SettingsWrite,
    response: { 200: Settings, ...errors },
  },
  putCurrent: {
    ...base,
    summary: "Replace the caller's settings",
    querystring: CustomerQuery,
    body: SettingsWrite,
    response: { 200: Settings, ...errors },
  },
  patchCurrent: {
    ...base,
    summary: "Change some of the caller's settings",
    querystring: CustomerQuery,
    body: SettingsWrite,
    response: { 200: Settings, ...errors },
  },
};
