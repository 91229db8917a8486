import type { FastifyInstance } from 'fastify';
import type { Services } from '../../../services.ts';
import { registerUploadDeleteRoutes } from './upload-delete.ts';
import { registerUploadDetailRoutes } from './upload-detail.ts';
import { registerUploadListRoutes } from './upload-list.ts';
import { registerUploadMappingRoutes } from './upload-mapping.ts';

export { PRIVACY_BANNER } from './upload-list.ts';

/**
 * Uploads pages (web-api-ops §1.3, §1.6 "Uploads"; ingestion spec §2.2, §2.13), one registrar
 * per resource: the list with its form, an upload's page (with progress and rejections), the
 * mapping step and the deletion. Schemas: uploads.schemas.ts.
 */
export function registerUploadRoutes(app: FastifyInstance, services: Services): void {
  registerUploadListRoutes(app, services);
  registerUploadDetailRoutes(app, services);
  registerUploadMappingRoutes(app, services);
  registerUploadDeleteRoutes(app, services);
}
