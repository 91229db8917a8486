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

export class NotFoundError extends AppError {
  constructor(message = 'Not found.') {
    super('not_found', message, 404);
    this.name = 'NotFoundError';
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
