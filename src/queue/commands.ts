/**
 * The JOB.* module commands: argv in, state machine, JSON reply out. Every argument a transition
 * depends on — the time (`now_ms`) and the jitter seed — is in argv, stamped by the caller, so the
 * command log replays to the same state and Raft followers apply the same transitions.
 *
 *   JOB.ENQUEUE now_ms id spec_json payload            → {id,status,deduplicated}
 *   JOB.CLAIM now_ms seed worker lease_ms max queue... [@tasks task...]
 *                                                    → {jobs: [ClaimedJob], expired_by_queue}
 *   JOB.HEARTBEAT now_ms id worker attempt lease_ms|"" progress|""
 *   JOB.ACK now_ms id worker attempt result|""
 *   JOB.NACK now_ms seed id worker attempt failed|fatal retry_in_ms|"" error
 *   JOB.RELEASE now_ms id worker attempt
 *   JOB.CANCEL now_ms id            JOB.RETRY now_ms id
 *   JOB.DEAD.REDRIVE now_ms queue max [id...]          JOB.DEAD.PURGE queue max before_ms
 *   JOB.REAP now_ms seed retention_age_ms retention_count dead_age_ms
 *   JOB.GET id     JOB.LIST queue|"" status|"" cursor|"" limit     JOB.QUEUES now_ms
 *   JOB.PEEK now_ms queue... [@tasks task...]  → true when a claim could lease something (read-only)
 *
 * `@tasks` (not a valid queue name) starts the optional task filter: only jobs of those tasks are
 * leased (at least one task must follow it). Records written before the filter existed have none
 * and replay as before. Queue and task names are checked like everywhere else (limits.ts).
 *
 * Integers are parsed strictly, like Redis (`parseInt64`: no "0x10", "1e3", " 1", "+1", "01");
 * only the arguments shown `|""` above take an empty string, meaning "none". The failure kind is
 * case-insensitive, like a Redis option. spec_json is an object with exactly the fields of
 * EnqueueSpec (types.ts), each required except `idempotency_key` (absent or null: no key); an
 * unknown field is refused, as the HTTP API's strict schemas do. Bounds: retry_in_ms 0..7 days
 * (a backoff delay's bound, as over HTTP); the REAP retention values 0 or more; DEAD.REDRIVE
 * refuses more ids than `max` rather than dropping the rest.
 *
 * Replies are bulk strings holding JSON; errors start with the QueueError code (NOJOB, JOBSTATE,
 * LEASELOST, INVALID, LIMIT).
 */
import { parseInt64 } from "../../atlas/mod.ts";
import { createPrng } from "../lib/prng.ts";
import { cancelJob, expiredByQueue, purgeDead, reap, redriveDead, retryJob } from "./admin.ts";
import type { QueueData } from "./data.ts";
import { invalid, QueueError } from "./errors.ts";
import { QueueMachine } from "./machine.ts";
import { QUEUE_LIMITS, TASKS_MARKER } from "./limits.ts";
import { claimable, getJob, listJobs, queueStats } from "./read.ts";
import type { MetaCache } from "./table.ts";
import {
  type BackoffPolicy,
  type EnqueueSpec,
  type FailureReason,
  JOB_STATUSES,
  type JobMeta,
  type JobStatus,
} from "./types.ts";
import { checkInt, checkQueueName, checkTaskName } from "./validate.ts";

export interface QueueCommandDef {
  name: string;
  /** Redis arity: > 0 exact argc, < 0 at least -arity (name included). */
  arity: number;
  write: boolean;
  run(m: QueueMachine, args: string[]): unknown;
}

/** An integer argument, parsed like Redis string2ll (strict), within the safe-integer range. */
function int(text: string, name: string): number {
  const value = parseInt64(text);
  if (typeof value !== "number") {
    const why = value === null ? "expected an integer" : "out of range";
    throw invalid(`Invalid ${name} "${text.slice(0, 40)}": ${why}`);
  }
  return value;
}

/** An integer argument where "" means none. */
function optionalInt(text: string, name: string): number | null {
  return text === "" ? null : int(text, name);
}

function nonNegative(text: string, name: string): number {
  const value = int(text, name);
  if (value < 0) throw invalid(`Invalid ${name} ${value}: must be 0 or more`);
  return value;
}

/** A nack's own retry delay: "" (the job's backoff decides) or 0..backoffMsMax. */
function retryIn(text: string): number | null {
  const value = optionalInt(text, "retry_in_ms");
  return value === null ? null : checkInt("retry_in_ms", value, 0, QUEUE_LIMITS.backoffMsMax);
}

/** Splits and checks `queue... [@tasks task...]`; tasks is null without the marker. */
function queuesAndTasks(rest: string[]): { queues: string[]; tasks: Set<string> | null } {
  const at = rest.indexOf(TASKS_MARKER);
  const queues = at < 0 ? rest : rest.slice(0, at);
  for (const queue of queues) checkQueueName(queue);
  if (at < 0) return { queues, tasks: null };
  const tasks = rest.slice(at + 1);
  if (tasks.length === 0) throw invalid(`Invalid task filter: ${TASKS_MARKER} needs a task name`);
  for (const task of tasks) checkTaskName(task);
  return { queues, tasks: new Set(tasks) };
}

function parseKind(text: string): FailureReason {
  const kind = text.toLowerCase();
  if (kind !== "failed" && kind !== "fatal") {
    throw invalid(`Invalid failure kind "${text.slice(0, 20)}": expected failed or fatal`);
  }
  return kind;
}

function seeded(text: string): () => number {
  return createPrng(int(text, "seed"));
}

function parseStatus(text: string): JobStatus | null {
  if (text === "") return null;
  const status = text.toUpperCase() as JobStatus;
  if (!JOB_STATUSES.includes(status)) throw invalid(`Invalid status "${text.slice(0, 40)}"`);
  return status;
}

const SPEC_FIELDS: readonly (keyof EnqueueSpec)[] = [
  "queue",
  "task",
  "priority",
  "max_attempts",
  "backoff",
  "run_at_ms",
  "idempotency_key",
  "dedupe_window_ms",
];
const BACKOFF_FIELDS: readonly (keyof BackoffPolicy)[] = ["type", "delay_ms", "max_ms"];

/** A JSON object with only the `allowed` fields; `what` names it in errors. */
function jsonObject(
  value: unknown,
  what: string,
  allowed: readonly string[],
): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalid(`Invalid enqueue spec: ${what} must be a JSON object`);
  }
  for (const field of Object.keys(value)) {
    if (!allowed.includes(field)) {
      throw invalid(`Invalid enqueue spec: unknown field "${field.slice(0, 40)}" in ${what}`);
    }
  }
  return value as Record<string, unknown>;
}

/** A required field; `path` names it in errors ("backoff.type"). */
function present(object: Record<string, unknown>, path: string): unknown {
  const value = object[path.slice(path.lastIndexOf(".") + 1)];
  if (value === undefined) throw invalid(`Invalid enqueue spec: "${path}" is missing`);
  return value;
}

function stringField(object: Record<string, unknown>, path: string): string {
  const value = present(object, path);
  if (typeof value !== "string") throw invalid(`Invalid enqueue spec: "${path}" must be a string`);
  return value;
}

function intField(object: Record<string, unknown>, path: string): number {
  const value = present(object, path);
  if (!Number.isSafeInteger(value)) {
    throw invalid(`Invalid enqueue spec: "${path}" must be an integer`);
  }
  return value as number;
}

/**
 * The spec JSON, checked for shape (every field present with its type, nothing else) and rebuilt
 * from its known fields, so nothing unchecked reaches the stored record. Ranges and names are
 * checked by the state machine (checkEnqueueSpec), as for any caller.
 */
function parseSpec(text: string): EnqueueSpec {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (_error) {
    throw invalid("Invalid enqueue spec: not JSON");
  }
  const spec = jsonObject(raw, "the spec", SPEC_FIELDS);
  const backoff = jsonObject(present(spec, "backoff"), "backoff", BACKOFF_FIELDS);
  const key = spec.idempotency_key ?? null;
  if (key !== null && typeof key !== "string") {
    throw invalid(`Invalid enqueue spec: "idempotency_key" must be a string or null`);
  }
  return {
    queue: stringField(spec, "queue"),
    task: stringField(spec, "task"),
    priority: intField(spec, "priority"),
    max_attempts: intField(spec, "max_attempts"),
    backoff: {
      type: stringField(backoff, "backoff.type") as BackoffPolicy["type"],
      delay_ms: intField(backoff, "backoff.delay_ms"),
      max_ms: intField(backoff, "backoff.max_ms"),
    },
    run_at_ms: intField(spec, "run_at_ms"),
    idempotency_key: key,
    dedupe_window_ms: intField(spec, "dedupe_window_ms"),
  };
}

export const QUEUE_COMMANDS: readonly QueueCommandDef[] = [
  {
    name: "job.enqueue",
    arity: 5,
    write: true,
    run: (m, [now, id, spec, payload]) =>
      m.enqueue(int(now, "now_ms"), id, parseSpec(spec), payload),
  },
  {
    name: "job.claim",
    arity: -7,
    write: true,
    run: (m, [now, seed, worker, lease, max, ...rest]) => {
      const reaped: JobMeta[] = [];
      const { queues, tasks } = queuesAndTasks(rest);
      const jobs = m.claim(
        int(now, "now_ms"),
        seeded(seed),
        worker,
        int(lease, "lease_ms"),
        int(max, "max"),
        queues,
        reaped,
        tasks,
      );
      return { jobs, expired_by_queue: expiredByQueue(reaped) };
    },
  },
  {
    name: "job.heartbeat",
    arity: 7,
    write: true,
    run: (m, [now, id, worker, attempt, lease, progress]) =>
      m.heartbeat(
        int(now, "now_ms"),
        id,
        worker,
        int(attempt, "attempt"),
        optionalInt(lease, "lease_ms"),
        progress === "" ? null : progress,
      ),
  },
  {
    name: "job.ack",
    arity: 6,
    write: true,
    run: (m, [now, id, worker, attempt, result]) => {
      const meta = m.ack(
        int(now, "now_ms"),
        id,
        worker,
        int(attempt, "attempt"),
        result === "" ? null : result,
      );
      return {
        queue: meta.queue,
        status: meta.status,
        started_at_ms: meta.started_at_ms,
        finished_at_ms: meta.finished_at_ms,
      };
    },
  },
  {
    name: "job.nack",
    arity: 9,
    write: true,
    run: (m, [now, seed, id, worker, attempt, kind, retryInMs, error]) => {
      const reason = parseKind(kind);
      return m.nack(int(now, "now_ms"), seeded(seed), id, worker, int(attempt, "attempt"), {
        reason,
        error,
        retryInMs: retryIn(retryInMs),
      });
    },
  },
  {
    name: "job.release",
    arity: 5,
    write: true,
    run: (m, [now, id, worker, attempt]) => ({
      status: m.release(int(now, "now_ms"), id, worker, int(attempt, "attempt")).status,
    }),
  },
  {
    name: "job.cancel",
    arity: 3,
    write: true,
    run: (m, [now, id]) => view(cancelJob(m, int(now, "now_ms"), id)),
  },
  {
    name: "job.retry",
    arity: 3,
    write: true,
    run: (m, [now, id]) => view(retryJob(m, int(now, "now_ms"), id)),
  },
  {
    name: "job.dead.redrive",
    arity: -4,
    write: true,
    run: (m, [now, queue, max, ...ids]) => ({
      redriven: redriveDead(m, int(now, "now_ms"), queue, int(max, "max"), ids),
    }),
  },
  {
    name: "job.dead.purge",
    arity: 4,
    write: true,
    run: (m, [queue, max, before]) => ({
      purged: purgeDead(m, queue, int(max, "max"), int(before, "before_ms")),
    }),
  },
  {
    name: "job.reap",
    arity: 6,
    write: true,
    run: (m, [now, seed, age, count, deadAge]) =>
      reap(m, int(now, "now_ms"), seeded(seed), {
        age_ms: nonNegative(age, "retention_age_ms"),
        count: nonNegative(count, "retention_count"),
        dead_age_ms: nonNegative(deadAge, "dead_age_ms"),
      }),
  },
  { name: "job.get", arity: 2, write: false, run: (m, [id]) => getJob(m, id) },
  {
    name: "job.peek",
    arity: -3,
    write: false,
    run: (m, [now, ...rest]) => {
      const { queues, tasks } = queuesAndTasks(rest);
      return claimable(m, int(now, "now_ms"), queues, tasks);
    },
  },
  {
    name: "job.list",
    arity: 5,
    write: false,
    run: (m, [queue, status, cursor, limit]) =>
      listJobs(
        m,
        queue === "" ? null : queue,
        parseStatus(status),
        cursor === "" ? null : cursor,
        int(limit, "limit"),
      ),
  },
  {
    name: "job.queues",
    arity: 2,
    write: false,
    run: (m, [now]) => queueStats(m, int(now, "now_ms")),
  },
];

export type CommandOutcome = { ok: true; value: unknown } | { ok: false; error: string };

/** Runs one JOB.* command (argv without the name) over `data`; never throws for bad input. */
export function runQueueCommand(
  def: QueueCommandDef,
  data: QueueData,
  args: string[],
  cache: MetaCache | null = null,
): CommandOutcome {
  try {
    return { ok: true, value: def.run(new QueueMachine(data, cache), args) };
  } catch (error) {
    if (error instanceof QueueError) return { ok: false, error: `${error.code} ${error.message}` };
    return {
      ok: false,
      error: `ERR ${def.name.toUpperCase()} failed: ${(error as Error).message}`,
    };
  }
}

function view(meta: { id: string; status: JobStatus; cancel_requested: boolean }) {
  return { id: meta.id, status: meta.status, cancel_requested: meta.cancel_requested };
}
