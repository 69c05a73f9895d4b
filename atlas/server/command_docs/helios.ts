/** COMMAND DOCS: the helios commands (see types.ts). */
import {
  type ArgDoc,
  block,
  type CommandDoc,
  doc,
  int,
  key,
  oneof,
  pure,
  str,
  unixTime,
} from "./types.ts";

/** Every command here is a Helios module command, there since Helios 1.0.0. */
const helios = (summary: string, complexity: string, args?: readonly ArgDoc[]) =>
  doc(summary, "1.0.0", "module", complexity, args);

/** Within one job's queue: its status indexes are sorted sets. */
const ONE_JOB = "O(log(N)) where N is the number of jobs in the job's queue";

/** `queue [queue ...] [@tasks task [task ...]]` of JOB.CLAIM and JOB.PEEK. */
const QUEUES_AND_TASKS: readonly ArgDoc[] = [
  str("queue", { multiple: true }),
  str("task", { token: "@tasks", optional: true, multiple: true }),
];

export const DOCS: Readonly<Record<string, CommandDoc>> = {
  "helios.backup": helios(
    "Return the whole keyspace as one consistent backup file",
    "O(N) where N is the total size of the keyspace",
    [str("source", { optional: true })],
  ),
  "helios.cluster": helios(
    "Show or change the Raft cluster's members and leader (Raft mode only)",
    "O(1), plus a Raft round trip for ADD-PEER, REMOVE-PEER and TRANSFER-LEADER",
    [
      oneof("subcommand", [
        pure("status", "STATUS"),
        block("add-peer", [str("id"), str("raft-address")], { token: "ADD-PEER" }),
        str("id", { token: "REMOVE-PEER" }),
        str("id", { token: "TRANSFER-LEADER" }),
      ]),
    ],
  ),
  "helios.forwarded": helios(
    "Run a write a follower forwarded to the Raft leader (internal, between cluster nodes)",
    "The complexity of the forwarded command",
    [str("command"), str("arg", { optional: true, multiple: true })],
  ),
  "helios.fwd": helios(
    "Run a write or a HELIOS.TX block a follower forwarded to the Raft leader, answering its reply " +
      "encoded whole (internal, between cluster nodes)",
    "The complexity of the forwarded command or block",
    [str("command"), str("arg", { optional: true, multiple: true })],
  ),
  "helios.idempotent": helios(
    "Run a command at most once per request id, answering retries with the recorded reply",
    "O(1) for a retry, else the complexity of the command",
    [
      str("request-id"),
      int("ttl-ms"),
      str("command"),
      str("arg", { optional: true, multiple: true }),
    ],
  ),
  "helios.publish": helios(
    "Deliver a PUBLISH or SPUBLISH to this node's subscribers; in a Raft cluster, every node " +
      "delivers it as it applies the entry (internal, sent by PUBLISH)",
    "Linear in this node's subscribers of the channel plus its subscribed patterns",
    [str("kind"), str("channel"), str("message")],
  ),
  "helios.trace": helios(
    "Run a command in a trace span whose parent is the given W3C traceparent",
    "The complexity of the command",
    [str("traceparent"), str("command"), str("arg", { optional: true, multiple: true })],
  ),
  "helios.tx": helios(
    "Run a MULTI/EXEC block a follower forwarded to the Raft leader (internal, between cluster nodes)",
    "The sum of the complexities of the commands in the block",
    [
      int("count"),
      block("command", [int("argc"), str("arg", { multiple: true })], {
        optional: true,
        multiple: true,
      }),
    ],
  ),
  "job.ack": helios(
    "Complete a job the worker holds the lease of and store its result (empty: none)",
    ONE_JOB,
    [unixTime("now_ms"), str("id"), str("worker"), int("attempt"), str("result")],
  ),
  "job.cancel": helios(
    "Cancel a pending or scheduled job, or flag a running one to stop at its next heartbeat",
    ONE_JOB,
    [unixTime("now_ms"), str("id")],
  ),
  "job.claim": helios(
    "Lease up to max pending jobs of the queues to a worker, of the given tasks only with @tasks",
    "O(W * log(N)) where W is the work done (due jobs promoted, expired leases reaped, jobs " +
      "examined and leased: at most 1000 plus max) and N is the number of jobs in a queue",
    [
      unixTime("now_ms"),
      int("seed"),
      str("worker"),
      int("lease_ms"),
      int("max"),
      ...QUEUES_AND_TASKS,
    ],
  ),
  "job.dead.purge": helios(
    "Delete up to max dead jobs of a queue that died at or before before_ms",
    "O(M * log(N)) where M is the number of jobs deleted and N is the number of jobs in the queue",
    [str("queue"), int("max"), unixTime("before_ms")],
  ),
  "job.dead.redrive": helios(
    "Requeue the given dead jobs of a queue, or its oldest max dead jobs when no id is given",
    "O(M * log(N)) where M is the number of jobs requeued and N is the number of jobs in the queue",
    [unixTime("now_ms"), str("queue"), int("max"), str("id", { optional: true, multiple: true })],
  ),
  "job.enqueue": helios(
    "Add a job to a queue, or return the live job enqueued with the same idempotency key",
    "O(log(N)) where N is the number of jobs in the queue",
    [unixTime("now_ms"), str("id"), str("spec_json"), str("payload")],
  ),
  "job.get": helios("Return a job's record, payload and result", "O(1)", [str("id")]),
  "job.heartbeat": helios(
    "Extend the lease of a running job and record its progress (empty: keep the current one)",
    ONE_JOB,
    [
      unixTime("now_ms"),
      str("id"),
      str("worker"),
      int("attempt"),
      int("lease_ms"),
      str("progress"),
    ],
  ),
  "job.list": helios(
    "List a page of jobs by queue and status (an empty queue or status matches any)",
    "O(Q * log(N) + M) where Q is the number of queues walked (all when queue is empty), " +
      "N is the number of jobs in a queue and M is the limit",
    [
      str("queue"),
      oneof("status", [
        pure("pending", "PENDING"),
        pure("scheduled", "SCHEDULED"),
        pure("running", "RUNNING"),
        pure("completed", "COMPLETED"),
        pure("dead", "DEAD"),
        pure("cancelled", "CANCELLED"),
      ]),
      str("cursor"),
      int("limit"),
    ],
  ),
  "job.nack": helios(
    "Fail the attempt of a leased job: it retries after its backoff or retry_in_ms, or goes dead",
    ONE_JOB,
    [
      unixTime("now_ms"),
      int("seed"),
      str("id"),
      str("worker"),
      int("attempt"),
      oneof("kind", [pure("failed", "failed"), pure("fatal", "fatal")]),
      int("retry_in_ms"),
      str("error"),
    ],
  ),
  "job.peek": helios(
    "Tell whether a claim on the queues could lease a job now, changing nothing",
    "O(Q * log(N)) where Q is the number of queues and N is the number of jobs in a queue; " +
      "with @tasks up to 1000 pending jobs per queue are examined",
    [unixTime("now_ms"), ...QUEUES_AND_TASKS],
  ),
  "job.queues": helios(
    "Return every queue's job counts by status and the age of its oldest pending job",
    "O(Q * P * log(N)) where Q is the number of queues, P is the number of distinct priorities " +
      "of a queue's pending jobs and N is the number of jobs in a queue",
    [unixTime("now_ms")],
  ),
  "job.reap": helios(
    "Promote due jobs, expire lapsed leases and delete finished jobs past retention, in every queue",
    "O((Q + W) * log(N)) where Q is the number of queues, W is the number of jobs changed or " +
      "deleted (at most 1000) and N is the number of jobs in a queue",
    [
      unixTime("now_ms"),
      int("seed"),
      int("retention_age_ms"),
      int("retention_count"),
      int("dead_age_ms"),
    ],
  ),
  "job.release": helios(
    "Give a leased job back to its queue without counting the attempt",
    ONE_JOB,
    [unixTime("now_ms"), str("id"), str("worker"), int("attempt")],
  ),
  "job.retry": helios(
    "Requeue a dead or cancelled job for a new round of attempts, or run a scheduled job now",
    ONE_JOB,
    [unixTime("now_ms"), str("id")],
  ),
  "kv.cad": helios(
    "Delete a key only if its value has the given ETag",
    "O(N) where N is the length of the key's value (its SHA-256 is computed)",
    [key("key"), str("etag")],
  ),
  "kv.cas": helios(
    "Set a key's value only if its current value has the given ETag (ttl_ms 0: no expiry)",
    "O(N) where N is the length of the key's current value (its SHA-256 is computed)",
    [key("key"), str("etag"), str("value"), int("ttl_ms")],
  ),
  "rl.take": helios(
    "Take cost tokens from a token bucket holding capacity, refilled rate_num per rate_den seconds",
    "O(1)",
    [
      key("key"),
      int("capacity"),
      int("rate_num"),
      int("rate_den"),
      unixTime("now_ms"),
      int("cost"),
    ],
  ),
};
