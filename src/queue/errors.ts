/**
 * Operating errors of the state machine. The module commands turn them into error replies whose
 * first word is the code (`NOJOB ...`), and the service turns those back into HTTP errors.
 */
export type QueueErrorCode = "NOJOB" | "JOBSTATE" | "LEASELOST" | "INVALID" | "LIMIT";

export class QueueError extends Error {
  override name = "QueueError";
  constructor(readonly code: QueueErrorCode, message: string) {
    super(message);
  }
}

export function invalid(message: string): QueueError {
  return new QueueError("INVALID", message);
}
