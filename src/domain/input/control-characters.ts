/**
 * Control characters in submitted text (issue 11 item 7). PostgreSQL refuses NUL in text
 * and jsonb, and no field of the product carries other C0 controls or DEL legitimately, so
 * they are refused at the edge as a validation error. Tab, line feed and carriage return
 * stay allowed: multi-line notes and pasted values carry them.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: as above, every occurrence
const CONTROL_ALL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g;

export const CONTROL_CHARACTER_MESSAGE = 'Control characters (such as NUL) are not allowed.';

export function hasControlCharacters(text: string): boolean {
  return CONTROL.test(text);
}

/** Replaces each control character by U+FFFD (for keys and log metadata that must never fail). */
export function withoutControlCharacters(text: string): string {
  return text.replace(CONTROL_ALL, '\uFFFD');
}

/**
 * The names of the fields of a parsed body or query whose text (keys or string values, at
 * any depth) holds a control character; `''` when the value itself is a string. Field names
 * are the top-level names, which is what a form or an API client can act on.
 */
export function fieldsWithControlCharacters(value: unknown): string[] {
  if (typeof value === 'string') return hasControlCharacters(value) ? [''] : [];
  if (!isWalkable(value)) return [];
  const fields: string[] = [];
  for (const [name, item] of Object.entries(value)) {
    if (hasControlCharacters(name)) fields.push(withoutControlCharacters(name));
    else if (containsControlCharacters(item)) fields.push(name);
  }
  return fields;
}

function isWalkable(value: unknown): value is Record<string, unknown> {
  // Buffers (raw bodies, file parts) are not text fields.
  return value !== null && typeof value === 'object' && !(value instanceof Uint8Array);
}

/** Iterative (a 1 MB JSON body can nest deeper than the call stack allows). */
function containsControlCharacters(root: unknown): boolean {
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value === 'string') {
      if (hasControlCharacters(value)) return true;
    } else if (Array.isArray(value)) {
      for (const item of value) pending.push(item);
    } else if (isWalkable(value)) {
      for (const [name, item] of Object.entries(value)) {
        if (hasControlCharacters(name)) return true;
        pending.push(item);
      }
    }
  }
  return false;
}
