import { type TProperties, type TSchema, Type } from 'typebox';
import { AppError } from '../../config/errors.ts';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../pagination.ts';
import { Integer, Nullable, SINGLE_LINE_PATTERN } from './primitives.ts';

/**
 * `?page=` and `?page_size=` (web-api-ops §4.1). `page_size` outside 1–200 is a 400 field error
 * (the spec gives the range; a silent cut would hand back fewer rows than asked for). A bad
 * `page` (0, negative, not a number) is the spec's 404 "Invalid page.": errors.ts maps it.
 */
export const PaginationProperties = {
  page: Type.Optional(
    Integer({ minimum: 1, maximum: 1_000_000_000, description: '1-based page number.', examples: [1] }),
  ),
  page_size: Type.Optional(
    Integer({
      minimum: 1,
      maximum: MAX_PAGE_SIZE,
      description: `Results per page, 1–${MAX_PAGE_SIZE} (default ${DEFAULT_PAGE_SIZE}).`,
      examples: [DEFAULT_PAGE_SIZE],
    }),
  ),
};

/** `?ordering=` as text; the allowed fields are checked by {@link parseOrdering} (code `invalid_ordering`). */
export function OrderingProperty(fields: readonly string[], defaultOrdering?: string) {
  return Type.Optional(
    Type.String({
      maxLength: 200,
      pattern: SINGLE_LINE_PATTERN,
      description:
        `Comma-separated fields, \`-\` for descending: ${fields.join(', ')}.` +
        (defaultOrdering ? ` Default \`${defaultOrdering}\`.` : '') +
        ' Ties are broken by `-id`.',
      examples: [fields[0] ? `-${fields[0]}` : ''],
    }),
  );
}

/** The query of a list endpoint: pagination, `ordering` over `fields`, and the resource's filters. */
export function ListQuery<const Filters extends TProperties>(
  filters: Filters,
  ordering: { fields: readonly string[]; default?: string },
) {
  return Type.Object({
    ...PaginationProperties,
    ordering: OrderingProperty(ordering.fields, ordering.default),
    ...filters,
  });
}

/** The query of a list without ordering: pagination and filters. */
export function PageQuery<const Filters extends TProperties>(filters: Filters) {
  return Type.Object({ ...PaginationProperties, ...filters });
}

export interface OrderTerm<Field extends string> {
  field: Field;
  descending: boolean;
}

/**
 * Parses `ordering` into terms over the allowed fields; an unknown field is the spec's
 * 400 `invalid_ordering` "Invalid ordering field: <f>". Empty or missing → `fallback`.
 */
export function parseOrdering<Field extends string>(
  raw: string | undefined,
  fields: readonly Field[],
  fallback: readonly OrderTerm<Field>[] = [],
): OrderTerm<Field>[] {
  const text = raw?.trim() ?? '';
  if (text === '') return [...fallback];
  const terms: OrderTerm<Field>[] = [];
  for (const part of text.split(',')) {
    const term = part.trim();
    if (term === '') continue;
    const descending = term.startsWith('-');
    const name = descending ? term.slice(1) : term;
    if (!(fields as readonly string[]).includes(name)) {
      throw new AppError('invalid_ordering', `Invalid ordering field: ${name}`, 400);
    }
    terms.push({ field: name as Field, descending });
  }
  return terms.length > 0 ? terms : [...fallback];
}

/** The `{count,next,previous,results}` envelope around `item` (absolute page URLs). */
export function Paginated<T extends TSchema>(item: T, title?: string) {
  return Type.Object(
    {
      count: Integer({ minimum: 0, examples: [1] }),
      next: Nullable(Type.String({ format: 'uri', examples: ['https://payrixa.example/api/v1/x/?page=2'] })),
      previous: Nullable(Type.String({ format: 'uri' })),
      results: Type.Array(item),
    },
    title ? { title } : {},
  );
}
