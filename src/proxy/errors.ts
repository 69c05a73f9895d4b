/** The proxy's operating errors; every one leaves as RFC 9457 problem+json. */
import { AppError, GatewayTimeoutError, UnavailableError } from "../errors/mod.ts";

export class BadGatewayError extends AppError {
  constructor(detail: string, code = "bad_gateway") {
    super(code, 502, "Bad gateway", { detail });
  }
}

export const noRoute = (method: string, path: string) =>
  new AppError("no_route", 404, "Not found", { detail: `No proxy route for ${method} ${path}` });

export const noTarget = (upstream: string) =>
  new UnavailableError(`No available target in upstream "${upstream}"`, "no_healthy_upstream", 1);

export const overloaded = (upstream: string) =>
  new UnavailableError(
    `Upstream "${upstream}" is at its concurrency limits`,
    "upstream_overloaded",
    1,
  );

export const upstreamTimeout = (upstream: string) =>
  new GatewayTimeoutError(`Upstream "${upstream}" did not answer in time`, "upstream_timeout");

export const upstreamFailed = (upstream: string, reason: string) =>
  new BadGatewayError(`Upstream "${upstream}" failed: ${reason}`, "upstream_failed");

/**
 * How one attempt failed, which decides retry and the status sent to the client. "client": the
 * client's request body broke off or was malformed — not the target's failure.
 */
export type FailureKind = "connect" | "timeout" | "other" | "client";

export const badRequestBody = () =>
  new AppError("bad_request", 400, "Bad request", {
    detail: "The request body could not be read from the client",
  });

export function classifyFetchError(error: unknown, timedOut: boolean): FailureKind {
  if (timedOut) return "timeout";
  const text = String((error as Error)?.message ?? error) +
    String((error as Error)?.cause ?? "");
  if (/refused|os error 111|ConnectionRefused|connect error|tcp connect|dns error/i.test(text)) {
    return "connect";
  }
  return "other";
}
