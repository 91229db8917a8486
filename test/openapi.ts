import type { FastifyInstance, LightMyRequestResponse } from 'fastify';

/**
 * Harness over the OpenAPI document the app serves (issue 11): the list of operations, the
 * checks a documented operation must pass, requests built from the schemas, and the fuzz
 * cases of each operation. Contract and fuzz tests walk it, so a route converted to schemas
 * is covered without writing a test for it.
 */

export type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  examples?: unknown[];
  [key: string]: unknown;
};

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema: JsonSchema;
}

export interface OperationObject {
  summary?: string;
  description?: string;
  tags?: string[];
  security?: Array<Record<string, string[]>>;
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, { description?: string; content?: Record<string, { schema: JsonSchema }> }>;
}

export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; description?: string };
  paths: Record<string, Record<string, OperationObject>>;
  components?: { securitySchemes?: Record<string, unknown> };
}

export interface Operation {
  method: string;
  /** OpenAPI form: `/api/v1/payer-mappings/{id}/`. */
  path: string;
  op: OperationObject;
}

export const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/** The error responses every documented operation declares (web-api-ops §4.2). */
export const STANDARD_ERROR_STATUSES = ['400', '401', '403', '404', '405', '429'] as const;

export async function loadDocument(app: FastifyInstance): Promise<OpenApiDocument> {
  const response = await app.inject({ method: 'GET', url: '/api/v1/schema/?format=json' });
  if (response.statusCode !== 200) throw new Error(`schema: ${response.statusCode}`);
  return response.json() as OpenApiDocument;
}

export function operationsOf(doc: OpenApiDocument): Operation[] {
  const list: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of HTTP_METHODS) {
      const op = item[method];
      if (op) list.push({ method: method.toUpperCase(), path, op });
    }
  }
  return list;
}

/** `/x/:id/` (Fastify) → `/x/{id}/` (OpenAPI). */
export function openApiPath(fastifyUrl: string): string {
  return fastifyUrl.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/** What a documented operation lacks (empty when complete). */
export function documentationGaps(operation: Operation): string[] {
  const { op } = operation;
  const gaps: string[] = [];
  if (!op.summary) gaps.push('summary');
  if (!op.tags?.length) gaps.push('tags');
  if (!op.security) gaps.push('security');
  for (const status of STANDARD_ERROR_STATUSES) if (!op.responses[status]) gaps.push(`response ${status}`);
  if (!Object.keys(op.responses).some((status) => /^2\d\d$/.test(status))) gaps.push('success response');
  return gaps;
}

export function isPublic(operation: Operation): boolean {
  return Array.isArray(operation.op.security) && operation.op.security.length === 0;
}

export function parametersIn(operation: Operation, where: Parameter['in']): Parameter[] {
  return (operation.op.parameters ?? []).filter((parameter) => parameter.in === where);
}

export function jsonBodySchema(operation: Operation): JsonSchema | null {
  return operation.op.requestBody?.content['application/json']?.schema ?? null;
}

export function responseSchema(operation: Operation, status: number): JsonSchema | null {
  return operation.op.responses[String(status)]?.content?.['application/json']?.schema ?? null;
}

/** The path with its parameters filled (`{id}` → value). */
export function fillPath(path: string, values: Record<string, string | number> = {}, fallback = '1'): string {
  return path.replace(/\{([^}]+)\}/g, (_match, name: string) =>
    encodeURIComponent(String(values[name] ?? fallback)),
  );
}

/** A valid value for a schema: its first example, else the simplest value of its type. */
export function sampleValue(schema: JsonSchema): unknown {
  if (schema.examples?.length) return schema.examples[0];
  if (schema.const !== undefined) return schema.const;
  if (schema.enum?.length) return schema.enum[0];
  if (schema.anyOf?.length) return sampleValue(schema.anyOf[0] as JsonSchema);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'integer':
    case 'number':
      return typeof schema.minimum === 'number' ? Math.max(schema.minimum, 1) : 1;
    case 'boolean':
      return true;
    case 'array':
      return [];
    case 'object':
      return sampleObject(schema);
    case 'null':
      return null;
    default:
      if (schema.format === 'date') return '2026-01-24';
      if (schema.format === 'date-time') return '2026-01-24T08:00:00.000Z';
      if (schema.format === 'email') return 'someone@example.com';
      return 'sample';
  }
}

/** An object with every required property set to a valid sample. */
export function sampleObject(schema: JsonSchema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of schema.required ?? []) {
    const property = schema.properties?.[name];
    if (property) out[name] = sampleValue(property);
  }
  return out;
}

/** One malformed input: where it goes, and what it is. */
export interface FuzzCase {
  label: string;
  where: 'path' | 'query' | 'body';
  name: string;
  /** Query/path: raw (already URL-encoded) text, or several for a repeated parameter. Body: any JSON. */
  value: unknown;
}

const LONG = 'x'.repeat(100_000);

function typesOf(schema: JsonSchema): string[] {
  if (schema.anyOf) return schema.anyOf.flatMap((branch) => typesOf(branch));
  if (schema.type) return Array.isArray(schema.type) ? schema.type : [schema.type];
  if (schema.enum) return ['string'];
  return [];
}

/** Text values no field may take, whatever its type. */
const TEXT_ATTACKS: Array<[string, string]> = [
  ['NUL byte', 'a%00b'],
  ['control character', 'a%01b'],
  ['escape character', 'a%1Bb'],
  ['over-long text', `${LONG.slice(0, 9_000)}`],
];

/**
 * Inputs that are odd but may be valid for a free-text parameter: the answer need not be
 * a 4xx, only never a 5xx.
 */
export const TOLERATED_LABELS = new Set(['invalid UTF-8']);

/** Malformed query or path values (URL-encoded text) for a parameter with this schema. */
export function urlFuzzValues(schema: JsonSchema): Array<[string, string | string[]]> {
  const cases: Array<[string, string | string[]]> = TEXT_ATTACKS.map(([label, value]) => [label, value]);
  cases.push(['invalid UTF-8', '%C3%28']);
  const types = typesOf(schema);
  if (types.includes('integer') || types.includes('number')) {
    cases.push(
      ['not a number', 'abc'],
      ['huge number', '9'.repeat(400)],
      ['1e400', '1e400'],
      ['fraction', '1.5'],
    );
    cases.push(['negative', '-1']);
  }
  if (types.includes('boolean')) cases.push(['not a boolean', 'maybe']);
  if (schema.format === 'date') cases.push(['invalid date', '2026-02-30'], ['not a date', 'yesterday']);
  if (!types.includes('array')) cases.push(['array for a scalar', ['a', 'b']]);
  return cases;
}

/** Malformed JSON values for a body property with this schema. */
export function bodyFuzzValues(schema: JsonSchema): Array<[string, unknown]> {
  const types = typesOf(schema);
  const cases: Array<[string, unknown]> = [
    ['NUL byte', 'a\u0000b'],
    ['control character', 'a\u0001b'],
    ['over-long text', LONG],
    ['object for a scalar', { nested: true }],
  ];
  if (!types.includes('array')) cases.push(['array for a scalar', ['a', 'b']]);
  if (types.includes('integer') || types.includes('number')) {
    cases.push(['huge number', 1e308], ['not a number', 'abc'], ['fraction', 1.5]);
  }
  if (types.includes('boolean')) cases.push(['not a boolean', 'maybe']);
  if (schema.format === 'date') cases.push(['invalid date', '2026-02-30']);
  if (types.includes('array'))
    cases.push(['array of objects', [{ a: 1 }]], ['huge array', Array(5_000).fill('x')]);
  return cases;
}

/** Every fuzz case of an operation: each parameter and body property, one malformed value at a time. */
export function fuzzCases(operation: Operation): FuzzCase[] {
  const cases: FuzzCase[] = [];
  for (const parameter of parametersIn(operation, 'path')) {
    for (const [label, value] of urlFuzzValues(parameter.schema)) {
      if (Array.isArray(value)) continue; // a path segment cannot repeat
      cases.push({ label, where: 'path', name: parameter.name, value });
    }
  }
  for (const parameter of parametersIn(operation, 'query')) {
    for (const [label, value] of urlFuzzValues(parameter.schema)) {
      cases.push({ label, where: 'query', name: parameter.name, value });
    }
  }
  const body = jsonBodySchema(operation);
  if (body) {
    for (const [name, property] of Object.entries(body.properties ?? {})) {
      for (const [label, value] of bodyFuzzValues(property))
        cases.push({ label, where: 'body', name, value });
    }
    for (const [label, value] of [
      ['body is a list', [1, 2]],
      ['body is a string', 'text'],
      ['body is null', null],
    ] as Array<[string, unknown]>) {
      cases.push({ label, where: 'body', name: '', value });
    }
  }
  return cases;
}

/** The request of one fuzz case: other parameters valid (path ids: one that does not exist). */
export function fuzzRequest(
  operation: Operation,
  fuzz: FuzzCase,
  extraQuery: Record<string, string> = {},
): { method: string; url: string; payload?: string; headers: Record<string, string> } {
  const pathValue = fuzz.where === 'path' ? String(fuzz.value) : '987654321';
  const path = operation.path.replace(/\{([^}]+)\}/g, (_m, name: string) =>
    name === fuzz.name || fuzz.where !== 'path' ? pathValue : '987654321',
  );
  const query = Object.entries(extraQuery).map(([k, v]) => `${k}=${encodeURIComponent(v)}`);
  if (fuzz.where === 'query') {
    for (const value of Array.isArray(fuzz.value) ? fuzz.value : [fuzz.value])
      query.push(`${fuzz.name}=${value}`);
  }
  const url = `${path}${query.length ? `?${query.join('&')}` : ''}`;
  const body = jsonBodySchema(operation);
  if (!body) return { method: operation.method, url, headers: {} };
  let payload: unknown = sampleObject(body);
  if (fuzz.where === 'body') {
    payload = fuzz.name === '' ? fuzz.value : { ...(payload as object), [fuzz.name]: fuzz.value };
  }
  return {
    method: operation.method,
    url,
    payload: JSON.stringify(payload),
    headers: { 'content-type': 'application/json' },
  };
}

/** True when a response is the §4.2 error body (detail and code strings). */
export function isProblemBody(response: LightMyRequestResponse): boolean {
  if (!String(response.headers['content-type'] ?? '').startsWith('application/json')) return false;
  try {
    const body = response.json() as { detail?: unknown; code?: unknown };
    return typeof body.detail === 'string' && typeof body.code === 'string';
  } catch {
    return false;
  }
}
