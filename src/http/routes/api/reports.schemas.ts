import { Type } from 'typebox';
import { CONTENT_TYPE_OF_FORMAT, REPORT_FORMATS } from '../../../domain/reports/artifacts.ts';
import { Choice, Text } from '../../schemas/index.ts';
import { CustomerParam } from './mappings.schemas.ts';

/**
 * Schemas of `GET /api/v1/reports/{id}/download/` (web-api-ops §4.5, alerts-reports §13.2).
 * A bad `format` or `min_severity` is a 400 field error before anything is read.
 */

export const ReportDownloadQuery = Type.Object({
  format: Choice([...REPORT_FORMATS], {
    description:
      'File format: `pdf` (weekly drift PDF) and `xlsx` (drift workbook) for successful DriftWatch runs, ' +
      '`csv` (findings) for every successful non-backtest run.',
    examples: ['csv'],
  }),
  min_severity: Type.Optional(
    Type.Number({
      minimum: 0,
      maximum: 1,
      description: 'Only findings with severity at least this (0–1). Builds a fresh, uncached file.',
    }),
  ),
  payer: Type.Optional(
    Text({
      maxLength: 200,
      required: false,
      description:
        'Only findings whose payer contains this (case-insensitive). Builds a fresh, uncached file.',
    }),
  ),
  customer: CustomerParam,
});

const binary = (description: string) => ({ schema: { type: 'string', format: 'binary', description } });

/**
 * The file (not JSON): documented per media type. Fastify sends the Buffer as is (no
 * serialiser runs for a Buffer body), so this only feeds the OpenAPI document.
 */
export const ReportFileResponse = {
  description:
    'The report file as an attachment (`Content-Disposition: attachment; filename="payrixa_…"`). ' +
    'Audited as `report_exported` {export_type, format, record_count}.',
  content: {
    [CONTENT_TYPE_OF_FORMAT.pdf]: binary('Weekly drift PDF (`format=pdf`).'),
    [CONTENT_TYPE_OF_FORMAT.xlsx]: binary('Drift workbook (`format=xlsx`).'),
    'text/csv': binary('Findings CSV, UTF-8 with BOM (`format=csv`).'),
  },
};
