/** A programmer error: an invariant that can only fail through a bug in our code. */
export class AssertionError extends Error {
  override name = "AssertionError";
}

/** Crash on a broken invariant. Never use for bad input: that is an operating error, typed. */
export function assert(condition: unknown, message = "Assertion failed"): asserts condition {
  if (!condition) throw new AssertionError(message);
}

export function unreachable(value: never, message = "Unreachable"): never {
  throw new AssertionError(`${message}: ${JSON.stringify(value)}`);
}
