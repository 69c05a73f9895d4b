/**
 * AtlasClient over RESP2 for remote mode (`--atlas host:port[,host:port...]`): a small pool of
 * pipelined connections to one node at a time, failing over across the listed nodes.
 *
 * Retries are bounded and only where they cannot apply a write twice:
 * - the command never reached a server (connect failed, or the connection was already closed);
 * - the server answered `-TRYAGAIN`, `-LOADING`, `-CLUSTERDOWN`, `-MASTERDOWN`, `-BUSY`, `-MOVED` /
 *   `-REDIRECT` (followed): not run (no leader, leadership moved...); a MULTI/EXEC block every
 *   command of which got the same such answer was not run either (one Raft entry);
 * - the command is read-only (its connection broke before the reply, or any TRYAGAIN).
 * A write whose connection broke after sending, or that a node answered with a TRYAGAIN saying it
 * "may or may not have been applied" (a Raft commit the leader could not confirm in time: it may
 * commit under the next leader), has an unknown outcome and fails with 503: resending it could
 * apply it twice (a second JOB.CLAIM leasing more jobs, an enqueue refused as a duplicate of
 * itself).
 *
 * A node that answers "not run, try again" without naming another (no leader on its side of a
 * partition, an election) is left for the next listed node, as after a broken connection, so a
 * gateway whose node is cut off from the majority moves to the majority. Moving on retires the
 * old node's connections once their commands in flight are answered, never cutting them off.
 */
import { UnavailableError } from "../errors/app_error.ts";
import { type HostPort, parseHostPort } from "../lib/address.ts";
import type { AtlasClient, Value } from "./atlas_client.ts";
import { RespConnection, RespConnectionError } from "./resp_connection.ts";
import { replyToValue, toArgv } from "./reply_value.ts";
import type { Reply } from "../../atlas/mod.ts";
import { READ_ONLY_COMMANDS } from "./resp_commands.ts";
import { isOutcomeUnknownError } from "./write_outcome.ts";

export interface RespClientOptions {
  /** Nodes to use, in order of preference. */
  nodes: HostPort[];
  /** Connections per node (each pipelines). */
  poolSize?: number;
  /** Commands in flight across the pool before new calls fail fast with 503 (default 65536). */
  inflightMax?: number;
  connectTimeoutMs?: number;
  /**
   * A connection with commands in flight and no reply for this long is closed and the call
   * fails over (default 15 s; 0 = never). ATLAS answers everything we send promptly — a cluster
   * write within its request timeout — so a silence that long is a black-holed path.
   */
  replyTimeoutMs?: number;
  /** Attempts per call across nodes and redirects. */
  attemptsMax?: number;
  /** Base backoff between attempts; doubles per attempt. */
  backoffMs?: number;
  password?: string;
}

/** Parses `host:port[,host:port...]` (the --atlas flag). Throws on a malformed entry. */
export function parseNodeList(text: string): HostPort[] {
  const nodes = text.split(",").map((part) => part.trim()).filter((part) => part.length > 0);
  return nodes.map((part) => {
    const parsed = parseHostPort(part, "127.0.0.1");
    if (!parsed) throw new Error(`Invalid ATLAS address "${part}": expected HOST:PORT`);
    return parsed;
  });
}

/**
 * Replies meaning "not run, try again", as in Redis, unless a cluster's reply says the write may
 * or may not have been applied (src/storage/write_outcome.ts). BUSY: another client's script is
 * running past busy-reply-threshold (until it ends or SCRIPT KILL stops it).
 */
const RETRY_PREFIXES = ["TRYAGAIN", "LOADING", "CLUSTERDOWN", "MASTERDOWN", "BUSY"];

/** "Not run, try again": at the node named (`redirect`), else at the next listed node. */
class RetryableReply extends Error {
  constructor(readonly reply: string, readonly redirect: HostPort | null) {
    super(reply);
  }
}

/** A write the node answered with "may or may not have been applied": never resent. */
class UnknownOutcomeReply extends Error {
  constructor(readonly reply: string) {
    super(reply);
  }
}

export class RespAtlasClient implements AtlasClient {
  readonly #nodes: HostPort[];
  readonly #poolSize: number;
  readonly #connectTimeoutMs: number;
  readonly #replyTimeoutMs: number;
  readonly #attemptsMax: number;
  readonly #backoffMs: number;
  readonly #password?: string;
  readonly #inflightMax: number;
  #inflight = 0;
  #current = 0;
  #pool: (Promise<RespConnection> | null)[] = [];
  #next = 0;
  #closed = false;
  /** False after a call found no node to answer it, until a call (or the probe) succeeds. */
  #reachable = true;
  #probing = false;
  /** Every connection opened, so close() can wait for their read loops to end. */
  readonly #all = new Set<RespConnection>();

  constructor(options: RespClientOptions) {
    if (options.nodes.length === 0) throw new Error("RespAtlasClient needs at least one node");
    this.#nodes = [...options.nodes];
    this.#poolSize = Math.max(1, Math.min(64, options.poolSize ?? 4));
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 2000;
    this.#replyTimeoutMs = options.replyTimeoutMs ?? 15_000;
    this.#attemptsMax = Math.max(1, options.attemptsMax ?? 2 * this.#nodes.length + 2);
    this.#backoffMs = options.backoffMs ?? 25;
    this.#password = options.password;
    this.#inflightMax = Math.max(1, options.inflightMax ?? 65_536);
    this.#pool = new Array(this.#poolSize).fill(null);
  }

  /**
   * Readiness: false once a call found every node unreachable, true again after one succeeds.
   * While false, each check sends one PING (not more than one at a time), so a gateway without
   * traffic notices when the cluster is back.
   */
  ready(): boolean {
    if (!this.#reachable && !this.#probing && !this.#closed) {
      this.#probing = true;
      this.call("PING").catch(() => {}).finally(() => (this.#probing = false));
    }
    return this.#reachable;
  }

  /** The node currently in use (for status and tests). */
  get currentNode(): HostPort {
    return this.#nodes[this.#current];
  }

  async call(command: string, ...args: (string | number)[]): Promise<Value> {
    const argv = toArgv(command, args);
    const readOnly = READ_ONLY_COMMANDS.has(command.toUpperCase());
    const [reply] = await this.#run(
      [argv],
      readOnly,
      (replies) => this.#check(replies[0], readOnly),
    );
    return replyToValue(reply);
  }

  async transaction(commands: (string | number)[][]): Promise<Value[]> {
    const argvs = commands.map(([command, ...args]) => toArgv(String(command), args));
    const readOnly = argvs.every((argv) => READ_ONLY_COMMANDS.has(argv[0].toUpperCase()));
    const replies = await this.#run([["MULTI"], ...argvs, ["EXEC"]], readOnly, (replies) => {
      const exec = replies[replies.length - 1];
      this.#check(exec, readOnly);
      // A block that was not applied (a cluster with no leader) answers each command with the
      // same error: one entry, applied whole or not at all. Judge it like a single command's.
      const first = exec.kind === "array" ? exec.value[0] : undefined;
      if (first?.kind === "error" && retryWord(first.value)) {
        const text = first.value;
        const same = exec.kind === "array" &&
          exec.value.every((r) => r.kind === "error" && r.value === text);
        if (same) this.#check(first, readOnly);
      }
      return replies;
    });
    const exec = replies[replies.length - 1];
    if (exec.kind === "array") return exec.value.map(replyToValue);
    if (exec.kind === "error") return argvs.map(() => ({ error: exec.value }));
    throw new UnavailableError("ATLAS aborted the transaction", "atlas_unavailable");
  }

  /**
   * Throws RetryableReply for replies meaning "not run, try again (elsewhere)", and
   * UnknownOutcomeReply for a write the node could not say was applied or not.
   */
  #check(reply: Reply, readOnly: boolean): Reply {
    if (reply.kind !== "error") return reply;
    const text = reply.value;
    const word = text.split(" ", 1)[0];
    if (word === "MOVED" || word === "ASK" || word === "REDIRECT") {
      const address = text.split(" ").at(-1) ?? "";
      throw new RetryableReply(text, parseHostPort(address, "127.0.0.1"));
    }
    if (!RETRY_PREFIXES.includes(word)) return reply;
    if (!readOnly && isOutcomeUnknownError(text)) throw new UnknownOutcomeReply(text);
    throw new RetryableReply(text, null);
  }

  async #run<T>(
    argvs: string[][],
    readOnly: boolean,
    inspect: (replies: Reply[]) => T,
  ): Promise<Reply[]> {
    if (this.#inflight + argvs.length > this.#inflightMax) {
      // Bounded memory: a store that stopped answering must not queue requests without end.
      throw new UnavailableError(
        `ATLAS client has ${this.#inflight} commands in flight (inflightMax)`,
        "atlas_overloaded",
        1,
      );
    }
    this.#inflight += argvs.length;
    try {
      return await this.#attempts(argvs, readOnly, inspect);
    } finally {
      this.#inflight -= argvs.length;
    }
  }

  async #attempts<T>(
    argvs: string[][],
    readOnly: boolean,
    inspect: (replies: Reply[]) => T,
  ): Promise<Reply[]> {
    let lastError: Error | null = null;
    for (let attempt = 0; attempt < this.#attemptsMax && !this.#closed; attempt++) {
      if (attempt > 0) await delay(Math.min(1000, this.#backoffMs * 2 ** (attempt - 1)));
      // The node this attempt goes to: a failure moves the client on from it only if no other
      // call did so meanwhile (calls failing together must not move it several nodes on).
      const node = this.#current;
      let connection: RespConnection;
      try {
        connection = await this.#connection();
      } catch (error) {
        lastError = error as Error;
        this.#failoverFrom(node);
        continue;
      }
      try {
        const replies = await connection.sendMany(argvs);
        this.#reachable = true;
        inspect(replies);
        return replies;
      } catch (error) {
        lastError = error as Error;
        if (error instanceof RetryableReply) {
          if (error.redirect) this.#redirect(error.redirect);
          else this.#failoverFrom(node);
          continue;
        }
        if (error instanceof UnknownOutcomeReply) {
          this.#failoverFrom(node);
          throw new UnavailableError(
            `ATLAS could not confirm the write; its outcome is unknown (${error.reply})`,
            "atlas_unavailable",
          );
        }
        if (!(error instanceof RespConnectionError)) throw error;
        this.#failoverFrom(node);
        if (error.sent && !readOnly) {
          throw new UnavailableError(
            "ATLAS connection broke before the write was acknowledged; its outcome is unknown",
            "atlas_unavailable",
          );
        }
      }
    }
    if (!this.#closed) this.#reachable = false;
    throw new UnavailableError(
      `ATLAS is unreachable: ${lastError?.message ?? "client closed"}`,
      "atlas_unavailable",
      1,
    );
  }

  #connection(): Promise<RespConnection> {
    const slot = this.#next;
    this.#next = (this.#next + 1) % this.#poolSize;
    const existing = this.#pool[slot];
    if (existing) {
      return existing.then((connection) => {
        if (!connection.closed) return connection;
        this.#pool[slot] = null;
        return this.#open(slot);
      }, () => this.#open(slot));
    }
    return this.#open(slot);
  }

  #open(slot: number): Promise<RespConnection> {
    const node = this.#nodes[this.#current];
    const opening = RespConnection.open({
      ...node,
      connectTimeoutMs: this.#connectTimeoutMs,
      replyTimeoutMs: this.#replyTimeoutMs,
      password: this.#password,
    });
    this.#pool[slot] = opening;
    opening.then((connection) => {
      this.#all.add(connection);
      connection.done.then(() => this.#all.delete(connection));
    }, () => {
      if (this.#pool[slot] === opening) this.#pool[slot] = null;
    });
    return opening;
  }

  /** Moves to the node after `node`, unless the client already moved on from it. */
  #failoverFrom(node: number): void {
    if (this.#current !== node) return;
    this.#current = (this.#current + 1) % this.#nodes.length;
    this.#dropPool();
  }

  #redirect(node: HostPort): void {
    let index = this.#nodes.findIndex((n) => n.hostname === node.hostname && n.port === node.port);
    if (index < 0) index = this.#nodes.push(node) - 1;
    if (index !== this.#current) {
      this.#current = index;
      this.#dropPool();
    }
  }

  #dropPool(): void {
    const old = this.#pool;
    this.#pool = new Array(this.#poolSize).fill(null);
    for (const entry of old) {
      // A connection still busy keeps its in-flight replies; new calls use the new node.
      entry?.then((connection) => connection.closeWhenIdle(), () => {});
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    const entries = this.#pool;
    this.#pool = new Array(this.#poolSize).fill(null);
    await Promise.allSettled(entries.filter((e) => e !== null));
    const open = [...this.#all];
    for (const connection of open) connection.close();
    await Promise.all(open.map((connection) => connection.done));
  }
}

function retryWord(text: string): boolean {
  return RETRY_PREFIXES.includes(text.split(" ", 1)[0]);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
