import type { Multipart } from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import type { TSchema } from 'typebox';
import {
  FileTooLargeError,
  type UploadClaimsFileInput,
  type UploadClaimsFileResult,
  uploadClaimsFile,
} from '../commands/upload-claims-file.ts';
import { AppError } from '../config/errors.ts';
import {
  CONTROL_CHARACTER_MESSAGE,
  fieldsWithControlCharacters,
} from '../domain/input/control-characters.ts';
import { countThrottled } from '../obs/metrics.ts';
import { fieldErrors } from './errors.ts';

/**
 * Receives a multipart upload (ingestion spec §2.1–§2.2) and streams the file part straight
 * into `uploadClaimsFile` (which spools it to disk while hashing): nothing is buffered in
 * memory. Fields may come before or after the file part: `check` (CSRF, rate limit) sees the
 * fields sent before the file; the options that depend on fields are taken once all parts are
 * read (the command awaits them after storing the body, before its duplicate check).
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
  /** Text fields of the request (first value of each name), before and after the file. */
  fields: Record<string, string>;
  /** null when the request carried no file part with a name. */
  result: UploadClaimsFileResult | null;
}

export interface ReceiveUploadOptions {
  /** Names of the file part (`csv_file`; API also `file`). */
  fileFields: readonly string[];
  /**
   * The declared schema of the text fields (bounded, no control characters, choices as such).
   * Checked on the fields sent before the file, and on all of them once every part is read,
   * before anything is committed: a violation is a 400 with field errors, nothing stored.
   */
  fieldsSchema: TSchema;
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
  countThrottled('upload');
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

export const MALFORMED_MULTIPART_MESSAGE =
  'Malformed multipart body: the form data could not be read (missing boundary or incomplete upload). Please send it again.';

/**
 * A multipart body the parser could not read: no boundary, a truncated body, broken part
 * headers, or any other busboy / @fastify/multipart failure (issue 11 item 7). 400 on both
 * paths; nothing was stored (a spooled file is removed by the upload command).
 */
export class MalformedMultipartError extends AppError {
  constructor() {
    super('invalid', MALFORMED_MULTIPART_MESSAGE, 400, { non_field_errors: [MALFORMED_MULTIPART_MESSAGE] });
    this.name = 'MalformedMultipartError';
  }
}

/** Errors the request itself caused that keep their own answer (limits, 413; our own refusals). */
function ownAnswer(error: unknown): boolean {
  if (error instanceof AppError || error instanceof UploadRefusedError || error instanceof FileTooLargeError)
    return true;
  const { statusCode, code } = (error ?? {}) as { statusCode?: unknown; code?: unknown };
  // @fastify/multipart's own 4xx errors (FST_FILES_LIMIT, FST_PARTS_LIMIT, FST_PROTO_VIOLATION…).
  return (
    typeof code === 'string' &&
    code.startsWith('FST_') &&
    typeof statusCode === 'number' &&
    statusCode >= 400 &&
    statusCode < 500
  );
}

/**
 * The multipart text fields against the route's declared schema, through the route's own
 * validator (same Ajv options as every other schema: coercion, `x-finite`, formats). Control
 * characters are refused first, in any field (declared or not), with their own message.
 */
export function validateMultipartFields(
  request: FastifyRequest,
  schema: TSchema,
  fields: Record<string, string>,
): void {
  const bad = fieldsWithControlCharacters(fields);
  if (bad.length > 0) {
    throw new AppError(
      'invalid',
      'Validation failed.',
      400,
      Object.fromEntries(bad.map((name) => [name, [CONTROL_CHARACTER_MESSAGE]])),
    );
  }
  const validate = request.compileValidationSchema(schema, 'body');
  // Validated on a copy: coercion must not change the text the route reads.
  if (validate({ ...fields })) return;
  throw new AppError('invalid', 'Validation failed.', 400, fieldErrors(validate.errors ?? []));
}

export async function receiveUpload(
  request: FastifyRequest,
  options: ReceiveUploadOptions,
): Promise<ReceivedUpload> {
  const { services } = request.server;
  const fields: Record<string, string> = {};
  let result: UploadClaimsFileResult | null = null;
  // Fields may follow the file part (issue 11: `allow_duplicate` sent after `file`): the file
  // is stored while the remaining parts are read, and the command takes the options that depend
  // on fields (`lateOptions`) only once every part has been read.
  let pending: Promise<UploadClaimsFileResult> | null = null;
  /** Rejects when the command fails; never resolves. */
  let failed: Promise<never> | null = null;
  let partsRead!: (complete: boolean) => void;
  const allPartsRead = new Promise<boolean>((resolve) => {
    partsRead = resolve;
  });
  // The parser reports a broken body either by rejecting the next part or by failing the
  // file stream the upload command is reading; both become MalformedMultipartError, while
  // the command's own failures (database, disk) stay what they are.
  let parserFailed = false;
  let fileStream: { errored: Error | null } | null = null;
  try {
    let parts: AsyncIterator<Multipart>;
    try {
      parts = request.parts()[Symbol.asyncIterator]();
    } catch (error) {
      parserFailed = true;
      throw error;
    }
    const nextPart = () =>
      parts.next().catch((error: unknown) => {
        parserFailed = true;
        throw error;
      });
    for (;;) {
      // While the file is stored, a failure of the command (too large, disk) must end the wait
      // for parts the parser will only deliver once the file stream is drained.
      const next = await (failed ? Promise.race([nextPart(), failed]) : nextPart());
      if (next.done) break;
      const part = next.value;
      if (part.type === 'field') {
        if (typeof part.value === 'string' && !(part.fieldname in fields))
          fields[part.fieldname] = part.value;
        continue;
      }
      if (pending || !options.fileFields.includes(part.fieldname) || !part.filename) {
        // A second file, an unknown file part, or the empty part a browser sends when no file
        // was chosen.
        part.file.resume();
        continue;
      }
      try {
        // Guards (CSRF, rate limit) first: 403/429 come before a 400 (§4.2).
        await options.check?.(fields);
        validateMultipartFields(request, options.fieldsSchema, fields);
      } catch (error) {
        part.file.resume();
        throw error;
      }
      fileStream = part.file;
      pending = uploadClaimsFile(services, {
        ...options.input(fields),
        filename: part.filename,
        body: part.file,
        lateOptions: async () => {
          if (!(await allPartsRead)) throw new Error('multipart body not read to the end');
          // Fields sent after the file obey the same schema, before anything is committed.
          validateMultipartFields(request, options.fieldsSchema, fields);
          const { allowDuplicate, columnProfileId } = options.input(fields);
          return { allowDuplicate: allowDuplicate ?? false, columnProfileId: columnProfileId ?? null };
        },
      });
      failed = pending.then(() => new Promise<never>(() => {}));
      // Raced below; this handler keeps a rejection that no race is waiting for handled.
      failed.catch(() => {});
    }
    partsRead(true);
    // Without a file the route answers (CSRF first, then these fields, then "No file").
    if (pending) result = await pending;
  } catch (error) {
    // The command (if started) removes its spooled file and settles.
    partsRead(false);
    await pending?.catch(() => {});
    if (tooLarge(error)) throw new FileTooLargeError(services.config.upload.maxMb);
    // The file stream is destroyed with the parser's error (e.g. "Unexpected end of
    // multipart data" for a truncated body) before the command sees it.
    if (fileStream?.errored) parserFailed = true;
    if (parserFailed && !ownAnswer(error)) {
      request.log.info({ err: error }, 'malformed multipart body');
      throw new MalformedMultipartError();
    }
    throw error;
  }
  return { fields, result };
}
