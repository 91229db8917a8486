import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { ingestJsonBatch } from '../../../commands/ingest-json-batch.ts';
import {
  authenticateIngestionToken,
  createIngestionToken,
  presentedIngestionToken,
  revokeCustomerIngestionToken,
} from '../../../commands/manage-ingestion-tokens.ts';
import { AppError, NotFoundError, ValidationError } from '../../../config/errors.ts';
import type { IngestionTokenRecord } from '../../../db/repositories/ingestion-tokens.repository.ts';
import {
  findIngestionToken,
  listIngestionTokens,
} from '../../../db/repositories/ingestion-tokens.repository.ts';
import { isStaffUser } from '../../../domain/accounts/permissions.ts';
import { throttledDetail } from '../../../domain/accounts/throttle.ts';
import { isValidIdempotencyKey } from '../../../domain/ingestion/json-batch.ts';
import { countThrottled } from '../../../obs/metrics.ts';
import {
  presentCreatedToken,
  presentIngestAccepted,
  presentIngestionToken,
} from '../../../presenters/ingestion.ts';
import type { Services } from '../../../services.ts';
import { apiScope } from '../../api-tenancy.ts';
import { paginateArray } from '../../pagination.ts';
import { IdParams, operation, Paginated } from '../../schemas/index.ts';
import { enforceUploadRate, UploadRefusedError } from '../../upload-multipart.ts';
import {
  CreatedIngestionToken,
  IngestAccepted,
  IngestBodyDescription,
  IngestionToken,
  TokenCreate,
  TokenListQuery,
  TokenQuery,
} from './ingestion.schemas.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The ingestion token that authenticated `POST /api/v1/ingest/webhook/`. */
    ingestionToken: IngestionTokenRecord | null;
  }
}

/** The 401 bodies of the ingestion endpoint (web-api-ops §4.7), by code. */
const INGEST_AUTH_DETAILS = {
  not_authenticated: 'Missing or invalid authorization header',
  token_not_valid: 'Invalid token',
  token_expired: 'Token expired',
} as const;

/**
 * `ingestion-tokens/` (GET list/detail, POST → 201 with the token once, DELETE → 204 revoke;
 * manage_configuration) and `POST /api/v1/ingest/webhook/` (web-api-ops §4.5–§4.7, ingestion
 * spec §6.1).
 *
 * The webhook authenticates by ingestion token only (route config `auth: 'ingestion'`: no JWT,
 * no session, no CSRF), in its `onRequest` hook so a refused caller never has its body read;
 * the token's throttle (INGEST_THROTTLE) follows. Its body is taken as raw bytes (a route-scoped
 * parser, limit INGEST_MAX_BODY_MB) because the SHA-256 of the exact bytes is the idempotency
 * fingerprint and "not valid JSON" has its own message; `ingestJsonBatch` does the rest.
 */
export function registerIngestionApiRoutes(app: FastifyInstance, services: Services): void {
  const { db } = services.database;
  const { config } = services;
  const deps = { db, clock: services.clock };
  const configure = apiScope({ permission: 'manage_configuration', requireCustomer: true });

  function actorOf(request: FastifyRequest) {
    return {
      customerId: request.apiCustomerId as number,
      userId: request.auth.user?.id ?? null,
      actingAsOperator: request.apiActor ? isStaffUser(request.apiActor) : false,
      requestId: request.id,
      ip: request.ip,
    };
  }

  // --- ingestion tokens -------------------------------------------------------------------

  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const tag = 'Ingestion tokens';

  api.get(
    '/api/v1/ingestion-tokens/',
    {
      preValidation: configure,
      schema: operation(
        {
          tag,
          summary: 'List ingestion tokens',
          description: 'manage_configuration. Newest first; revoked tokens stay listed.',
        },
        { querystring: TokenListQuery, response: { 200: Paginated(IngestionToken) } },
      ),
    },
    async (request) => {
      const now = services.clock.now();
      const rows = await listIngestionTokens(db, request.apiCustomerId as number);
      return paginateArray(
        request,
        rows.map((row) => presentIngestionToken(row, now)),
      );
    },
  );

  api.get(
    '/api/v1/ingestion-tokens/:id/',
    {
      preValidation: configure,
      schema: operation(
        { tag, summary: 'Get an ingestion token' },
        { params: IdParams, querystring: TokenQuery, response: { 200: IngestionToken } },
      ),
    },
    async (request) => {
      const row = await findIngestionToken(db, request.apiCustomerId as number, request.params.id);
      if (!row) throw new NotFoundError();
      return presentIngestionToken(row, services.clock.now());
    },
  );

  api.post(
    '/api/v1/ingestion-tokens/',
    {
      preValidation: configure,
      schema: operation(
        {
          tag,
          summary: 'Create an ingestion token',
          description:
            'manage_configuration. The response carries the whole token once (`token`); only its SHA-256 is stored.',
        },
        { body: TokenCreate, response: { 201: CreatedIngestionToken } },
      ),
    },
    async (request, reply) => {
      const { record, token } = await createIngestionToken(deps, actorOf(request), {
        name: request.body.name,
        expires_at: request.body.expires_at ?? null,
      });
      return reply.code(201).send(presentCreatedToken(record, token, services.clock.now()));
    },
  );

  api.delete(
    '/api/v1/ingestion-tokens/:id/',
    {
      preValidation: configure,
      schema: operation(
        {
          tag,
          summary: 'Revoke an ingestion token',
          description: 'The token stops working at once and is kept for the audit trail.',
        },
        {
          params: IdParams,
          querystring: TokenQuery,
          response: { 204: Type.Null({ description: 'Revoked.' }) },
        },
      ),
    },
    async (request, reply) => {
      await revokeCustomerIngestionToken(deps, actorOf(request), request.params.id);
      return reply.code(204).send(null);
    },
  );

  // --- JSON batch ingestion ---------------------------------------------------------------

  const bodyLimit = config.ingest.maxBodyMb * 1024 * 1024;
  app.decorateRequest('ingestionToken', null);

  async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const result = await authenticateIngestionToken(deps, presentedIngestionToken(request.headers));
    if (!result.ok) throw new AppError(result.code, INGEST_AUTH_DETAILS[result.code], 401);
    request.ingestionToken = result.token;
    const rate = config.rateLimits.ingest;
    if (!rate) return;
    const decision = await services.rateLimits.hit(
      `ingest:${result.token.id}`,
      rate,
      services.clock.now().getTime(),
    );
    if (!decision.allowed) {
      countThrottled('ingest');
      reply.header('Retry-After', String(decision.retryAfterSeconds));
      throw new AppError('throttled', throttledDetail(decision.retryAfterSeconds), 429);
    }
  }

  app.register(async (scope) => {
    // Raw bytes whatever the declared type: the command reads them as JSON itself.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_request, body, done) =>
      done(null, body),
    );

    scope.post(
      '/api/v1/ingest/webhook/',
      {
        config: { auth: 'ingestion', csrf: false },
        bodyLimit,
        onRequest: authenticate,
        schema: operation(
          {
            tag: 'Ingestion',
            summary: 'Send a JSON batch of claims',
            description: IngestBodyDescription,
            access: 'ingestion',
            extraErrors: [409, 413],
          },
          { response: { 200: IngestAccepted, 202: IngestAccepted } },
        ),
      },
      async (request, reply) => {
        const token = request.ingestionToken as IngestionTokenRecord;
        const keyHeader = request.headers['x-idempotency-key'];
        const idempotencyKey = typeof keyHeader === 'string' ? keyHeader : null;
        if (idempotencyKey !== null && !isValidIdempotencyKey(idempotencyKey)) {
          throw ValidationError.field('X-Idempotency-Key', 'Must be 1 to 255 visible ASCII characters.');
        }
        const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const result = await ingestJsonBatch(services, {
          customerId: token.customer_id,
          tokenId: token.id,
          body,
          idempotencyKey,
          requestId: request.id,
          ip: request.ip,
          checkUploadRate: async () => {
            try {
              await enforceUploadRate(request, token.customer_id);
            } catch (error) {
              if (!(error instanceof UploadRefusedError)) throw error;
              reply.header('Retry-After', String(error.retryAfterSeconds ?? 60));
              throw new AppError('throttled', error.detail ?? 'Upload limit reached.', 429);
            }
          },
        });
        // A replay answers 200 with the first answer's body (§4.7).
        if (result.replayed) reply.code(200).header('Idempotent-Replayed', 'true');
        else reply.code(202);
        return presentIngestAccepted(result);
      },
    );
  });
}
