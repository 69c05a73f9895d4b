/**
 * Bind failures as one line that names the listener and its address. Deno's own message ("Address
 * already in use (os error 98)") says neither, and a daemon has up to four listeners (gateway,
 * RESP, Raft, metrics); `helios` prints the message and exits 1 instead of a stack trace.
 */
import { formatHostPort, type HostPort } from "./address.ts";

const REASONS = new Map<unknown, string>([
  [Deno.errors.AddrInUse, "address already in use"],
  [Deno.errors.AddrNotAvailable, "address not available on this host"],
  [Deno.errors.PermissionDenied, "permission denied (ports below 1024 need privileges)"],
]);

/** Whether `error` is one of the bind failures `helios` reports in one line. */
export function isListenFailure(error: unknown): error is Error {
  return error instanceof Error && REASONS.has(error.constructor);
}

/** The same error class with a message naming the listener; other errors unchanged. */
export function explainListenError(error: unknown, listener: string, address: HostPort): unknown {
  if (!isListenFailure(error)) return error;
  const reason = REASONS.get(error.constructor);
  const ErrorClass = error.constructor as new (message: string, options?: ErrorOptions) => Error;
  return new ErrorClass(
    `cannot listen on ${formatHostPort(address)} (${listener}): ${reason}`,
    { cause: error },
  );
}
