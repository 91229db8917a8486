/**
 * Cross-check against the ingestion row pipeline (src/domain/claims): every generated file
 * resolves its header, clean rows are accepted without warnings, and dirty rows land in exactly
 * the categories and warnings the manifest expects (ingestion spec §7.1–§7.2).
 */

import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { CANONICAL_COLUMNS } from '../claims/columns.ts';
import { resolveColumns } from '../claims/headers.ts';
import { createRowPipeline } from '../claims/pipeline.ts';
import { DEMO_CPT_GROUPS, DEMO_PAYER_MAPPINGS, TEMPLATE_COLUMNS } from './catalog.ts';
import { demoGeneratorInput } from './options.ts';
import { renderAll } from './test-helpers.ts';

const KEY = new Uint8Array(32).fill(9);

describe('generated files through the ingestion row pipeline', () => {
  it('uses the canonical column list', () => {
    expect([...TEMPLATE_COLUMNS]).toEqual([...CANONICAL_COLUMNS]);
  });

  it('matches the manifest: accepted, rejected by category, planted warnings, mapped payers', () => {
    const { generator, texts, manifest } = renderAll({
      ...demoGeneratorInput('2026-11-27'),
      claimsPerDay: 30,
      dirtyRate: 0.03,
      formatVariety: 0.1,
    });
    const payerMappings = new Map(DEMO_PAYER_MAPPINGS.map(([raw, name]) => [raw.toLowerCase(), name]));
    const cptMappings = new Map(DEMO_CPT_GROUPS);
    for (const file of manifest.files) {
      const records = parse(texts.get(file.name)!, { relax_column_count: false }) as string[][];
      const columns = resolveColumns(records[0]!);
      if (!columns.ok) throw new Error(columns.message);
      const pipeline = createRowPipeline({
        columns,
        today: generator.options.endDate,
        payerMappings,
        cptMappings,
        claimIds: { key: KEY, customerId: 1 },
      });
      const rejected: Record<string, number> = {
        phi: 0,
        missing_fields: 0,
        invalid_dates: 0,
        invalid_values: 0,
      };
      const warnings: Record<string, number> = {};
      let accepted = 0;
      records.slice(1).forEach((cells, i) => {
        const result = pipeline.processRow(cells, i + 2);
        if (result.status === 'rejected') {
          rejected[result.category] = (rejected[result.category] ?? 0) + 1;
        } else if (result.status === 'accepted') {
          accepted++;
          for (const w of result.warnings) warnings[w.code] = (warnings[w.code] ?? 0) + 1;
          expect(['BCBS', 'BC/BS', 'UHC', 'United Health']).not.toContain(result.row.payer);
          if (['99213', '99214', '99215'].includes(result.row.cpt)) {
            expect(result.row.cptGroup).toBe('E&M Office Visit');
          }
        }
      });
      expect({ file: file.name, accepted, rejected, warnings }).toEqual({
        file: file.name,
        accepted: file.expected.accepted,
        rejected: file.expected.rejected_by_category,
        warnings: file.expected.warnings,
      });
    }
  });
});
