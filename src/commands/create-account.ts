import type { Kysely } from 'kysely';
import { AppError } from '../config/errors.ts';
import { insertMembership } from '../db/repositories/memberships.repository.ts';
import {
  findActiveUserByEmail,
  findUserByUsername,
  insertUser,
  type UserRecord,
} from '../db/repositories/users.repository.ts';
import type { DB } from '../db/schema.ts';
import {
  hashPassword,
  makeUnusablePassword,
  normalizeUsername,
  validatePassword,
  validateUsername,
} from '../domain/accounts/passwords.ts';
import type { Role } from '../domain/accounts/permissions.ts';
import { TEAM_MESSAGES } from '../domain/accounts/team-rules.ts';

const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export interface NewAccount {
  username: string;
  email: string;
  firstName?: string;
  lastName?: string;
  /** A password to set (policy-checked), or null for an invited user without one. */
  password: string | null;
  isStaff?: boolean;
  isSuperuser?: boolean;
  /** Member of this customer with `role` (not for staff). */
  membership?: { customerId: number; role: Role } | null;
}

/**
 * Validates the fields of a new account; returns field errors (empty when valid).
 * Uniqueness messages are the exact ones of §2.4.
 */
export async function validateNewAccount(
  db: Kysely<DB>,
  input: NewAccount,
): Promise<Record<string, string[]>> {
  const errors: Record<string, string[]> = {};
  const username = normalizeUsername(input.username);
  const usernameProblem = validateUsername(username);
  if (usernameProblem) errors['username'] = [usernameProblem];
  else if (await findUserByUsername(db, username)) errors['username'] = [TEAM_MESSAGES.usernameTaken];
  const email = input.email.trim();
  if (!EMAIL_PATTERN.test(email) || email.length > 254) errors['email'] = ['Enter a valid email address.'];
  else if (await findActiveUserByEmail(db, email)) errors['email'] = [TEAM_MESSAGES.emailTaken];
  if ((input.firstName ?? '').length > 150)
    errors['first_name'] = ['Ensure this value has at most 150 characters.'];
  if ((input.lastName ?? '').length > 150)
    errors['last_name'] = ['Ensure this value has at most 150 characters.'];
  if (input.password !== null) {
    const problems = validatePassword(input.password, {
      username,
      email,
      firstName: input.firstName ?? null,
      lastName: input.lastName ?? null,
    });
    if (problems.length > 0) errors['password'] = problems;
  }
  return errors;
}

/**
 * Creates a user (and membership), in the caller's transaction. Throws AppError
 * `invalid` (400) with field errors when validation fails.
 */
export async function createAccount(db: Kysely<DB>, input: NewAccount): Promise<UserRecord> {
  const errors = await validateNewAccount(db, input);
  if (Object.keys(errors).length > 0) {
    const first = Object.values(errors)[0]?.[0] ?? 'Validation failed.';
    throw new AppError('invalid', first, 400, errors);
  }
  const passwordHash = input.password === null ? makeUnusablePassword() : await hashPassword(input.password);
  const user = await insertUser(db, {
    username: normalizeUsername(input.username),
    email: input.email.trim(),
    passwordHash,
    isStaff: input.isStaff ?? false,
    isSuperuser: input.isSuperuser ?? false,
    firstName: input.firstName?.trim() ?? '',
    lastName: input.lastName?.trim() ?? '',
  });
  if (input.membership && !input.isStaff) {
    await insertMembership(db, input.membership.customerId, user.id, input.membership.role);
  }
  return user;
}
