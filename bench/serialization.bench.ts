/**
 * `npm run bench serialization` (issue 11): what the route schemas themselves cost or save per
 * response, isolated from the database and the socket. For real API list responses (claims,
 * uploads; payer mappings from a literal row), fetched once from a test server, it times
 * - serialisation by the route's response schema (fast-json-stringify, as Fastify compiles it)
 *   against `JSON.stringify` (what a route without a response schema uses), and
 * - query validation by the route's querystring schema (Ajv with Fastify's options).
 * Both variants run interleaved in the same process; the report gives µs per response and the
 * ratio schema ÷ JSON.stringify.
 */
import { performance } from 'node:perf_hooks';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import fastJsonStringify from 'fast-json-stringify';
import type { TSchema } from 'typebox';
import { buildApp } from '../src/http/app.ts';
import { ClaimListItem, ClaimListQuery } from '../src/http/routes/api/claims.schemas.ts';
import { mappingListQuery, PayerMapping } from '../src/http/routes/api/mappings.schemas.ts';
import { UploadListItem, UploadListQuery } from '../src/http/routes/api/uploads.schemas.ts';
import { Paginated } from '../src/http/schemas/index.ts';
import { PASSWORD } from '../test/accounts.ts';
import { createClaimsFixtures } from '../test/claims.ts';
import type { Benchmark, BenchResult } from './run.ts';

const ITERATIONS = 20_000;
const PAGE = 50;

function timeEach(fn: () => unknown): number {
  const start = performance.now();
  for (let i = 0; i < ITERATIONS; i += 1) fn();
  return ((performance.now() - start) * 1000) / ITERATIONS;
}

/** Median of interleaved rounds, so every variant sees the same machine state. */
function compare(...variants: Array<() => unknown>): number[] {
  const samples = variants.map(() => [] as number[]);
  for (let round = 0; round < 7; round += 1) {
    for (const [i, variant] of variants.entries()) samples[i]?.push(timeEach(variant));
  }
  return samples.map((xs) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)] as number);
}

/**
 * The schema as `Nullable` wrote it before the fix: every `type: [T, 'null']` back to
 * `anyOf: [T, null]`, so the cost the fix removed is measured in the same run.
 */
function asUnions(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(asUnions);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) out[key] = asUnions(value);
  const type = out['type'];
  if (Array.isArray(type) && type.length === 2 && type[1] === 'null') {
    const { type: _type, enum: values, ...rest } = out;
    const branch = {
      ...rest,
      type: type[0],
      ...(Array.isArray(values) ? { enum: values.filter((v) => v !== null) } : {}),
    };
    return { anyOf: [branch, { type: 'null' }] };
  }
  return out;
}

/** A full page: the real items repeated to 50, as the list endpoints send them. */
function fullPage(body: { results: unknown[] }): {
  count: number;
  next: string;
  previous: null;
  results: unknown[];
} {
  const results = Array.from({ length: PAGE }, (_, i) => body.results[i % body.results.length]);
  return { count: 1_000_000, next: 'http://localhost/api/v1/x/?page=2', previous: null, results };
}

export const benchmark: Benchmark = {
  name: 'serialization',
  async run(): Promise<BenchResult> {
    const { services } = await createClaimsFixtures();
    const app = await buildApp(services);
    const token = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/token/',
      payload: { username: 'owner_a', password: PASSWORD },
    });
    const headers = { authorization: `Bearer ${(token.json() as { access: string }).access}` };
    const get = async (url: string) => (await app.inject({ method: 'GET', url, headers })).json();

    const cases: Array<{
      name: string;
      schema: TSchema;
      body: unknown;
      query?: { schema: TSchema; value: object };
    }> = [
      {
        name: 'claims/ (50 rows)',
        schema: Paginated(ClaimListItem),
        body: fullPage(await get('/api/v1/claims/')),
        query: {
          schema: ClaimListQuery,
          value: { payer: 'Aetna', outcome: 'DENIED', page: '2', ordering: '-decided_date' },
        },
      },
      {
        name: 'uploads/ (50 rows)',
        schema: Paginated(UploadListItem),
        body: fullPage(await get('/api/v1/uploads/')),
        query: { schema: UploadListQuery, value: { status: 'success', page: '1' } },
      },
      {
        name: 'payer-mappings/ (50 rows)',
        schema: Paginated(PayerMapping),
        body: fullPage({
          results: [
            {
              id: 1,
              customer: 1,
              raw_name: 'AETNA INC',
              normalized_name: 'Aetna',
              created_at: '2026-01-02T03:04:05.000Z',
            },
          ],
        }),
        query: { schema: mappingListQuery('raw_name'), value: { ordering: '-raw_name', page: '1' } },
      },
    ];
    await app.close();
    await services.dispose();

    // The route validator's options (src/http/app.ts plus Fastify's defaults); `x-finite` is
    // ignored here (strict: false), a negligible keyword.
    const ajv = new Ajv({
      coerceTypes: true,
      allErrors: true,
      verbose: true,
      useDefaults: true,
      removeAdditional: true,
      strict: false,
    });
    // ajv-formats is CommonJS: under ESM its function is the default export's `default`.
    addFormats.default(ajv);
    const metrics: Record<string, number> = {};
    const lines = [
      '| Response | JSON.stringify µs | schema, nullable as anyOf (before) µs | schema, nullable as type list (now) µs | now ÷ JSON.stringify | now ÷ before | query validation µs |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ];
    for (const item of cases) {
      const stringify = fastJsonStringify(item.schema as object, { ajv: { strict: false } });
      const stringifyUnions = fastJsonStringify(asUnions(item.schema) as object, { ajv: { strict: false } });
      if (stringify(item.body) !== stringifyUnions(item.body))
        throw new Error(`${item.name}: variants differ`);
      const [plain, unions, schema] = compare(
        () => JSON.stringify(item.body),
        () => stringifyUnions(item.body),
        () => stringify(item.body),
      ) as [number, number, number];
      let validation = Number.NaN;
      if (item.query) {
        const validate = ajv.compile(item.query.schema as object);
        const value = item.query.value;
        validation = timeEach(() => validate({ ...value }));
      }
      const key = item.name.replace(/[^a-z]+/gi, '_').replace(/_+$/, '');
      metrics[`${key}_json_stringify_us`] = Number(plain.toFixed(2));
      metrics[`${key}_schema_anyof_us`] = Number(unions.toFixed(2));
      metrics[`${key}_schema_us`] = Number(schema.toFixed(2));
      metrics[`${key}_ratio`] = Number((schema / plain).toFixed(2));
      lines.push(
        `| \`${item.name}\` | ${plain.toFixed(2)} | ${unions.toFixed(2)} | ${schema.toFixed(2)} | ${(schema / plain).toFixed(2)} | ${(schema / unions).toFixed(2)} | ${Number.isNaN(validation) ? '—' : validation.toFixed(2)} |`,
      );
    }
    console.log(`\n${lines.join('\n')}`);
    return { name: 'serialization', metrics, notes: lines.join('\n') };
  },
};
