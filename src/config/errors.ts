/**
 * The one error family of the application. Each error carries a stable `code`
 * (used in API problem responses and CLI exit handling) and a message that is safe
 * to show: it never contains a secret or a patient identifier.
 */
export class AppError extends Error {
  readonly code: string;
  readonly statusCode: number;
  /** Field errors for validation failures (`{"field": ["message"]}`). */
  readonly errors: Record<string, string[]> | undefined;

  constructor(code: string, message: string, statusCode = 400, errors?: Record<string, string[]>) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.statusCode = statusCode;
    this.errors = errors;
  }
}

/** Configuration could not be read: the message lists every problem, one per line. */
export class ConfigError extends AppError {
  readonly problems: string[];
  constructor(problems: string[]) {
    super('config_invalid', problems.join('\n'), 500);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** A command-line usage mistake (unknown flag, missing argument): exit code 2. */
export class UsageError extends AppError {
  constructor(message: string) {
    super('usage', message, 400);
    this.name = 'UsageError';
  }
}

/** A dependency (database, Redis) could not be reached. */
export class DependencyError extends AppError {
  constructor(message: string) {
    super('unavailable', message, 503);
    this.name = 'DependencyError';
  }
}

/** The object does not exist for this caller (another tenant's object included: never a hint). */
export class NotFoundError extends AppError {
  constructor(message = 'Not found.') {
    super('not_found', message, 404);
    this.name = 'NotFoundError';
  }
}

export const PERMISSION_DENIED_DETAIL = 'You do not have permission to perform this action.';

/** The caller is known but may not do this (web-api-ops §4.2: 403 before 404 and 400). */
export class PermissionDeniedError extends AppError {
  constructor(message = PERMISSION_DENIED_DETAIL, code = 'permission_denied') {
    super(code, message, 403);
    this.name = 'PermissionDeniedError';
  }
}

/** Input that passed the schema but breaks a rule: 400 with field errors (`non_field_errors` when none). */
export class ValidationError extends AppError {
  constructor(errors: Record<string, string[]>, message = 'Validation failed.') {
    super('invalid', message, 400, errors);
    this.name = 'ValidationError';
  }

  /** One message on one field. */
  static field(field: string, message: string): ValidationError {
    return new ValidationError({ [field]: [message] });
  }
}

/**
 * Credentials or a token the token endpoints refuse (web-api-ops §4.3): 401 with the code of
 * §4.2 (`no_active_account`, `token_not_valid`). No Bearer challenge: these endpoints are
 * where credentials are exchanged, not a resource that asks for them.
 */
export class AuthenticationFailedError extends AppError {
  constructor(message: string, code: string) {
    super(code, message, 401);
    this.name = 'AuthenticationFailedError';
  }
}

/** Too many failed logins for an account or address: 429 (the caller sets `Retry-After`). */
export class LoginLockedError extends AppError {
  constructor(message: string) {
    super('login_locked', message, 429);
    this.name = 'LoginLockedError';
  }
}

/** The request conflicts with the state of the resource (duplicates, idempotency keys). */
export class ConflictError extends AppError {
  constructor(message: string, code = 'conflict') {
    super(code, message, 409);
    this.name = 'ConflictError';
  }
}

/** One line describing any thrown value, without a stack trace. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    // AggregateError (e.g. ECONNREFUSED on both ::1 and 127.0.0.1) has an empty message.
    if (!error.message && error instanceof AggregateError && error.errors.length > 0) {
      return describeError(error.errors[0]);
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (!error.message && code) return code;
    return error.message;
  }
  return String(error);
}
