import { Type } from 'typebox';
import { REPORT_FORMATS } from '../../../domain/reports/artifacts.ts';
import { ButtonForm, Choice, FormText, Id, Integer } from '../../schemas/index.ts';

/**
 * Schemas of `/portal/reports/` (alerts-reports §13.4) and its downloads (§13.2). A malformed
 * path (`/download/docx/`, a non-numeric id) is a URL that does not exist: the 404 page. A bad
 * filter value is a 400 page before anything is read.
 */

export const RunsPageQuery = Type.Object({
  page: Type.Optional(Integer({ minimum: 1, maximum: 1_000_000 })),
});

export const RunDownloadParams = Type.Object(
  { id: Id, format: Choice([...REPORT_FORMATS]) },
  { additionalProperties: false },
);

/** The optional filters of §13.2 (a filtered file is built fresh, never cached). */
export const RunDownloadQuery = Type.Object({
  min_severity: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  payer: FormText(200),
});

/** "Generate now" on a run's row: a button, its form posts only the CSRF token. */
export const GenerateReportForm = ButtonForm;
