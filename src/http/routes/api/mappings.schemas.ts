import { Type } from 'typebox';
import { DateTimeString, Id, Integer, ListQuery, MAX_ID, Nullable, Text } from '../../schemas/index.ts';

/** Schemas of `payer-mappings/`, `cpt-mappings/`, `payer-allowlist/`, `column-profiles/` (§4.5, §4.6). */

/** Staff name the customer they act on (§4.4); members' own customer is implied. */
export const CustomerParam = Type.Optional(
  Integer({
    minimum: 1,
    maximum: MAX_ID,
    description: 'Staff only: the customer to act on (members: ignored).',
  }),
);

export const PayerMapping = Type.Object(
  {
    id: Id,
    customer: Id,
    raw_name: Type.String({ examples: ['BCBS'] }),
    normalized_name: Type.String({ examples: ['Blue Cross Blue Shield'] }),
  },
  { title: 'PayerMapping' },
);

export const PayerMappingCreate = Type.Object({
  raw_name: Text({ maxLength: 255, examples: ['BCBS'] }),
  normalized_name: Text({ maxLength: 255, examples: ['Blue Cross Blue Shield'] }),
  customer: CustomerParam,
});

export const CptMapping = Type.Object(
  {
    id: Id,
    customer: Id,
    cpt_code: Type.String({ examples: ['99213'] }),
    cpt_group: Type.String({ examples: ['E&M'] }),
  },
  { title: 'CptMapping' },
);

export const CptMappingCreate = Type.Object({
  cpt_code: Text({ maxLength: 16, examples: ['99213'] }),
  cpt_group: Text({ maxLength: 50, examples: ['E&M'] }),
  customer: CustomerParam,
});

export const AllowlistEntry = Type.Object(
  { id: Id, customer: Id, name: Type.String({ examples: ['Humana Gold Plus'] }) },
  { title: 'PayerAllowlistEntry' },
);

export const AllowlistCreate = Type.Object({
  name: Text({ maxLength: 255, examples: ['Humana Gold Plus'] }),
  customer: CustomerParam,
});

export const ColumnProfile = Type.Object(
  {
    id: Id,
    customer: Id,
    name: Type.String({ examples: ['Clearinghouse export'] }),
    mapping: Type.Record(Type.String(), Type.String(), {
      description: 'Canonical field → normalized source header.',
      examples: [{ payer: 'insurance company', cpt: 'procedure' }],
    }),
    use_count: Integer({ minimum: 0 }),
    last_used_at: Nullable(DateTimeString),
    created_at: Nullable(DateTimeString),
  },
  { title: 'ColumnProfile' },
);

export const JobAccepted = Type.Object(
  {
    job_id: Id,
    status_url: Type.String({ examples: ['/api/v1/jobs/17/'], description: 'Relative URL of the job.' }),
  },
  { title: 'JobAccepted' },
);

/** A list query with one ordering field and the staff `customer` filter. */
export function mappingListQuery(field: string) {
  return ListQuery({ customer: CustomerParam }, { fields: [field], default: field });
}

export const CustomerQuery = Type.Object({ customer: CustomerParam });
