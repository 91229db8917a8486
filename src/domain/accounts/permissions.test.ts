import { describe, expect, it } from 'vitest';
import {
  type Actor,
  can,
  canAccessOperatorConsole,
  canCreateCustomers,
  canManageStaffAndActivation,
  contextCustomerId,
  effectiveRole,
  isAdmin,
  isAnalyst,
  isOwner,
  mePermissions,
  PERMISSIONS,
  type Permission,
  parseRole,
  ROLES,
  type Role,
} from './permissions.ts';

const A = 1;
const B = 2;

function member(role: Role, customerId = A): Actor {
  return {
    userId: 10,
    isActive: true,
    isStaff: false,
    isSuperuser: false,
    membership: { customerId, role },
    actingCustomerId: null,
  };
}

function staff(acting: number | null, superuser = false): Actor {
  return {
    userId: 20,
    isActive: true,
    isStaff: true,
    isSuperuser: superuser,
    membership: null,
    actingCustomerId: acting,
  };
}

const nomember: Actor = {
  userId: 30,
  isActive: true,
  isStaff: false,
  isSuperuser: false,
  membership: null,
  actingCustomerId: null,
};

// §2.2, row by row: [permission, owner, admin, analyst, viewer].
const MATRIX: Array<[Permission, boolean, boolean, boolean, boolean]> = [
  ['view_reports', true, true, true, true],
  ['upload_claims', true, true, true, false],
  ['manage_mappings', true, true, true, false],
  ['run_analysis', true, true, true, false],
  ['triage_alerts', true, true, true, false],
  ['manage_alerts', true, true, false, false],
  ['manage_webhooks', true, true, false, false],
  ['manage_users', true, true, false, false],
  ['manage_configuration', true, true, false, false],
];

describe('role matrix (§2.2)', () => {
  it('covers every permission exactly once', () => {
    expect(MATRIX.map((r) => r[0]).sort()).toEqual([...PERMISSIONS].sort());
  });

  const cases = MATRIX.flatMap(([perm, ...allowed]) =>
    ROLES.map((role, i) => ({ perm, role, expected: allowed[i]! })),
  );
  it.each(cases)('$role / $perm → $expected', ({ perm, role, expected }) => {
    expect(can(member(role), perm, A)).toBe(expected);
    // Omitting the customer evaluates the member's own customer.
    expect(can(member(role), perm)).toBe(expected);
    // Never on another customer.
    expect(can(member(role), perm, B)).toBe(false);
  });

  it.each(PERMISSIONS.map((p) => ({ p })))('staff acting get the admin set: $p', ({ p }) => {
    expect(can(staff(A), p, A)).toBe(can(member('admin'), p, A));
    expect(can(staff(A), p, B)).toBe(false);
    expect(can(staff(null), p, A)).toBe(false);
    expect(can(staff(null), p)).toBe(false);
  });

  it.each(PERMISSIONS.map((p) => ({ p })))('superusers acting get the owner set: $p', ({ p }) => {
    expect(can(staff(A, true), p, A)).toBe(true);
    expect(can(staff(A, true), p, B)).toBe(false);
    expect(can(staff(null, true), p, A)).toBe(false);
  });

  it('viewer is read-only: only view_reports', () => {
    expect(PERMISSIONS.filter((p) => can(member('viewer'), p))).toEqual(['view_reports']);
  });

  it('anonymous, unlinked and inactive users have nothing', () => {
    for (const p of PERMISSIONS) {
      expect(can(null, p, A)).toBe(false);
      expect(can(undefined, p)).toBe(false);
      expect(can(nomember, p, A)).toBe(false);
      expect(can(nomember, p)).toBe(false);
      expect(can({ ...member('owner'), isActive: false }, p, A)).toBe(false);
      expect(can({ ...staff(A, true), isActive: false }, p, A)).toBe(false);
    }
  });

  it('unknown permission names are false, even for owners and superusers', () => {
    expect(can(member('owner'), 'delete_everything', A)).toBe(false);
    expect(can(staff(A, true), 'can_view_reports', A)).toBe(false);
    expect(can(member('owner'), '', A)).toBe(false);
  });

  it('staff rules win over a stray membership on a staff account', () => {
    const odd: Actor = { ...staff(null), membership: { customerId: A, role: 'owner' } };
    expect(can(odd, 'view_reports', A)).toBe(false);
    expect(contextCustomerId(odd)).toBeNull();
  });

  it('superuser flag without staff flag is not staff', () => {
    const odd: Actor = { ...nomember, isSuperuser: true, actingCustomerId: A };
    expect(can(odd, 'view_reports', A)).toBe(false);
    expect(canAccessOperatorConsole(odd)).toBe(false);
  });
});

describe('predicates', () => {
  it.each([
    ['owner', true, true, true],
    ['admin', false, true, true],
    ['analyst', false, false, true],
    ['viewer', false, false, false],
  ] as const)('%s → owner %s admin %s analyst %s', (role, o, a, an) => {
    expect(isOwner(member(role))).toBe(o);
    expect(isAdmin(member(role))).toBe(a);
    expect(isAnalyst(member(role))).toBe(an);
  });

  it('staff acting: admin (superuser: owner)', () => {
    expect(effectiveRole(staff(A), A)).toBe('admin');
    expect(isOwner(staff(A), A)).toBe(false);
    expect(isAdmin(staff(A), A)).toBe(true);
    expect(effectiveRole(staff(A, true))).toBe('owner');
    expect(isOwner(staff(A, true))).toBe(true);
  });

  it('staff and superuser console predicates (§2.3)', () => {
    expect(canAccessOperatorConsole(staff(null))).toBe(true);
    expect(canCreateCustomers(staff(null))).toBe(true);
    expect(canManageStaffAndActivation(staff(null))).toBe(false);
    expect(canManageStaffAndActivation(staff(null, true))).toBe(true);
    for (const role of ROLES) {
      expect(canAccessOperatorConsole(member(role))).toBe(false);
      expect(canCreateCustomers(member(role))).toBe(false);
      expect(canManageStaffAndActivation(member(role))).toBe(false);
    }
  });

  it('parseRole accepts only the four roles', () => {
    expect(parseRole(' Admin ')).toBe('admin');
    expect(parseRole('superuser')).toBeNull();
    expect(parseRole(3)).toBeNull();
  });
});

describe('/api/v1/me/ permission map', () => {
  it('analyst', () => {
    expect(mePermissions(member('analyst'))).toEqual({
      can_view_reports: true,
      can_upload_claims: true,
      can_manage_mappings: true,
      can_run_analysis: true,
      can_triage_alerts: true,
      can_manage_alerts: false,
      can_manage_webhooks: false,
      can_manage_users: false,
      can_manage_configuration: false,
      role: 'analyst',
      is_owner: false,
      is_admin: false,
    });
  });

  it('owner has everything', () => {
    const m = mePermissions(member('owner'));
    expect(m.role).toBe('owner');
    expect(m.is_owner && m.is_admin).toBe(true);
    expect(PERMISSIONS.every((p) => m[`can_${p}`])).toBe(true);
  });

  it('without membership: all false, role null', () => {
    for (const actor of [nomember, null, staff(null)]) {
      const m = mePermissions(actor);
      expect(m.role).toBeNull();
      expect(
        Object.entries(m)
          .filter(([k]) => k !== 'role')
          .every(([, v]) => v === false),
      ).toBe(true);
      expect(Object.keys(m)).toHaveLength(PERMISSIONS.length + 3);
    }
  });
});
