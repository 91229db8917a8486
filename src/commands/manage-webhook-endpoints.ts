import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Config } from '../config/env.ts';
import { NotFoundError, ValidationError } from '../config/errors.ts';
import {
  deleteWebhookEndpoint as deleteEndpointRow,
  findWebhookEndpoint,
  findWebhookEndpointByName,
  insertWebhookEndpoint,
  updateWebhookEndpoint as updateEndpointRow,
  type WebhookEndpointChanges,
  type WebhookEndpointRecord,
} from '../db/repositories/webhook-endpoints.repository.ts';
import type { DB, JsonObject } from '../db/schema.ts';
import { sealSecret, secretLast4 } from '../notify/secrets.ts';
import { checkDestination, type HostResolver } from '../notify/webhooks/destination-guard.ts';
import { SUBSCRIBABLE_EVENT_TYPES } from '../presenters/webhooks.ts';
import { auditedResult, type CustomerActor } from './customer-audit.ts';

/**
 * Webhook endpoints (alerts-reports §9 "Endpoints"; web-api-ops §4.6): create, update, delete
 * and rotate the signing secret. The secret is 64 lower-case hex characters (32 random bytes)
 * unless one is given, sealed at rest, and handed back only by create and rotate. The URL is
 * checked by the destination guard when saved (and again at every attempt by deliver-webhook).
 * Audit `webhook_endpoint_created/updated/deleted`, `webhook_secret_rotated`: names, the URL's
 * host and flags only — never the secret, and not the URL's path or query, which often carry a
 * receiver's own token.
 */

export interface WebhookEndpointDeps {
  db: Kysely<DB>;
  config: Config;
  clock: { now(): Date };
  /** DNS for the destination check (tests inject one). */
  resolve?: HostResolver;
}

export const WEBHOOK_URL_MESSAGE = 'Webhook URL must be a public https URL.';
export const SECRET_ROTATED_MESSAGE = 'Webhook secret rotated. Copy it now; it will not be shown again.';
/** During this long after a rotation the old secret signs as a second `v1=` (§9). */
export const PREVIOUS_SECRET_GRACE_MS = 24 * 3_600_000;
const NAME_MAX = 100;
const URL_MAX = 2_000;
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

export interface WebhookEndpointInput {
  name?: unknown;
  url?: unknown;
  active?: unknown;
  event_types?: unknown;
  secret?: unknown;
}

/** A new signing secret: 32 random bytes as 64 lower-case hex characters. */
export function generateWebhookSecret(): string {
  return randomBytes(32).toString('hex');
}

function validName(raw: unknown, errors: Record<string, string[]>): string | undefined {
  const name = typeof raw === 'string' ? raw.trim() : '';
  if (name === '') errors['name'] = ['This field is required.'];
  else if (CONTROL.test(name)) errors['name'] = ['Control characters are not allowed.'];
  else if ([...name].length > NAME_MAX)
    errors['name'] = [`Ensure this field has no more than ${NAME_MAX} characters.`];
  else return name;
  return undefined;
}

function validEventTypes(raw: unknown, errors: Record<string, string[]>): string[] | undefined {
  if (raw === undefined || raw === null) return [];
  const list = Array.isArray(raw) ? raw : [raw];
  const known = SUBSCRIBABLE_EVENT_TYPES as readonly string[];
  const bad = list.filter((v) => typeof v !== 'string' || !known.includes(v));
  if (bad.length > 0) {
    errors['event_types'] = bad.map((v) => `"${String(v)}" is not a valid choice.`);
    return undefined;
  }
  // Stored in the spec's order without repeats, so equal subscriptions compare equal.
  return known.filter((type) => list.includes(type));
}

function validActive(raw: unknown, errors: Record<string, string[]>): boolean | undefined {
  if (typeof raw === 'boolean') return raw;
  if (raw === 'true' || raw === 'on' || raw === '1') return true;
  if (raw === 'false' || raw === 'off' || raw === '0' || raw === '') return false;
  errors['active'] = ['Must be a valid boolean.'];
  return undefined;
}

function validSecret(raw: unknown, errors: Record<string, string[]>): string | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  // A customer-chosen secret (e.g. migrating a receiver): long enough to resist guessing.
  if (typeof raw !== 'string' || !/^[\x21-\x7e]{32,128}$/.test(raw)) {
    errors['secret'] = ['The secret must be 32–128 printable characters without spaces.'];
  }
  return typeof raw === 'string' ? raw : undefined;
}

/**
 * The URL rule of §9: http(s) only, `https://` in production, no credentials in it, and every
 * address its host resolves to public unless WEBHOOK_ALLOW_PRIVATE_TARGETS. Anything else is
 * the one message the spec gives.
 */
export async function validateWebhookUrl(
  deps: Pick<WebhookEndpointDeps, 'config' | 'resolve'>,
  raw: unknown,
): Promise<string> {
  const refuse = () => new ValidationError({ url: [WEBHOOK_URL_MESSAGE] }, WEBHOOK_URL_MESSAGE);
  const text = typeof raw === 'string' ? raw.trim() : '';
  if (text === '' || text.length > URL_MAX || CONTROL.test(text)) throw refuse();
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw refuse();
  }
  const schemeOk = url.protocol === 'https:' || (!deps.config.isProduction && url.protocol === 'http:');
  if (!schemeOk || url.username || url.password) throw refuse();
  const check = await checkDestination(url.href, {
    allowPrivate: deps.config.webhookAllowPrivateTargets,
    ...(deps.resolve && { resolve: deps.resolve }),
  });
  if (!check.ok) throw refuse();
  return url.href;
}

function urlHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '';
  }
}

async function assertNameFree(db: Kysely<DB>, customerId: number, name: string, exceptId?: number) {
  const other = await findWebhookEndpointByName(db, customerId, name);
  if (other && other.id !== exceptId) {
    throw ValidationError.field('name', `A webhook endpoint named '${name}' already exists.`);
  }
}

export interface EndpointWithSecret {
  endpoint: WebhookEndpointRecord;
  /** The whole secret: show it once, never store or log it. */
  secret: string;
}

export async function createWebhookEndpoint(
  deps: WebhookEndpointDeps,
  actor: CustomerActor,
  input: WebhookEndpointInput,
): Promise<EndpointWithSecret> {
  const errors: Record<string, string[]> = {};
  const name = validName(input.name, errors);
  const eventTypes = validEventTypes(input.event_types, errors);
  const active = input.active === undefined ? true : validActive(input.active, errors);
  const given = validSecret(input.secret, errors);
  if (Object.keys(errors).length > 0) throw new ValidationError(errors);
  const url = await validateWebhookUrl(deps, input.url);
  const secret = given ?? generateWebhookSecret();
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    await assertNameFree(trx, actor.customerId, name as string);
    const endpoint = await insertWebhookEndpoint(
      trx,
      actor.customerId,
      {
        name: name as string,
        url,
        active: active as boolean,
        eventTypes: eventTypes as string[],
        secretEnc: sealSecret(deps.config, secret),
        secretLast4: secretLast4(secret),
      },
      now,
    );
    return auditedResult(
      trx,
      actor,
      {
        action: 'webhook_endpoint_created',
        entityType: 'webhook_endpoint',
        entityId: endpoint.id,
        metadata: {
          name: endpoint.name,
          host: urlHost(url),
          active: endpoint.active,
          event_types: endpoint.event_types,
          secret_generated: given === undefined,
        },
      },
      { endpoint, secret },
    );
  });
}

/**
 * Changes name, url, active or event types (PATCH: the fields given; PUT: the API passes all).
 * Switching an endpoint back on clears an automatic deactivation and its failure count.
 */
export async function updateWebhookEndpoint(
  deps: WebhookEndpointDeps,
  actor: CustomerActor,
  endpointId: number,
  input: WebhookEndpointInput,
): Promise<WebhookEndpointRecord> {
  const errors: Record<string, string[]> = {};
  const changes: WebhookEndpointChanges = {};
  if (input.name !== undefined) changes.name = validName(input.name, errors) as string;
  if (input.event_types !== undefined)
    changes.eventTypes = validEventTypes(input.event_types, errors) as string[];
  if (input.active !== undefined) changes.active = validActive(input.active, errors) as boolean;
  if (input.secret !== undefined && input.secret !== null && input.secret !== '') {
    errors['secret'] = ['Use rotate-secret to change the secret.'];
  }
  if (Object.keys(errors).length > 0) throw new ValidationError(errors);
  const current = await findWebhookEndpoint(deps.db, actor.customerId, endpointId);
  if (!current) throw new NotFoundError();
  if (input.url !== undefined && input.url !== current.url) {
    changes.url = await validateWebhookUrl(deps, input.url);
  }
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const locked = await findWebhookEndpoint(trx, actor.customerId, endpointId, { forUpdate: true });
    if (!locked) throw new NotFoundError();
    if (changes.name !== undefined) await assertNameFree(trx, actor.customerId, changes.name, endpointId);
    if (changes.active === true && !locked.active) {
      changes.consecutiveFailures = 0;
      changes.disabledReason = null;
    }
    const updated = await updateEndpointRow(trx, actor.customerId, endpointId, changes, now);
    const changed: JsonObject = {};
    if (changes.name !== undefined && changes.name !== locked.name) changed['name'] = changes.name;
    if (changes.url !== undefined) changed['host'] = urlHost(changes.url);
    if (changes.active !== undefined && changes.active !== locked.active) changed['active'] = changes.active;
    if (changes.eventTypes !== undefined) changed['event_types'] = changes.eventTypes;
    return auditedResult(
      trx,
      actor,
      {
        action: 'webhook_endpoint_updated',
        entityType: 'webhook_endpoint',
        entityId: endpointId,
        metadata: { name: updated.name, changes: changed },
      },
      updated,
    );
  });
}

export async function deleteWebhookEndpoint(
  deps: Pick<WebhookEndpointDeps, 'db'>,
  actor: CustomerActor,
  endpointId: number,
): Promise<WebhookEndpointRecord> {
  return deps.db.transaction().execute(async (trx) => {
    const endpoint = await findWebhookEndpoint(trx, actor.customerId, endpointId, { forUpdate: true });
    if (!endpoint) throw new NotFoundError();
    // Its delivery log goes with it (foreign key cascade); the audit event stays.
    await deleteEndpointRow(trx, actor.customerId, endpointId);
    return auditedResult(
      trx,
      actor,
      {
        action: 'webhook_endpoint_deleted',
        entityType: 'webhook_endpoint',
        entityId: endpointId,
        metadata: { name: endpoint.name, host: urlHost(endpoint.url) },
      },
      endpoint,
    );
  });
}

/**
 * A new secret; the old one keeps signing (second `v1=`) for 24 hours so receivers can switch
 * without losing deliveries. Rotating again within those hours drops the older one.
 */
export async function rotateWebhookSecret(
  deps: WebhookEndpointDeps,
  actor: CustomerActor,
  endpointId: number,
): Promise<EndpointWithSecret> {
  const secret = generateWebhookSecret();
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const endpoint = await findWebhookEndpoint(trx, actor.customerId, endpointId, { forUpdate: true });
    if (!endpoint) throw new NotFoundError();
    const updated = await updateEndpointRow(
      trx,
      actor.customerId,
      endpointId,
      {
        secretEnc: sealSecret(deps.config, secret),
        secretLast4: secretLast4(secret),
        previousSecretEnc: endpoint.secret_enc,
        previousSecretExpiresAt: new Date(now.getTime() + PREVIOUS_SECRET_GRACE_MS),
      },
      now,
    );
    return auditedResult(
      trx,
      actor,
      {
        action: 'webhook_secret_rotated',
        entityType: 'webhook_endpoint',
        entityId: endpointId,
        metadata: {
          name: updated.name,
          previous_valid_until: new Date(now.getTime() + PREVIOUS_SECRET_GRACE_MS).toISOString(),
        },
      },
      { endpoint: updated, secret },
    );
  });
}
