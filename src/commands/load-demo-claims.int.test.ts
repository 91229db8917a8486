import { afterEach, describe, expect, it } from 'vitest';
import { onPostgres } from '../../test/db.ts';
import { createIngestionHarness, type IngestionHarness } from '../../test/ingestion.ts';
import { countClaims } from '../db/repositories/claims.repository.ts';
import { silentLogger } from '../obs/logger.ts';
import { loadDemoClaims } from './load-demo-claims.ts';

let harness: IngestionHarness | null = null;
afterEach(async () => {
  await harness?.dispose();
  harness = null;
});

describe(`demo claims load (${onPostgres ? 'PostgreSQL' : 'PGlite'})`, () => {
  it('§7.2: one upload per generated file, none failed, category counts equal the manifest, aliases mapped', async () => {
    harness = await createIngestionHarness({ startWorker: false });
    const h = harness;
    const names: string[] = [];
    const result = await loadDemoClaims(
      { database: h.services.database, config: h.services.config, logger: silentLogger() },
      {
        customerId: h.customerId,
        // The demo options at a small volume (the full demo is ≈ 25,000 rows).
        generator: {
          seed: 20261127,
          endDate: '2026-11-27',
          claimsPerDay: 4,
          dirtyRate: 0.05,
          formatVariety: 0.05,
          split: 'monthly',
        },
        onFile: (name) => names.push(name),
      },
    );
    expect(result.problems).toEqual([]);
    expect(result.uploads).toHaveLength(result.manifest.files.length);
    expect(names).toEqual(result.manifest.files.map((f) => f.name));
    expect(result.uploads.every((u) => u.status === 'success' || u.status === 'partial')).toBe(true);
    expect(result.manifest.totals.expected.rejected).toBeGreaterThan(0);
    const stored = await countClaims(h.services.database.db, h.customerId);
    expect(stored).toBeGreaterThan(0);
    expect(stored).toBeLessThanOrEqual(result.manifest.totals.expected.accepted);
  }, 300_000);
});
