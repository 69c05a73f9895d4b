/**
 * Every bound of the job queue, named. The module commands check them again (a RESP client can
 * call JOB.* directly), so a bad argument always gets a clear error, never a crash or a huge key.
 */
export const QUEUE_LIMITS = Object.freeze({
  /** Queue names: letters, digits, `_ . : -`. */
  queueNameBytesMax: 64,
  taskNameBytesMax: 128,
  jobIdBytesMax: 64,
  workerIdBytesMax: 128,
  idempotencyKeyBytesMax: 256,
  payloadBytesMax: 256 * 1024,
  resultBytesMax: 64 * 1024,
  progressBytesMax: 4 * 1024,
  /** One error message; longer ones are cut. */
  errorBytesMax: 2 * 1024,
  /** Error history entries kept per job (the newest). */
  errorHistoryMax: 100,
  maxAttemptsMax: 100,
  priorityMin: 0,
  priorityMax: 1000,
  /** Longest delay / run_at in the future. */
  delayMsMax: 366 * 24 * 3_600_000,
  backoffMsMax: 7 * 24 * 3_600_000,
  leaseMsMin: 100,
  leaseMsMax: 24 * 3_600_000,
  claimBatchMax: 256,
  queuesPerClaimMax: 32,
  listLimitMax: 1000,
  /** Scheduled jobs promoted, expired leases reaped, finished jobs deleted: per command. */
  workPerCommandMax: 1000,
  /** Distinct queues; enqueueing into one more is refused. */
  queuesMax: 10_000,
  dedupeWindowMsMax: 30 * 24 * 3_600_000,
  redriveBatchMax: 10_000,
  /** Long-poll wait of one claim request. */
  claimWaitMsMax: 30_000,
});

export const QUEUE_NAME_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;
/** Starts the task filter in JOB.CLAIM / JOB.PEEK argv (no queue name can contain "@"). */
export const TASKS_MARKER = "@tasks";
export const TASK_NAME_PATTERN = /^[A-Za-z0-9_.:/-]{1,128}$/;
export const JOB_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;
