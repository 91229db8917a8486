import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { findCustomerByName } from '../db/repositories/customers.repository.ts';
import { findUserByUsername, setPasswordHash } from '../db/repositories/users.repository.ts';
import { hashPassword } from '../domain/accounts/passwords.ts';
import type { Role } from '../domain/accounts/permissions.ts';
import { PRODUCT_LIST_ORDER } from '../domain/accounts/products.ts';
import type { Services } from '../services.ts';
import { type AlertRunsNowResult, evaluateAndSendAlertsNow } from './alert-runs-now.ts';
import { createAccount } from './create-account.ts';
import { createCustomer } from './create-customer.ts';
import { type DemoClaimsResult, loadDemoClaims } from './load-demo-claims.ts';
import { createChannel } from './manage-channels.ts';
import { runEnabledAnalysesNow } from './request-analysis.ts';

export const DEMO_CUSTOMER_NAME = 'Riverside Family Practice';

/** The demo's email channel: the default rule (no channel list = every channel) routes to it. */
export const DEMO_EMAIL_CHANNEL = 'Billing team';
const DEMO_EMAIL_DOMAIN = 'riverside.example';

/** The demo accounts: one per role plus a platform operator (ingestion spec §7.2). */
const DEMO_USERS: ReadonlyArray<{ username: string; role: Role | 'staff' }> = [
  { username: 'demo-owner', role: 'owner' },
  { username: 'demo-admin', role: 'admin' },
  { username: 'demo-analyst', role: 'analyst' },
  { username: 'demo-viewer', role: 'viewer' },
  { username: 'demo-operator', role: 'staff' },
];

export interface DemoLogin {
  username: string;
  role: string;
  password: string;
}

export interface SeedDemoResult {
  customerId: number;
  customerName: string;
  created: boolean;
  logins: DemoLogin[];
  claims: DemoClaimsResult | null;
  analyses: Array<{ product: string; findings: number | null; error: string | null }>;
  /** Alerts from the demo's runs (null when existing data was kept). */
  alerts: AlertRunsNowResult | null;
}

/**
 * A random demo password: 20 URL-safe characters (never common, never numeric, and
 * printed once: each `payrixa demo` sets fresh ones).
 */
function demoPassword(): string {
  return `${randomBytes(15).toString('base64url')}`;
}

/**
 * Creates (or refreshes) the demo customer with its users, loads 13 months of generated
 * claims through the real ingestion pipeline and runs every enabled analysis. With an
 * existing demo customer and no `reset`, only the demo passwords are renewed.
 */
export async function seedDemo(
  services: Services,
  options: { customerName?: string; reset?: boolean; today?: string; log?: (line: string) => void },
): Promise<SeedDemoResult> {
  const log = options.log ?? (() => {});
  const db = services.database.db;
  const customerName = options.customerName?.trim() || DEMO_CUSTOMER_NAME;

  let existing = await findCustomerByName(db, customerName);
  if (existing && options.reset) {
    log(`Removing the existing demo customer '${customerName}'…`);
    await removeDemoCustomer(services, existing.id);
    existing = undefined;
  }

  const logins: DemoLogin[] = [];
  let customerId: number;
  if (existing) {
    customerId = existing.id;
    for (const user of DEMO_USERS) {
      const record = await findUserByUsername(db, user.username);
      if (!record) continue;
      const password = demoPassword();
      await setPasswordHash(db, record.id, await hashPassword(password));
      logins.push({ username: user.username, role: user.role, password });
    }
    return { customerId, customerName, created: false, logins, claims: null, analyses: [], alerts: null };
  }

  log(`Creating the demo customer '${customerName}' and its users…`);
  const passwords = new Map(DEMO_USERS.map((user) => [user.username, demoPassword()]));
  customerId = await db.transaction().execute(async (trx) => {
    const customer = await createCustomer(trx, {
      name: customerName,
      products: PRODUCT_LIST_ORDER,
      actorUserId: null,
      via: 'demo',
    });
    for (const user of DEMO_USERS) {
      // A rerun after --reset may find an operator account left from an earlier demo.
      const stale = await findUserByUsername(trx, user.username);
      if (stale) await trx.deleteFrom('users').where('id', '=', stale.id).execute();
      await createAccount(trx, {
        username: user.username,
        email: `${user.username}@${DEMO_EMAIL_DOMAIN}`,
        password: passwords.get(user.username) as string,
        isStaff: user.role === 'staff',
        membership: user.role === 'staff' ? null : { customerId: customer.id, role: user.role },
      });
    }
    return customer.id;
  });
  for (const user of DEMO_USERS) {
    logins.push({
      username: user.username,
      role: user.role,
      password: passwords.get(user.username) as string,
    });
  }

  await createChannel(
    { db, clock: services.clock, config: services.config },
    { customerId, userId: null },
    { name: DEMO_EMAIL_CHANNEL, type: 'email', config: { recipients: [`demo-owner@${DEMO_EMAIL_DOMAIN}`] } },
  );

  log('Loading 13 months of demo claims through the upload pipeline…');
  const claims = await loadDemoClaims(
    { database: services.database, config: services.config, logger: services.logger },
    {
      customerId,
      ...(options.today && { today: options.today }),
      onFile: (name, index, count) => log(`  [${index}/${count}] ${name}`),
    },
  );
  for (const problem of claims.problems) log(`  ! ${problem}`);

  log('Running DriftWatch, DenialScope and DelayGuard…');
  const today = options.today ?? new Date().toISOString().slice(0, 10);
  const results = await runEnabledAnalysesNow(
    { db, logger: services.logger },
    { customerId, asOf: today, today, runType: 'manual' },
  );
  const analyses = results.map((entry) => ({
    product: entry.product,
    findings: entry.result ? entry.result.findings : null,
    error: entry.error,
  }));

  log('Evaluating alert rules and sending the alerts…');
  const alerts = await evaluateAndSendAlertsNow(
    { db, config: services.config, mailer: services.mailer, clock: services.clock, logger: services.logger },
    customerId,
    results.flatMap((entry) => (entry.result?.status === 'success' ? [entry.result.run] : [])),
  );
  return { customerId, customerName, created: true, logins, claims, analyses, alerts };
}

/** Deletes a demo customer, its tenant data and its members' accounts. */
async function removeDemoCustomer(services: Services, customerId: number): Promise<void> {
  const db = services.database.db;
  await db.transaction().execute(async (trx) => {
    const members = await trx
      .selectFrom('memberships')
      .select('user_id')
      .where('customer_id', '=', customerId)
      .execute();
    // Tenant tables reference the customer with ON DELETE CASCADE; audit rows keep a null customer.
    // Staging has no foreign key (migration 0022): its rows go first, explicitly.
    await sql`DELETE FROM upload_staging_rows WHERE customer_id = ${customerId}`.execute(trx);
    await sql`DELETE FROM customers WHERE id = ${customerId}`.execute(trx);
    for (const member of members) await trx.deleteFrom('users').where('id', '=', member.user_id).execute();
  });
}
