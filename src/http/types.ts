import type { Services } from '../services.ts';
import type { Renderer } from '../web/render.ts';
import type { RouteTable } from './errors.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Bare infrastructure routes (root health): no request id, timing or security headers. */
    bare?: boolean;
  }
  interface FastifyRequest {
    /** process.hrtime.bigint() at receipt, for X-Request-Duration-Ms. */
    startedAt: bigint;
  }
  interface FastifyInstance {
    renderer: Renderer;
    /** The services container the app was built with. */
    services: Services;
    /** Every registered route and its methods (405 `Allow`, the `/api/v1/` index). */
    routeTable: RouteTable;
  }
}

/** True for paths answered with problem JSON rather than HTML pages. */
export function isApiPath(url: string): boolean {
  return url.startsWith('/api/');
}
