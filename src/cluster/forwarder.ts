/**
 * Sends a follower's writes to the leader over RESP, so any node accepts any command. A broken
 * connection is dropped and the caller gets a TRYAGAIN error (a forwarded write is never retried
 * blindly: it may have been applied).
 *
 * A few pipelined connections per leader address, not one: the leader answers a connection's
 * commands in order and reads the next batch from it only once the current one is answered (a
 * Raft round), so over a single connection every batch waited for the one before it. Commands
 * sent in the same event-loop turn share a connection, which keeps one client's pipelined
 * commands in order (a client's next batch is only read here after this one was answered).
 *
 * A connection with commands in flight and no reply for `replyTimeoutMs` is closed: the leader
 * answers every command within its own request timeout, so silence that long means a black-holed
 * path (TCP would otherwise keep it open for many minutes). Its callers get TRYAGAIN.
 */
import { setImmediate } from "node:timers";
import { error, type Reply } from "../../atlas/mod.ts";
import { RespConnection } from "../storage/resp_connection.ts";
import { parseHostPort } from "../lib/address.ts";

/** Connections per leader address: batches in flight at once from this follower. */
const CONNECTIONS_PER_LEADER = 4;

interface Slot {
  address: string;
  opening: Promise<RespConnection>;
  /** Set once open: to pick the least busy connection without awaiting. */
  connection: RespConnection | null;
  /** When a reply last arrived, or when the connection went from idle to busy. */
  progressMs: number;
  /** Closed by the watchdog: its callers are told it timed out. */
  timedOut: boolean;
}

export interface LeaderForwarderOptions {
  password: string;
  connectTimeoutMs: number;
  /** A busy connection without a reply for this long is closed (see above). */
  replyTimeoutMs: number;
}

export class LeaderForwarder {
  readonly #slots = new Map<string, Slot[]>();
  /** The slot this turn's commands go to; forgotten at the end of the turn. */
  #turnSlot: Slot | null = null;
  #watchdog: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly options: LeaderForwarderOptions) {}

  async send(address: string, argv: string[]): Promise<Reply> {
    const slot = this.#pick(address);
    let connection: RespConnection;
    try {
      connection = await slot.opening;
    } catch (cause) {
      this.#drop(slot);
      return error(
        `TRYAGAIN Cannot reach the Raft leader at ${address}: ${(cause as Error).message}`,
      );
    }
    if (connection.inflight === 0) slot.progressMs = performance.now();
    this.#watch();
    try {
      const reply = await connection.send(argv);
      slot.progressMs = performance.now();
      return reply;
    } catch (cause) {
      this.#drop(slot);
      connection.close();
      if (slot.timedOut) {
        return error(
          `TRYAGAIN No reply from the Raft leader at ${address} in ${this.options.replyTimeoutMs} ms; ` +
            `the write may or may not have been applied`,
        );
      }
      return error(
        `TRYAGAIN Lost the connection to the Raft leader at ${address}; the write may or may not ` +
          `have been applied (${(cause as Error).message})`,
      );
    }
  }

  close(): void {
    if (this.#watchdog !== null) clearInterval(this.#watchdog);
    this.#watchdog = null;
    for (const slots of this.#slots.values()) {
      for (const slot of slots) slot.opening.then((c) => c.close(), () => {});
    }
    this.#slots.clear();
  }

  /** This turn's slot, or the least busy open one (opening another while under the cap). */
  #pick(address: string): Slot {
    const current = this.#turnSlot;
    if (current?.address === address && !current.connection?.closed) return current;
    const slots = (this.#slots.get(address) ?? []).filter((s) => !s.connection?.closed);
    this.#slots.set(address, slots);
    let best: Slot | null = null;
    for (const slot of slots) {
      const inflight = slot.connection?.inflight ?? Infinity; // still opening: busy enough
      if (inflight === 0) {
        best = slot;
        break;
      }
      if (!best || inflight < (best.connection?.inflight ?? Infinity)) best = slot;
    }
    if (best?.connection?.inflight !== 0 && slots.length < CONNECTIONS_PER_LEADER) {
      best = this.#open(address);
      slots.push(best);
    }
    this.#turnSlot = best!;
    setImmediate(() => {
      if (this.#turnSlot === best) this.#turnSlot = null;
    });
    return best!;
  }

  /** Starts the watchdog that closes connections silent for too long (one timer for all). */
  #watch(): void {
    if (this.#watchdog !== null) return;
    const timeoutMs = this.options.replyTimeoutMs;
    this.#watchdog = setInterval(() => {
      const now = performance.now();
      let busy = false;
      for (const slots of this.#slots.values()) {
        for (const slot of slots) {
          const connection = slot.connection;
          if (!connection || connection.closed || connection.inflight === 0) continue;
          busy = true;
          if (now - slot.progressMs <= timeoutMs) continue;
          slot.timedOut = true;
          this.#drop(slot);
          connection.close(); // rejects its pending commands; send() reports the timeout
        }
      }
      if (!busy && this.#watchdog !== null) {
        clearInterval(this.#watchdog);
        this.#watchdog = null;
      }
    }, Math.max(10, Math.floor(timeoutMs / 4)));
    Deno.unrefTimer(this.#watchdog);
  }

  #open(address: string): Slot {
    const target = parseHostPort(address);
    const slot: Slot = {
      address,
      progressMs: performance.now(),
      timedOut: false,
      connection: null,
      opening: target
        ? RespConnection.open({
          hostname: target.hostname === "0.0.0.0" ? "127.0.0.1" : target.hostname,
          port: target.port,
          connectTimeoutMs: this.options.connectTimeoutMs,
          password: this.options.password,
        })
        : Promise.reject(new Error(`bad address "${address}"`)),
    };
    slot.opening.then((c) => (slot.connection = c), () => this.#drop(slot));
    return slot;
  }

  #drop(slot: Slot): void {
    const slots = this.#slots.get(slot.address);
    if (slots) this.#slots.set(slot.address, slots.filter((s) => s !== slot));
    if (this.#turnSlot === slot) this.#turnSlot = null;
  }
}
