import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { findLatestRuns } from '../db/repositories/analysis-runs.repository.ts';
import { findCustomerByName } from '../db/repositories/customers.repository.ts';
import { listChannels } from '../db/repositories/notification-channels.repository.ts';
import { findUserByUsername, setPasswordHash } from '../db/repositories/users.repository.ts';
import { hashPassword } from '../domain/accounts/passwords.ts';
import type { Role } from '../domain/accounts/permissions.ts';
import { PRODUCT_LIST_ORDER } from '../domain/accounts/products.ts';
import { clearMailbox, mailboxDir } from '../notify/mail.ts';
import { alertTotals } from '../queries/alerts-list.ts';
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
  /**
   * Alerts raised and sent now: by the new demo's runs, or for a kept demo by evaluating its
   * latest runs again (idempotent: normally nothing new; a demo seeded before alerting existed
   * gets its alerts now).
   */
  alerts: AlertRunsNowResult;
  /** All the demo customer's alerts and their emails (kept ones included). */
  totals: { alerts: number; emailed: number };
  /** Messages `reset` deleted from the local mailbox; null when it was not emptied. */
  mailboxCleared: number | null;
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
 * claims through the real ingestion pipeline, runs every enabled analysis and sends the alerts.
 * With an existing demo customer and no `reset`, its data is kept: the passwords are renewed
 * and its latest runs' alerts are brought up to date (see {@link alertKeptDemo}). `reset` also
 * empties the local mailbox, so that it holds exactly the fresh demo's email.
 */
export async function seedDemo(
  services: Services,
  options: { customerName?: string; reset?: boolean; today?: string; log?: (line: string) => void },
): Promise<SeedDemoResult> {
  const log = options.log ?? (() => {});
  const db = services.database.db;
  const customerName = options.customerName?.trim() || DEMO_CUSTOMER_NAME;

  let mailboxCleared: number | null = null;
  if (options.reset && services.mailer.kind === 'mailbox') {
    mailboxCleared = await clearMailbox(mailboxDir(services.config));
    log(`Emptied the local mailbox (${mailboxCleared} message${mailboxCleared === 1 ? '' : 's'}).`);
  }

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
    const alerts = await alertKeptDemo(services, customerId, log);
    return {
      customerId,
      customerName,
      created: false,
      logins,
      claims: null,
      analyses: [],
      alerts,
      totals: await alertTotals(db, customerId),
      mailboxCleared,
    };
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

  await createDemoChannel(services, customerId);

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
    alertDeps(services),
    customerId,
    results.flatMap((entry) => (entry.result?.status === 'success' ? [entry.result.run] : [])),
  );
  const totals = await alertTotals(db, customerId);
  return {
    customerId,
    customerName,
    created: true,
    logins,
    claims,
    analyses,
    alerts,
    totals,
    mailboxCleared,
  };
}

function alertDeps(services: Services) {
  const { config, mailer, clock, logger } = services;
  return { db: services.database.db, config, mailer, clock, logger };
}

async function createDemoChannel(services: Services, customerId: number): Promise<void> {
  await createChannel(
    { db: services.database.db, clock: services.clock, config: services.config },
    { customerId, userId: null },
    { name: DEMO_EMAIL_CHANNEL, type: 'email', config: { recipients: [`demo-owner@${DEMO_EMAIL_DOMAIN}`] } },
  );
}

/**
 * A kept demo runs no new analysis, so it raises no new alerts: every alert of its runs was
 * raised and sent when they ran, and evaluation is idempotent per run and rule. What it does is
 * bring a demo seeded before alerting existed up to date: without any channel it gets the
 * "Billing team" channel, then the latest run of each product is evaluated and pending alerts
 * are sent (for an up-to-date demo: nothing is created and nothing is sent twice).
 */
async function alertKeptDemo(
  services: Services,
  customerId: number,
  log: (line: string) => void,
): Promise<AlertRunsNowResult> {
  const db = services.database.db;
  if ((await listChannels(db, customerId)).length === 0) {
    log(`Creating the demo's email channel '${DEMO_EMAIL_CHANNEL}'…`);
    await createDemoChannel(services, customerId);
  }
  const latest = Object.values(await findLatestRuns(db, customerId));
  return evaluateAndSendAlertsNow(alertDeps(services), customerId, latest);
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
