/**
 * Job records and their indexes over the storage port. Every status change goes through `place`,
 * which keeps the invariant: a job is in exactly one status index, the one its status names, with
 * the score that index orders by. The state machine (machine.ts) builds on this.
 */
import { keys, type QueueData, type QueueIndex } from "./data.ts";
import { QueueError } from "./errors.ts";
import { QUEUE_LIMITS } from "./limits.ts";
import type { JobMeta, JobStatus } from "./types.ts";

/** Pending score: higher priority first, then enqueue order. seq stays below 2^42. */
export const PRIORITY_STRIDE = 2 ** 42;

const INDEX_OF: Record<JobStatus, QueueIndex> = {
  PENDING: "pending",
  SCHEDULED: "scheduled",
  RUNNING: "running",
  COMPLETED: "completed",
  DEAD: "dead",
  CANCELLED: "cancelled",
};

const FINAL: Record<JobStatus, boolean> = {
  PENDING: false,
  SCHEDULED: false,
  RUNNING: false,
  COMPLETED: true,
  DEAD: true,
  CANCELLED: true,
};

export function indexOf(status: JobStatus): QueueIndex {
  return INDEX_OF[status];
}

/** A record as last saved: its key (the same string each time, so its hash is computed once). */
interface CachedMeta {
  key: string;
  text: string;
  /** null while a command holds the object (loaded, maybe being changed, not saved yet). */
  meta: JobMeta | null;
}

/**
 * Parsed records of recently saved jobs, per store, so the next transition of a job (claim after
 * enqueue, ack after claim) skips JSON.parse of its record. An entry is used only when the stored
 * text is still the text it was saved as, so any other change to the key (a plain SET or DEL, a
 * replay, FLUSHALL) just misses. Loading hands the object out and the entry holds nothing until
 * that object is saved: a caller changes what it loaded, and a change it never saved (the
 * transition failed half way) must not be seen by a later load.
 */
export class MetaCache {
  /**
   * Two generations bound memory: saves go to `recent`; when it holds max/2 it becomes `older`
   * and the previous `older` is dropped whole. Dropping the single oldest entry per save instead
   * (delete `keys().next()`) makes V8 walk the holes earlier deletes left at the head of the Map:
   * ~4 µs per save once full, which a backlog of pending jobs keeps it.
   */
  #recent = new Map<string, CachedMeta>();
  #older = new Map<string, CachedMeta>();

  /** At most `max` entries are held; the least recently saved go first. */
  constructor(readonly max = 8192) {}

  get(id: string): CachedMeta | undefined {
    return this.#recent.get(id) ?? this.#older.get(id);
  }

  saved(id: string, key: string, text: string, meta: JobMeta): void {
    let entry = this.#recent.get(id);
    if (entry === undefined) {
      entry = this.#older.get(id);
      if (entry === undefined) entry = { key, text, meta };
      else this.#older.delete(id); // saved again: it moves to the recent generation
      if (this.#recent.size >= this.max / 2) {
        this.#older = this.#recent;
        this.#recent = new Map();
      }
      this.#recent.set(id, entry);
    }
    entry.text = text;
    entry.meta = meta;
  }

  forget(id: string): void {
    this.#recent.delete(id);
    this.#older.delete(id);
  }

  get size(): number {
    return this.#recent.size + this.#older.size;
  }
}

export class JobTable {
  constructor(readonly data: QueueData, private readonly cache: MetaCache | null = null) {}

  load(id: string): JobMeta | null {
    const entry = this.cache?.get(id);
    if (entry === undefined) {
      const text = this.data.get(keys.meta(id));
      return text === null ? null : expandMeta(JSON.parse(text));
    }
    const text = this.data.get(entry.key);
    const cached = entry.meta;
    entry.meta = null;
    if (text === null) return null;
    // Same text as saved: the object is that record (nothing changed the key since).
    return cached !== null && text === entry.text ? cached : expandMeta(JSON.parse(text));
  }

  mustLoad(id: string): JobMeta {
    const meta = this.load(id);
    if (!meta) throw new QueueError("NOJOB", `Job "${id}" does not exist`);
    return meta;
  }

  /** Writes the record; the caller must not change `meta` afterwards without saving it again. */
  save(meta: JobMeta): void {
    const text = JSON.stringify(compactMeta(meta));
    const cache = this.cache;
    if (cache === null) {
      this.data.set(keys.meta(meta.id), text);
      return;
    }
    const key = cache.get(meta.id)?.key ?? keys.meta(meta.id);
    this.data.set(key, text);
    // A finished job rarely changes again: caching it would only keep garbage alive longer.
    if (FINAL[meta.status]) cache.forget(meta.id);
    else cache.saved(meta.id, key, text, meta);
  }

  payload(id: string): string {
    return this.data.get(keys.payload(id)) ?? "null";
  }

  nextSeq(): number {
    return this.data.incr(keys.seq());
  }

  /**
   * Moves the job to `status` (out of its current index, into the new one) and saves it. A
   * `fresh` job is in no index yet and keeps the seq it was given.
   */
  place(meta: JobMeta, status: JobStatus, nowMs: number, fresh = false): void {
    if (!fresh) this.unindex(meta);
    meta.status = status;
    meta.updated_at_ms = nowMs;
    const q = meta.queue;
    switch (status) {
      case "PENDING":
        if (!fresh) meta.seq = this.nextSeq();
        this.data.zadd(keys.index(q, "pending"), pendingScore(meta), meta.id);
        break;
      case "SCHEDULED":
        this.data.zadd(keys.index(q, "scheduled"), meta.run_at_ms, meta.id);
        break;
      case "RUNNING":
        this.data.zadd(keys.index(q, "running"), meta.lease!.expires_at_ms, meta.id);
        break;
      default:
        meta.finished_at_ms = nowMs;
        this.data.zadd(keys.index(q, indexOf(status)), nowMs, meta.id);
    }
    this.save(meta);
  }

  /** Re-scores a RUNNING job after its lease moved. */
  extendLease(meta: JobMeta): void {
    this.data.zadd(keys.index(meta.queue, "running"), meta.lease!.expires_at_ms, meta.id);
    this.save(meta);
  }

  /** Removes the job and everything it owns. */
  delete(meta: JobMeta): void {
    this.unindex(meta);
    this.data.zrem(keys.index(meta.queue, "all"), meta.id);
    this.data.del(keys.meta(meta.id));
    this.cache?.forget(meta.id);
    this.data.del(keys.payload(meta.id));
    this.data.del(keys.result(meta.id));
  }

  /** Registers a queue name, refusing one past the bound. */
  ensureQueue(queue: string): void {
    if (this.data.sismember(keys.queues(), queue)) return;
    if (this.data.scard(keys.queues()) >= QUEUE_LIMITS.queuesMax) {
      throw new QueueError("LIMIT", `Cannot create queue "${queue}": too many queues`);
    }
    this.data.sadd(keys.queues(), queue);
  }

  queues(): string[] {
    return this.data.smembers(keys.queues()).sort();
  }

  private unindex(meta: JobMeta): void {
    const q = meta.queue;
    this.data.zrem(keys.index(q, indexOf(meta.status)), meta.id);
  }
}

/**
 * Fields a stored record may leave out when they hold their default: a job is written three
 * times or more (enqueue, claim, ack), each write also goes to the AOF, and most of these are
 * null, false or 0 for most of a job's life. Records written in full (before this) load as is.
 */
const META_DEFAULTS = {
  priority: 0,
  attempt: 0,
  runs: 0,
  started_at_ms: null,
  finished_at_ms: null,
  lease: null,
  idempotency_key: null,
  cancel_requested: false,
  progress: null,
  redrives: 0,
  lease_expiries: 0,
} as const satisfies Partial<JobMeta>;

/**
 * The record as stored: `meta` without the fields that hold their default. Built field by field
 * (not copied and deleted from): an object with deleted keys serializes several times slower.
 */
export function compactMeta(meta: JobMeta): Partial<JobMeta> {
  const out: Partial<JobMeta> = {
    id: meta.id,
    queue: meta.queue,
    task: meta.task,
    status: meta.status,
    max_attempts: meta.max_attempts,
    backoff: meta.backoff,
    seq: meta.seq,
    created_at_ms: meta.created_at_ms,
    updated_at_ms: meta.updated_at_ms,
    run_at_ms: meta.run_at_ms,
  };
  if (meta.priority !== 0) out.priority = meta.priority;
  if (meta.attempt !== 0) out.attempt = meta.attempt;
  if (meta.runs !== 0) out.runs = meta.runs;
  if (meta.started_at_ms !== null) out.started_at_ms = meta.started_at_ms;
  if (meta.finished_at_ms !== null) out.finished_at_ms = meta.finished_at_ms;
  if (meta.lease !== null) out.lease = meta.lease;
  if (meta.idempotency_key !== null) out.idempotency_key = meta.idempotency_key;
  if (meta.cancel_requested) out.cancel_requested = true;
  if (meta.progress !== null) out.progress = meta.progress;
  if (meta.errors.length > 0) out.errors = meta.errors;
  if (meta.redrives !== 0) out.redrives = meta.redrives;
  if (meta.lease_expiries !== 0) out.lease_expiries = meta.lease_expiries;
  return out;
}

/**
 * A stored record (compact or full) as a complete JobMeta, its fields in the order newMeta
 * (machine.ts) gives them: a record loaded from its text and one reused from the MetaCache then
 * serialize alike (JOB.GET / JOB.LIST replies are the same bytes either way).
 */
export function expandMeta(stored: Partial<JobMeta>): JobMeta {
  const d = META_DEFAULTS;
  const s = stored as JobMeta;
  return {
    id: s.id,
    queue: s.queue,
    task: s.task,
    status: s.status,
    priority: s.priority ?? d.priority,
    max_attempts: s.max_attempts,
    attempt: s.attempt ?? d.attempt,
    runs: s.runs ?? d.runs,
    backoff: s.backoff,
    seq: s.seq,
    created_at_ms: s.created_at_ms,
    updated_at_ms: s.updated_at_ms,
    run_at_ms: s.run_at_ms,
    started_at_ms: s.started_at_ms ?? d.started_at_ms,
    finished_at_ms: s.finished_at_ms ?? d.finished_at_ms,
    lease: s.lease ?? d.lease,
    idempotency_key: s.idempotency_key ?? d.idempotency_key,
    cancel_requested: s.cancel_requested ?? d.cancel_requested,
    progress: s.progress ?? d.progress,
    errors: s.errors ?? [],
    redrives: s.redrives ?? d.redrives,
    lease_expiries: s.lease_expiries ?? d.lease_expiries,
  };
}

export function pendingScore(meta: JobMeta): number {
  return (QUEUE_LIMITS.priorityMax - meta.priority) * PRIORITY_STRIDE + meta.seq;
}
