import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClaimsFixtures, createClaimsFixtures } from '../../test/claims.ts';
import { insertAnomalies } from '../db/repositories/quality.repository.ts';
import {
  daysBefore,
  loadAnomalies,
  loadQualityDashboard,
  loadQualityTrends,
  loadRulesPage,
  loadUploadQualityPage,
  METRIC_TYPES,
} from './quality-pages.ts';

/**
 * Read models of the data-quality pages against a real database: customer A's upload (8 rows)
 * and customer B's (1 row), each processed with its quality report (test/claims.ts).
 */

let fixtures: ClaimsFixtures;
const db = () => fixtures.services.database.db;
const A = () => fixtures.fx.customerA.id;
const B = () => fixtures.fx.customerB.id;

beforeAll(async () => {
  fixtures = await createClaimsFixtures();
});

afterAll(async () => {
  await fixtures.services.dispose();
});

const anomaly = {
  anomalyType: 'volume_anomaly' as const,
  fieldName: null,
  anomalyScore: 0.9,
  confidence: 0.9,
  description: 'test',
  statisticalDetails: {},
  affectedRowCount: 1,
  recommendedAction: 'look',
};

describe('quality read models', () => {
  it('loads an upload’s page only for its own customer, with report, rules and anomalies', async () => {
    await insertAnomalies(db(), A(), fixtures.uploadA.id, [{ ...anomaly, severity: 'high' }]);
    const view = await loadUploadQualityPage(db(), A(), fixtures.uploadA.id);
    expect(view?.upload.id).toBe(fixtures.uploadA.id);
    expect(view?.report?.total_rows).toBe(8);
    expect(view?.rules.length).toBeGreaterThan(0);
    expect(view?.anomalies.some((a) => a.description === 'test')).toBe(true);
    // An API upload without a user has no uploader name.
    expect(view?.uploaderName).toBeNull();
    expect(await loadUploadQualityPage(db(), B(), fixtures.uploadA.id)).toBeUndefined();
  });

  it('scopes the dashboard, anomalies, trends and rules page to the customer and the window', async () => {
    const now = fixtures.services.clock.now();
    const dashboard = await loadQualityDashboard(db(), B(), now);
    expect(dashboard.uploads.map((u) => u.id)).toEqual([fixtures.uploadB.id]);
    expect(dashboard.reportsOfUploads.get(fixtures.uploadB.id)?.total_rows).toBe(1);
    expect(dashboard.reports.every((r) => r.upload_id === fixtures.uploadB.id)).toBe(true);
    expect(dashboard.openAnomalies.every((a) => a.customer_id === B())).toBe(true);

    const openA = await loadAnomalies(db(), A(), daysBefore(now, 30));
    expect(openA.length).toBeGreaterThan(0);
    expect(openA.every((a) => a.customer_id === A())).toBe(true);
    // A window that ends before anything was detected holds nothing.
    expect(await loadAnomalies(db(), A(), new Date(now.getTime() + 60_000))).toEqual([]);

    const trends = await loadQualityTrends(db(), A(), daysBefore(now, 30));
    expect(trends.reports.map((r) => r.upload_id)).toEqual([fixtures.uploadA.id]);
    expect(Object.keys(trends.metricSeries).sort()).toEqual([...METRIC_TYPES].sort());

    const rules = await loadRulesPage(db(), A(), now);
    expect(rules.reports.map((r) => r.upload_id)).toEqual([fixtures.uploadA.id]);
    expect(rules.recent.every((v) => v.customer_id === A())).toBe(true);
  });
});
