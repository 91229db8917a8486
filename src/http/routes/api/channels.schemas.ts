import { Type } from 'typebox';
import { CHANNEL_TYPES, MAX_RECIPIENTS } from '../../../domain/alerts/channel-input.ts';
import { Bool, Choice, Id, ListQuery, Nullable, Text } from '../../schemas/index.ts';
import { CustomerParam } from './alert-rules.schemas.ts';

/**
 * Schemas of `channels/` and `channels/{id}/test/` (web-api-ops §4.5, §4.6; alerts-reports §5).
 * The recipients' syntax, the Slack URL and the customer's webhook endpoints are checked by the
 * domain validator (the channels page's messages).
 */

export const Channel = Type.Object(
  {
    id: Id,
    customer: Id,
    name: Type.String({ examples: ['Billing team'] }),
    type: Choice(CHANNEL_TYPES),
    enabled: Type.Boolean(),
    config: Type.Object(
      {
        recipients: Type.Optional(Type.Array(Type.String(), { description: 'email' })),
        webhook_url_masked: Type.Optional(
          Nullable(
            Type.String({ description: 'slack: the last 4 characters of the URL', examples: ['…x9Zq'] }),
          ),
        ),
        endpoint: Type.Optional(Nullable(Id)),
      },
      { description: 'email `{recipients}`, slack `{webhook_url_masked}`, webhook `{endpoint}`.' },
    ),
  },
  { title: 'NotificationChannel' },
);

export const ChannelWrite = Type.Object({
  name: Type.Optional(Text({ maxLength: 100, examples: ['Billing team'] })),
  type: Type.Optional(Choice(CHANNEL_TYPES, { description: 'Fixed after creation.' })),
  enabled: Type.Optional(Bool),
  config: Type.Optional(
    Type.Object(
      {
        recipients: Type.Optional(
          Type.Array(Text({ maxLength: 254 }), {
            maxItems: 100,
            description: `email: 1–${MAX_RECIPIENTS} addresses`,
          }),
        ),
        webhook_url: Type.Optional(
          Text({
            maxLength: 500,
            required: false,
            description:
              'slack: an https://hooks.slack.com/... incoming-webhook URL. Write-only; omit on edit to keep it.',
          }),
        ),
        endpoint: Type.Optional(Id),
      },
      {
        description:
          'email `{recipients}`, slack `{webhook_url}`, webhook `{endpoint}` (a webhook endpoint id).',
      },
    ),
  ),
  customer: CustomerParam,
});

export const ChannelListQuery = ListQuery(
  { customer: CustomerParam, type: Type.Optional(Choice(CHANNEL_TYPES)), enabled: Type.Optional(Bool) },
  { fields: ['name', 'type', 'created_at'], default: 'name' },
);

export const ChannelTestResult = Type.Object(
  {
    status: Choice(['sent', 'failed'] as const),
    detail: Type.String({ examples: ['Slack disabled'] }),
  },
  { title: 'ChannelTestResult' },
);
