import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createAccountFixtures } from '../../test/accounts.ts';
import { insertFinding, insertRun } from '../../test/alert-fixtures.ts';
import { createTestDatabase, type TestDatabase } from '../../test/db.ts';
import type { ReportArtifactKind } from '../db/schema.ts';
import { createArtifactStore, sha256Hex } from '../reports/artifact-store.ts';
import type { ReportBuilder, ReportBuilders } from '../reports/builders.ts';
import { generateRunArtifact, runDownload } from './report-artifact.ts';

/** A builder that writes what it was asked for, and counts its calls. */
function countingBuilders(): {
  builders: ReportBuilders;
  calls: Array<{ kind: ReportArtifactKind; payer?: string }>;
} {
  const calls: Array<{ kind: ReportArtifactKind; payer?: string }> = [];
  const make =
    (kind: ReportArtifactKind): ReportBuilder =>
    async ({ run, customerName, filters }) => {
      calls.push({ kind, ...(filters.payer !== undefined && { payer: filters.payer }) });
      return {
        bytes: Buffer.from(`${kind}|${customerName}|${run.id}|${filters.payer ?? ''}`),
        recordCount: 2,
      };
    };
  return {
    builders: { weekly_drift_summary: make('weekly_drift_summary'), findings_csv: make('findings_csv') },
    calls,
  };
}

describe('report artifacts (alerts-reports §13.1–§13.2, §15 rule 4)', () => {
  let handle: TestDatabase | undefined;
  let dataDir: string | undefined;

  afterEach(async () => {
    await handle?.close();
    handle = undefined;
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  async function setUp() {
    handle = await createTestDatabase();
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'payrixa-artifacts-'));
    const db = handle.database.db;
    const fixtures = await createAccountFixtures(db);
    const store = createArtifactStore(dataDir);
    const { builders, calls } = countingBuilders();
    const deps = { db, clock: { now: () => new Date('2026-03-02T07:00:00Z') }, store, builders };
    const runId = await insertRun(db, fixtures.customerA.id, { asOf: '2026-03-02' });
    await insertFinding(db, fixtures.customerA.id, runId);
    await insertFinding(db, fixtures.customerA.id, runId);
    return { db, deps, calls, runId, store, fixtures };
  }

  it('builds once, records size and hash, and serves the stored file afterwards', async () => {
    const { db, deps, calls, runId, fixtures } = await setUp();
    const first = await runDownload(deps, { customerId: fixtures.customerA.id, runId, format: 'pdf' });
    expect(first.filename).toBe('payrixa_weekly_drift_a_2026-03-02.pdf');
    expect(first.contentType).toBe('application/pdf');
    expect(first.recordCount).toBe(2);
    const row = await db.selectFrom('report_artifacts').selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      customer_id: fixtures.customerA.id,
      run_id: runId,
      kind: 'weekly_drift_summary',
      format: 'pdf',
      storage_key: `reports/${fixtures.customerA.id}/weekly_drift_${runId}.pdf`,
      size_bytes: first.bytes.length,
      sha256: sha256Hex(first.bytes),
    });

    const second = await runDownload(deps, { customerId: fixtures.customerA.id, runId, format: 'pdf' });
    expect(second.bytes.equals(first.bytes)).toBe(true);
    expect(second.recordCount).toBe(2);
    expect(calls).toHaveLength(1);
  });

  it('rebuilds when the stored file is gone or altered (an expired PDF is rebuilt on click)', async () => {
    const { deps, calls, runId, store, fixtures } = await setUp();
    const artifact = await generateRunArtifact(deps, {
      customerId: fixtures.customerA.id,
      runId,
      kind: 'weekly_drift_summary',
    });
    await store.remove(artifact.storage_key);
    const rebuilt = await runDownload(deps, { customerId: fixtures.customerA.id, runId, format: 'pdf' });
    expect(sha256Hex(rebuilt.bytes)).toBe(artifact.sha256);
    expect(calls).toHaveLength(2);

    await store.write(artifact.storage_key, Buffer.from('tampered'));
    const again = await runDownload(deps, { customerId: fixtures.customerA.id, runId, format: 'pdf' });
    expect(again.bytes.toString()).not.toBe('tampered');
    expect(calls).toHaveLength(3);
  });

  it('filters build a fresh file that is never cached', async () => {
    const { db, deps, calls, runId, fixtures } = await setUp();
    const filtered = await runDownload(deps, {
      customerId: fixtures.customerA.id,
      runId,
      format: 'csv',
      filters: { payer: 'aet' },
    });
    expect(filtered.artifact).toBeNull();
    expect(filtered.bytes.toString()).toContain('|aet');
    expect(calls).toEqual([{ kind: 'findings_csv', payer: 'aet' }]);
    expect(await db.selectFrom('report_artifacts').selectAll().execute()).toHaveLength(0);
  });

  it("another customer's run, an unknown run and a format the run lacks are not found", async () => {
    const { db, deps, runId, fixtures } = await setUp();
    await expect(
      runDownload(deps, { customerId: fixtures.customerB.id, runId, format: 'pdf' }),
    ).rejects.toThrow(`Run ${runId} not found`);
    await expect(
      runDownload(deps, { customerId: fixtures.customerA.id, runId: runId + 999, format: 'pdf' }),
    ).rejects.toThrow(`Run ${runId + 999} not found`);
    const denialRun = await insertRun(db, fixtures.customerA.id, {
      product: 'denialscope',
      asOf: '2026-03-02',
    });
    await expect(
      runDownload(deps, { customerId: fixtures.customerA.id, runId: denialRun, format: 'pdf' }),
    ).rejects.toThrow('has no PDF download');
    const csv = await runDownload(deps, {
      customerId: fixtures.customerA.id,
      runId: denialRun,
      format: 'csv',
    });
    expect(csv.filename).toBe('payrixa_denialscope_findings_a_2026-03-02.csv');
  });

  it('a kind without a builder is a clear "not available"', async () => {
    const { deps, runId, fixtures } = await setUp();
    await expect(
      runDownload(deps, { customerId: fixtures.customerA.id, runId, format: 'xlsx' }),
    ).rejects.toThrow('The XLSX report is not available.');
  });
});
