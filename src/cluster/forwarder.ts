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
import { RespConnection, RespReplyTimeoutError } from "../storage/resp_connection.ts";
import { formatHostPort, parseHostPort } from "../lib/address.ts";
import { OUTCOME_UNKNOWN } from "../storage/write_outcome.ts";

/**
 * The address to forward to a leader at, given the RESP address it announced and the Raft address
 * this node dials it at. A leader listening on all interfaces (`--listen :6379`, as
 * deploy/compose.yaml and the Kubernetes manifest run it) announces 0.0.0.0:6379: that port, on
 * the host its Raft listener is reached at. (Taken as 127.0.0.1, a follower on a host of its own
 * forwarded every write to itself, which refused it as not the leader.)
 */
export function leaderRespAddress(announced: string, raftAddress: string | undefined): string {
  const resp = parseHostPort(announced);
  const raft = raftAddress === undefined ? null : parseHostPort(raftAddress);
  if (!resp || !raft || !ANY_HOST.has(resp.hostname) || ANY_HOST.has(raft.hostname)) {
    return announced;
  }
  return formatHostPort({ hostname: raft.hostname, port: resp.port });
}

/** Listening on these means on every interface. */
const ANY_HOST = new Set(["0.0.0.0", "::"]);

/** Connections per leader address: batches in flight at once from this follower. */
const CONNECTIONS_PER_LEADER = 4;

interface Slot {
  address: string;
  opening: Promise<RespConnection>;
  /** Set once open: to pick the least busy connection without awaiting. */
  connection: RespConnection | null;
}

export interface LeaderForwarderOptions {
  password: string;
  connectTimeoutMs: number;
  /** A connection with commands in flight and no reply for this long is closed (see above). */
  replyTimeoutMs: number;
}

export class LeaderForwarder {
  readonly #slots = new Map<string, Slot[]>();
  /** The slot this turn's commands go to; forgotten at the end of the turn. */
  #turnSlot: Slot | null = null;

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
    try {
      return await connection.send(argv);
    } catch (cause) {
      this.#drop(slot);
      connection.close();
      if (cause instanceof RespReplyTimeoutError) {
        return error(
          `TRYAGAIN No reply from the Raft leader at ${address} in ${this.options.replyTimeoutMs} ms; ` +
            OUTCOME_UNKNOWN,
        );
      }
      return error(
        `TRYAGAIN Lost the connection to the Raft leader at ${address}; ${OUTCOME_UNKNOWN} ` +
          `(${(cause as Error).message})`,
      );
    }
  }

  close(): void {
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

  #open(address: string): Slot {
    const target = parseHostPort(address);
    const slot: Slot = {
      address,
      connection: null,
      opening: target
        ? RespConnection.open({
          hostname: target.hostname === "0.0.0.0" ? "127.0.0.1" : target.hostname,
          port: target.port,
          connectTimeoutMs: this.options.connectTimeoutMs,
          password: this.options.password,
          replyTimeoutMs: this.options.replyTimeoutMs,
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
