import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { authenticateUser } from '../../../commands/authenticate-user.ts';
import {
  issueTokenPair,
  refreshTokenPair,
  revokeRefreshToken,
  verifyAnyToken,
} from '../../../commands/issue-jwt.ts';
import { AuthenticationFailedError, LoginLockedError, ValidationError } from '../../../config/errors.ts';
import { apiLockoutDetail } from '../../../domain/accounts/throttle.ts';
import type { Services } from '../../../services.ts';
import { multipartFieldsAsBody } from '../../multipart-fields.ts';
import { operation } from '../../schemas/index.ts';
import { Empty, RefreshRequest, TokenPair, TokenRequest, VerifyRequest } from './auth.schemas.ts';

const invalidToken = () => new AuthenticationFailedError('Token is invalid or expired', 'token_not_valid');

/** Empty values the schema lets through are "required" like missing ones (as before the schemas). */
function requireFilled(values: Record<string, string | undefined>): void {
  const missing = Object.entries(values).filter(([, value]) => !value);
  if (missing.length > 0) {
    throw new ValidationError(
      Object.fromEntries(missing.map(([name]) => [name, ['This field is required.']])),
    );
  }
}

/**
 * JWT endpoints of web-api-ops §4.3 (public, anonymous throttle, no CSRF). JSON, form and
 * multipart bodies alike (multipart fields become the body in `preValidation`, before the
 * schema). Refusals are typed errors rendered by the one error path.
 */
export function registerApiAuthRoutes(app: FastifyInstance, services: Services): void {
  const { db } = services.database;
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const config = { auth: 'token-endpoint' as const };
  const tag = 'Authentication';
  const deps = () => ({ db, config: services.config, now: services.clock.now() });
  // Tokens never sit in a cache, errors included (set before anything can answer).
  const noStore = {
    onRequest: async (_request: FastifyRequest, reply: FastifyReply) => {
      reply.header('Cache-Control', 'no-store');
    },
  };

  api.post(
    '/api/v1/auth/token/',
    {
      config,
      ...noStore,
      preValidation: multipartFieldsAsBody,
      schema: operation(
        {
          tag,
          summary: 'Obtain an access and a refresh token',
          description:
            'Username (or e-mail) and password. Repeated failures lock the account whichever ' +
            'identifier is typed, and the client address (§3.4: 429 `login_locked` with ' +
            '`Retry-After`); wrong credentials or an inactive account: 401 `no_active_account`.',
          access: 'public',
          extraErrors: [415],
        },
        { body: TokenRequest, response: { 200: TokenPair } },
      ),
    },
    async (request, reply) => {
      const { body } = request;
      const username = body.username || body.email;
      requireFilled({ username, password: body.password });
      const outcome = await authenticateUser(deps(), {
        username: (username as string).trim(),
        password: body.password,
        ip: request.ip,
        requestId: request.id,
        channel: 'api',
      });
      if (outcome.kind === 'locked') {
        reply.header('Retry-After', String(outcome.retryAfterSeconds));
        throw new LoginLockedError(apiLockoutDetail(outcome.retryAfterSeconds));
      }
      if (outcome.kind !== 'ok') {
        throw new AuthenticationFailedError(
          'No active account found with the given credentials',
          'no_active_account',
        );
      }
      return issueTokenPair(deps(), outcome.user.id);
    },
  );

  api.post(
    '/api/v1/auth/token/refresh/',
    {
      config,
      ...noStore,
      preValidation: multipartFieldsAsBody,
      schema: operation(
        {
          tag,
          summary: 'Exchange a refresh token for a new pair',
          description:
            'Refresh tokens are single use: presenting one twice revokes its whole family (401 `token_not_valid`).',
          access: 'public',
          extraErrors: [415],
        },
        { body: RefreshRequest, response: { 200: TokenPair } },
      ),
    },
    async (request) => {
      const token = request.body.refresh;
      requireFilled({ refresh: token });
      const pair = await refreshTokenPair(deps(), token, { ip: request.ip, requestId: request.id });
      if (!pair) throw invalidToken();
      return { access: pair.access, refresh: pair.refresh };
    },
  );

  api.post(
    '/api/v1/auth/token/verify/',
    {
      config,
      ...noStore,
      preValidation: multipartFieldsAsBody,
      schema: operation(
        {
          tag,
          summary: 'Check that a token is valid',
          description: '`{}` for a valid access or refresh token, else 401 `token_not_valid`.',
          access: 'public',
          extraErrors: [415],
        },
        { body: VerifyRequest, response: { 200: Empty } },
      ),
    },
    async (request) => {
      const { token } = request.body;
      requireFilled({ token });
      if (!(await verifyAnyToken(deps(), token))) throw invalidToken();
      return {};
    },
  );

  api.post(
    '/api/v1/auth/token/revoke/',
    {
      config,
      ...noStore,
      preValidation: multipartFieldsAsBody,
      schema: operation(
        {
          tag,
          summary: 'Revoke a refresh token',
          description: '`{}` once the refresh token is revoked, else 401 `token_not_valid`.',
          access: 'public',
          extraErrors: [415],
        },
        { body: RefreshRequest, response: { 200: Empty } },
      ),
    },
    async (request) => {
      const token = request.body.refresh;
      requireFilled({ refresh: token });
      if (!(await revokeRefreshToken(deps(), token))) throw invalidToken();
      return {};
    },
  );
}
