import { describe, expect, it } from 'vitest';
import type { Actor, Role } from './permissions.ts';
import {
  checkAddMember,
  checkRemoveMember,
  checkRoleChange,
  checkStaffAccountChange,
  TEAM_MESSAGES as M,
  memberAddedMessage,
  memberRemovedMessage,
  roleChangedMessage,
  type TargetMember,
} from './team-rules.ts';

const A = 1;
const B = 2;

const ids: Record<Role, number> = { owner: 1, admin: 2, analyst: 3, viewer: 4 };

function member(role: Role, customerId = A): Actor {
  return {
    userId: ids[role],
    isActive: true,
    isStaff: false,
    isSuperuser: false,
    membership: { customerId, role },
    actingCustomerId: null,
  };
}

function staff(acting: number | null, superuser = false, userId = 100): Actor {
  return {
    userId,
    isActive: true,
    isStaff: true,
    isSuperuser: superuser,
    membership: null,
    actingCustomerId: acting,
  };
}

const nomember: Actor = {
  userId: 50,
  isActive: true,
  isStaff: false,
  isSuperuser: false,
  membership: null,
  actingCustomerId: null,
};

const target = (role: Role): TargetMember => ({ userId: ids[role], role });

describe('§8 acceptance examples 19–22', () => {
  it('19: owner_a (only owner) demotes themselves to admin', () => {
    const r = checkRoleChange({
      actor: member('owner'),
      customerId: A,
      target: target('owner'),
      newRole: 'admin',
      ownerCount: 1,
    });
    expect(r).toEqual({
      ok: false,
      message: 'Cannot remove the last owner. Promote another user to owner first.',
      status: 400,
      code: 'invalid',
    });
  });

  it('20: admin_a promotes viewer_a to owner / changes owner_a to admin / viewer_a to analyst', () => {
    const base = { actor: member('admin'), customerId: A, ownerCount: 1 };
    expect(checkRoleChange({ ...base, target: target('viewer'), newRole: 'owner' })).toMatchObject({
      ok: false,
      message: 'Only owners can assign owner or admin roles',
      status: 403,
    });
    // Checks 3 and 4 both apply here; the example requires check 4's message.
    expect(checkRoleChange({ ...base, target: target('owner'), newRole: 'admin' })).toMatchObject({
      ok: false,
      message: 'You cannot modify owner or admin roles',
      status: 403,
    });
    expect(checkRoleChange({ ...base, target: target('viewer'), newRole: 'analyst' })).toEqual({ ok: true });
  });

  it('21: viewer_a changes analyst_a to viewer', () => {
    expect(
      checkRoleChange({
        actor: member('viewer'),
        customerId: A,
        target: target('analyst'),
        newRole: 'viewer',
        ownerCount: 1,
      }),
    ).toEqual({
      ok: false,
      message: 'You do not have permission to manage users',
      status: 403,
      code: 'permission_denied',
    });
  });

  it('22: owner_a removes owner_a (only owner)', () => {
    expect(
      checkRemoveMember({ actor: member('owner'), customerId: A, target: target('owner'), ownerCount: 1 }),
    ).toEqual({
      ok: false,
      message: 'Cannot remove the last owner. Transfer ownership first.',
      status: 400,
      code: 'invalid',
    });
  });
});

describe('role change: every message, in order', () => {
  const base = { customerId: A, ownerCount: 1 };

  it('1. no membership / anonymous / other customer / staff not acting → Not authenticated', () => {
    for (const actor of [nomember, null, member('owner', B), staff(null), staff(B, true)]) {
      expect(checkRoleChange({ ...base, actor, target: target('viewer'), newRole: 'analyst' })).toMatchObject(
        {
          ok: false,
          message: M.notAuthenticated,
          status: 403,
        },
      );
    }
  });

  it('2. analyst and viewer lack manage_users (before any role check)', () => {
    for (const role of ['analyst', 'viewer'] as const) {
      expect(
        checkRoleChange({ ...base, actor: member(role), target: target('owner'), newRole: 'owner' }),
      ).toMatchObject({
        message: M.noManageUsers,
      });
    }
  });

  it('3. admin assigning owner or admin', () => {
    for (const newRole of ['owner', 'admin'] as const) {
      expect(
        checkRoleChange({ ...base, actor: member('admin'), target: target('analyst'), newRole }),
      ).toMatchObject({
        message: M.onlyOwnersAssign,
      });
    }
  });

  it('4. admin modifying an owner or an admin (including themselves), whatever the new role', () => {
    for (const t of ['owner', 'admin'] as const) {
      for (const newRole of ['owner', 'admin', 'analyst', 'viewer'] as const) {
        expect(
          checkRoleChange({ ...base, actor: member('admin'), target: target(t), newRole }),
        ).toMatchObject({
          message: M.cannotModifyOwnerAdmin,
        });
      }
    }
  });

  it('5. last owner demoted — checked after the admin rules', () => {
    expect(
      checkRoleChange({ ...base, actor: member('owner'), target: target('owner'), newRole: 'viewer' }),
    ).toMatchObject({ message: M.lastOwnerRoleChange });
    // Re-assigning owner to the last owner is not a demotion.
    expect(
      checkRoleChange({ ...base, actor: member('owner'), target: target('owner'), newRole: 'owner' }),
    ).toEqual({
      ok: true,
    });
  });

  it('owner may do anything when another owner exists', () => {
    const r = checkRoleChange({
      actor: member('owner'),
      customerId: A,
      target: target('owner'),
      newRole: 'viewer',
      ownerCount: 2,
    });
    expect(r).toEqual({ ok: true });
    for (const t of ['admin', 'analyst', 'viewer'] as const) {
      for (const newRole of ['owner', 'admin', 'analyst', 'viewer'] as const) {
        expect(checkRoleChange({ ...base, actor: member('owner'), target: target(t), newRole })).toEqual({
          ok: true,
        });
      }
    }
  });

  it('admin may move analysts and viewers between analyst and viewer', () => {
    for (const t of ['analyst', 'viewer'] as const) {
      for (const newRole of ['analyst', 'viewer'] as const) {
        expect(checkRoleChange({ ...base, actor: member('admin'), target: target(t), newRole })).toEqual({
          ok: true,
        });
      }
    }
  });

  it('staff acting may assign any role, but last-owner checks apply', () => {
    for (const actor of [staff(A), staff(A, true)]) {
      expect(checkRoleChange({ ...base, actor, target: target('viewer'), newRole: 'owner' })).toEqual({
        ok: true,
      });
      expect(checkRoleChange({ ...base, actor, target: target('admin'), newRole: 'viewer' })).toEqual({
        ok: true,
      });
      expect(checkRoleChange({ ...base, actor, target: target('owner'), newRole: 'admin' })).toMatchObject({
        message: M.lastOwnerRoleChange,
      });
    }
  });
});

describe('remove member: every message, in order', () => {
  const base = { customerId: A, ownerCount: 1 };

  it('1. Not authenticated', () => {
    expect(checkRemoveMember({ ...base, actor: nomember, target: target('viewer') })).toMatchObject({
      message: M.notAuthenticated,
      status: 403,
    });
  });

  it('2. lacks manage_users', () => {
    expect(checkRemoveMember({ ...base, actor: member('analyst'), target: target('owner') })).toMatchObject({
      message: M.noManageUsers,
    });
  });

  it('3. last owner comes before the owner/admin rule (even for an admin actor)', () => {
    expect(checkRemoveMember({ ...base, actor: member('admin'), target: target('owner') })).toMatchObject({
      message: M.lastOwnerRemove,
      status: 400,
    });
    expect(checkRemoveMember({ ...base, actor: staff(A), target: target('owner') })).toMatchObject({
      message: M.lastOwnerRemove,
    });
  });

  it('4. admin removing an owner (not the last) or an admin', () => {
    for (const t of ['owner', 'admin'] as const) {
      expect(
        checkRemoveMember({ actor: member('admin'), customerId: A, target: target(t), ownerCount: 2 }),
      ).toMatchObject({
        message: M.cannotRemoveOwnerAdmin,
        status: 403,
      });
    }
  });

  it('allowed: owner removes anyone but the last owner; admin removes analysts/viewers; staff acting', () => {
    expect(
      checkRemoveMember({ actor: member('owner'), customerId: A, target: target('owner'), ownerCount: 2 }),
    ).toEqual({
      ok: true,
    });
    expect(checkRemoveMember({ ...base, actor: member('owner'), target: target('admin') })).toEqual({
      ok: true,
    });
    expect(checkRemoveMember({ ...base, actor: member('admin'), target: target('viewer') })).toEqual({
      ok: true,
    });
    expect(checkRemoveMember({ ...base, actor: staff(A), target: target('admin') })).toEqual({ ok: true });
  });
});

describe('add member', () => {
  const base = { customerId: A, usernameTaken: false, emailTaken: false };

  it('checks in order: standing, manage_users, role, username, email', () => {
    expect(checkAddMember({ ...base, actor: nomember, role: 'viewer' })).toMatchObject({
      message: M.notAuthenticated,
    });
    expect(checkAddMember({ ...base, actor: member('viewer'), role: 'viewer' })).toMatchObject({
      message: M.noManageUsers,
    });
    expect(
      checkAddMember({ ...base, actor: member('admin'), role: 'admin', usernameTaken: true }),
    ).toMatchObject({
      message: M.onlyOwnersAssign,
    });
    expect(
      checkAddMember({
        ...base,
        actor: member('admin'),
        role: 'viewer',
        usernameTaken: true,
        emailTaken: true,
      }),
    ).toMatchObject({ message: 'A user with that username already exists.', status: 400 });
    expect(
      checkAddMember({ ...base, actor: member('admin'), role: 'viewer', emailTaken: true }),
    ).toMatchObject({
      message: 'A user with that email already exists.',
      status: 400,
    });
  });

  it('owners add any role; admins analyst/viewer; staff acting any role (first owner too)', () => {
    expect(checkAddMember({ ...base, actor: member('owner'), role: 'owner' })).toEqual({ ok: true });
    expect(checkAddMember({ ...base, actor: member('admin'), role: 'analyst' })).toEqual({ ok: true });
    expect(checkAddMember({ ...base, actor: staff(A), role: 'owner' })).toEqual({ ok: true });
  });
});

describe('success messages', () => {
  it('use role labels', () => {
    expect(memberAddedMessage('jdoe', 'analyst')).toBe(
      'Member jdoe added as Analyst. An invitation email has been sent.',
    );
    expect(roleChangedMessage('viewer_a', 'viewer', 'analyst')).toBe(
      'Role for viewer_a changed from Viewer to Analyst.',
    );
    expect(memberRemovedMessage('viewer_a')).toBe('Member viewer_a removed.');
  });
});

describe('staff accounts (§2.5)', () => {
  const su = staff(null, true, 1);
  const other = { userId: 2, isActive: true, isSuperuser: true };

  it('only superusers manage staff', () => {
    expect(
      checkStaffAccountChange({
        actor: staff(null),
        target: other,
        change: 'deactivate',
        activeSuperuserCount: 2,
      }),
    ).toMatchObject({ ok: false, status: 403 });
  });

  it('the last active superuser can be neither deactivated nor demoted', () => {
    for (const change of ['deactivate', 'demote'] as const) {
      expect(
        checkStaffAccountChange({ actor: su, target: other, change, activeSuperuserCount: 1 }),
      ).toMatchObject({
        message: 'Cannot deactivate the last active superuser.',
        status: 400,
      });
    }
    // A lone superuser deactivating themselves gets the spec's message.
    expect(
      checkStaffAccountChange({
        actor: su,
        target: { userId: 1, isActive: true, isSuperuser: true },
        change: 'deactivate',
        activeSuperuserCount: 1,
      }),
    ).toMatchObject({ message: M.lastActiveSuperuser });
  });

  it('a superuser cannot deactivate themselves but may demote themselves when others remain', () => {
    const self = { userId: 1, isActive: true, isSuperuser: true };
    expect(
      checkStaffAccountChange({ actor: su, target: self, change: 'deactivate', activeSuperuserCount: 2 }),
    ).toMatchObject({
      message: M.cannotDeactivateSelf,
    });
    expect(
      checkStaffAccountChange({ actor: su, target: self, change: 'demote', activeSuperuserCount: 2 }),
    ).toEqual({
      ok: true,
    });
  });

  it('plain staff and other superusers can be deactivated', () => {
    expect(
      checkStaffAccountChange({
        actor: su,
        target: { userId: 3, isActive: true, isSuperuser: false },
        change: 'deactivate',
        activeSuperuserCount: 1,
      }),
    ).toEqual({ ok: true });
    expect(
      checkStaffAccountChange({ actor: su, target: other, change: 'deactivate', activeSuperuserCount: 2 }),
    ).toEqual({
      ok: true,
    });
  });
});
