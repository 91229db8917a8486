import { type Kysely, type Selectable, sql } from 'kysely';
import type { DB, MembershipRole, MembershipsTable } from '../schema.ts';

export type MembershipRecord = Selectable<MembershipsTable>;

/** The membership of a user (at most one: one customer per user). */
export async function findMembershipByUser(
  db: Kysely<DB>,
  userId: number,
): Promise<MembershipRecord | undefined> {
  return db.selectFrom('memberships').selectAll().where('user_id', '=', userId).executeTakeFirst();
}

export interface MemberRow {
  id: number;
  user_id: number;
  customer_id: number;
  role: MembershipRole;
  created_at: Date;
  username: string;
  email: string;
  first_name: string;
  last_name: string;
  last_login: Date | null;
  is_active: boolean;
}

function memberQuery(db: Kysely<DB>, customerId: number) {
  return db
    .selectFrom('memberships as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select([
      'm.id',
      'm.user_id',
      'm.customer_id',
      'm.role',
      'm.created_at',
      'u.username',
      'u.email',
      'u.first_name',
      'u.last_name',
      'u.last_login',
      'u.is_active',
    ])
    .where('m.customer_id', '=', customerId);
}

/** Members of a customer, by username. */
export async function listMembers(db: Kysely<DB>, customerId: number): Promise<MemberRow[]> {
  return memberQuery(db, customerId).orderBy(sql`lower(u.username)`).execute();
}

/** One member of the customer; another customer's membership id finds nothing. */
export async function findMember(
  db: Kysely<DB>,
  customerId: number,
  membershipId: number,
): Promise<MemberRow | undefined> {
  return memberQuery(db, customerId).where('m.id', '=', membershipId).executeTakeFirst();
}

export async function insertMembership(
  db: Kysely<DB>,
  customerId: number,
  userId: number,
  role: MembershipRole,
): Promise<MembershipRecord> {
  return db
    .insertInto('memberships')
    .values({ customer_id: customerId, user_id: userId, role })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function updateMembershipRole(
  db: Kysely<DB>,
  customerId: number,
  membershipId: number,
  role: MembershipRole,
): Promise<void> {
  await db
    .updateTable('memberships')
    .set({ role })
    .where('customer_id', '=', customerId)
    .where('id', '=', membershipId)
    .execute();
}

export async function deleteMembership(
  db: Kysely<DB>,
  customerId: number,
  membershipId: number,
): Promise<void> {
  await db
    .deleteFrom('memberships')
    .where('customer_id', '=', customerId)
    .where('id', '=', membershipId)
    .execute();
}

/** Memberships with role owner; `forUpdate` locks them so concurrent demotions serialise. */
export async function countOwners(db: Kysely<DB>, customerId: number, forUpdate = false): Promise<number> {
  let query = db
    .selectFrom('memberships')
    .select('id')
    .where('customer_id', '=', customerId)
    .where('role', '=', 'owner');
  if (forUpdate) query = query.forUpdate();
  const rows = await query.execute();
  return rows.length;
}

/** User ids of a customer's members (to end sessions on deactivation). */
export async function memberUserIds(db: Kysely<DB>, customerId: number): Promise<number[]> {
  const rows = await db
    .selectFrom('memberships')
    .select('user_id')
    .where('customer_id', '=', customerId)
    .execute();
  return rows.map((row) => Number(row.user_id));
}
