/**
 * True for PostgreSQL's unique_violation (SQLSTATE 23505), raised the same way by `pg` and
 * PGlite: a concurrent insert won the race for a unique key the caller checked beforehand.
 */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23505';
}
