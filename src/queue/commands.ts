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
 * leased. Records written before the filter existed have none and replay as before.
 *
 * Replies are bulk strings holding JSON; errors start with the QueueError code (NOJOB, JOBSTATE,
 * LEASELOST, INVALID, LIMIT).
 */
import { createPrng } from "../lib/prng.ts";
import { cancelJob, expiredByQueue, purgeDead, reap, redriveDead, retryJob } from "./admin.ts";
import type { QueueData } from "./data.ts";
import { invalid, QueueError } from "./errors.ts";
import { QueueMachine } from "./machine.ts";
import { TASKS_MARKER } from "./limits.ts";
import { claimable, getJob, listJobs, queueStats } from "./read.ts";
import type { MetaCache } from "./table.ts";
import { type EnqueueSpec, JOB_STATUSES, type JobMeta, type JobStatus } from "./types.ts";

export interface QueueCommandDef {
  name: string;
  /** Redis arity: > 0 exact argc, < 0 at least -arity (name included). */
  arity: number;
  write: boolean;
  run(m: QueueMachine, args: string[]): unknown;
}

function int(text: string, name: string): number {
  const value = Number(text);
  if (text.length === 0 || !Number.isSafeInteger(value)) {
    throw invalid(`Invalid ${name} "${text.slice(0, 40)}": expected an integer`);
  }
  return value;
}

function optionalInt(text: string, name: string): number | null {
  return text === "" ? null : int(text, name);
}

/** Splits `queue... [@tasks task...]`; tasks is null without the marker. */
function queuesAndTasks(rest: string[]): { queues: string[]; tasks: Set<string> | null } {
  const at = rest.indexOf(TASKS_MARKER);
  if (at < 0) return { queues: rest, tasks: null };
  return { queues: rest.slice(0, at), tasks: new Set(rest.slice(at + 1)) };
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

function parseSpec(text: string): EnqueueSpec {
  let spec: EnqueueSpec;
  try {
    spec = JSON.parse(text);
  } catch (_error) {
    throw invalid("Invalid enqueue spec: not JSON");
  }
  if (typeof spec !== "object" || spec === null || typeof spec.backoff !== "object") {
    throw invalid("Invalid enqueue spec: expected an object with a backoff");
  }
  return spec;
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
    run: (m, [now, seed, id, worker, attempt, kind, retryIn, error]) => {
      if (kind !== "failed" && kind !== "fatal") {
        throw invalid(`Invalid failure kind "${kind.slice(0, 20)}"`);
      }
      return m.nack(int(now, "now_ms"), seeded(seed), id, worker, int(attempt, "attempt"), {
        reason: kind,
        error,
        retryInMs: optionalInt(retryIn, "retry_in_ms"),
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
        age_ms: int(age, "retention_age_ms"),
        count: int(count, "retention_count"),
        dead_age_ms: int(deadAge, "dead_age_ms"),
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
