import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Kysely } from 'kysely';
import { expect } from 'vitest';
import { createCustomer } from '../src/commands/create-customer.ts';
import { insertMembership } from '../src/db/repositories/memberships.repository.ts';
import { insertUser } from '../src/db/repositories/users.repository.ts';
import type { DB } from '../src/db/schema.ts';
import { hashPassword } from '../src/domain/accounts/passwords.ts';
import type { Role } from '../src/domain/accounts/permissions.ts';
import { PRODUCT_SLUGS, type ProductSlugName } from '../src/domain/accounts/products.ts';
import type { Clock } from '../src/services.ts';

/** The password of every fixture account (web-api-ops §8). */
export const PASSWORD = 'Correct-horse-42!';

export interface AccountFixtures {
  customerA: { id: number; name: string };
  customerB: { id: number; name: string };
  users: Record<string, number>;
}

let cachedHash: Promise<string> | undefined;

/**
 * The §8 fixtures: customers A and B; owner_a, admin_a, analyst_a, viewer_a (A),
 * viewer_b (B), staff operator1, superuser admin, nomember.
 */
export async function createAccountFixtures(
  db: Kysely<DB>,
  options: { productsA?: ProductSlugName[] } = {},
): Promise<AccountFixtures> {
  cachedHash ??= hashPassword(PASSWORD);
  const passwordHash = await cachedHash;
  const a = await createCustomer(db, {
    name: 'A',
    products: options.productsA ?? [...PRODUCT_SLUGS],
    actorUserId: null,
  });
  const b = await createCustomer(db, { name: 'B', products: [...PRODUCT_SLUGS], actorUserId: null });
  const users: Record<string, number> = {};
  const member = async (username: string, customerId: number, role: Role) => {
    const user = await insertUser(db, { username, email: `${username}@example.com`, passwordHash });
    await insertMembership(db, customerId, user.id, role);
    users[username] = user.id;
  };
  await member('owner_a', a.id, 'owner');
  await member('admin_a', a.id, 'admin');
  await member('analyst_a', a.id, 'analyst');
  await member('viewer_a', a.id, 'viewer');
  await member('viewer_b', b.id, 'viewer');
  users['operator1'] = (
    await insertUser(db, {
      username: 'operator1',
      email: 'operator1@example.com',
      passwordHash,
      isStaff: true,
    })
  ).id;
  users['admin'] = (
    await insertUser(db, {
      username: 'admin',
      email: 'admin@example.com',
      passwordHash,
      isStaff: true,
      isSuperuser: true,
    })
  ).id;
  users['nomember'] = (
    await insertUser(db, { username: 'nomember', email: 'nomember@example.com', passwordHash })
  ).id;
  return { customerA: { id: a.id, name: 'A' }, customerB: { id: b.id, name: 'B' }, users };
}

/** A clock tests can move forward. */
export class FakeClock implements Clock {
  private offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

/** A tiny cookie-keeping browser over `app.inject` for portal tests. */
export class PortalClient {
  readonly cookies = new Map<string, string>();
  constructor(
    private readonly app: FastifyInstance,
    private readonly ip = '127.0.0.1',
  ) {}

  private cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private keep(response: LightMyRequestResponse): LightMyRequestResponse {
    for (const cookie of response.cookies as Array<{
      name: string;
      value: string;
      maxAge?: number;
      expires?: Date;
    }>) {
      if (cookie.value === '' || (cookie.expires && cookie.expires.getTime() < Date.now()))
        this.cookies.delete(cookie.name);
      else this.cookies.set(cookie.name, cookie.value);
    }
    return response;
  }

  async get(url: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    return this.keep(
      await this.app.inject({
        method: 'GET',
        url,
        remoteAddress: this.ip,
        headers: { cookie: this.cookieHeader(), ...headers },
      }),
    );
  }

  /** The CSRF token from the payrixa_csrf cookie (fetches the login page when there is none). */
  async csrf(): Promise<string> {
    if (!this.cookies.has('payrixa_csrf')) await this.get('/portal/login/');
    return this.cookies.get('payrixa_csrf') ?? '';
  }

  /** Posts a form; the CSRF token is added unless `csrf: false`. */
  async post(
    url: string,
    form: Record<string, string | string[]> = {},
    options: { csrf?: boolean; headers?: Record<string, string> } = {},
  ): Promise<LightMyRequestResponse> {
    const body = new URLSearchParams();
    if (options.csrf ?? true) body.append('csrf_token', await this.csrf());
    for (const [key, value] of Object.entries(form)) {
      for (const v of Array.isArray(value) ? value : [value]) body.append(key, v);
    }
    return this.keep(
      await this.app.inject({
        method: 'POST',
        url,
        remoteAddress: this.ip,
        headers: {
          cookie: this.cookieHeader(),
          'content-type': 'application/x-www-form-urlencoded',
          ...options.headers,
        },
        payload: body.toString(),
      }),
    );
  }

  async login(username: string, password = PASSWORD, next?: string): Promise<LightMyRequestResponse> {
    return this.post('/portal/login/', { username, password, ...(next !== undefined ? { next } : {}) });
  }
}

/** A portal client logged in as `username` (the login must redirect, 302). */
export async function loggedInClient(app: FastifyInstance, username: string): Promise<PortalClient> {
  const client = new PortalClient(app);
  const response = await client.login(username);
  expect(response.statusCode).toBe(302);
  return client;
}
