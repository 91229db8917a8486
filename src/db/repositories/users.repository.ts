import { type Kysely, type Selectable, sql } from 'kysely';
import type { DB, UsersTable } from '../schema.ts';

export type UserRecord = Selectable<UsersTable>;

/** Case-insensitive username lookup (usernames are unique ignoring case). */
export async function findUserByUsername(db: Kysely<DB>, username: string): Promise<UserRecord | undefined> {
  return db
    .selectFrom('users')
    .selectAll()
    .where(sql<string>`lower(username)`, '=', username.toLowerCase())
    .executeTakeFirst();
}

/** Case-insensitive lookup among active users (emails are unique among them). */
export async function findActiveUserByEmail(db: Kysely<DB>, email: string): Promise<UserRecord | undefined> {
  return db
    .selectFrom('users')
    .selectAll()
    .where(sql<string>`lower(email)`, '=', email.toLowerCase())
    .where('is_active', '=', true)
    .executeTakeFirst();
}

export interface NewUser {
  username: string;
  email: string;
  passwordHash: string | null;
  isStaff?: boolean;
  isSuperuser?: boolean;
  firstName?: string;
  lastName?: string;
}

export async function insertUser(db: Kysely<DB>, user: NewUser): Promise<UserRecord> {
  return db
    .insertInto('users')
    .values({
      username: user.username,
      email: user.email,
      password_hash: user.passwordHash,
      is_staff: user.isStaff ?? false,
      is_superuser: user.isSuperuser ?? false,
      first_name: user.firstName ?? '',
      last_name: user.lastName ?? '',
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function countUsers(db: Kysely<DB>): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
