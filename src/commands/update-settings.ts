import type { Kysely } from 'kysely';
import { AppError, NotFoundError } from '../config/errors.ts';
import {
  lockSettingsById,
  type SettingsRecord,
  updateSettings,
} from '../db/repositories/settings.repository.ts';
import type { DB } from '../db/schema.ts';
import { type SettingsValues, validateSettingsChange } from '../domain/accounts/settings.ts';
import { auditedResult, type CustomerActor } from './customer-audit.ts';

/**
 * Changing a customer's settings (web-api-ops §1.6 "Settings", §4.5 `settings/` PUT/PATCH):
 * one transaction locks the row, validates the change against the stored values, writes it
 * and records audit `settings_updated` (field names only: e-mail addresses are not copied into
 * the append-only audit table). An unchanged submission writes nothing and records nothing.
 */

export interface UpdateSettingsDeps {
  db: Kysely<DB>;
  clock: { now(): Date };
}

export interface UpdateSettingsInput extends CustomerActor {
  settingsId: number;
  /** The submitted fields (JSON body or form). */
  changes: Readonly<Record<string, unknown>>;
  /** PATCH: absent fields keep their value; PUT / the form: a full replacement. */
  partial: boolean;
}

export function settingsValuesOf(row: SettingsRecord): SettingsValues {
  return {
    to_email: row.to_email,
    cc_email: row.cc_email,
    attach_pdf: row.attach_pdf,
    weekly_report_enabled: row.weekly_report_enabled,
    drift_sensitivity: row.drift_sensitivity,
    time_zone: row.time_zone,
    weekly_report_day: row.weekly_report_day,
    weekly_report_hour: row.weekly_report_hour,
  };
}

/**
 * Throws NotFoundError (another customer's or an unknown id) or AppError `invalid` (400 with
 * field errors); returns the row as stored after the change.
 */
export async function updateCustomerSettings(
  deps: UpdateSettingsDeps,
  input: UpdateSettingsInput,
): Promise<{ settings: SettingsRecord; changed: string[] }> {
  return deps.db.transaction().execute(async (trx) => {
    const row = await lockSettingsById(trx, input.customerId, input.settingsId);
    if (!row) throw new NotFoundError();
    const change = validateSettingsChange(settingsValuesOf(row), input.changes, { partial: input.partial });
    if (!change.ok) throw new AppError('invalid', 'Validation failed.', 400, change.errors);
    if (change.changed.length === 0) return { settings: row, changed: [] };
    const saved = await updateSettings(trx, input.customerId, row.id, change.values, deps.clock.now());
    return auditedResult(
      trx,
      input,
      {
        action: 'settings_updated',
        entityType: 'settings',
        entityId: row.id,
        metadata: { fields: change.changed },
      },
      { settings: saved, changed: change.changed },
    );
  });
}
