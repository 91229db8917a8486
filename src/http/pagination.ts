import type { FastifyRequest } from 'fastify';
import { AppError } from '../config/errors.ts';

/** Default and maximum `page_size` (web-api-ops §4.1). */
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

export interface PageRequest {
  page: number;
  pageSize: number;
  offset: number;
  limit: number;
}

/** The `{count,next,previous,results}` envelope of every API list. */
export interface PageEnvelope<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

function invalidPage(): AppError {
  return new AppError('not_found', 'Invalid page.', 404);
}

function single(value: unknown): string | undefined {
  // Routes with a query schema hand over numbers already (validated: 1–200, page ≥ 1).
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return typeof value[0] === 'string' ? value[0] : undefined;
  return typeof value === 'string' ? value : undefined;
}

/**
 * Reads `?page=` (1-based; 0, negative or non-numeric → 404 "Invalid page.") and
 * `?page_size=` (1–200; out-of-range or junk falls back to the default, capped at 200).
 */
export function parsePageRequest(request: FastifyRequest): PageRequest {
  const query = (request.query ?? {}) as Record<string, unknown>;
  const pageText = single(query['page']);
  let page = 1;
  if (pageText !== undefined) {
    if (!/^\d{1,9}$/.test(pageText)) throw invalidPage();
    page = Number(pageText);
    if (page < 1) throw invalidPage();
  }
  const sizeText = single(query['page_size']);
  let pageSize = DEFAULT_PAGE_SIZE;
  if (sizeText !== undefined && /^\d{1,9}$/.test(sizeText)) {
    const n = Number(sizeText);
    if (n >= 1) pageSize = Math.min(n, MAX_PAGE_SIZE);
  }
  return { page, pageSize, offset: (page - 1) * pageSize, limit: pageSize };
}

/** The absolute URL of the request with `page` replaced (scheme/host from the trusted request). */
export function pageUrl(request: FastifyRequest, page: number): string {
  const url = new URL(request.url, `${request.protocol}://${request.host}`);
  if (page === 1) url.searchParams.delete('page');
  else url.searchParams.set('page', String(page));
  return url.toString();
}

/**
 * Builds the envelope. A page beyond the last one is a 404 (page 1 of an empty list is
 * valid and returns no results).
 */
export function paginate<T>(
  request: FastifyRequest,
  pageRequest: PageRequest,
  count: number,
  results: T[],
): PageEnvelope<T> {
  const lastPage = Math.max(1, Math.ceil(count / pageRequest.pageSize));
  if (pageRequest.page > lastPage) throw invalidPage();
  return {
    count,
    next: pageRequest.page < lastPage ? pageUrl(request, pageRequest.page + 1) : null,
    previous: pageRequest.page > 1 ? pageUrl(request, pageRequest.page - 1) : null,
    results,
  };
}

/** Convenience for in-memory lists (small, already filtered). */
export function paginateArray<T>(request: FastifyRequest, items: readonly T[]): PageEnvelope<T> {
  const pageRequest = parsePageRequest(request);
  return paginate(
    request,
    pageRequest,
    items.length,
    items.slice(pageRequest.offset, pageRequest.offset + pageRequest.limit),
  );
}
