import type { Kysely } from 'kysely';
import type { Config } from '../config/env.ts';
import { NotFoundError, ValidationError } from '../config/errors.ts';
import { isUniqueViolation } from '../db/errors.ts';
import { removeChannelFromRules } from '../db/repositories/alert-rules.repository.ts';
import {
  type ChannelRecord,
  deleteChannel,
  findChannelNamed,
  insertChannel,
  lockChannel,
  type SealedSecret,
  updateChannel,
  webhookEndpointNames,
} from '../db/repositories/notification-channels.repository.ts';
import type { DB } from '../db/schema.ts';
import {
  CHANNEL_MESSAGES,
  type StoredChannel,
  validateChannelInput,
} from '../domain/alerts/channel-input.ts';
import { openSecret, sealSecret, secretLast4 } from '../notify/secrets.ts';
import { recordAudit } from '../obs/audit.ts';
import { auditedResult, type CustomerActor } from './customer-audit.ts';

/**
 * Creating, changing and deleting notification channels (alerts-reports §5; web-api-ops §4.5
 * `channels/`). Shared by the API and the portal; the caller checks the permission of the
 * channel's type (`channelWritePermission`). One transaction each: validate (domain rules plus
 * the free name and the customer's webhook endpoints), seal a new Slack URL under
 * FIELD_ENCRYPTION_KEY, write, audit `channel_created/updated/deleted` and, when the Slack URL
 * changes, `slack_webhook_updated`. No audit metadata ever holds the URL or its last 4.
 */

export interface ChannelDeps {
  db: Kysely<DB>;
  clock: { now(): Date };
  config: Config;
}

export function storedChannelOf(row: ChannelRecord): StoredChannel {
  return {
    name: row.name,
    type: row.type,
    enabled: row.enabled,
    config: row.config ?? {},
    hasSecret: row.secret_enc !== null,
  };
}

function duplicateName(input: Readonly<Record<string, unknown>>): ValidationError {
  const name = typeof input['name'] === 'string' ? input['name'].trim() : '';
  return ValidationError.field('name', CHANNEL_MESSAGES.nameDuplicate(name));
}

async function validated(
  trx: Kysely<DB>,
  customerId: number,
  stored: ChannelRecord | null,
  input: Readonly<Record<string, unknown>>,
  partial: boolean,
) {
  const endpoints = await webhookEndpointNames(trx, customerId);
  const result = validateChannelInput(stored ? storedChannelOf(stored) : null, input, {
    partial,
    endpointIds: new Set(endpoints.keys()),
  });
  // The name is checked even when other fields are wrong, so the form shows every problem at once.
  const name = result.ok ? result.values.name : typeof input['name'] === 'string' ? input['name'].trim() : '';
  const errors = result.ok ? {} : { ...result.errors };
  if (name !== '' && !errors['name'] && (await findChannelNamed(trx, customerId, name, stored?.id ?? null))) {
    errors['name'] = [CHANNEL_MESSAGES.nameDuplicate(name)];
  }
  if (!result.ok || Object.keys(errors).length > 0) throw new ValidationError(errors);
  return result;
}

function sealed(config: Config, url: string | null): SealedSecret | null {
  return url === null ? null : { sealed: sealSecret(config, url), last4: secretLast4(url) };
}

export async function createChannel(
  deps: ChannelDeps,
  actor: CustomerActor,
  input: Readonly<Record<string, unknown>>,
): Promise<ChannelRecord> {
  try {
    return await deps.db.transaction().execute(async (trx) => {
      const { values, slackUrl } = await validated(trx, actor.customerId, null, input, false);
      const row = await insertChannel(
        trx,
        actor.customerId,
        values,
        sealed(deps.config, slackUrl),
        deps.clock.now(),
      );
      return auditedResult(
        trx,
        actor,
        {
          action: 'channel_created',
          entityType: 'notification_channel',
          entityId: row.id,
          metadata: { name: row.name, type: row.type, enabled: row.enabled },
        },
        row,
      );
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw duplicateName(input);
    throw error;
  }
}

/** Whether the submitted URL differs from the stored one (an unreadable stored URL: yes). */
function slackUrlChanged(config: Config, row: ChannelRecord, url: string): boolean {
  if (!row.secret_enc) return true;
  try {
    return openSecret(config, row.secret_enc) !== url;
  } catch {
    return true;
  }
}

/** PUT/the edit form (`partial: false`) or PATCH; the type is fixed after creation. */
export async function changeChannel(
  deps: ChannelDeps,
  actor: CustomerActor,
  channelId: number,
  input: Readonly<Record<string, unknown>>,
  partial: boolean,
): Promise<ChannelRecord> {
  try {
    return await deps.db.transaction().execute(async (trx) => {
      const row = await lockChannel(trx, actor.customerId, channelId);
      if (!row) throw new NotFoundError();
      const result = await validated(trx, actor.customerId, row, input, partial);
      const urlChanged = result.slackUrl !== null && slackUrlChanged(deps.config, row, result.slackUrl);
      const changed = result.changed.filter((field) => field !== 'webhook_url');
      if (changed.length === 0 && !urlChanged) return row;
      const saved = await updateChannel(
        trx,
        actor.customerId,
        row.id,
        result.values,
        urlChanged ? sealed(deps.config, result.slackUrl) : null,
        deps.clock.now(),
      );
      if (urlChanged) {
        await recordAudit(trx, {
          action: 'slack_webhook_updated',
          customerId: actor.customerId,
          userId: actor.userId,
          entityType: 'notification_channel',
          entityId: row.id,
          requestId: actor.requestId ?? null,
          ip: actor.ip ?? null,
          metadata: { name: saved.name, ...(actor.actingAsOperator && { acting_as_operator: true }) },
        });
      }
      if (changed.length === 0) return saved;
      return auditedResult(
        trx,
        actor,
        {
          action: 'channel_updated',
          entityType: 'notification_channel',
          entityId: row.id,
          metadata: { name: saved.name, type: saved.type, fields: changed },
        },
        saved,
      );
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw duplicateName(input);
    throw error;
  }
}

/** Deletes the channel and takes it out of the rules that list it (their routing is unchanged). */
export async function removeChannel(
  deps: ChannelDeps,
  actor: CustomerActor,
  channelId: number,
): Promise<ChannelRecord> {
  return deps.db.transaction().execute(async (trx) => {
    const row = await lockChannel(trx, actor.customerId, channelId);
    if (!row) throw new NotFoundError();
    await deleteChannel(trx, actor.customerId, row.id);
    const rulesChanged = await removeChannelFromRules(trx, actor.customerId, row.id, deps.clock.now());
    return auditedResult(
      trx,
      actor,
      {
        action: 'channel_deleted',
        entityType: 'notification_channel',
        entityId: row.id,
        metadata: { name: row.name, type: row.type, rules_changed: rulesChanged },
      },
      row,
    );
  });
}
