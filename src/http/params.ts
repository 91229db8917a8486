/**
 * A positive integer id from a path segment or form field ("42" → 42), or null for anything
 * else (signs, decimals, more than 15 digits, 0). Portal routes answer null with their 404 or
 * field error; API routes declare `IdParams` in their schema instead.
 */
export function parseId(text: string): number | null {
  if (!/^\d{1,15}$/.test(text)) return null;
  const id = Number(text);
  return Number.isSafeInteger(id) && id > 0 ? id : null;
}

/** The path of a request URL without its query string (query strings are never logged or labelled). */
export function pathOf(url: string): string {
  const index = url.indexOf('?');
  return index === -1 ? url : url.slice(0, index);
}
