/**
 * Runs RESP commands on a Raft-replicated ATLAS. Writes are proposed by the leader with the time
 * and a seed stamped in, and answered once committed and applied; a follower forwards them to
 * the leader over RESP. Reads are linearizable by default: a ReadIndex barrier (served by the
 * leader after a heartbeat round, also for followers) before reading the local store; `stale`
 * reads the local store at once. With no leader, commands fail fast with CLUSTERDOWN / TRYAGAIN.
 */
import {
  bulk,
  type CommandExecutor,
  ERR_OOM,
  error,
  mayWrite,
  OK,
  type Reply,
  type Store,
} from "../../atlas/mod.ts";
import {
  NotLeaderError,
  ProposalDroppedError,
  ProposalLostError,
  type RaftNode,
} from "../../raft/mod.ts";
import { encodeEntry } from "./command_codec.ts";
import {
  CLUSTER,
  decodeTransaction,
  encodeTransaction,
  FORWARDED,
  FORWARDED_ENCODED,
  IN_DATABASE,
  isTransaction,
  PUBLISH,
} from "./commands.ts";
import type { LeaderForwarder } from "./forwarder.ts";
import { decodeReply, encodeReply } from "./reply_codec.ts";
import { isWatchChanged, watchGuard } from "./watch_guard.ts";
import { isNotAppliedError, OUTCOME_UNKNOWN } from "../storage/write_outcome.ts";
import type { AppliedReply, AtlasStateMachine } from "./state_machine.ts";

export type ReadConsistency = "linearizable" | "stale";

export interface ReplicatedExecutorOptions {
  node: RaftNode;
  machine: AtlasStateMachine;
  store: Store;
  forwarder: LeaderForwarder;
  readConsistency: ReadConsistency;
  /** How long a command may wait for a commit or a read barrier. */
  requestTimeoutMs: number;
  clock?: () => number;
  random?: () => number;
  /** Operator commands (HELIOS.CLUSTER ...) run here. */
  admin: (argv: string[]) => Promise<Reply>;
  /**
   * Where to forward to a leader: undefined until it announced its RESP address (default: the
   * announced address itself).
   */
  respAddressOf?: (nodeId: string) => string | undefined;
  onProposal?: (result: "ok" | "not_leader" | "dropped" | "lost" | "timeout") => void;
  /**
   * Whether this node's V8 heap is near its limit (its HeapGuard): a client's memory-growing
   * write is then refused with OOM before it is proposed — never at apply, where every replica
   * must do alike what the log says.
   */
  heapFull?: () => boolean;
}

class TimeoutError extends Error {}

/** At most this many commands share one Raft entry (keeps entries and apply pauses small). */
const WRITE_BATCH_COMMANDS_MAX = 512;

interface QueuedWrite {
  argv: string[];
  /** The database it runs in (its client's SELECT index). */
  db: number;
  resolve(reply: Reply): void;
}

/** ReadIndex rounds that may be in flight at once (each costs one heartbeat broadcast). */
const READ_ROUNDS_IN_FLIGHT_MAX = 4;

/**
 * Linearizable reads share ReadIndex rounds, as etcd's read loop does: the reads that arrive in
 * one turn wait for one barrier, one heartbeat round for the lot. A read is only ever served by
 * a round that started after it arrived. Rounds overlap (up to a few), so a read does not also
 * wait out the rest of a round it arrived too late for: at low concurrency that wait was about
 * half of a read's latency.
 */
export class ReadBatcher {
  #gathering: Promise<void> | null = null;
  #inFlight = 0;
  #slotWaiters: (() => void)[] = [];

  constructor(private readonly barrier: () => Promise<void>) {}

  wait(): Promise<void> {
    this.#gathering ??= this.#round();
    return this.#gathering;
  }

  async #round(): Promise<void> {
    await Promise.resolve(); // the rest of this turn's reads join before the round starts
    while (this.#inFlight >= READ_ROUNDS_IN_FLIGHT_MAX) {
      await new Promise<void>((resolve) => this.#slotWaiters.push(resolve));
    }
    this.#gathering = null; // reads from here on need a round that starts after them
    this.#inFlight++;
    try {
      await this.barrier();
    } finally {
      this.#inFlight--;
      this.#slotWaiters.shift()?.();
    }
  }
}

export class ReplicatedExecutor implements CommandExecutor {
  readonly #o: ReplicatedExecutorOptions;
  readonly #clock: () => number;
  readonly #random: () => number;
  readonly #reads: ReadBatcher;
  readonly #respAddressOf: (nodeId: string) => string | undefined;
  #queuedWrites: QueuedWrite[] = [];
  #flushScheduled = false;

  constructor(options: ReplicatedExecutorOptions) {
    this.#o = options;
    this.#clock = options.clock ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#respAddressOf = options.respAddressOf ?? ((id) => options.machine.respAddresses.get(id));
    this.#reads = new ReadBatcher(() =>
      withTimeout(options.node.readBarrier(), options.requestTimeoutMs)
    );
  }

  outOfMemory(): boolean {
    return this.#o.heapFull?.() === true;
  }

  /**
   * PUBLISH and SPUBLISH go through the log (docs/cluster.md "Pub/sub"): every node delivers the
   * message to its own subscribers as it applies the entry, after the writes before it.
   */
  publish(kind: "publish" | "spublish", channel: string, message: string): Promise<Reply> {
    return this.#queueWrite([PUBLISH, kind, channel, message], 0, true);
  }

  execute(argv: string[], db = 0): Reply | Promise<Reply> {
    const name = argv[0].toLowerCase();
    // A follower's forwarding connection stays in database 0: a forwarded write names its own.
    if (name === FORWARDED) return this.#queueWrite(argv.slice(1), 0, false);
    if (name === FORWARDED_ENCODED) return this.#forwardedEncoded(argv.slice(1));
    if (name === CLUSTER) return this.#o.admin(argv);
    if (isTransaction(argv)) return this.#forwardedTransaction(argv);
    const spec = this.#o.store.commands.get(name);
    // Unknown commands and wrong arity are answered locally: nothing to replicate.
    if (!spec || !arityOk(spec.arity, argv.length)) {
      return this.#o.store.execute(argv, this.#readContext(db)).reply;
    }
    // EVAL, EVALSHA and SCRIPT LOAD/FLUSH go through the log too (mayWrite): a script may write,
    // and every replica re-runs it, so every replica must hold the same script cache.
    if (mayWrite(spec)) {
      if (this.outOfMemory() && spec.flags.includes("denyoom")) return ERR_OOM;
      return this.#queueWrite(argv, db, true);
    }
    return this.#read(argv, db);
  }

  /**
   * Independent writes issued in the same turn (a pipelined batch, many connections) travel in
   * one Raft entry; each still gets its own reply, in order.
   */
  #queueWrite(argv: string[], db: number, mayForward: boolean): Promise<Reply> {
    // A client's own write that was certainly not applied (leadership moved or was being moved,
    // no leader yet, the leader unreachable) waits for the next leader and goes there, within
    // the request timeout: a Redis client has nothing to retry against, and BullMQ fails the
    // job whose completion got such an error. A forwarded write is retried by its follower.
    if (mayForward) return this.#untilApplied(() => this.#queueWriteOnce(argv, db, true));
    return this.#queueWriteOnce(argv, db, false);
  }

  async #untilApplied(attempt: () => Promise<Reply>): Promise<Reply> {
    const deadline = this.#clock() + this.#o.requestTimeoutMs;
    for (;;) {
      const reply = await attempt();
      if (!notApplied(reply) || this.#clock() >= deadline) return reply;
      await new Promise((resolve) => setTimeout(resolve, 25)); // an election, an announcement
    }
  }

  #queueWriteOnce(argv: string[], db: number, mayForward: boolean): Promise<Reply> {
    if (!this.#o.node.isLeader) {
      return this.#write([argv], db === 0 ? undefined : [db], mayForward).then((r) => r[0]);
    }
    return new Promise((resolve) => {
      this.#queuedWrites.push({ argv, db, resolve });
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        queueMicrotask(() => this.#flushWrites());
      }
    });
  }

  #flushWrites(): void {
    this.#flushScheduled = false;
    const queued = this.#queuedWrites;
    this.#queuedWrites = [];
    for (let i = 0; i < queued.length; i += WRITE_BATCH_COMMANDS_MAX) {
      const batch = queued.slice(i, i + WRITE_BATCH_COMMANDS_MAX);
      const dbs = batch.some((w) => w.db !== 0) ? batch.map((w) => w.db) : undefined;
      this.#write(batch.map((w) => w.argv), dbs, false).then((replies) =>
        batch.forEach((w, j) => w.resolve(replies[j]))
      );
    }
  }

  /**
   * A MULTI/EXEC block: one Raft entry, so it applies atomically on every replica. With watched
   * keys, the entry carries their state as EXEC judged it and every replica aborts it if one
   * changed before it applied (watch_guard.ts); null then, EXEC's nil.
   */
  async executeTransaction(
    commands: string[][],
    watched?: Iterable<string>,
    dbs?: number[],
  ): Promise<Reply[] | null> {
    const guarded = watched === undefined
      ? commands
      : [watchGuard(this.#o.store, watched, this.#o.machine.logicalNowMs), ...commands];
    // The guard runs in database 0 (it names each key's own); the encoders drop all-zero dbs.
    const guardedDbs = dbs === undefined || guarded === commands ? dbs : [0, ...dbs];
    // Certainly not applied (as for a single write): the next leader gets it, in time.
    let replies: Reply[] = [];
    await this.#untilApplied(async () => {
      replies = await this.#transactionOnce(guarded, guardedDbs);
      return replies.every(notApplied) && replies.length > 0 ? replies[0] : OK;
    });
    if (guarded === commands) return replies;
    if (isWatchChanged(replies[0])) return null;
    // The guard's own reply comes first (or the error the whole block got instead).
    return replies.length === guarded.length ? replies.slice(1) : replies;
  }

  async #transactionOnce(commands: string[][], dbs: number[] | undefined): Promise<Reply[]> {
    if (this.#o.node.isLeader) return await this.#write(commands, dbs, false);
    // A follower forwards the whole block to the leader, where it becomes one entry.
    const address = await this.#leaderAddress();
    if (!address) {
      if (this.#o.node.isLeader) return await this.#write(commands, dbs, false);
      return commands.map(() => noLeader(this.#o.node.leaderId));
    }
    const reply = await this.#forward(address, encodeTransaction(commands, dbs));
    if (reply.kind === "array" && reply.value.length === commands.length) return [...reply.value];
    return commands.map(() =>
      reply.kind === "error" ? reply : error("ERR unexpected reply to a forwarded transaction")
    );
  }

  /** HELIOS.FWD: a forwarded command (HELIOS.INDB: in a database) or block, its reply encoded whole. */
  async #forwardedEncoded(argv: string[]): Promise<Reply> {
    return bulk(encodeReply(await this.#forwardedWrite(argv)));
  }

  #forwardedWrite(argv: string[]): Promise<Reply> {
    if (isTransaction(argv)) return this.#forwardedTransaction(argv);
    if (argv[0].toLowerCase() !== IN_DATABASE) return this.#queueWrite(argv, 0, false);
    const db = Number(argv[1]);
    if (!(Number.isSafeInteger(db) && db >= 0 && db < this.#o.store.databases) || argv.length < 3) {
      return Promise.resolve(error("ERR DB index is out of range"));
    }
    return this.#queueWrite(argv.slice(2), db, false);
  }

  /**
   * Sends a write or a HELIOS.TX block to the leader as HELIOS.FWD and decodes its reply. A
   * leader from before HELIOS.FWD (a rolling upgrade) refuses it as unknown, having run nothing:
   * then the old form, whose reply comes as the forwarding connection's RESP2 parsed it.
   */
  async #forward(address: string, argv: string[]): Promise<Reply> {
    const { forwarder } = this.#o;
    const reply = await forwarder.send(address, [FORWARDED_ENCODED, ...argv]);
    if (reply.kind === "bulk") {
      try {
        return decodeReply(reply.value);
      } catch {
        return error("ERR malformed reply from the Raft leader");
      }
    }
    if (reply.kind === "error" && reply.value.startsWith("ERR unknown command")) {
      const old = isTransaction(argv) ? argv : [FORWARDED, ...argv];
      return await forwarder.send(address, old);
    }
    return reply; // the forwarder's own TRYAGAIN (the leader unreachable, no reply in time)
  }

  /** A transaction a follower forwarded: run here as one entry, or refuse (never forward twice). */
  async #forwardedTransaction(argv: string[]): Promise<Reply> {
    const block = decodeTransaction(argv);
    if (block === null) return error("ERR malformed HELIOS.TX");
    if (block.dbs?.some((db) => db >= this.#o.store.databases)) {
      return error("ERR DB index is out of range");
    }
    const replies = await this.#write(block.commands, block.dbs, false);
    return { kind: "array", value: replies };
  }

  /**
   * EXEC with WATCH: a follower first applies every write acknowledged before it (a ReadIndex
   * round, shared with the reads), so one acknowledged through another node marks the watched
   * keys. The leader applied each write it acknowledged already.
   */
  barrier(): Promise<Reply | null> | null {
    if (this.#o.node.isLeader) return null;
    return this.#reads.wait().then(() => null, readFailure);
  }

  /** Writes are durable when their Raft entry committed (fsynced on a quorum) and applied. */
  sync(): Promise<void> {
    return Promise.resolve();
  }

  /** `dbs`: each command's database; absent, all run in database 0. */
  async #write(
    commands: string[][],
    dbs: number[] | undefined,
    mayForward: boolean,
  ): Promise<Reply[]> {
    const { node, machine } = this.#o;
    if (!node.isLeader) {
      if (!mayForward) {
        // A forwarded write reached a node that lost leadership meanwhile: never forward twice.
        const hint = node.leaderId ? ` (leader is "${node.leaderId}")` : "";
        return commands.map(() =>
          error(`TRYAGAIN This node is no longer the Raft leader${hint}; retry`)
        );
      }
      const address = await this.#leaderAddress();
      if (address) {
        return await Promise.all(
          commands.map((argv, i) => {
            const db = dbs?.[i] ?? 0;
            return this.#forward(address, db === 0 ? argv : [IN_DATABASE, String(db), ...argv]);
          }),
        );
      }
      // No leader's address in time; this node may have become the leader meanwhile.
      if (!node.isLeader) return commands.map(() => noLeader(node.leaderId));
    }
    const entry = encodeEntry({
      kind: "commands",
      nowMs: Math.max(this.#clock(), machine.logicalNowMs),
      seed: Math.floor(this.#random() * 2 ** 32),
      commands,
      dbs,
    });
    try {
      const applied = await withTimeout(
        node.propose(entry),
        this.#o.requestTimeoutMs,
      ) as AppliedReply;
      this.#o.onProposal?.("ok");
      return applied.replies;
    } catch (cause) {
      return commands.map(() => this.#proposalError(cause));
    }
  }

  /**
   * The leader's RESP address. Right after an election the leader's announcement may still be
   * on its way through the log: wait a little for it rather than fail a write that would succeed.
   */
  async #leaderAddress(): Promise<string | undefined> {
    const { node } = this.#o;
    const deadline = this.#clock() + Math.min(1000, this.#o.requestTimeoutMs);
    for (;;) {
      if (node.isLeader) return undefined;
      const leader = node.leaderId;
      const address = leader ? this.#respAddressOf(leader) : undefined;
      if (address || this.#clock() >= deadline) return address;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  #proposalError(cause: unknown): Reply {
    if (cause instanceof NotLeaderError) {
      this.#o.onProposal?.("not_leader");
      return noLeader(cause.leaderHint ?? "");
    }
    if (cause instanceof ProposalDroppedError) {
      this.#o.onProposal?.("dropped");
      return error(`TRYAGAIN ${cause.message}`);
    }
    if (cause instanceof ProposalLostError) {
      this.#o.onProposal?.("lost");
      return error(`TRYAGAIN ${cause.message}; retry`);
    }
    if (cause instanceof TimeoutError) {
      this.#o.onProposal?.("timeout");
      return error(`TRYAGAIN Timed out waiting for the Raft commit; ${OUTCOME_UNKNOWN}`);
    }
    return error(`ERR ${(cause as Error).message}`);
  }

  async #read(argv: string[], db: number): Promise<Reply> {
    if (this.#o.readConsistency === "linearizable") {
      try {
        await this.#reads.wait();
      } catch (cause) {
        return readFailure(cause);
      }
    }
    return this.#o.store.execute(argv, this.#readContext(db)).reply;
  }

  /**
   * Reads judge expiry by the cluster's logical clock, never this replica's own, and leave the
   * data as they found it: only the log changes a replica's state (PFCOUNT's cache stays as is).
   */
  #readContext(db: number) {
    return { nowMs: this.#o.machine.logicalNowMs, random: this.#random, readsOutsideLog: true, db };
  }
}

/** A reply saying the write was certainly not applied (src/storage/write_outcome.ts). */
function notApplied(reply: Reply): boolean {
  return reply.kind === "error" && isNotAppliedError(reply.value);
}

function readFailure(cause: unknown): Reply {
  if (cause instanceof TimeoutError) {
    return error("CLUSTERDOWN No Raft leader confirmed the read in time; retry shortly");
  }
  return error(`TRYAGAIN ${(cause as Error).message}`);
}

function arityOk(arity: number, argc: number): boolean {
  return arity >= 0 ? argc === arity : argc >= -arity;
}

function noLeader(leader: string): Reply {
  return leader
    ? error(`TRYAGAIN The Raft leader "${leader}" has not announced its address yet; retry shortly`)
    : error("CLUSTERDOWN No Raft leader is elected; retry shortly");
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError("timed out")), ms);
  });
  // The abandoned promise may still settle (the write may commit later); never let it go unhandled.
  promise.catch(() => {});
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
