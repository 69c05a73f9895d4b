/**
 * Operating errors: expected failures with a stable machine-readable `code` and an HTTP `status`.
 * Every HTTP error leaves through one funnel (problem.ts) as RFC 9457 problem+json.
 */
export interface FieldError {
  /** Where the bad value is, e.g. "body.password" or "gateway.rate_limit.default_capacity". */
  path: string;
  message: string;
}

export interface AppErrorOptions {
  detail?: string;
  cause?: unknown;
  errors?: FieldError[];
  /** Extra response headers the funnel must send (Retry-After, WWW-Authenticate, ...). */
  headers?: Record<string, string>;
}

export class AppError extends Error {
  override name = "AppError";
  readonly detail?: string;
  readonly errors?: FieldError[];
  readonly headers: Record<string, string>;

  constructor(
    readonly code: string,
    readonly status: number,
    readonly title: string,
    options: AppErrorOptions = {},
  ) {
    super(options.detail ?? title, { cause: options.cause });
    this.detail = options.detail;
    this.errors = options.errors;
    this.headers = options.headers ?? {};
  }
}

export class ValidationError extends AppError {
  constructor(detail: string, errors?: FieldError[]) {
    super("validation_failed", 400, "Request validation failed", { detail, errors });
  }
}

export class UnauthorizedError extends AppError {
  constructor(detail = "Missing or invalid credentials", code = "unauthorized") {
    super(code, 401, "Unauthorized", { detail, headers: { "www-authenticate": "Bearer" } });
  }
}

export class ForbiddenError extends AppError {
  constructor(detail: string, code = "forbidden") {
    super(code, 403, "Forbidden", { detail });
  }
}

export class NotFoundError extends AppError {
  constructor(detail: string, code = "not_found") {
    super(code, 404, "Not found", { detail });
  }
}

export class ConflictError extends AppError {
  constructor(detail: string, code = "conflict") {
    super(code, 409, "Conflict", { detail });
  }
}

export class PreconditionFailedError extends AppError {
  constructor(detail: string) {
    super("precondition_failed", 412, "Precondition failed", { detail });
  }
}

export class PayloadTooLargeError extends AppError {
  constructor(detail: string) {
    super("payload_too_large", 413, "Payload too large", { detail });
  }
}

export class RateLimitedError extends AppError {
  constructor(readonly retryAfterS: number, detail = "Rate limit exceeded") {
    super("rate_limited", 429, "Too many requests", {
      detail,
      headers: { "retry-after": String(Math.max(1, Math.ceil(retryAfterS))) },
    });
  }
}

export class UnavailableError extends AppError {
  constructor(detail: string, code = "unavailable", retryAfterS?: number) {
    super(code, 503, "Service unavailable", {
      detail,
      headers: retryAfterS === undefined ? {} : { "retry-after": String(Math.ceil(retryAfterS)) },
    });
  }
}

export class GatewayTimeoutError extends AppError {
  constructor(detail: string, code = "timeout") {
    super(code, 504, "Timeout", { detail });
  }
}
