/**
 * Blocking pops (BLPOP, BRPOP, BLMOVE, BLMPOP, BZPOPMIN, BZPOPMAX, BZMPOP). A waiter is served by
 * running the non-blocking form for one key (LPOP / RPOP / LMOVE / ZPOPMIN / ZPOPMAX, or
 * `LMPOP 1 key ...` / `ZMPOP 1 key ...`) on the executor, so the log and replicas only ever see
 * that deterministic command. Keys reported changed by the store's modification listener become
 * "ready"; the server serves them right after the command that changed them (like Redis's
 * handleClientsBlockedOnKeys), waiters of a key in FIFO order. XREAD BLOCK is served the same way,
 * by `XREAD COUNT n STREAMS key id` with the ID fixed when the client blocked.
 *
 * Stream waiters follow Redis 7.0's rule: only a change that "signals" the key counts (an XADD,
 * XGROUP DESTROY, the key created, deleted or replaced; not XDEL, XTRIM, XSETID, XGROUP SETID,
 * XACK ...), and then a waiter is served when the stream's last generated ID is past the one it
 * waits after (for XREADGROUP: the group's last delivered ID, read then, so a group destroyed and
 * created again serves from the new one), with an empty entry list if the new entries are gone
 * already (`XADD key MAXLEN 0 * f v`). The store reports those signals apart from its other
 * changes (StoreHooks.setReadyListener), after the command, MULTI or script that made them.
 */
import type { CommandExecutor } from "../executor.ts";
import { array, bulk, EMPTY_ARRAY, error, type Reply } from "../store/reply.ts";
import { parseStrictId, type StreamId } from "../store/stream_id.ts";
import type { Client } from "./client.ts";
import type { Tracking } from "./client_tracking.ts";
import { watchedKey as keyOfId, watchId as idOf } from "./watches.ts";

export type BlockOp =
  | { readonly kind: "pop"; readonly left: boolean }
  | { readonly kind: "move"; readonly dst: string; readonly from: string; readonly to: string }
  /** ZPOPMIN / ZPOPMAX key; the reply becomes BZPOPMIN's [key, member, score]. */
  | { readonly kind: "zpop"; readonly min: boolean }
  /**
   * `LMPOP 1 key LEFT|RIGHT COUNT n` / `ZMPOP 1 key MIN|MAX COUNT n`: their reply already is
   * BLMPOP's / BZMPOP's. `count` is the client's validated text (it may exceed 2^53).
   */
  | {
    readonly kind: "mpop";
    readonly command: "LMPOP" | "ZMPOP";
    readonly where: "LEFT" | "RIGHT" | "MIN" | "MAX";
    readonly count: string;
  }
  /** XREAD BLOCK: per key, the ID entries must exceed (`$` already resolved); count 0 = all. */
  | { readonly kind: "xread"; readonly count: string; readonly ids: ReadonlyMap<string, string> }
  /** XREADGROUP BLOCK (only `>` blocks): `XREADGROUP GROUP g c COUNT n [NOACK] STREAMS key >`. */
  | {
    readonly kind: "xreadgroup";
    readonly group: string;
    readonly consumer: string;
    readonly count: string;
    readonly noack: boolean;
  };

/** The last-generated-id of an XINFO STREAM reply; null for an error (no such key, wrong type). */
export function lastGeneratedId(info: Reply): StreamId | null {
  if (info.kind !== "map") return null;
  const id = info.value.find(([k]) => k.kind === "bulk" && k.value === "last-generated-id")?.[1];
  return id?.kind === "bulk" ? parseStrictId(id.value) ?? 0n : 0n;
}

type Maybe<T> = T | Promise<T>;

/** `next(value)`, synchronously unless `value` is a Promise. */
function after<T, U>(value: Maybe<T>, next: (v: T) => Maybe<U>): Maybe<U> {
  return value instanceof Promise ? value.then(next) : next(value);
}

/** The group's last-delivered-id in an XINFO GROUPS reply; null when it has no such group. */
function groupLastId(groups: Reply, name: string): StreamId | null {
  if (groups.kind !== "array") return null;
  for (const g of groups.value) {
    if (g.kind !== "map") continue;
    const field = (f: string) => g.value.find(([k]) => k.kind === "bulk" && k.value === f)?.[1];
    const n = field("name");
    const id = field("last-delivered-id");
    if (n?.kind === "bulk" && n.value === name && id?.kind === "bulk") {
      return parseStrictId(id.value);
    }
  }
  return null;
}

/** [key, []] (RESP3: {key: []}): a waiter served when its new entries are already gone. */
function emptyRead(key: string): Reply {
  return { kind: "map", value: [[bulk(key), EMPTY_ARRAY]], resp2Pairs: true };
}

interface Waiter {
  readonly client: Client;
  /** The database its keys are in (the client's when it blocked). */
  readonly db: number;
  /** Its keys as `<db>:<key>` ids (watches.ts), the queues' keys. */
  readonly keys: readonly string[];
  readonly op: BlockOp;
  readonly resolve: (reply: Reply) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
  done: boolean;
}

/** setTimeout's longest delay; longer timeouts re-arm. */
const TIMER_MS_MAX = 2 ** 31 - 1;

/**
 * Waiters by key. Queues, ready and signalled sets hold keys as `<db>:<key>` ids (watches.ts's
 * watchId), so a key of one database never wakes the waiters of its namesake in another.
 */
export class Blocking {
  readonly #queues = new Map<string, Waiter[]>();
  readonly #ready = new Set<string>();
  /** Ready keys that were signalled too: only those serve stream waiters. */
  readonly #signalled = new Set<string>();
  #executor: CommandExecutor;
  /** Client tracking, so a woken client's invalidations follow its reply (Tracking.hold). */
  readonly #tracking: Tracking | null;
  #serving = false;
  #scheduled = false;
  blockedClients = 0;
  /** Blocked clients with a timeout (INFO clients_in_timeout_table). */
  timedClients = 0;
  /** The store reports signals (`signal`); if not, every change counts as one. */
  signalsReported = false;

  constructor(executor: CommandExecutor, tracking: Tracking | null = null) {
    this.#executor = executor;
    this.#tracking = tracking;
  }

  get hasReady(): boolean {
    return this.#ready.size > 0 && !this.#serving;
  }

  /** The store's modification listener feeds this (null = every key of database `db`). */
  touched(key: string | null, db = 0): void {
    this.#mark(key, db, !this.signalsReported);
  }

  /** The store's ready listener feeds this: `key` was signalled (null = every key of `db`). */
  signal(key: string | null, db = 0): void {
    this.#mark(key, db, true);
  }

  /**
   * Makes `key` (null: every key of `db`, of every database when `db` is -1) ready if anyone
   * waits on it, and schedules serving.
   */
  #mark(key: string | null, db: number, signalled: boolean): void {
    if (this.#queues.size === 0) return;
    let keys: string[];
    if (key === null) {
      const prefix = `${db}:`;
      keys = [...this.#queues.keys()].filter((id) => db < 0 || id.startsWith(prefix));
    } else {
      const id = idOf(db, key);
      keys = this.#queues.has(id) ? [id] : [];
    }
    if (keys.length === 0) return;
    for (const k of keys) {
      this.#ready.add(k);
      if (signalled) this.#signalled.add(k);
    }
    if (!this.#scheduled) {
      // Fallback for changes that happen outside a client's command (expiry, replication).
      this.#scheduled = true;
      queueMicrotask(() => {
        this.#scheduled = false;
        void this.serveReady();
      });
    }
  }

  /**
   * One attempt without waiting (also EXEC's behaviour): the reply, or null if nothing to pop.
   * Synchronous with a synchronous executor, so inside EXEC nothing runs between the tries.
   */
  tryNow(
    keys: readonly string[],
    op: BlockOp,
    db: number,
    from = 0,
  ): Reply | null | Promise<Reply | null> {
    for (let i = from; i < keys.length; i++) {
      const reply = this.#attempt(keys[i], db, op, false);
      if (reply instanceof Promise) {
        return reply.then((r) => r !== null ? r : this.tryNow(keys, op, db, i + 1));
      }
      if (reply !== null) return reply;
    }
    return null;
  }

  /** Blocks `client` until one of `keys` can be popped, or `timeoutMs` (0 = forever) passes. */
  wait(
    client: Client,
    keys: readonly string[],
    op: BlockOp,
    timeoutMs: number,
    timeoutReply: Reply,
  ): Promise<Reply> {
    const now = this.tryNow(keys, op, client.db);
    if (now instanceof Promise) {
      return now.then((r) => r ?? this.#enqueue(client, keys, op, timeoutMs, timeoutReply));
    }
    if (now !== null) return Promise.resolve(now);
    return this.#enqueue(client, keys, op, timeoutMs, timeoutReply);
  }

  #enqueue(
    client: Client,
    keys: readonly string[],
    op: BlockOp,
    timeoutMs: number,
    timeoutReply: Reply,
  ): Promise<Reply> {
    return new Promise<Reply>((resolve) => {
      // A key named twice is waited on once (Redis's blockForKeys skips duplicates).
      const db = client.db;
      const unique = [...new Set(keys.map((key) => idOf(db, key)))];
      const waiter: Waiter = {
        client,
        db,
        keys: unique,
        op,
        resolve,
        timer: undefined,
        done: false,
      };
      for (const key of unique) {
        let q = this.#queues.get(key);
        if (q === undefined) this.#queues.set(key, q = []);
        q.push(waiter);
      }
      this.blockedClients++;
      client.unblock = (how) =>
        this.#finish(waiter, how === undefined || how === "timeout" ? timeoutReply : how);
      if (timeoutMs > 0) {
        this.timedClients++;
        this.#arm(waiter, Date.now() + timeoutMs, timeoutReply);
      }
    });
  }

  #arm(waiter: Waiter, deadlineMs: number, timeoutReply: Reply): void {
    const delay = Math.min(Math.max(deadlineMs - Date.now(), 0), TIMER_MS_MAX);
    waiter.timer = setTimeout(() => {
      if (Date.now() < deadlineMs) this.#arm(waiter, deadlineMs, timeoutReply);
      else this.#finish(waiter, timeoutReply);
    }, delay);
  }

  /** Serves waiters of ready keys until no ready key can give anything more. */
  serveReady(): void | Promise<void> {
    if (this.#serving) return;
    this.#serving = true;
    let async = false;
    try {
      while (this.#ready.size > 0) {
        const key: string = this.#ready.values().next().value!;
        this.#ready.delete(key);
        const served = this.#serveKey(key, this.#signalled.delete(key));
        if (served instanceof Promise) {
          async = true;
          return served.then(() => {
            this.#serving = false;
            return this.serveReady();
          });
        }
      }
    } finally {
      if (!async) this.#serving = false;
    }
  }

  /**
   * Serves the waiters of one key in FIFO order while it has elements. A waiter whose op does not
   * fit the key's type (a BZPOPMIN waiter on a list) stays blocked and is passed over, like
   * Redis 7, which serves only the clients blocked for the type the key now holds. Stream
   * waiters are tried only when the key was `signalled`.
   */
  #serveKey(id: string, signalled: boolean, skip = 0): void | Promise<void> {
    const key = keyOfId(id);
    let queue = this.#queues.get(id);
    while (queue !== undefined && queue.length > skip) {
      const waiter = queue[skip];
      if (!signalled && isStreamOp(waiter.op)) {
        skip++;
        continue;
      }
      const db = waiter.db;
      const reply = this.#attemptFor(waiter, key, signalled);
      if (reply instanceof Promise) {
        return reply.then(async (r) => {
          if (r === null) {
            return isStreamOp(waiter.op) ? this.#serveKey(id, signalled, skip + 1) : undefined;
          }
          if (
            r.kind === "error" && !isFinal(r) &&
            !await this.#destinationRefused(key, db, waiter.op)
          ) {
            return this.#serveKey(id, signalled, skip + 1);
          }
          this.#finish(waiter, r);
          return this.#serveKey(id, signalled, skip);
        });
      }
      if (reply === null) {
        // Nothing left to pop; but XREAD waiters wait for different IDs, so ask the next one.
        if (!isStreamOp(waiter.op)) return;
        skip++;
        continue;
      }
      if (reply.kind === "error" && !isFinal(reply)) {
        const refused = this.#destinationRefused(key, db, waiter.op);
        if (refused instanceof Promise) {
          return refused.then((yes) => {
            if (!yes) return this.#serveKey(id, signalled, skip + 1);
            this.#finish(waiter, reply);
            return this.#serveKey(id, signalled, skip);
          });
        }
        if (refused) this.#finish(waiter, reply);
        else skip++;
      } else this.#finish(waiter, reply);
      queue = this.#queues.get(id);
    }
  }

  /**
   * Whether a BLMOVE / BRPOPLPUSH waiter's WRONGTYPE comes from its destination: its source (the
   * key served) still holds a list. Redis then answers the waiter WRONGTYPE and unblocks it (the
   * element stays in the source for the next waiter); a source of another type leaves it blocked.
   */
  #destinationRefused(key: string, db: number, op: BlockOp): boolean | Promise<boolean> {
    if (op.kind !== "move") return false;
    return after(
      this.#executor.execute(["TYPE", key], db),
      (type) => type.kind === "simple" && type.value === "list",
    );
  }

  /** Cancels every waiter (server shutdown). */
  cancelAll(reply: Reply): void {
    for (const q of [...this.#queues.values()]) for (const w of [...q]) this.#finish(w, reply);
  }

  #finish(waiter: Waiter, reply: Reply): void {
    if (waiter.done) return;
    waiter.done = true;
    clearTimeout(waiter.timer);
    for (const key of waiter.keys) {
      const q = this.#queues.get(key);
      if (q === undefined) continue;
      const i = q.indexOf(waiter);
      if (i >= 0) q.splice(i, 1);
      if (q.length === 0) {
        this.#queues.delete(key);
        this.#ready.delete(key);
        this.#signalled.delete(key);
      }
    }
    this.blockedClients--;
    if (waiter.timer !== undefined) this.timedClients--;
    waiter.client.unblock = null;
    waiter.resolve(reply);
  }

  /**
   * #attempt for a waiter, on the turn of the client whose write woke it: the tracking
   * invalidations its command causes for itself follow its reply (Tracking.hold / release), as
   * in Redis, which serves it as the current client; they go at once if it stays blocked.
   */
  #attemptFor(waiter: Waiter, key: string, signalled: boolean): Maybe<Reply | null> {
    const tracking = this.#tracking;
    const client = waiter.client;
    if (tracking === null || client.tracking === null) {
      return this.#attempt(key, waiter.db, waiter.op, signalled);
    }
    tracking.hold(client);
    let reply: Maybe<Reply | null>;
    try {
      reply = this.#attempt(key, waiter.db, waiter.op, signalled);
    } catch (err) {
      tracking.release(client, null);
      throw err;
    }
    return after(reply, (r) => tracking.release(client, r));
  }

  /**
   * `signalled`: the key was signalled since the waiter last looked (false for the try made as
   * the client blocks, which answers what the plain command would, whatever changed).
   */
  #attempt(
    key: string,
    db: number,
    op: BlockOp,
    signalled: boolean,
  ): Reply | null | Promise<Reply | null> {
    if (op.kind === "xread") return this.#attemptXread(key, db, op, signalled);
    if (op.kind === "xreadgroup") return this.#attemptXreadgroup(key, db, op, signalled);
    const reply = this.#executor.execute(nonBlockingArgv(key, op), db);
    return after(reply, (r) => interpret(key, op, r));
  }

  /**
   * Entries past the waiter's ID, else (when the key was signalled and its last ID is past the
   * waiter's) an empty list: Redis serves on the last ID, not on what is left to read.
   */
  #attemptXread(
    key: string,
    db: number,
    op: BlockOp & { kind: "xread" },
    signalled: boolean,
  ): Maybe<Reply | null> {
    const read = () => this.#executor.execute(nonBlockingArgv(key, op), db);
    return after(read(), (r) => {
      if (r.kind !== "nilArray" || !signalled) return interpret(key, op, r);
      const info = this.#executor.execute(["XINFO", "STREAM", key], db);
      return after(info, (i) => {
        const last = lastGeneratedId(i);
        const gt = parseStrictId(op.ids.get(key) ?? "") ?? 0n;
        if (last === null || last <= gt) return null;
        // With an asynchronous executor an XADD may have landed between the two reads.
        if (!(info instanceof Promise)) return emptyRead(key);
        return after(read(), (again) => again.kind === "map" ? again : emptyRead(key));
      });
    });
  }

  /**
   * The XREADGROUP, from the group as it is now (one destroyed and created again since serves
   * from the new group's last ID). When nothing is left to deliver but the signalled stream's last
   * ID is past the group's, Redis answers an empty list and creates the consumer (XGROUP
   * CREATECONSUMER here, so the log has it).
   */
  #attemptXreadgroup(
    key: string,
    db: number,
    op: BlockOp & { kind: "xreadgroup" },
    signalled: boolean,
  ): Maybe<Reply | null> {
    const ex = this.#executor;
    return after(ex.execute(nonBlockingArgv(key, op), db), (r) => {
      if (r.kind === "error") return this.#streamGone(key, db);
      if (r.kind !== "nilArray" || !signalled) return interpret(key, op, r);
      return after(ex.execute(["XINFO", "STREAM", key], db), (i) => {
        const last = lastGeneratedId(i);
        if (last === null) return this.#streamGone(key, db);
        return after(ex.execute(["XINFO", "GROUPS", key], db), (groups) => {
          const delivered = groupLastId(groups, op.group);
          if (delivered === null) return this.#streamGone(key, db);
          if (last <= delivered) return null;
          const createArgv = ["XGROUP", "CREATECONSUMER", key, op.group, op.consumer];
          const create = ex.execute(createArgv, db);
          return after(create, () => emptyRead(key));
        });
      });
    });
  }

  /**
   * A blocked XREADGROUP whose key or group went away: Redis 7.0 unblocks it with an error
   * (NOGROUP when the stream is still there, UNBLOCKED when the key was deleted or replaced).
   */
  #streamGone(key: string, db: number): Reply | Promise<Reply> {
    const type = this.#executor.execute(["TYPE", key], db);
    const pick = (r: Reply) =>
      r.kind === "simple" && r.value === "stream" ? XREADGROUP_NOGROUP : XREADGROUP_UNBLOCKED;
    return type instanceof Promise ? type.then(pick) : pick(type);
  }
}

const XREADGROUP_NOGROUP: Reply = Object.freeze(
  error("NOGROUP the consumer group this client was blocked on no longer exists"),
);
const XREADGROUP_UNBLOCKED: Reply = Object.freeze(
  error("UNBLOCKED the stream key no longer exists"),
);

/** Errors that end a wait (the others leave the waiter blocked and pass to the next). */
function isFinal(reply: Reply): boolean {
  return reply === XREADGROUP_NOGROUP || reply === XREADGROUP_UNBLOCKED;
}

/** Stream waiters of one key wait for different things: a miss for one says nothing of the next. */
function isStreamOp(op: BlockOp): boolean {
  return op.kind === "xread" || op.kind === "xreadgroup";
}

/** The deterministic command that serves `op` for one key. */
function nonBlockingArgv(key: string, op: BlockOp): string[] {
  switch (op.kind) {
    case "pop":
      return [op.left ? "LPOP" : "RPOP", key];
    case "move":
      return ["LMOVE", key, op.dst, op.from, op.to];
    case "zpop":
      return [op.min ? "ZPOPMIN" : "ZPOPMAX", key];
    case "mpop":
      return [op.command, "1", key, op.where, "COUNT", op.count];
    case "xread":
      return ["XREAD", "COUNT", op.count, "STREAMS", key, op.ids.get(key) ?? "$"];
    case "xreadgroup":
      return [
        "XREADGROUP",
        "GROUP",
        op.group,
        op.consumer,
        "COUNT",
        op.count,
        ...(op.noack ? ["NOACK"] : []),
        "STREAMS",
        key,
        ">",
      ];
  }
}

/** The blocking command's reply for a pop result; null when there was nothing to pop. */
function interpret(key: string, op: BlockOp, reply: Reply): Reply | null {
  // Redis answers a blocking pop on a wrong-type key with WRONGTYPE (checked before blocking).
  if (reply.kind === "error") return reply;
  switch (op.kind) {
    case "pop":
      return reply.kind === "bulk" ? array([bulk(key), reply]) : null;
    case "move":
      return reply.kind === "bulk" ? reply : null;
    case "zpop":
      // ZPOPMIN key: [member, score] (the score a double: `,` under RESP3, a bulk under RESP2),
      // an empty array for a missing key. Redis answers [key, member, score] flat in both.
      return reply.kind === "array" && reply.value.length > 0
        ? array([bulk(key), ...reply.value])
        : null;
    case "mpop":
      // [key, items] as LMPOP / ZMPOP answer it; a nil array for a missing key.
      return reply.kind === "array" ? reply : null;
    case "xread":
    case "xreadgroup":
      // [key, entries] (a map under RESP3); a nil array when nothing is past the ID yet.
      return reply.kind === "map" ? reply : null;
  }
}
