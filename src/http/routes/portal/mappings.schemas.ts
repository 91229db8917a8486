import { type Static, Type } from 'typebox';
import { Choice, Form, FormText, Id } from '../../schemas/index.ts';

/**
 * The one form of `/portal/mappings/` (web-api-ops §1.6 "Mappings"): every button posts its
 * `action` and the fields of its row. Names, codes and groups are bounded above their columns
 * (255/16/50/100): a too-long value a person typed gets the command's field message (flashed),
 * a hostile one (NUL, megabytes, an array) the 400 page. Ids are hidden fields: a malformed
 * one is a 400 page, an unknown one "… not found".
 */

export const MAPPING_ACTIONS = [
  'add_payer',
  'delete_payer',
  'add_cpt',
  'delete_cpt',
  'add_allow',
  'delete_allow',
  'rename_profile',
  'delete_profile',
  'reapply',
] as const;
export type MappingAction = (typeof MAPPING_ACTIONS)[number];

/** Actions that change the allow-list (owner and admin: manage_configuration). */
export const ALLOWLIST_ACTIONS: readonly string[] = ['add_allow', 'delete_allow'];

export const MappingsForm = Form({
  action: Type.Optional(Choice(MAPPING_ACTIONS)),
  raw_name: FormText(1000),
  normalized_name: FormText(1000),
  cpt_code: FormText(200),
  cpt_group: FormText(200),
  name: FormText(1000),
  mapping_id: Type.Optional(Id),
  entry_id: Type.Optional(Id),
  profile_id: Type.Optional(Id),
});

export type MappingsFormBody = Static<typeof MappingsForm>;
