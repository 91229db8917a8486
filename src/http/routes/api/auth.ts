import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { authenticateUser } from '../../../commands/authenticate-user.ts';
import {
  issueTokenPair,
  refreshTokenPair,
  revokeRefreshToken,
  verifyAnyToken,
} from '../../../commands/issue-jwt.ts';
import { apiLockoutDetail } from '../../../domain/accounts/throttle.ts';
import type { Services } from '../../../services.ts';
import { multipartFieldsAsBody } from '../../multipart-fields.ts';

const INVALID_TOKEN = { detail: 'Token is invalid or expired', code: 'token_not_valid' } as const;

function bodyField(request: FastifyRequest, name: string): string | null {
  const body = request.body;
  if (!body || typeof body !== 'object') return null;
  const value = (body as Record<string, unknown>)[name];
  if (Array.isArray(value)) return typeof value[0] === 'string' ? value[0] : null;
  return typeof value === 'string' ? value : null;
}

function required(reply: FastifyReply, fields: string[]) {
  const errors: Record<string, string[]> = {};
  for (const f of fields) errors[f] = ['This field is required.'];
  return reply.code(400).send({ detail: 'Validation failed.', code: 'invalid', errors });
}

/** JWT endpoints of web-api-ops §4.3 (public, anonymous throttle, no CSRF). */
export function registerApiAuthRoutes(app: FastifyInstance, services: Services): void {
  const { db } = services.database;
  const config = { auth: 'token-endpoint' as const };
  const deps = () => ({ db, config: services.config, now: services.clock.now() });

  app.post(
    '/api/v1/auth/token/',
    { config, preValidation: multipartFieldsAsBody },
    async (request, reply) => {
      reply.header('Cache-Control', 'no-store');
      const username = bodyField(request, 'username') ?? bodyField(request, 'email');
      const password = bodyField(request, 'password');
      const missing = [...(username ? [] : ['username']), ...(password ? [] : ['password'])];
      if (missing.length > 0) return required(reply, missing);
      const outcome = await authenticateUser(
        { db, config: services.config, now: services.clock.now() },
        {
          username: (username as string).trim(),
          password: password as string,
          ip: request.ip,
          requestId: request.id,
          channel: 'api',
        },
      );
      if (outcome.kind === 'locked') {
        reply.header('Retry-After', String(outcome.retryAfterSeconds));
        return reply
          .code(429)
          .send({ detail: apiLockoutDetail(outcome.retryAfterSeconds), code: 'login_locked' });
      }
      if (outcome.kind !== 'ok') {
        return reply
          .code(401)
          .send({ detail: 'No active account found with the given credentials', code: 'no_active_account' });
      }
      return reply.send(await issueTokenPair(deps(), outcome.user.id));
    },
  );

  app.post(
    '/api/v1/auth/token/refresh/',
    { config, preValidation: multipartFieldsAsBody },
    async (request, reply) => {
      reply.header('Cache-Control', 'no-store');
      const token = bodyField(request, 'refresh');
      if (!token) return required(reply, ['refresh']);
      const pair = await refreshTokenPair(deps(), token, { ip: request.ip, requestId: request.id });
      if (!pair) return reply.code(401).send(INVALID_TOKEN);
      return reply.send({ access: pair.access, refresh: pair.refresh });
    },
  );

  app.post(
    '/api/v1/auth/token/verify/',
    { config, preValidation: multipartFieldsAsBody },
    async (request, reply) => {
      reply.header('Cache-Control', 'no-store');
      const token = bodyField(request, 'token');
      if (!token) return required(reply, ['token']);
      if (!(await verifyAnyToken(deps(), token))) return reply.code(401).send(INVALID_TOKEN);
      return reply.send({});
    },
  );

  app.post(
    '/api/v1/auth/token/revoke/',
    { config, preValidation: multipartFieldsAsBody },
    async (request, reply) => {
      reply.header('Cache-Control', 'no-store');
      const token = bodyField(request, 'refresh');
      if (!token) return required(reply, ['refresh']);
      if (!(await revokeRefreshToken(deps(), token))) return reply.code(401).send(INVALID_TOKEN);
      return reply.send({});
    },
  );
}
