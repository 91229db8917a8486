/** Helpers shared by the synthetic generator's tests (not used by production code). */
import { parse } from 'csv-parse/sync';
import {
  createSyntheticGenerator,
  type FileResult,
  type Manifest,
  type SyntheticGenerator,
} from './generator.ts';
import type { GeneratorInput } from './options.ts';

export interface Rendered {
  generator: SyntheticGenerator;
  texts: Map<string, string>;
  results: FileResult[];
  manifest: Manifest;
}

export function renderAll(input: GeneratorInput): Rendered {
  const generator = createSyntheticGenerator(input);
  const texts = new Map<string, string>();
  const results: FileResult[] = [];
  for (const file of generator.files) {
    const { text, result } = generator.render(file);
    texts.set(file.name, text);
    results.push(result);
  }
  return { generator, texts, results, manifest: generator.manifest(results) };
}

/** CSV text → records keyed by header (RFC 4180 via csv-parse). */
export function parseCsv(text: string): Record<string, string>[] {
  return parse(text, { columns: true, skip_empty_lines: true }) as Record<string, string>[];
}

/** Parse a generated date cell (YYYY-MM-DD or MM/DD/YYYY) to a day number; null if neither. */
export function parseDay(value: string): number | null {
  let m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (m) return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / 86_400_000;
  m = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(value);
  if (m) return Date.UTC(Number(m[3]), Number(m[1]) - 1, Number(m[2])) / 86_400_000;
  return null;
}

/** Parse a generated money cell (`12.34` or `$1,234.50`) to integer cents. */
export function parseCents(value: string): number | null {
  const m = /^\$?(\d{1,3}(?:,\d{3})*|\d+)\.(\d{2})$/.exec(value);
  if (!m) return null;
  return Number(m[1]!.replace(/,/g, '')) * 100 + Number(m[2]);
}

export function normalizeOutcome(value: string): string {
  const v = value.toUpperCase();
  if (v === 'APPROVED') return 'PAID';
  if (v === 'REJECTED') return 'DENIED';
  return v;
}
