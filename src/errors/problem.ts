import { AppError, type FieldError } from "./app_error.ts";

/** RFC 9457 problem details, the one error body of every Helios HTTP API. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  code: string;
  requestId?: string;
  errors?: FieldError[];
}

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

/** Problem types are stable URNs, one per `code`; docs/api.md lists them. */
export function problemType(code: string): string {
  return `urn:helios:problem:${code}`;
}

const STATUS_TITLES: Record<number, string> = {
  400: "Bad request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not found",
  405: "Method not allowed",
  408: "Request timeout",
  409: "Conflict",
  412: "Precondition failed",
  413: "Payload too large",
  415: "Unsupported media type",
  429: "Too many requests",
  500: "Internal server error",
  502: "Bad gateway",
  503: "Service unavailable",
  504: "Gateway timeout",
};

export function statusTitle(status: number): string {
  return STATUS_TITLES[status] ?? "Error";
}

export interface ProblemContext {
  instance?: string;
  requestId?: string;
}

/**
 * Turns any thrown value into a problem. AppErrors keep their status, code and detail; anything
 * else is a bug and becomes an opaque 500 (its message is logged, never sent to the client).
 */
export function toProblem(error: unknown, context: ProblemContext = {}): Problem {
  if (error instanceof AppError) {
    return {
      type: problemType(error.code),
      title: error.title,
      status: error.status,
      ...(error.detail === undefined ? {} : { detail: error.detail }),
      ...(context.instance === undefined ? {} : { instance: context.instance }),
      code: error.code,
      ...(context.requestId === undefined ? {} : { requestId: context.requestId }),
      ...(error.errors === undefined ? {} : { errors: error.errors }),
    };
  }
  return {
    type: problemType("internal_error"),
    title: statusTitle(500),
    status: 500,
    detail: "An unexpected error occurred; the request id identifies it in the server log",
    ...(context.instance === undefined ? {} : { instance: context.instance }),
    code: "internal_error",
    ...(context.requestId === undefined ? {} : { requestId: context.requestId }),
  };
}

/** The problem as an HTTP response, with any headers the error asks for (Retry-After, ...). */
export function problemResponse(error: unknown, context: ProblemContext = {}): Response {
  const problem = toProblem(error, context);
  const headers = new Headers({ "content-type": PROBLEM_CONTENT_TYPE });
  if (error instanceof AppError) {
    for (const [name, value] of Object.entries(error.headers)) headers.set(name, value);
  }
  if (context.requestId) headers.set("x-request-id", context.requestId);
  return new Response(JSON.stringify(problem), { status: problem.status, headers });
}
