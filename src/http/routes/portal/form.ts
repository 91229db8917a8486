import type { FastifyRequest } from 'fastify';
import type { AppError } from '../../../config/errors.ts';

/** A submitted form/JSON field as a string ('' when missing or not a string). */
export function field(request: FastifyRequest, name: string): string {
  const body = request.body;
  if (!body || typeof body !== 'object') return '';
  const value = (body as Record<string, unknown>)[name];
  if (Array.isArray(value)) return typeof value[0] === 'string' ? value[0] : '';
  return typeof value === 'string' ? value : '';
}

/** All values of a repeated form field (checkbox groups). */
export function fieldList(request: FastifyRequest, name: string): string[] {
  const body = request.body;
  if (!body || typeof body !== 'object') return [];
  const value = (body as Record<string, unknown>)[name];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return typeof value === 'string' ? [value] : [];
}

/** A query parameter as a string ('' when missing). */
export function queryParam(request: FastifyRequest, name: string): string {
  const query = request.query as Record<string, unknown> | undefined;
  const value = query?.[name];
  if (Array.isArray(value)) return typeof value[0] === 'string' ? value[0] : '';
  return typeof value === 'string' ? value : '';
}

export const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * The message to flash for a refused form: the first field error (the one a person should fix
 * first), else the error's own message.
 */
export function firstMessage(error: AppError): string {
  return Object.values(error.errors ?? {})[0]?.[0] ?? error.message;
}
