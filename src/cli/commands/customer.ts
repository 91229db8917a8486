import { sql } from 'kysely';
import { createCustomer } from '../../commands/create-customer.ts';
import { AppError, UsageError } from '../../config/errors.ts';
import { createDatabase } from '../../db/database.ts';
import { listCustomerSummaries } from '../../db/repositories/customers.repository.ts';
import {
  PRODUCT_LIST_ORDER,
  type ProductSlugName,
  parseProductList,
} from '../../domain/accounts/products.ts';
import { type Command, parseFlags } from '../context.ts';
import { println } from '../io.ts';

function productText(products: readonly ProductSlugName[]): string {
  const ordered = PRODUCT_LIST_ORDER.filter((p) => products.includes(p));
  return ordered.length > 0 ? ordered.join(', ') : 'none';
}

const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export const customerCommand: Command = {
  name: 'customer',
  summary: 'Create or list customers (customer create | customer list)',
  usage: `Usage: payrixa customer create --name <n> [--products driftwatch,denialscope,delayguard] [--to-email <e>]
       payrixa customer list

create: all three products are enabled unless --products lists fewer ('' for none).
list:   id, name, active, products, members, claims.`,
  async run(args, context) {
    const [sub, ...rest] = args;
    if (sub === undefined || sub === '--help' || sub === '-h') {
      println(context.io.stdout, customerCommand.usage);
      return sub === undefined ? 2 : 0;
    }
    if (sub === 'create') return create(rest, context);
    if (sub === 'list') return list(rest, context);
    throw new UsageError(`Unknown subcommand '${sub}'. Run 'payrixa customer --help' for usage.`);
  },
};

async function create(args: string[], context: Parameters<Command['run']>[1]): Promise<number> {
  const { values } = parseFlags('customer', args, {
    name: { type: 'string' },
    products: { type: 'string' },
    'to-email': { type: 'string' },
  });
  if (!values.name?.trim())
    throw new UsageError("--name is required. Run 'payrixa customer --help' for usage.");
  let products: ProductSlugName[] = [...PRODUCT_LIST_ORDER];
  if (values.products !== undefined) {
    const parsed = parseProductList(values.products);
    if (parsed.unknown.length > 0) {
      throw new UsageError(
        `Unknown product '${parsed.unknown[0]}' (choose from driftwatch, denialscope, delayguard).`,
      );
    }
    products = parsed.products;
  }
  const toEmail = values['to-email']?.trim();
  if (toEmail && !EMAIL_PATTERN.test(toEmail)) throw new AppError('invalid', 'Enter a valid email address.');
  const database = await createDatabase(context.config(), { embedded: { role: 'customer' } });
  try {
    const customer = await database.db.transaction().execute((trx) =>
      createCustomer(trx, {
        name: values.name as string,
        products,
        ...(toEmail ? { toEmail } : {}),
        actorUserId: null,
        via: 'cli',
      }),
    );
    println(
      context.io.stdout,
      `Customer ${customer.id} '${customer.name}' created (products: ${productText(products)}).`,
    );
    return 0;
  } finally {
    await database.close();
  }
}

async function list(args: string[], context: Parameters<Command['run']>[1]): Promise<number> {
  parseFlags('customer', args, {});
  const database = await createDatabase(context.config(), { embedded: { role: 'customer' } });
  try {
    const db = database.db;
    const customers = await listCustomerSummaries(db);
    const claims = new Map<number, number>();
    // The claims table arrives with ingestion; count it when present.
    const hasClaims = await sql<{
      present: boolean;
    }>`select to_regclass('claims') is not null as present`.execute(db);
    if (hasClaims.rows[0]?.present) {
      const rows = await sql<{
        customer_id: number;
        n: number;
      }>`select customer_id, count(*)::int as n from claims where not reversed group by customer_id`.execute(
        db,
      );
      for (const row of rows.rows) claims.set(Number(row.customer_id), Number(row.n));
    }
    const table = [
      ['ID', 'NAME', 'ACTIVE', 'PRODUCTS', 'MEMBERS', 'CLAIMS'],
      ...customers.map((c) => [
        String(c.id),
        c.name,
        c.is_active ? 'yes' : 'no',
        productText(c.products),
        String(c.members),
        String(claims.get(c.id) ?? 0),
      ]),
    ];
    const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
    for (const row of table) {
      println(
        context.io.stdout,
        row
          .map((cell, i) => cell.padEnd(widths[i]!))
          .join('  ')
          .trimEnd(),
      );
    }
    return 0;
  } finally {
    await database.close();
  }
}
