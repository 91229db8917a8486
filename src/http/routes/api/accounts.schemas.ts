import { Type } from 'typebox';
import { ROLES } from '../../../domain/accounts/permissions.ts';
import { PRODUCT_SLUGS } from '../../../domain/accounts/products.ts';
import { Choice, DateTimeString, Id, ListQuery, Nullable, PageQuery, Text } from '../../schemas/index.ts';
import { CustomerParam } from './mappings.schemas.ts';

/** Schemas of `customers/` and `members/` (web-api-ops §4.5, §4.6). */

export const ProductSlug = Choice(PRODUCT_SLUGS);
export const Role = Choice(ROLES);

export const Customer = Type.Object(
  {
    id: Id,
    name: Type.String({ examples: ['Acme Billing'] }),
    is_active: Type.Boolean(),
    enabled_products: Type.Array(ProductSlug, { examples: [['denialscope', 'driftwatch', 'delayguard']] }),
    created_at: Nullable(DateTimeString),
  },
  { title: 'Customer' },
);

/**
 * `enabled_products`: a JSON list, or (forms) a repeated or comma-separated field. The comma
 * form is split and checked against the products by the route.
 */
const ProductsField = Type.Union(
  [Type.Array(ProductSlug, { maxItems: 10 }), Text({ maxLength: 200, required: false })],
  { description: 'Products to enable (`denialscope`, `driftwatch`, `delayguard`).' },
);

export const CustomerCreate = Type.Object({
  name: Text({ maxLength: 255, examples: ['Acme Billing'] }),
  enabled_products: Type.Optional(ProductsField),
});

export const CustomerUpdate = Type.Object({
  name: Type.Optional(Text({ maxLength: 255 })),
  enabled_products: Type.Optional(ProductsField),
  is_active: Type.Optional(Type.Boolean({ description: 'Superuser only.' })),
});

export const CustomerListQuery = PageQuery({});

export const Member = Type.Object(
  {
    id: Id,
    user_id: Id,
    username: Type.String({ examples: ['jdoe'] }),
    email: Type.String({ examples: ['jdoe@example.com'] }),
    first_name: Type.String(),
    last_name: Type.String(),
    role: Role,
    last_login: Nullable(DateTimeString),
    created_at: Nullable(DateTimeString),
  },
  { title: 'Member' },
);

export const MemberCreate = Type.Object({
  username: Text({ maxLength: 150, examples: ['jdoe'] }),
  email: Text({ maxLength: 254, examples: ['jdoe@example.com'] }),
  first_name: Type.Optional(Text({ maxLength: 150, required: false })),
  last_name: Type.Optional(Text({ maxLength: 150, required: false })),
  role: Role,
  customer: CustomerParam,
});

export const MemberUpdate = Type.Object({ role: Role, customer: CustomerParam });

export const MemberListQuery = ListQuery(
  { customer: CustomerParam },
  { fields: ['username', 'role'], default: 'username' },
);
