/**
 * Job handlers by task name. Applications register theirs through the framework API
 * (`helios.jobs.handle("send_email", fn)`); the built-in `http` webhook handler is registered by
 * default. A handler gets the job and an AbortSignal that fires on cancellation, a lost lease or
 * shutdown; what it returns is the job's result. To fail without retrying, throw
 * `new JobFailure(message, { retry: false })`; any other throw is a retryable failure.
 */
import { TASK_NAME_PATTERN } from "../limits.ts";

export interface JobContext {
  id: string;
  queue: string;
  task: string;
  attempt: number;
  max_attempts: number;
  payload: unknown;
  /** Fires on cancellation, lost lease or shutdown; `signal.reason` says which. */
  signal: AbortSignal;
  /** Reports progress (sent with the next heartbeat). */
  progress(value: unknown): void;
}

export type JobHandler = (job: JobContext) => Promise<unknown> | unknown;

export class JobFailure extends Error {
  override name = "JobFailure";
  readonly retry: boolean;
  readonly retryInMs?: number;
  constructor(
    message: string,
    options: { retry?: boolean; retryInMs?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.retry = options.retry ?? true;
    this.retryInMs = options.retryInMs;
  }
}

export class HandlerRegistry {
  private readonly handlers = new Map<string, JobHandler>();

  /** Registers the handler of a task; a second registration of one name is a programmer error. */
  handle(task: string, handler: JobHandler): this {
    if (!TASK_NAME_PATTERN.test(task)) throw new Error(`Invalid task name "${task}"`);
    if (this.handlers.has(task)) {
      throw new Error(`A handler for task "${task}" is already registered`);
    }
    this.handlers.set(task, handler);
    return this;
  }

  get(task: string): JobHandler | undefined {
    return this.handlers.get(task);
  }

  get tasks(): string[] {
    return [...this.handlers.keys()].sort();
  }
}
