import { describe, expect, it } from 'vitest';
import {
  presentCreatedToken,
  presentIngestAccepted,
  presentIngestionToken,
  presentIngestionTokenRow,
} from './ingestion.ts';
import { presentSettings } from './settings.ts';

const now = new Date('2026-03-01T12:00:00.000Z');
const token = {
  customer_id: 3,
  id: 9,
  name: 'EHR export',
  prefix: '0a1b2c3d',
  token_hash: 'f'.repeat(64),
  created_by: 4,
  last_used_at: null,
  expires_at: new Date('2026-02-01T00:00:00.000Z'),
  revoked_at: null,
  created_at: new Date('2026-01-01T08:30:00.000Z'),
};

describe('ingestion presenters', () => {
  it('token: spec fields only, never the hash; expired is inactive', () => {
    const view = presentIngestionToken(token, now);
    expect(view).toEqual({
      id: 9,
      name: 'EHR export',
      prefix: '0a1b2c3d',
      is_active: false,
      created_at: '2026-01-01T08:30:00.000Z',
      created_by: 4,
      last_used_at: null,
      expires_at: '2026-02-01T00:00:00.000Z',
    });
    expect(JSON.stringify(view)).not.toContain('fff');
    expect(presentCreatedToken({ ...token, expires_at: null }, 'pxi_3_x', now)).toMatchObject({
      is_active: true,
      token: 'pxi_3_x',
    });
  });

  it('page row: table dates and status labels', () => {
    expect(
      presentIngestionTokenRow({ ...token, revoked_at: now, created_by_username: 'owner_a' }, now),
    ).toEqual({
      id: 9,
      name: 'EHR export',
      prefix: '0a1b2c3d',
      created: '2026-01-01 08:30',
      createdBy: 'owner_a',
      lastUsed: '-',
      expires: '2026-02-01 00:00',
      status: 'revoked',
      statusLabel: 'Revoked',
    });
  });

  it('accepted body with a relative status_url', () => {
    expect(presentIngestAccepted({ ingestionId: 5, uploadId: 12 })).toEqual({
      status: 'accepted',
      ingestion_id: 5,
      upload_id: 12,
      status_url: '/api/v1/uploads/12/progress/',
      message: 'Payload received and queued for processing',
    });
  });

  it('settings: the resource shape with ISO updated_at', () => {
    expect(
      presentSettings({
        customer_id: 3,
        id: 7,
        to_email: 'a@example.com',
        cc_email: '',
        attach_pdf: true,
        weekly_report_enabled: false,
        drift_sensitivity: 'strict',
        time_zone: 'UTC',
        weekly_report_day: 'monday',
        weekly_report_hour: 6,
        retention_days: {},
        updated_at: now,
      }),
    ).toEqual({
      id: 7,
      customer: 3,
      to_email: 'a@example.com',
      cc_email: '',
      attach_pdf: true,
      weekly_report_enabled: false,
      drift_sensitivity: 'strict',
      time_zone: 'UTC',
      weekly_report_day: 'monday',
      weekly_report_hour: 6,
      updated_at: '2026-03-01T12:00:00.000Z',
    });
  });
});
