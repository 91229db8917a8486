import type { Kysely } from 'kysely';
import type { Cache } from '../cache/cache.ts';
import { NotFoundError, ValidationError } from '../config/errors.ts';
import {
  type CptGroupMappingRecord,
  deleteCptGroupMapping,
  deletePayerMapping,
  insertCptGroupMapping,
  insertPayerAllowlistEntry,
  insertPayerMapping,
  type PayerAllowlistRecord,
  type PayerMappingRecord,
} from '../db/repositories/mappings.repository.ts';
import {
  deleteColumnMappingProfile,
  deletePayerAllowlistEntry,
  findCptGroupMapping,
  findPayerAllowlistEntry,
  findPayerMapping,
  renameColumnMappingProfile,
} from '../db/repositories/mappings-admin.repository.ts';
import type { DB, JsonObject } from '../db/schema.ts';
import { cptMappingKey, payerKey, payerMappingKey } from '../domain/claims/index.ts';
import { recordAudit } from '../obs/audit.ts';

/**
 * Managing payer mappings, CPT-group mappings and the payer allow-list (ingestion spec §5.3,
 * web-api-ops §1.6 "Mappings"): validation with the spec's messages, the write, its audit
 * event and the invalidation of the customer's mapping caches. Shared by portal and API;
 * permissions are checked by the caller.
 *
 * Each command returns the record it wrote or removed and throws a typed error otherwise
 * (config/errors.ts): `ValidationError` on the field a person typed (required, too long,
 * duplicate: the spec's messages), `NotFoundError` (generic "Not found.", never a hint) for an
 * unknown or another customer's id. The API renders them through the one error path; the
 * portal page flashes the field's message (or its resource's "not found" wording).
 */

export const MAPPING_MESSAGES = {
  payerRequired: 'Both raw name and normalized name are required',
  payerAdded: 'Payer mapping added successfully',
  payerDeleted: 'Payer mapping deleted successfully',
  payerNotFound: 'Payer mapping not found',
  cptRequired: 'Both CPT code and CPT group are required',
  cptAdded: 'CPT group mapping added successfully',
  cptDeleted: 'CPT group mapping deleted successfully',
  cptNotFound: 'CPT group mapping not found',
  allowRequired: 'Name is required',
  allowAdded: 'Payer added to the allow-list',
  allowDeleted: 'Payer removed from the allow-list',
  allowNotFound: 'Allow-list entry not found',
  changed: 'Mappings changed. Stored claims keep their old names until you re-apply mappings.',
  reapplyStarted: 'Re-applying mappings to stored claims. This runs in the background.',
} as const;

export const payerDuplicateMessage = (raw: string) => `Mapping for '${raw}' already exists`;
export const cptDuplicateMessage = (code: string) => `Mapping for CPT code '${code}' already exists`;
export const allowDuplicateMessage = (name: string) => `'${name}' is already on the allow-list`;

/** Prefix of every cached value derived from a customer's mappings (`payer_mappings`, …). */
export function mappingCachePrefix(customerId: number): string {
  return `mappings:${customerId}:`;
}

export interface MappingDeps {
  db: Kysely<DB>;
  cache: Cache;
}

export interface MappingActor {
  customerId: number;
  userId: number | null;
  /** Staff acting for the customer (audited with `acting_as_operator`). */
  actingAsOperator: boolean;
  requestId?: string | null;
  ip?: string | null;
}

const LIMITS = { raw_name: 255, normalized_name: 255, cpt_code: 16, cpt_group: 50, name: 255 } as const;

/**
 * varchar(N) counts characters (code points), and the stored match keys are derived from the
 * value (lower-cased, which can lengthen it: "İ" → "i̇"), so both the value and its key must
 * fit; else the field error, never a database error (issue 11 item 7).
 */
function refuseTooLong(field: keyof typeof LIMITS, value: string, key: string = value): void {
  const max = LIMITS[field];
  if (characterCount(value) > max || characterCount(key) > max)
    throw ValidationError.field(field, `Ensure this field has no more than ${max} characters.`);
}

function characterCount(text: string): number {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

async function audit(
  deps: MappingDeps,
  actor: MappingActor,
  action: string,
  entityType: string,
  entityId: number,
  metadata: JsonObject,
): Promise<void> {
  await recordAudit(deps.db, {
    action,
    customerId: actor.customerId,
    userId: actor.userId,
    entityType,
    entityId,
    requestId: actor.requestId ?? null,
    ip: actor.ip ?? null,
    metadata: { ...metadata, ...(actor.actingAsOperator ? { acting_as_operator: true } : {}) },
  });
}

async function invalidate(deps: MappingDeps, customerId: number): Promise<void> {
  await deps.cache.deletePrefix(mappingCachePrefix(customerId));
}

export async function addPayerMapping(
  deps: MappingDeps,
  actor: MappingActor,
  input: { rawName: string; normalizedName: string },
): Promise<PayerMappingRecord> {
  const rawName = input.rawName.trim();
  const normalizedName = input.normalizedName.trim();
  if (!rawName || !normalizedName) {
    throw ValidationError.field(rawName ? 'normalized_name' : 'raw_name', MAPPING_MESSAGES.payerRequired);
  }
  refuseTooLong('raw_name', rawName, payerMappingKey(rawName));
  refuseTooLong('normalized_name', normalizedName);
  const record = await insertPayerMapping(deps.db, actor.customerId, {
    rawName,
    normalizedName,
    createdBy: actor.userId,
  });
  if (!record) throw ValidationError.field('raw_name', payerDuplicateMessage(rawName));
  await audit(deps, actor, 'payer_mapping_created', 'payer_mapping', record.id, {
    raw_name: record.raw_name,
    normalized_name: record.normalized_name,
  });
  await invalidate(deps, actor.customerId);
  return record;
}

export async function removePayerMapping(
  deps: MappingDeps,
  actor: MappingActor,
  id: number,
): Promise<PayerMappingRecord> {
  const record = await findPayerMapping(deps.db, actor.customerId, id);
  if (!record || !(await deletePayerMapping(deps.db, actor.customerId, id))) throw new NotFoundError();
  await audit(deps, actor, 'payer_mapping_deleted', 'payer_mapping', id, { raw_name: record.raw_name });
  await invalidate(deps, actor.customerId);
  return record;
}

export async function addCptMapping(
  deps: MappingDeps,
  actor: MappingActor,
  input: { cptCode: string; cptGroup: string },
): Promise<CptGroupMappingRecord> {
  const cptCode = input.cptCode.trim();
  const cptGroup = input.cptGroup.trim();
  if (!cptCode || !cptGroup) {
    throw ValidationError.field(cptCode ? 'cpt_group' : 'cpt_code', MAPPING_MESSAGES.cptRequired);
  }
  refuseTooLong('cpt_code', cptMappingKey(cptCode));
  refuseTooLong('cpt_group', cptGroup);
  const record = await insertCptGroupMapping(deps.db, actor.customerId, {
    cptCode,
    cptGroup,
    createdBy: actor.userId,
  });
  if (!record) throw ValidationError.field('cpt_code', cptDuplicateMessage(cptMappingKey(cptCode)));
  await audit(deps, actor, 'cpt_mapping_created', 'cpt_group_mapping', record.id, {
    cpt_code: record.cpt_code,
    cpt_group: record.cpt_group,
  });
  await invalidate(deps, actor.customerId);
  return record;
}

export async function removeCptMapping(
  deps: MappingDeps,
  actor: MappingActor,
  id: number,
): Promise<CptGroupMappingRecord> {
  const record = await findCptGroupMapping(deps.db, actor.customerId, id);
  if (!record || !(await deleteCptGroupMapping(deps.db, actor.customerId, id))) throw new NotFoundError();
  await audit(deps, actor, 'cpt_mapping_deleted', 'cpt_group_mapping', id, { cpt_code: record.cpt_code });
  await invalidate(deps, actor.customerId);
  return record;
}

export async function addAllowlistEntry(
  deps: MappingDeps,
  actor: MappingActor,
  input: { name: string },
): Promise<PayerAllowlistRecord> {
  const name = input.name.trim();
  if (!name) throw ValidationError.field('name', MAPPING_MESSAGES.allowRequired);
  refuseTooLong('name', name, payerKey(name));
  const record = await insertPayerAllowlistEntry(deps.db, actor.customerId, {
    name,
    createdBy: actor.userId,
  });
  if (!record) throw ValidationError.field('name', allowDuplicateMessage(name));
  await audit(deps, actor, 'payer_allowlist_added', 'payer_allowlist', record.id, { name: record.name });
  await invalidate(deps, actor.customerId);
  return record;
}

export async function removeAllowlistEntry(
  deps: MappingDeps,
  actor: MappingActor,
  id: number,
): Promise<PayerAllowlistRecord> {
  const record = await findPayerAllowlistEntry(deps.db, actor.customerId, id);
  if (!record || !(await deletePayerAllowlistEntry(deps.db, actor.customerId, id))) throw new NotFoundError();
  await audit(deps, actor, 'payer_allowlist_removed', 'payer_allowlist', id, { name: record.name });
  await invalidate(deps, actor.customerId);
  return record;
}

// ---- column-mapping profiles (ingestion spec §2.5)

export const PROFILE_MESSAGES = {
  nameRequired: 'Profile name is required',
  renamed: 'Column mapping profile renamed',
  deleted: 'Column mapping profile deleted',
  notFound: 'Column mapping profile not found',
} as const;

export const profileDuplicateMessage = (name: string) => `A profile named '${name}' already exists`;

export async function renameProfile(
  deps: MappingDeps,
  actor: MappingActor,
  id: number,
  input: { name: string },
): Promise<{ id: number; name: string }> {
  const name = input.name.trim();
  if (!name) throw ValidationError.field('name', PROFILE_MESSAGES.nameRequired);
  if (name.length > 100)
    throw ValidationError.field('name', 'Ensure this field has no more than 100 characters.');
  const result = await renameColumnMappingProfile(deps.db, actor.customerId, id, name);
  if (result === 'not_found') throw new NotFoundError();
  if (result === 'duplicate') throw ValidationError.field('name', profileDuplicateMessage(name));
  await audit(deps, actor, 'column_mapping_profile_renamed', 'column_mapping_profile', id, { name });
  return { id, name };
}

export async function removeProfile(
  deps: MappingDeps,
  actor: MappingActor,
  id: number,
): Promise<{ id: number }> {
  if (!(await deleteColumnMappingProfile(deps.db, actor.customerId, id))) throw new NotFoundError();
  await audit(deps, actor, 'column_mapping_profile_deleted', 'column_mapping_profile', id, {});
  return { id };
}
