import type { FastifyRequest } from 'fastify';
import type { TeamDeps } from '../commands/manage-team.ts';
import type { Services } from '../services.ts';

/** What the team operations need from one request (portal team page and members API alike). */
export function teamDepsFor(services: Services, request: FastifyRequest): TeamDeps {
  return {
    db: services.database.db,
    config: services.config,
    mailer: services.mailer,
    sessions: services.sessions,
    now: services.clock.now(),
    requestId: request.id,
    ip: request.ip,
    logger: request.log,
  };
}
