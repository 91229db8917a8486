import type { Kysely, Transaction } from 'kysely';
import type { Config } from '../config/env.ts';
import { NotFoundError, PermissionDeniedError, ValidationError } from '../config/errors.ts';
import {
  findMember,
  findMembershipByUser,
  type MemberRow,
} from '../db/repositories/memberships.repository.ts';
import {
  findActiveUserByEmail,
  findUserByUsername,
  type UserRecord,
} from '../db/repositories/users.repository.ts';
import type { DB } from '../db/schema.ts';
import { normalizeUsername } from '../domain/accounts/passwords.ts';
import { type Actor, isStaffUser, ROLE_LABELS, type Role } from '../domain/accounts/permissions.ts';
import { checkAddMember, memberAddedMessage, TEAM_MESSAGES } from '../domain/accounts/team-rules.ts';
import type { Mailer } from '../notify/mail.ts';
import { recordAudit } from '../obs/audit.ts';
import { createAccount, type NewAccount, validateNewAccount } from './create-account.ts';
import { issueResetToken, resetEmail } from './password-reset.ts';

/**
 * Adding a member to a customer (web-api-ops §2.4, §2.5): the ONE command behind the portal
 * team page, `POST /api/v1/members/` and the operator console's "add user" (and the first user
 * of a customer created from the console, see create-customer.ts).
 *
 * Order: the §2.4 rules (who may add which role, unique username and e-mail, in the spec's
 * order and wording), then the account's field rules; then one transaction with the user, the
 * membership, the invitation token and the audit event; after the commit the invitation
 * e-mail (a mail failure is logged, never undoes the member). A rule failure throws the typed
 * error it stands for (403 PermissionDeniedError, 400 ValidationError on the field a person
 * typed), so every entry point renders it through the one error path or its form.
 */

export interface AddMemberDeps {
  db: Kysely<DB>;
  config: Config;
  mailer: Mailer;
  now: Date;
  requestId: string | null;
  ip: string | null;
  logger?: { error(obj: object, msg: string): void };
}

export interface AddMemberInput {
  customerId: number;
  username: string;
  email: string;
  firstName?: string;
  lastName?: string;
  role: Role;
  /**
   * Operator console only: set this password instead of sending an invitation. Absent or
   * null: the user gets no usable password and a 72-hour set-password link by e-mail.
   */
  password?: string | null;
}

export interface AddedMember {
  user: UserRecord;
  membership: MemberRow;
  /** True when an invitation e-mail was sent (attempted) rather than a password set. */
  invited: boolean;
  /** The success message of §2.4 ("Member x added as Analyst. An invitation email …"). */
  message: string;
}

/**
 * Staff working from the operator console act on the customer of the page they are on
 * (§2.4 "Staff acting via the console may assign any role"), whatever customer the portal
 * session acts on. Members are returned unchanged.
 */
export function consoleActorFor(actor: Actor, customerId: number): Actor {
  return isStaffUser(actor) ? { ...actor, actingCustomerId: customerId } : actor;
}

/** The §2.4 checks in the spec's order; throws the first failure as its typed error. */
export async function checkNewMember(
  db: Kysely<DB>,
  actor: Actor | null,
  customerId: number,
  input: Pick<AddMemberInput, 'username' | 'email' | 'role'>,
): Promise<void> {
  const username = normalizeUsername(input.username);
  const email = input.email.trim();
  const rule = checkAddMember({
    actor,
    customerId,
    role: input.role,
    usernameTaken: username !== '' && (await findUserByUsername(db, username)) !== undefined,
    emailTaken: email !== '' && (await findActiveUserByEmail(db, email)) !== undefined,
  });
  if (rule.ok) return;
  if (rule.status === 403) throw new PermissionDeniedError(rule.message);
  // The duplicates are the two 400 rules of an addition: name the field that was typed.
  throw ValidationError.field(rule.message === TEAM_MESSAGES.emailTaken ? 'email' : 'username', rule.message);
}

function newAccountOf(input: AddMemberInput): NewAccount {
  return {
    username: normalizeUsername(input.username),
    email: input.email.trim(),
    firstName: input.firstName?.trim() ?? '',
    lastName: input.lastName?.trim() ?? '',
    password: input.password ?? null,
    membership: { customerId: input.customerId, role: input.role },
  };
}

/** What {@link insertMember} wrote: the invitation token is null when a password was set. */
export interface InsertedMember {
  user: UserRecord;
  membership: MemberRow;
  inviteToken: string | null;
}

/**
 * The rows of a new member, in the caller's transaction: user (and membership), invitation
 * token, and the audit event `action` (`member_added`; `user_created` for the first user of a
 * new customer). Field rules are checked by {@link createAccount} (ValidationError).
 */
export async function insertMember(
  trx: Transaction<DB>,
  deps: Pick<AddMemberDeps, 'now' | 'requestId' | 'ip'>,
  actor: Actor | null,
  input: AddMemberInput,
  action: 'member_added' | 'user_created' = 'member_added',
): Promise<InsertedMember> {
  const user = await createAccount(trx, newAccountOf(input));
  const membershipRecord = await findMembershipByUser(trx, user.id);
  const membership = membershipRecord && (await findMember(trx, input.customerId, membershipRecord.id));
  if (!membership) throw new NotFoundError();
  const inviteToken = input.password == null ? await issueResetToken(trx, user.id, 'invite', deps.now) : null;
  await recordAudit(trx, {
    action,
    customerId: input.customerId,
    userId: actor?.userId ?? null,
    entityType: 'user',
    entityId: user.id,
    requestId: deps.requestId,
    ip: deps.ip,
    metadata: {
      username: user.username,
      role: input.role,
      ...(isStaffUser(actor) ? { acting_as_operator: true } : {}),
    },
  });
  return { user, membership, inviteToken };
}

/** The invitation e-mail, after the commit; a failure is logged and does not undo the member. */
export async function sendInvitation(
  deps: Pick<AddMemberDeps, 'config' | 'mailer' | 'logger'>,
  user: UserRecord,
  token: string,
): Promise<void> {
  try {
    await deps.mailer.send(resetEmail(deps.config, user, token, 'invite'));
  } catch (error) {
    deps.logger?.error({ err: error, user_id: user.id }, 'invitation email failed');
  }
}

/** "Member x added as Analyst." when a password was set, else the invitation message. */
export function addedMessage(username: string, role: Role, invited: boolean): string {
  return invited ? memberAddedMessage(username, role) : `Member ${username} added as ${ROLE_LABELS[role]}.`;
}

/** Adds a member (see the module comment). */
export async function addMember(
  deps: AddMemberDeps,
  actor: Actor | null,
  input: AddMemberInput,
): Promise<AddedMember> {
  await checkNewMember(deps.db, actor, input.customerId, input);
  const errors = await validateNewAccount(deps.db, newAccountOf(input));
  if (Object.keys(errors).length > 0) throw new ValidationError(errors);
  const inserted = await deps.db.transaction().execute((trx) => insertMember(trx, deps, actor, input));
  if (inserted.inviteToken) await sendInvitation(deps, inserted.user, inserted.inviteToken);
  const invited = inserted.inviteToken !== null;
  return {
    user: inserted.user,
    membership: inserted.membership,
    invited,
    message: addedMessage(inserted.user.username, input.role, invited),
  };
}
