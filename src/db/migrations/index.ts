import { migration as m0001 } from './0001_accounts.ts';
import { migration as m0002 } from './0002_events.ts';
import { migration as m0003 } from './0003_jobs.ts';
import { migration as m0004 } from './0004_memberships_products.ts';
import { migration as m0005 } from './0005_sessions_login.ts';
import { migration as m0006 } from './0006_auth_tokens.ts';
import { migration as m0010 } from './0010_ingestion_core.ts';
import { migration as m0020 } from './0020_analytics_runs_findings.ts';
import { migration as m0021 } from './0021_upload_soft_delete.ts';
import { migration as m0022 } from './0022_ingest_bulk_load.ts';
import { migration as m0023 } from './0023_decision_rollups.ts';
import { migration as m0024 } from './0024_settings_delivery.ts';
import { migration as m0025 } from './0025_alerting.ts';
import { migration as m0026 } from './0026_reports.ts';
import { migration as m0027 } from './0027_customer_retention.ts';
import type { Migration } from './types.ts';

/** Every migration in order. Later features append theirs here. */
export const migrations: readonly Migration[] = [
  m0001,
  m0002,
  m0003,
  m0004,
  m0005,
  m0006,
  m0010,
  m0020,
  m0021,
  m0022,
  m0023,
  m0024,
  m0025,
  m0026,
  m0027,
];
