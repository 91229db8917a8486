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

export async function findUserById(db: Kysely<DB>, userId: number): Promise<UserRecord | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirst();
}

/** Login by username or email (case-insensitive); email matches active users only. */
export async function findUserForLogin(db: Kysely<DB>, identifier: string): Promise<UserRecord | undefined> {
  const byName = await findUserByUsername(db, identifier);
  if (byName) return byName;
  return identifier.includes('@') ? findActiveUserByEmail(db, identifier) : undefined;
}

export async function setPasswordHash(db: Kysely<DB>, userId: number, passwordHash: string): Promise<void> {
  await db.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', userId).execute();
}

export async function setLastLogin(db: Kysely<DB>, userId: number, at: Date): Promise<void> {
  await db.updateTable('users').set({ last_login: at }).where('id', '=', userId).execute();
}

/** Voids every JWT and session issued before `at` (§3.1). */
export async function setTokensValidAfter(db: Kysely<DB>, userId: number, at: Date): Promise<void> {
  await db.updateTable('users').set({ tokens_valid_after: at }).where('id', '=', userId).execute();
}

export async function setUserActive(db: Kysely<DB>, userId: number, active: boolean): Promise<void> {
  await db.updateTable('users').set({ is_active: active }).where('id', '=', userId).execute();
}

export async function updateUserProfile(
  db: Kysely<DB>,
  userId: number,
  profile: { email: string; firstName: string; lastName: string },
): Promise<void> {
  await db
    .updateTable('users')
    .set({ email: profile.email, first_name: profile.firstName, last_name: profile.lastName })
    .where('id', '=', userId)
    .execute();
}

/** Staff accounts (no membership), by username. */
export async function listStaffUsers(db: Kysely<DB>): Promise<UserRecord[]> {
  return db.selectFrom('users').selectAll().where('is_staff', '=', true).orderBy('username').execute();
}

/** Usernames of the given users (users are global; absent ids are simply missing). */
export async function usernamesByIds(
  db: Kysely<DB>,
  userIds: readonly number[],
): Promise<Map<number, string>> {
  if (userIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('users')
    .select(['id', 'username'])
    .where('id', 'in', [...userIds])
    .execute();
  return new Map(rows.map((r) => [r.id, r.username]));
}
