import type { FastifyRequest } from 'fastify';
import {
  FileTooLargeError,
  type UploadClaimsFileInput,
  type UploadClaimsFileResult,
  uploadClaimsFile,
} from '../commands/upload-claims-file.ts';

/**
 * Receives a multipart upload (ingestion spec §2.1–§2.2) and streams the file part straight
 * into `uploadClaimsFile` (which spools it to disk while hashing): nothing is buffered in
 * memory. Fields must come before the file part to be seen (the portal form is ordered so;
 * API clients send `allow_duplicate`/`column_profile` before `file`).
 */

/** The route's own check (CSRF) refused the request before any byte was stored. */
export class UploadRefusedError extends Error {
  constructor(
    readonly reason: 'csrf' | 'rate_limited' | 'invalid',
    /** What to tell the submitter (rate limit, invalid field). */
    readonly detail: string | null = null,
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(`upload refused: ${reason}`);
    this.name = 'UploadRefusedError';
  }
}

export interface ReceivedUpload {
  /** Text fields sent before the file (first value of each name). */
  fields: Record<string, string>;
  /** null when the request carried no file part with a name. */
  result: UploadClaimsFileResult | null;
}

export interface ReceiveUploadOptions {
  /** Names of the file part (`csv_file`; API also `file`). */
  fileFields: readonly string[];
  /** Runs with the fields seen so far before the file is read; throw to refuse. */
  check?: (fields: Record<string, string>) => void | Promise<void>;
  /** The command input apart from file name and body. */
  input: (fields: Record<string, string>) => Omit<UploadClaimsFileInput, 'filename' | 'body'>;
}

/** "on", "true", "1", "yes" (checkbox and API booleans). */
export function truthyField(value: string | undefined): boolean {
  return value !== undefined && ['on', 'true', '1', 'yes'].includes(value.trim().toLowerCase());
}

/**
 * The per-customer upload limit (web-api-ops §3.8, `UPLOAD_RATE_LIMIT`, default 20/hour):
 * throws UploadRefusedError('rate_limited') with "Upload limit reached: …" when exceeded.
 * Every upload attempt that carries a file counts.
 */
export async function enforceUploadRate(request: FastifyRequest, customerId: number): Promise<void> {
  const { services } = request.server;
  const rate = services.config.rateLimits.upload;
  if (!rate) return;
  const decision = await services.rateLimits.hit(
    `upload:${customerId}`,
    rate,
    services.clock.now().getTime(),
  );
  if (decision.allowed) return;
  const minutes = Math.max(1, Math.ceil(decision.retryAfterSeconds / 60));
  throw new UploadRefusedError(
    'rate_limited',
    `Upload limit reached: ${rate.limit} uploads per ${rate.unit}. Try again in ${minutes} minutes.`,
    decision.retryAfterSeconds,
  );
}

function tooLarge(error: unknown): boolean {
  return (
    error instanceof FileTooLargeError ||
    (typeof error === 'object' &&
      error !== null &&
      (error as { code?: unknown }).code === 'FST_REQ_FILE_TOO_LARGE')
  );
}

export async function receiveUpload(
  request: FastifyRequest,
  options: ReceiveUploadOptions,
): Promise<ReceivedUpload> {
  const { services } = request.server;
  const fields: Record<string, string> = {};
  let result: UploadClaimsFileResult | null = null;
  try {
    for await (const part of request.parts()) {
      if (part.type === 'field') {
        if (typeof part.value === 'string' && !(part.fieldname in fields))
          fields[part.fieldname] = part.value;
        continue;
      }
      if (!options.fileFields.includes(part.fieldname) || !part.filename) {
        // An unknown file part, or the empty part a browser sends when no file was chosen.
        part.file.resume();
        continue;
      }
      try {
        await options.check?.(fields);
      } catch (error) {
        part.file.resume();
        throw error;
      }
      result = await uploadClaimsFile(services, {
        ...options.input(fields),
        filename: part.filename,
        body: part.file,
      });
      break;
    }
  } catch (error) {
    if (tooLarge(error)) throw new FileTooLargeError(services.config.upload.maxMb);
    throw error;
  }
  return { fields, result };
}
