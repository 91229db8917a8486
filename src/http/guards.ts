import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import {
  can,
  canAccessOperatorConsole,
  canManageStaffAndActivation,
  contextCustomerId,
  isStaffUser,
  type Permission,
} from '../domain/accounts/permissions.ts';
import { type ProductSlugName, productNotEnabledMessage } from '../domain/accounts/products.ts';
import { loginRedirectUrl } from '../domain/accounts/safe-redirect.ts';
import { pageContext } from './page.ts';
import { sendUnauthenticated } from './plugins/auth.ts';

/**
 * Portal and API access guards (web-api-ops §1.4, §4.2): hooks built on the state the auth
 * plugin resolved. Routes list them in order: login → permission → product. They work as
 * `preHandler` or `preValidation` hooks; on a route with a body/query schema list them under
 * `preValidation`, because Fastify validates the schema BEFORE `preHandler` runs and §4.2
 * wants 401 → 403 before a 400 (the control-character net runs after either, see
 * plugins/input-safety.ts).
 */

export const PERMISSION_DENIED_MESSAGE = 'You do not have permission to access this page.';
export const NO_CUSTOMER_MESSAGE = 'Your account is not linked to a customer. Contact your administrator.';
export const SELECT_CUSTOMER_MESSAGE = 'Select a customer to view its data.';

/** Renders a 4xx page in the layout (with nav when logged in). */
export function sendErrorPage(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  title: string,
  message: string,
): FastifyReply {
  const page = pageContext(request);
  const html = request.server.renderer.render('error', {
    status,
    title,
    message,
    page,
    flashes: page?.flashes ?? [],
    requestId: request.id,
    version: request.server.services.config.version,
  });
  if (page) reply.header('Cache-Control', 'no-store');
  return reply.code(status).type('text/html; charset=utf-8').send(html);
}

export function sendForbidden(
  request: FastifyRequest,
  reply: FastifyReply,
  permission: string | null = null,
): FastifyReply {
  request.log.warn(
    { user_id: request.auth.user?.id ?? null, permission, route: request.routeOptions.url },
    'permission denied',
  );
  return sendErrorPage(request, reply, 403, 'Permission denied', PERMISSION_DENIED_MESSAGE);
}

export function sendNotFoundPage(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendErrorPage(request, reply, 404, 'Page not found', 'The page you requested does not exist.');
}

/** Anonymous (or idle-expired) → 302 to the login page with `next`. */
export const requireLogin: preHandlerAsyncHookHandler = async (request, reply) => {
  if (!request.auth.user) return reply.redirect(loginRedirectUrl(request.url), 302);
};

/**
 * A customer-scoped permission: staff without an acting customer are sent to the console,
 * unlinked users get 403 "not linked", others need the permission (§1.4).
 */
export function requirePermission(permission: Permission): preHandlerAsyncHookHandler {
  return async (request, reply) => {
    const { auth } = request;
    if (!auth.user) return reply.redirect(loginRedirectUrl(request.url), 302);
    if (contextCustomerId(auth.actor) === null) {
      if (isStaffUser(auth.actor)) {
        request.flash('info', SELECT_CUSTOMER_MESSAGE);
        return reply.redirect('/portal/admin/customers/', 302);
      }
      return sendErrorPage(request, reply, 403, 'Permission denied', NO_CUSTOMER_MESSAGE);
    }
    if (!can(auth.actor, permission)) return sendForbidden(request, reply, permission);
  };
}

/** View access to customer data (any member, or staff with an acting customer). */
export const requireView = requirePermission('view_reports');

/** The product must be enabled for the context customer (after a permission guard). */
export function requireProduct(slug: ProductSlugName): preHandlerAsyncHookHandler {
  return async (request, reply) => {
    const { auth } = request;
    if (!auth.customer || !auth.products.includes(slug)) {
      return sendErrorPage(
        request,
        reply,
        403,
        'Product not enabled',
        productNotEnabledMessage(slug, auth.customer?.name ?? 'this customer'),
      );
    }
  };
}

export const requireStaff: preHandlerAsyncHookHandler = async (request, reply) => {
  if (!request.auth.user) return reply.redirect(loginRedirectUrl(request.url), 302);
  if (!canAccessOperatorConsole(request.auth.actor)) return sendForbidden(request, reply, 'staff');
};

export const requireSuperuser: preHandlerAsyncHookHandler = async (request, reply) => {
  if (!request.auth.user) return reply.redirect(loginRedirectUrl(request.url), 302);
  if (!canManageStaffAndActivation(request.auth.actor)) return sendForbidden(request, reply, 'superuser');
};

/** API: any authenticated caller (JWT or session), else 401 with the Bearer challenge. */
export const requireApiAuth: preHandlerAsyncHookHandler = async (request, reply) => {
  if (!request.auth.user) return sendUnauthenticated(reply, 'not_authenticated');
};
