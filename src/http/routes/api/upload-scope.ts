import type { FastifyRequest } from 'fastify';
import { ConflictError, NotFoundError } from '../../../config/errors.ts';
import type { UploadRecord } from '../../../db/repositories/uploads.repository.ts';
import { findUploadScoped } from '../../../queries/uploads-list.ts';
import type { Services } from '../../../services.ts';

/** The caller's upload (members: own customer; staff: any, or the named customer's); else 404. */
export async function scopedUpload(
  services: Services,
  request: FastifyRequest,
  id: number,
): Promise<UploadRecord> {
  const upload = await findUploadScoped(services.database.db, request.apiCustomerId, id);
  if (!upload) throw new NotFoundError();
  return upload;
}

/** The mapping actions need an upload waiting for its mapping: 409 otherwise. */
export function requireNeedsMapping(upload: UploadRecord): void {
  if (upload.status !== 'needs_mapping')
    throw new ConflictError('This upload does not need a column mapping.');
}
