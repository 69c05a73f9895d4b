/**
 * The job queue API contract: schemas and route definitions (no handlers). The documented paths
 * (POST/GET /api/v1/jobs, GET /api/v1/jobs/{id}) come first; the worker protocol (claim,
 * heartbeat, ack, nack, release) and the queue/dead-letter routes follow. Bounds are repeated
 * here so the spec shows them; the state machine checks them again.
 */
import { z } from "@hono/zod-openapi";
import { jsonBody, jsonResponse } from "./bodies.ts";
import { problemResponse } from "./problem.ts";
import { secureRoute } from "./secure_route.ts";

const QUEUE = /^[A-Za-z0-9_.:-]{1,64}$/;
const TASK = /^[A-Za-z0-9_.:/-]{1,128}$/;
const JOB_ID = /^[A-Za-z0-9_.:-]{1,64}$/;
export const JOB_STATUS_VALUES = [
  "PENDING",
  "SCHEDULED",
  "RUNNING",
  "COMPLETED",
  "DEAD",
  "CANCELLED",
] as const;
/** Longest long-poll of a claim; below the gateway's request timeout. */
export const CLAIM_WAIT_MS_MAX = 20_000;

// "default": where the README's job goes, so Try it out lists and claims what it enqueued.
const QueueName = z.string().regex(QUEUE).openapi({ example: "default" });
const JobStatus = z.enum(JOB_STATUS_VALUES).openapi({ example: "PENDING" });
const WorkerId = z.string().min(1).max(128).openapi({ example: "worker-1" });
const Attempt = z.number().int().min(1).max(100).openapi({
  description: "The attempt number from the claim; proves the caller holds the lease",
  example: 1,
});
const IsoTime = z.string().openapi({ example: "2026-01-29T10:00:00.000Z" });

const Backoff = z.object({
  type: z.enum(["exponential", "fixed", "none"]).openapi({
    description: "exponential: full jitter, a uniform draw in [0, min(max_ms, delay_ms·2^(n-1))]",
  }),
  delay_ms: z.number().int().min(0).max(604_800_000).optional(),
  max_ms: z.number().int().min(0).max(604_800_000).optional(),
}).strict().openapi("Backoff");

export const EnqueueSchema = z.object({
  queue: QueueName.optional().openapi({ description: 'Queue name (default "default")' }),
  task: z.string().regex(TASK).optional().openapi({
    description: 'Handler name; defaults to payload.task when that is a string, else "default"',
    example: "send_email",
  }),
  payload: z.unknown().nonoptional().openapi({
    description: "Any JSON value, at most 256 KiB",
    example: { task: "process_data", data: "..." },
  }),
  priority: z.number().int().min(0).max(1000).optional().openapi({
    description: "Higher runs first (default 0); FIFO within a priority",
  }),
  delay_ms: z.number().int().min(0).max(31_622_400_000).optional().openapi({
    description: "Run no earlier than this many ms from now",
  }),
  run_at: z.iso.datetime({ offset: true }).optional().openapi({
    description: "Run no earlier than this time (wins over delay_ms)",
  }),
  max_attempts: z.number().int().min(1).max(100).optional().openapi({
    description: "Attempts before the job is dead-lettered (default worker.max_attempts)",
  }),
  backoff: Backoff.partial().optional(),
  idempotency_key: z.string().min(1).max(256).optional().openapi({
    description: "Enqueues with the same key in the same queue within the dedupe window " +
      "return the first job instead of creating one",
  }),
  dedupe_window_ms: z.number().int().min(0).max(2_592_000_000).optional(),
}).strict().openapi("EnqueueJob");

export const EnqueuedSchema = z.object({
  id: z.string().openapi({ example: "j_0mk3bq9x0a1b2c3d4e5f6" }),
  status: JobStatus,
  deduplicated: z.boolean(),
}).openapi("EnqueuedJob");

const AttemptError = z.object({
  attempt: z.number().int(),
  run: z.number().int(),
  worker: z.string(),
  started_at: IsoTime,
  ended_at: IsoTime,
  reason: z.enum(["failed", "fatal", "lease_expired", "released", "cancelled"]),
  error: z.string(),
}).openapi("JobAttemptError");

export const JobSchema = z.object({
  id: z.string(),
  queue: z.string(),
  task: z.string(),
  status: JobStatus,
  priority: z.number().int(),
  attempt: z.number().int().openapi({ description: "Attempts used in the current round" }),
  max_attempts: z.number().int(),
  runs: z.number().int().openapi({ description: "Claims over the job's life (across redrives)" }),
  backoff: Backoff,
  created_at: IsoTime,
  updated_at: IsoTime,
  run_at: IsoTime,
  started_at: IsoTime.nullable(),
  finished_at: IsoTime.nullable(),
  lease: z.object({ worker: z.string(), expires_at: IsoTime }).nullable(),
  idempotency_key: z.string().nullable(),
  cancel_requested: z.boolean(),
  progress: z.unknown(),
  errors: z.array(AttemptError),
  redrives: z.number().int(),
  lease_expiries: z.number().int().openapi({
    description: "Attempts whose lease expired (each may have run the job a second time)",
  }),
  payload: z.unknown().optional(),
  result: z.unknown().optional(),
}).openapi("Job");

export const JobListSchema = z.object({
  jobs: z.array(JobSchema),
  next_cursor: z.string().nullable().openapi({ description: "Pass as `cursor`; null at the end" }),
}).openapi("JobList");

export const JobListQuery = z.object({
  status: JobStatus.optional().openapi({ param: { name: "status", in: "query" } }),
  queue: QueueName.optional().openapi({ param: { name: "queue", in: "query" } }),
  cursor: z.string().max(512).optional().openapi({ param: { name: "cursor", in: "query" } }),
  limit: z.coerce.number().int().min(1).max(1000).optional().openapi({
    param: { name: "limit", in: "query" },
    description: "Page size (default 100)",
  }),
});

export const JobIdParam = z.object({
  id: z.string().regex(JOB_ID).openapi({ param: { name: "id", in: "path", required: true } }),
});
export const QueueParam = z.object({
  queue: QueueName.openapi({ param: { name: "queue", in: "path", required: true } }),
});

export const JobStateSchema = z.object({
  id: z.string(),
  status: JobStatus,
  cancel_requested: z.boolean().optional(),
}).openapi("JobState");

export const ClaimSchema = z.object({
  worker_id: WorkerId,
  queues: z.array(QueueName).min(1).max(32),
  max: z.number().int().min(1).max(256).optional().openapi({
    description: "Batch size (default 1)",
  }),
  wait_ms: z.number().int().min(0).max(CLAIM_WAIT_MS_MAX).optional().openapi({
    description: "Long-poll: wait up to this long for a job when none is ready (default 0)",
  }),
  lease_ms: z.number().int().min(100).max(86_400_000).optional().openapi({
    description: "Visibility timeout (default worker.visibility_timeout); heartbeats extend it",
  }),
  tasks: z.array(z.string().regex(TASK)).max(64).optional().openapi({
    description: "Only jobs of these tasks (the ones this worker has handlers for); " +
      "others stay PENDING for other workers. Absent or empty: any task",
    example: ["http", "send_email"],
  }),
}).strict().openapi("ClaimJobs");

export const ClaimedSchema = z.object({
  jobs: z.array(
    z.object({
      id: z.string(),
      queue: z.string(),
      task: z.string(),
      attempt: z.number().int(),
      max_attempts: z.number().int(),
      lease_expires_at: IsoTime,
      payload: z.unknown(),
    }).openapi("ClaimedJob"),
  ),
}).openapi("ClaimedJobs");

export const HeartbeatSchema = z.object({
  worker_id: WorkerId,
  attempt: Attempt,
  lease_ms: z.number().int().min(100).max(86_400_000).optional(),
  progress: z.unknown().optional().openapi({ description: "Any small JSON value (4 KiB)" }),
}).strict().openapi("JobHeartbeat");

export const HeartbeatResultSchema = z.object({
  status: JobStatus,
  lease_expires_at: IsoTime.nullable(),
  cancelled: z.boolean().openapi({ description: "True when the job was cancelled: stop working" }),
}).openapi("JobHeartbeatResult");

export const AckSchema = z.object({
  worker_id: WorkerId,
  attempt: Attempt,
  result: z.unknown().optional().openapi({ description: "Any JSON value (64 KiB)" }),
}).strict().openapi("JobAck");

export const NackSchema = z.object({
  worker_id: WorkerId,
  attempt: Attempt,
  error: z.string().max(65_536).openapi({ example: "HTTP 503 from https://example.com/hook" }),
  retry_in_ms: z.number().int().min(0).max(604_800_000).optional().openapi({
    description: "Retry after this long instead of the job's backoff",
  }),
  fatal: z.boolean().optional().openapi({ description: "Do not retry: dead-letter now" }),
}).strict().openapi("JobNack");

export const NackResultSchema = z.object({
  id: z.string(),
  status: JobStatus,
  run_at: IsoTime.nullable().openapi({ description: "When the retry is due (SCHEDULED)" }),
}).openapi("JobNackResult");

export const ReleaseSchema = z.object({ worker_id: WorkerId, attempt: Attempt }).strict()
  .openapi("JobRelease");

export const QueueStatsSchema = z.object({
  queues: z.array(
    z.object({
      queue: z.string(),
      pending: z.number().int(),
      scheduled: z.number().int(),
      running: z.number().int(),
      completed: z.number().int(),
      dead: z.number().int(),
      cancelled: z.number().int(),
      oldest_pending_age_seconds: z.number(),
    }).openapi("QueueStats"),
  ),
}).openapi("QueueStatsList");

export const RedriveSchema = z.object({
  ids: z.array(z.string().regex(JOB_ID)).max(10_000).optional().openapi({
    description: "Jobs to redrive; omit to redrive the oldest `max`",
  }),
  max: z.number().int().min(1).max(10_000).optional().openapi({
    description: "Default 1000, or the number of `ids`; more `ids` than `max` is refused",
  }),
}).strict().openapi("RedriveDead");

export const PurgeSchema = z.object({
  before: z.iso.datetime({ offset: true }).optional().openapi({
    description: "Only jobs that died at or before this time (default now)",
  }),
  max: z.number().int().min(1).max(10_000).optional().openapi({ description: "Default 1000" }),
}).strict().openapi("PurgeDead");

/** What Swagger UI's "Try it out" sends first: the README's job, and a worker's calls for it. */
const README_JOB = { payload: { task: "process_data", data: "..." } };
const WORKER = { worker_id: "worker-1", attempt: 1 };
const notFound = problemResponse("No such job");
const conflict = problemResponse(
  "The job is not in a state that allows this, or the lease was lost",
);

export const enqueueJobRoute = secureRoute({
  method: "post",
  operationId: "enqueueJob",
  path: "/api/v1/jobs",
  tags: ["jobs"],
  summary: "Enqueue a job (any queue)",
  permission: "jobs:enqueue",
  request: { body: jsonBody(EnqueueSchema, README_JOB) },
  responses: {
    201: jsonResponse(EnqueuedSchema, "Enqueued"),
    200: jsonResponse(
      EnqueuedSchema,
      "Deduplicated: the job enqueued earlier with this idempotency key",
    ),
    400: problemResponse("Invalid job"),
    413: problemResponse("Payload or another bound exceeded"),
  },
});

export const enqueueInQueueRoute = secureRoute({
  method: "post",
  operationId: "enqueueJobInQueue",
  path: "/api/v1/queues/{queue}/jobs",
  tags: ["jobs"],
  summary: "Enqueue a job into one queue (permission scoped to the queue)",
  permission: "jobs:enqueue:{queue}",
  request: { params: QueueParam, body: jsonBody(EnqueueSchema.omit({ queue: true }), README_JOB) },
  responses: {
    201: jsonResponse(EnqueuedSchema, "Enqueued"),
    200: jsonResponse(EnqueuedSchema, "Deduplicated"),
    400: problemResponse("Invalid job"),
    413: problemResponse("Payload or another bound exceeded"),
  },
});

export const listJobsRoute = secureRoute({
  method: "get",
  operationId: "listJobs",
  path: "/api/v1/jobs",
  tags: ["jobs"],
  summary: "List jobs by status and/or queue (cursor pages, without payloads)",
  permission: "jobs:read",
  request: { query: JobListQuery },
  responses: {
    200: jsonResponse(JobListSchema, "A page of jobs"),
    400: problemResponse("Bad filter"),
  },
});

export const getJobRoute = secureRoute({
  method: "get",
  operationId: "getJob",
  path: "/api/v1/jobs/{id}",
  tags: ["jobs"],
  summary: "A job with payload, result, progress and per-attempt error history",
  permission: "jobs:read",
  request: { params: JobIdParam },
  responses: { 200: jsonResponse(JobSchema, "The job"), 404: notFound },
});

export const cancelJobRoute = secureRoute({
  method: "post",
  operationId: "cancelJob",
  path: "/api/v1/jobs/{id}/cancel",
  tags: ["jobs"],
  summary: "Cancel: PENDING/SCHEDULED at once; RUNNING at the worker's next heartbeat",
  permission: "jobs:cancel",
  request: { params: JobIdParam },
  responses: {
    200: jsonResponse(JobStateSchema, "Cancelled or flagged"),
    404: notFound,
    409: conflict,
  },
});

export const retryJobRoute = secureRoute({
  method: "post",
  operationId: "retryJob",
  path: "/api/v1/jobs/{id}/retry",
  tags: ["jobs"],
  summary: "Retry: DEAD/CANCELLED get a new round of attempts; SCHEDULED runs now",
  permission: "jobs:retry",
  request: { params: JobIdParam },
  responses: { 200: jsonResponse(JobStateSchema, "Pending again"), 404: notFound, 409: conflict },
});

export const claimJobsRoute = secureRoute({
  method: "post",
  operationId: "claimJobs",
  path: "/api/v1/jobs/claim",
  tags: ["jobs"],
  summary: "Worker: lease a batch of jobs (long-poll up to wait_ms)",
  permission: "jobs:claim",
  request: {
    body: jsonBody(ClaimSchema, {
      worker_id: "worker-1",
      queues: ["default"],
      max: 10,
      wait_ms: 5000,
    }),
  },
  responses: {
    200: jsonResponse(ClaimedSchema, "Leased jobs (maybe none)"),
    400: problemResponse("Bad claim"),
  },
});

export const heartbeatJobRoute = secureRoute({
  method: "post",
  operationId: "heartbeatJob",
  path: "/api/v1/jobs/{id}/heartbeat",
  tags: ["jobs"],
  summary: "Worker: extend the lease, report progress, learn about cancellation",
  permission: "jobs:ack",
  request: { params: JobIdParam, body: jsonBody(HeartbeatSchema, WORKER) },
  responses: {
    200: jsonResponse(HeartbeatResultSchema, "Lease extended or job cancelled"),
    404: notFound,
    409: conflict,
  },
});

export const ackJobRoute = secureRoute({
  method: "post",
  operationId: "ackJob",
  path: "/api/v1/jobs/{id}/ack",
  tags: ["jobs"],
  summary: "Worker: the attempt succeeded",
  permission: "jobs:ack",
  request: { params: JobIdParam, body: jsonBody(AckSchema, { ...WORKER, result: { ok: true } }) },
  responses: { 200: jsonResponse(JobStateSchema, "Completed"), 404: notFound, 409: conflict },
});

export const nackJobRoute = secureRoute({
  method: "post",
  operationId: "nackJob",
  path: "/api/v1/jobs/{id}/nack",
  tags: ["jobs"],
  summary: "Worker: the attempt failed (retried by policy, or dead-lettered)",
  permission: "jobs:ack",
  request: {
    params: JobIdParam,
    body: jsonBody(NackSchema, {
      ...WORKER,
      error: "HTTP 503 from https://example.com/hook",
    }),
  },
  responses: {
    200: jsonResponse(NackResultSchema, "Scheduled, pending, dead or cancelled"),
    404: notFound,
    409: conflict,
  },
});

export const releaseJobRoute = secureRoute({
  method: "post",
  operationId: "releaseJob",
  path: "/api/v1/jobs/{id}/release",
  tags: ["jobs"],
  summary: "Worker: give the job back without counting the attempt (shutdown)",
  permission: "jobs:ack",
  request: { params: JobIdParam, body: jsonBody(ReleaseSchema, WORKER) },
  responses: { 200: jsonResponse(JobStateSchema, "Pending again"), 404: notFound, 409: conflict },
});

export const listQueuesRoute = secureRoute({
  method: "get",
  operationId: "listQueues",
  path: "/api/v1/queues",
  tags: ["jobs"],
  summary: "Queues with depth per status and the oldest pending job's age",
  permission: "jobs:read",
  responses: { 200: jsonResponse(QueueStatsSchema, "Every queue") },
});

export const listDeadRoute = secureRoute({
  method: "get",
  operationId: "listDeadJobs",
  path: "/api/v1/queues/{queue}/dead",
  tags: ["jobs"],
  summary: "The queue's dead-letter queue (oldest first)",
  permission: "jobs:read:{queue}",
  request: { params: QueueParam, query: JobListQuery.pick({ cursor: true, limit: true }) },
  responses: { 200: jsonResponse(JobListSchema, "A page of DEAD jobs") },
});

export const redriveDeadRoute = secureRoute({
  method: "post",
  operationId: "redriveDeadJobs",
  path: "/api/v1/queues/{queue}/dead/redrive",
  tags: ["jobs"],
  summary: "Move DEAD jobs back to PENDING, keeping payload and history",
  permission: "jobs:redrive:{queue}",
  request: { params: QueueParam, body: jsonBody(RedriveSchema, { max: 100 }) },
  responses: {
    200: jsonResponse(z.object({ redriven: z.number().int() }).openapi("Redriven"), "How many"),
  },
});

export const purgeDeadRoute = secureRoute({
  method: "post",
  operationId: "purgeDeadJobs",
  path: "/api/v1/queues/{queue}/dead/purge",
  tags: ["jobs"],
  summary: "Delete DEAD jobs (oldest first)",
  permission: "jobs:purge:{queue}",
  request: { params: QueueParam, body: jsonBody(PurgeSchema, { max: 100 }) },
  responses: {
    200: jsonResponse(z.object({ purged: z.number().int() }).openapi("Purged"), "How many"),
  },
});

const ItemError = z.object({
  status: z.number().int(),
  code: z.string(),
  detail: z.string(),
}).openapi("JobItemError");

export const EnqueueBatchSchema = z.object({
  jobs: z.array(EnqueueSchema).min(1).max(1000),
}).strict().openapi("EnqueueJobBatch");

export const EnqueuedBatchSchema = z.object({
  results: z.array(z.object({
    id: z.string().optional(),
    status: JobStatus.optional(),
    deduplicated: z.boolean().optional(),
    error: ItemError.optional(),
  })).openapi({ description: "One entry per job, in request order: the outcome or the error" }),
}).openapi("EnqueuedJobBatch");

export const AckBatchSchema = z.object({
  worker_id: WorkerId,
  acks: z.array(z.object({
    id: z.string().regex(JOB_ID),
    attempt: Attempt,
    result: z.unknown().optional(),
  })).min(1).max(256),
}).strict().openapi("JobAckBatch");

export const AckedBatchSchema = z.object({
  results: z.array(z.object({
    id: z.string(),
    status: JobStatus.optional(),
    error: ItemError.optional(),
  })),
}).openapi("JobAckBatchResult");

export const enqueueBatchRoute = secureRoute({
  method: "post",
  operationId: "enqueueJobBatch",
  path: "/api/v1/jobs/batch",
  tags: ["jobs"],
  summary: "Enqueue up to 1000 jobs in one request (one store transaction)",
  permission: "jobs:enqueue",
  request: {
    body: jsonBody(EnqueueBatchSchema, {
      jobs: [README_JOB, { ...README_JOB, priority: 10 }],
    }),
  },
  responses: {
    200: jsonResponse(EnqueuedBatchSchema, "Per-job outcomes"),
    400: problemResponse("Invalid batch"),
  },
});

export const ackBatchRoute = secureRoute({
  method: "post",
  operationId: "ackJobBatch",
  path: "/api/v1/jobs/ack",
  tags: ["jobs"],
  summary: "Worker: ack up to 256 attempts in one request",
  permission: "jobs:ack",
  request: {
    body: jsonBody(AckBatchSchema, {
      worker_id: "worker-1",
      acks: [{ id: "j_0mk3bq9x0a1b2c3d4e5f6", attempt: 1 }],
    }),
  },
  responses: {
    200: jsonResponse(AckedBatchSchema, "Per-ack outcomes"),
    400: problemResponse("Bad batch"),
  },
});
