/**
 * Blocking list pops (BLPOP, BRPOP, BLMOVE). A waiter is served by running the non-blocking
 * form (LPOP / RPOP / LMOVE) on the executor, so the log and replicas only ever see that
 * deterministic command. Keys reported changed by the store's modification listener become
 * "ready"; the server serves them right after the command that changed them (like Redis's
 * handleClientsBlockedOnKeys), waiters of a key in FIFO order.
 */
import type { CommandExecutor } from "../executor.ts";
import { array, bulk, type Reply } from "../store/reply.ts";
import type { Client } from "./client.ts";

export type BlockOp =
  | { readonly kind: "pop"; readonly left: boolean }
  | { readonly kind: "move"; readonly dst: string; readonly from: string; readonly to: string };

interface Waiter {
  readonly client: Client;
  readonly keys: readonly string[];
  readonly op: BlockOp;
  readonly resolve: (reply: Reply) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
  done: boolean;
}

/** setTimeout's longest delay; longer timeouts re-arm. */
const TIMER_MS_MAX = 2 ** 31 - 1;

export class Blocking {
  readonly #queues = new Map<string, Waiter[]>();
  readonly #ready = new Set<string>();
  #executor: CommandExecutor;
  #serving = false;
  #scheduled = false;
  blockedClients = 0;

  constructor(executor: CommandExecutor) {
    this.#executor = executor;
  }

  get hasReady(): boolean {
    return this.#ready.size > 0 && !this.#serving;
  }

  /** The store's modification listener feeds this (null = every key). */
  touched(key: string | null): void {
    if (this.#queues.size === 0) return;
    if (key === null) { for (const k of this.#queues.keys()) this.#ready.add(k); }
    else if (this.#queues.has(key)) this.#ready.add(key);
    else return;
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
  tryNow(keys: readonly string[], op: BlockOp, from = 0): Reply | null | Promise<Reply | null> {
    for (let i = from; i < keys.length; i++) {
      const reply = this.#attempt(keys[i], op);
      if (reply instanceof Promise) {
        return reply.then((r) => r !== null ? r : this.tryNow(keys, op, i + 1));
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
    const now = this.tryNow(keys, op);
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
      const waiter: Waiter = { client, keys, op, resolve, timer: undefined, done: false };
      for (const key of keys) {
        let q = this.#queues.get(key);
        if (q === undefined) this.#queues.set(key, q = []);
        q.push(waiter);
      }
      this.blockedClients++;
      client.unblock = () => this.#finish(waiter, timeoutReply);
      if (timeoutMs > 0) this.#arm(waiter, Date.now() + timeoutMs, timeoutReply);
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
        const served = this.#serveKey(key);
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

  /** Serves the waiters of one key in FIFO order while it has elements. */
  #serveKey(key: string): void | Promise<void> {
    let queue = this.#queues.get(key);
    while (queue !== undefined && queue.length > 0) {
      const waiter = queue[0];
      const reply = this.#attempt(key, waiter.op);
      if (reply instanceof Promise) {
        return reply.then((r) => {
          if (r === null || r.kind === "error") return;
          this.#finish(waiter, r);
          return this.#serveKey(key);
        });
      }
      // A key that became another type keeps its waiters blocked (Redis 7 does the same).
      if (reply === null || reply.kind === "error") return;
      this.#finish(waiter, reply);
      queue = this.#queues.get(key);
    }
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
      }
    }
    this.blockedClients--;
    waiter.client.unblock = null;
    waiter.resolve(reply);
  }

  #attempt(key: string, op: BlockOp): Reply | null | Promise<Reply | null> {
    const argv = op.kind === "pop"
      ? [op.left ? "LPOP" : "RPOP", key]
      : ["LMOVE", key, op.dst, op.from, op.to];
    const result = this.#executor.execute(argv);
    if (result instanceof Promise) return result.then((r) => interpret(key, op, r));
    return interpret(key, op, result);
  }
}

/** The blocking command's reply for a pop result; null when there was nothing to pop. */
function interpret(key: string, op: BlockOp, reply: Reply): Reply | null {
  if (reply.kind !== "bulk") {
    // Redis answers a blocking pop on a wrong-type key with WRONGTYPE (checked before blocking).
    return reply.kind === "error" ? reply : null;
  }
  return op.kind === "pop" ? array([bulk(key), reply]) : reply;
}
