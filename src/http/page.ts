import type { FastifyReply, FastifyRequest } from 'fastify';
import { listCustomerNames } from '../db/repositories/customers.repository.ts';
import { can, isStaffUser, type Permission, ROLE_LABELS } from '../domain/accounts/permissions.ts';
import { PRODUCTS } from '../domain/accounts/products.ts';
import type { FlashMessage } from './session.ts';

/** Sections of the portal nav (§1.5), used to mark the current link `active`. */
export type Section =
  | 'axis'
  | 'denialscope'
  | 'driftwatch'
  | 'delayguard'
  | 'uploads'
  | 'claims'
  | 'alerts'
  | 'reports'
  | 'insights'
  | 'quality'
  | 'mappings'
  | 'settings'
  | 'team'
  | 'operator'
  | 'metrics'
  | 'account'
  | null;

export interface NavItem {
  label: string;
  href: string;
  active: boolean;
}

/** Layout data of an authenticated page: header context, nav, flashes, CSRF token. */
export interface PageContext {
  username: string;
  isStaff: boolean;
  customerName: string | null;
  roleLabel: string | null;
  roleClass: string | null;
  nav: NavItem[];
  flashes: FlashMessage[];
  csrfToken: string;
  year: number;
  path: string;
  /** Staff: customers for the switcher (filled by renderPage). */
  switcher: Array<{ id: number; name: string; selected: boolean }> | null;
}

const CUSTOMER_NAV: ReadonlyArray<[Exclude<Section, null>, string, string, Permission]> = [
  ['uploads', 'Uploads', '/portal/uploads/', 'upload_claims'],
  ['claims', 'Claims', '/portal/claims/', 'view_reports'],
  ['alerts', 'Alerts', '/portal/alerts/', 'view_reports'],
  ['reports', 'Reports', '/portal/reports/', 'view_reports'],
  ['insights', 'Insights', '/portal/insights/', 'view_reports'],
  ['quality', 'Data Quality', '/portal/quality/', 'view_reports'],
  ['mappings', 'Mappings', '/portal/mappings/', 'manage_mappings'],
  ['settings', 'Settings', '/portal/settings/', 'view_reports'],
  ['team', 'Team', '/portal/team/', 'view_reports'],
];

/**
 * Builds the layout context for the request's user (null for anonymous requests).
 * Flash messages are taken from the session here, so they show exactly once.
 */
export function pageContext(request: FastifyRequest, section: Section = null): PageContext | null {
  const { auth } = request;
  if (!auth?.user) return null;
  const actor = auth.actor;
  const nav: NavItem[] = [{ label: 'Axis', href: '/portal/axis/', active: section === 'axis' }];
  if (can(actor, 'view_reports')) {
    for (const slug of auth.products) {
      nav.push({ label: PRODUCTS[slug].label, href: `/portal/products/${slug}/`, active: section === slug });
    }
  }
  for (const [key, label, href, permission] of CUSTOMER_NAV) {
    if (can(actor, permission)) nav.push({ label, href, active: section === key });
  }
  const staff = isStaffUser(actor);
  if (staff) {
    nav.push({ label: 'Operator', href: '/portal/admin/customers/', active: section === 'operator' });
    nav.push({ label: 'Metrics', href: '/portal/admin/metrics/', active: section === 'metrics' });
  }
  const role = staff ? null : (auth.membership?.role ?? null);
  return {
    username: auth.user.username,
    isStaff: staff,
    customerName: auth.customer?.name ?? null,
    roleLabel: role ? ROLE_LABELS[role] : null,
    roleClass: role ? `role-${role}` : null,
    nav,
    flashes: request.session?.takeFlashes() ?? [],
    csrfToken: request.csrfToken(),
    year: new Date().getUTCFullYear(),
    path: request.url,
    switcher: null,
  };
}

export interface RenderOptions {
  title: string;
  section?: Section;
  status?: number;
}

/** Renders a portal page in the shared layout; authenticated pages are `no-store`. */
export async function renderPage(
  request: FastifyRequest,
  reply: FastifyReply,
  template: string,
  data: Record<string, unknown>,
  options: RenderOptions,
): Promise<FastifyReply> {
  const page = pageContext(request, options.section ?? null);
  if (page?.isStaff) {
    const customers = await listCustomerNames(request.server.services.database.db);
    page.switcher = customers.map((c) => ({
      id: c.id,
      name: c.name,
      selected: c.id === request.auth.customer?.id,
    }));
  }
  const flashes = page ? page.flashes : (request.session?.takeFlashes() ?? []);
  const html = request.server.renderer.render(template, {
    ...data,
    title: options.title,
    page,
    flashes,
    csrfToken: page?.csrfToken ?? request.csrfToken(),
    version: request.server.services.config.version,
    year: new Date().getUTCFullYear(),
  });
  if (page) reply.header('Cache-Control', 'no-store');
  return reply
    .code(options.status ?? 200)
    .type('text/html; charset=utf-8')
    .send(html);
}
