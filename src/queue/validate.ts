/** Checks of identifiers and options, shared by the module commands and the service. */
import { invalid, QueueError } from "./errors.ts";
import { JOB_ID_PATTERN, QUEUE_LIMITS, QUEUE_NAME_PATTERN, TASK_NAME_PATTERN } from "./limits.ts";
import { BACKOFF_TYPES, type BackoffPolicy, type EnqueueSpec } from "./types.ts";

export function checkQueueName(queue: string): string {
  if (typeof queue !== "string" || !QUEUE_NAME_PATTERN.test(queue)) {
    throw invalid(
      `Invalid queue name "${String(queue).slice(0, 80)}": use 1-64 of A-Z a-z 0-9 _ . : -`,
    );
  }
  return queue;
}

export function checkTaskName(task: string): string {
  if (typeof task !== "string" || !TASK_NAME_PATTERN.test(task)) {
    throw invalid(
      `Invalid task name "${String(task).slice(0, 80)}": use 1-128 of A-Z a-z 0-9 _ . : / -`,
    );
  }
  return task;
}

export function checkJobId(id: string): string {
  if (!JOB_ID_PATTERN.test(id)) throw invalid(`Invalid job id "${id.slice(0, 80)}"`);
  return id;
}

export function checkWorkerId(worker: string): string {
  if (worker.length === 0 || worker.length > QUEUE_LIMITS.workerIdBytesMax) {
    throw invalid(`Invalid worker id: 1-${QUEUE_LIMITS.workerIdBytesMax} bytes`);
  }
  return worker;
}

export function checkInt(name: string, value: number, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw invalid(`Invalid ${name} ${value}: must be an integer in [${min}, ${max}]`);
  }
  return value;
}

/** Bounds a text by its byte length (binary strings: one char per byte). */
export function checkBytes(name: string, text: string, max: number): string {
  if (text.length > max) {
    throw new QueueError("LIMIT", `${name} is ${text.length} bytes; the limit is ${max}`);
  }
  return text;
}

export function checkBackoff(backoff: BackoffPolicy): BackoffPolicy {
  if (!BACKOFF_TYPES.includes(backoff.type)) {
    throw invalid(`Invalid backoff type "${String(backoff.type)}"`);
  }
  checkInt("backoff delay", backoff.delay_ms, 0, QUEUE_LIMITS.backoffMsMax);
  checkInt("backoff max", backoff.max_ms, 0, QUEUE_LIMITS.backoffMsMax);
  return backoff;
}

/** Validates a spec coming from anywhere (HTTP, RESP); returns it for chaining. */
export function checkEnqueueSpec(spec: EnqueueSpec, nowMs: number): EnqueueSpec {
  checkQueueName(spec.queue);
  checkTaskName(spec.task);
  checkInt("priority", spec.priority, QUEUE_LIMITS.priorityMin, QUEUE_LIMITS.priorityMax);
  checkInt("max_attempts", spec.max_attempts, 1, QUEUE_LIMITS.maxAttemptsMax);
  checkBackoff(spec.backoff);
  checkInt("run_at", spec.run_at_ms, 0, nowMs + QUEUE_LIMITS.delayMsMax);
  checkInt("dedupe window", spec.dedupe_window_ms, 0, QUEUE_LIMITS.dedupeWindowMsMax);
  // Absent reads as null (no key), like the compact record that leaves a null key out.
  const key = spec.idempotency_key ?? null;
  if (key !== null) {
    if (
      typeof key !== "string" || key.length === 0 ||
      key.length > QUEUE_LIMITS.idempotencyKeyBytesMax
    ) {
      throw invalid(`Invalid idempotency key: 1-${QUEUE_LIMITS.idempotencyKeyBytesMax} bytes`);
    }
  }
  return spec;
}
