import { Type } from 'typebox';
import { SUBSCRIBABLE_EVENT_TYPES } from '../../../presenters/webhooks.ts';
import {
  Choice,
  DateTimeString,
  Id,
  Integer,
  MAX_ID,
  Nullable,
  PageQuery,
  Text,
} from '../../schemas/index.ts';

/** Schemas of `webhook-endpoints/` (web-api-ops §4.5, §4.6; alerts-reports §9). */

const CustomerParam = Type.Optional(
  Integer({
    minimum: 1,
    maximum: MAX_ID,
    description: 'Staff only: the customer to act on (members: ignored).',
  }),
);

const EventTypes = Type.Array(Choice(SUBSCRIBABLE_EVENT_TYPES), {
  maxItems: 10,
  description: 'Events delivered to the endpoint; empty = all. `ping` always reaches the endpoint tested.',
  examples: [['alert.triggered']],
});

export const WebhookEndpoint = Type.Object(
  {
    id: Id,
    customer: Id,
    name: Type.String({ examples: ['Ops pager'] }),
    url: Type.String({ examples: ['https://hooks.example.com/payrixa'] }),
    active: Type.Boolean(),
    event_types: Type.Array(Type.String()),
    secret_last4: Type.String({
      examples: ['9f3a'],
      description: 'The last 4 characters of the signing secret.',
    }),
    created_at: DateTimeString,
  },
  { title: 'WebhookEndpoint' },
);

export const WebhookEndpointWithSecret = Type.Object(
  {
    ...WebhookEndpoint.properties,
    secret: Type.String({
      description: 'The whole signing secret, returned only by create and rotate-secret: store it now.',
      examples: ['0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'],
    }),
  },
  { title: 'WebhookEndpointWithSecret' },
);

const Url = Text({ maxLength: 2000, examples: ['https://hooks.example.com/payrixa'] });

export const WebhookEndpointCreate = Type.Object({
  name: Text({ maxLength: 100, examples: ['Ops pager'] }),
  url: Url,
  active: Type.Optional(Type.Boolean()),
  event_types: Type.Optional(EventTypes),
  secret: Type.Optional(
    Type.String({
      maxLength: 128,
      description: 'Optional own secret (32–128 printable characters); generated (64 hex) when omitted.',
    }),
  ),
  customer: CustomerParam,
});

export const WebhookEndpointReplace = Type.Object({
  name: Text({ maxLength: 100 }),
  url: Url,
  active: Type.Optional(Type.Boolean()),
  event_types: Type.Optional(EventTypes),
  customer: CustomerParam,
});

export const WebhookEndpointPatch = Type.Object({
  name: Type.Optional(Text({ maxLength: 100 })),
  url: Type.Optional(Url),
  active: Type.Optional(Type.Boolean()),
  event_types: Type.Optional(EventTypes),
  customer: CustomerParam,
});

export const WebhookDelivery = Type.Object(
  {
    id: Id,
    event_type: Type.String({ examples: ['ping'] }),
    status: Choice(['pending', 'success', 'retrying', 'failed']),
    attempts: Integer({ minimum: 0 }),
    response_code: Nullable(Integer()),
    last_error: Nullable(Type.String({ examples: ['HTTP 500: Internal Server Error'] })),
    last_attempt_at: Nullable(DateTimeString),
    next_attempt_at: Nullable(DateTimeString),
    created_at: DateTimeString,
  },
  { title: 'WebhookDelivery' },
);

export const CustomerQuery = Type.Object({ customer: CustomerParam });
export const EndpointListQuery = PageQuery({ customer: CustomerParam });
export const DeliveryListQuery = PageQuery({
  customer: CustomerParam,
  status: Type.Optional(Choice(['pending', 'success', 'retrying', 'failed'])),
});
