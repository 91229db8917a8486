import type { IngestionTokenRecord } from '../db/repositories/ingestion-tokens.repository.ts';
import { ingestionTokenState, type TokenState } from '../domain/ingestion/tokens.ts';

/**
 * Ingestion tokens (web-api-ops §4.6) and the ingestion endpoint's answers (§4.7). Pure: the
 * token hash never leaves through here, and the secret only through `presentCreatedToken`.
 */

export interface IngestionTokenView {
  id: number;
  name: string;
  prefix: string;
  is_active: boolean;
  created_at: string;
  created_by: number | null;
  last_used_at: string | null;
  expires_at: string | null;
}

const iso = (value: Date | null): string | null => (value ? new Date(value).toISOString() : null);

/** `now` decides `is_active` (revoked or past expiry → false). */
export function presentIngestionToken(row: IngestionTokenRecord, now: Date): IngestionTokenView {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    is_active: ingestionTokenState(row, now) === 'active',
    created_at: new Date(row.created_at).toISOString(),
    created_by: row.created_by,
    last_used_at: iso(row.last_used_at),
    expires_at: iso(row.expires_at),
  };
}

/** The create response: the token view plus the whole token, shown this once. */
export function presentCreatedToken(
  row: IngestionTokenRecord,
  token: string,
  now: Date,
): IngestionTokenView & { token: string } {
  return { ...presentIngestionToken(row, now), token };
}

/** A row of the settings page's token table (`YYYY-MM-DD HH:MM` in UTC, §0). */
export interface IngestionTokenRow {
  id: number;
  name: string;
  prefix: string;
  created: string;
  createdBy: string;
  lastUsed: string;
  expires: string;
  status: TokenState;
  statusLabel: string;
}

const table = (value: Date | null): string =>
  value ? new Date(value).toISOString().slice(0, 16).replace('T', ' ') : '-';
const STATUS_LABELS: Record<TokenState, string> = {
  active: 'Active',
  revoked: 'Revoked',
  expired: 'Expired',
};

export function presentIngestionTokenRow(
  row: IngestionTokenRecord & { created_by_username: string | null },
  now: Date,
): IngestionTokenRow {
  const status = ingestionTokenState(row, now);
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    created: table(row.created_at),
    createdBy: row.created_by_username ?? '-',
    lastUsed: table(row.last_used_at),
    expires: table(row.expires_at),
    status,
    statusLabel: STATUS_LABELS[status],
  };
}

/** The 202 (and replayed 200) body of `POST /api/v1/ingest/webhook/`. */
export function presentIngestAccepted(result: { ingestionId: number; uploadId: number }) {
  return {
    status: 'accepted' as const,
    ingestion_id: result.ingestionId,
    upload_id: result.uploadId,
    status_url: `/api/v1/uploads/${result.uploadId}/progress/`,
    message: 'Payload received and queued for processing',
  };
}
