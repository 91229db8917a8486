import { sql } from 'kysely';
import { createCustomer } from '../../commands/create-customer.ts';
import { setCustomerRetention } from '../../commands/set-customer-retention.ts';
import { AppError, UsageError } from '../../config/errors.ts';
import { createDatabase } from '../../db/database.ts';
import { listCustomerSummaries } from '../../db/repositories/customers.repository.ts';
import { findRetentionOverrides } from '../../db/repositories/settings.repository.ts';
import {
  PRODUCT_LIST_ORDER,
  type ProductSlugName,
  parseProductList,
} from '../../domain/accounts/products.ts';
import {
  CUSTOMER_RETENTION_PERIODS,
  type CustomerRetentionName,
  effectiveRetentionPeriods,
  parseRetentionSetting,
  readRetentionOverrides,
} from '../../domain/retention.ts';
import { systemClock } from '../../services.ts';
import { type Command, parseFlags } from '../context.ts';
import { println } from '../io.ts';
import { resolveCustomer, textTable } from './analytics-shared.ts';

function productText(products: readonly ProductSlugName[]): string {
  const ordered = PRODUCT_LIST_ORDER.filter((p) => products.includes(p));
  return ordered.length > 0 ? ordered.join(', ') : 'none';
}

const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export const customerCommand: Command = {
  name: 'customer',
  summary: 'Create or list customers, set their retention (customer create | list | retention)',
  usage: `Usage: payrixa customer create --name <n> [--products driftwatch,denialscope,delayguard] [--to-email <e>]
       payrixa customer list
       payrixa customer retention <id|name> [--set <period>=<days>]... [--reset <period>|all]...

create:    all three products are enabled unless --products lists fewer ('' for none).
list:      id, name, active, products, members, claims.
retention: this customer's retention periods; --set overrides a RETENTION_* default for it
           (claims at least 120 days, audit at least 365, at most 3650), --reset returns
           a period (or all) to the default. Prints the periods in force. Periods:
           ${CUSTOMER_RETENTION_PERIODS.map((p) => p.name).join(', ')}.`,
  async run(args, context) {
    const [sub, ...rest] = args;
    if (sub === undefined || sub === '--help' || sub === '-h') {
      println(context.io.stdout, customerCommand.usage);
      return sub === undefined ? 2 : 0;
    }
    if (sub === 'create') return create(rest, context);
    if (sub === 'list') return list(rest, context);
    if (sub === 'retention') return retention(rest, context);
    throw new UsageError(`Unknown subcommand '${sub}'. Run 'payrixa customer --help' for usage.`);
  },
};

async function retention(args: string[], context: Parameters<Command['run']>[1]): Promise<number> {
  const { values, positionals } = parseFlags(
    'customer',
    args,
    { set: { type: 'string', multiple: true }, reset: { type: 'string', multiple: true } },
    true,
  );
  if (positionals.length !== 1) {
    throw new UsageError("Name one customer (id or name). Run 'payrixa customer --help' for usage.");
  }
  const set = (values.set ?? []).map((text) => {
    const parsed = parseRetentionSetting(text);
    if (!parsed.ok) throw new UsageError(parsed.problem);
    return { name: parsed.name, days: parsed.days };
  });
  const resetNames = values.reset ?? [];
  const known = new Set<string>(CUSTOMER_RETENTION_PERIODS.map((p) => p.name));
  for (const name of resetNames) {
    if (name !== 'all' && !known.has(name)) throw new UsageError(`Unknown retention period '${name}'.`);
  }
  const reset = resetNames.includes('all') ? ('all' as const) : (resetNames as CustomerRetentionName[]);
  const config = context.config();
  const database = await createDatabase(config, { embedded: { role: 'customer' } });
  try {
    const customer = await resolveCustomer(database.db, positionals[0], 'customer retention');
    const changing = set.length > 0 || reset === 'all' || reset.length > 0;
    const overrides = changing
      ? await setCustomerRetention(
          { db: database.db, clock: systemClock },
          { customerId: customer.id, set, reset, via: 'cli' },
        )
      : readRetentionOverrides(await findRetentionOverrides(database.db, customer.id));
    println(context.io.stdout, `Retention for customer ${customer.id} '${customer.name}':`);
    const effective = effectiveRetentionPeriods(config.retention, overrides);
    for (const line of textTable(
      ['period', 'days', 'source'],
      CUSTOMER_RETENTION_PERIODS.map(({ name, field }) => [
        name,
        String(effective[field]),
        overrides[name] === undefined ? 'default' : 'customer',
      ]),
    ))
      println(context.io.stdout, line);
    return 0;
  } finally {
    await database.close();
  }
}

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
