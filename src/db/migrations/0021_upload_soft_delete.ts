import type { Migration } from './types.ts';

/**
 * Upload delete as a soft removal (docs/DECISIONS.md "Deleting an upload"): the ingestion spec
 * never hard-deletes claims and keeps uploads referenced by claims, so "delete" gives the upload
 * the final status `deleted` (with who and when) and marks the claims it last wrote
 * `reversed = true`, which takes them out of rollups, analytics and the claims pages.
 *
 * The status CHECK of 0010 had no name, so PostgreSQL (and PGlite) called it
 * `uploads_status_check`; it is replaced by a named one that also admits `deleted`. A deleted
 * upload always carries its `deleted_at`.
 *
 * Down: the old CHECK has no `deleted`, so deleted uploads become `failed` with error_code
 * `upload_deleted` (their claims stay reversed; nothing is restored).
 */
export const migration: Migration = {
  name: '0021_upload_soft_delete',
  up: [
    'ALTER TABLE uploads DROP CONSTRAINT uploads_status_check',
    `ALTER TABLE uploads ADD CONSTRAINT uploads_status_check
       CHECK (status IN ('queued', 'needs_mapping', 'processing', 'success', 'partial', 'failed', 'deleted'))`,
    'ALTER TABLE uploads ADD COLUMN deleted_at timestamptz',
    'ALTER TABLE uploads ADD COLUMN deleted_by bigint REFERENCES users (id) ON DELETE SET NULL',
    `ALTER TABLE uploads ADD CONSTRAINT uploads_deleted_at_check
       CHECK (status <> 'deleted' OR deleted_at IS NOT NULL)`,
  ],
  down: [
    'ALTER TABLE uploads DROP CONSTRAINT uploads_deleted_at_check',
    `UPDATE uploads SET status = 'failed', error_code = 'upload_deleted' WHERE status = 'deleted'`,
    'ALTER TABLE uploads DROP COLUMN deleted_by',
    'ALTER TABLE uploads DROP COLUMN deleted_at',
    'ALTER TABLE uploads DROP CONSTRAINT uploads_status_check',
    `ALTER TABLE uploads ADD CONSTRAINT uploads_status_check
       CHECK (status IN ('queued', 'needs_mapping', 'processing', 'success', 'partial', 'failed'))`,
  ],
};
