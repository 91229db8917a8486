import type { Kysely } from 'kysely';
import { AppError, UsageError } from '../../config/errors.ts';
import { findCustomerById, findCustomerByName } from '../../db/repositories/customers.repository.ts';
import type { DB } from '../../db/schema.ts';

/** Resolves `--customer` (an id, or a customer name) to a customer. */
export async function resolveCustomer(
  db: Kysely<DB>,
  value: string | undefined,
  command: string,
): Promise<{ id: number; name: string }> {
  if (!value?.trim())
    throw new UsageError(`--customer is required. Run 'payrixa ${command} --help' for usage.`);
  const text = value.trim();
  const customer = /^\d+$/.test(text)
    ? await findCustomerById(db, Number(text))
    : await findCustomerByName(db, text);
  if (!customer) throw new AppError('not_found', `No customer ${JSON.stringify(text)}.`, 404);
  return { id: customer.id, name: customer.name };
}

/** Formats rows as an aligned text table (CLI output). */
export function textTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

/** Parses `--sensitivity`. */
export function parseSensitivity(
  value: string | undefined,
  command: string,
): 'strict' | 'reference' | undefined {
  if (value === undefined) return undefined;
  const v = value.trim().toLowerCase();
  if (v === 'strict' || v === 'reference') return v;
  throw new UsageError(
    `--sensitivity must be strict or reference. Run 'payrixa ${command} --help' for usage.`,
  );
}
