/** Per-connection state: identity, protocol, auth, MULTI/WATCH, subscriptions, I/O buffers. */
import type { AclUser } from "./acl_users.ts";
import { RespParser } from "../resp/parser.ts";
import type { RespLimits } from "../resp/limits.ts";
import { Output } from "./output.ts";
import { NIL } from "../store/reply.ts";
import type { Reply } from "../store/reply.ts";
import type { TrackingState } from "./client_tracking.ts";
import type { CommandEntry, HandlerResult } from "./types.ts";

export interface ClientAddress {
  readonly hostname: string;
  readonly port: number;
}

export class Client {
  readonly id: number;
  readonly conn: Deno.Conn;
  readonly addr: string;
  readonly laddr: string;
  readonly loopback: boolean;
  readonly createdMs: number;
  readonly parser: RespParser;
  readonly output: Output;
  name = "";
  libName = "";
  libVersion = "";
  proto: 2 | 3 = 2;
  #authenticated = false;
  lastInteractionMs: number;
  /**
   * The last command dispatch ran (the running one while it runs), for the slow log's batch
   * timing (command_timing.ts).
   */
  lastEntry: CommandEntry | null = null;
  lastArgv: readonly string[] = [];
  /**
   * What CLIENT LIST's `cmd=` shows, as Redis's c->lastcmd: the last command looked up, also
   * when it was then refused (arity, auth); null after an unknown command or subcommand.
   */
  shownEntry: CommandEntry | null = null;
  shownArgv: readonly string[] = [];
  lastResult: HandlerResult = NIL;
  /** Whether dispatch timed the last command itself. */
  lastTimed = false;
  /** Until then (ms, compared with lastInteractionMs) each command is timed: a slow pipeline. */
  timeEachUntilMs = 0;
  /** The database (SELECT index) the client's commands run against. */
  db = 0;
  /** Queued commands while in MULTI, else null. */
  multi: string[][] | null = null;
  /** A queuing error happened: EXEC answers EXECABORT. */
  multiAborted = false;
  /** Watched keys (null when none); `watchDirty` is set when one of them changed. */
  watched: Set<string> | null = null;
  watchDirty = false;
  /** Earliest expiry among watched keys that were live at WATCH time (Infinity: none). */
  watchDeadlineMs = Infinity;
  /** Watched keys (watchId) that were already expired when watched (watches.ts). */
  watchedStale: Set<string> | null = null;
  /**
   * While EXEC runs: its queue. Redis's client stays in MULTI state through EXEC, so CLIENT INFO
   * shows flags `x`, the queue (multi=, multi-mem=) and cmd=exec.
   */
  execQueue: readonly (readonly string[])[] | null = null;
  /** A write ran in the current batch: sync before replying. */
  needsSync = false;
  readonly channels = new Set<string>();
  readonly patterns = new Set<string>();
  /** SSUBSCRIBE channels: counted apart in replies, but they too mean pub/sub mode. */
  readonly shardChannels = new Set<string>();
  /**
   * Ends the pending blocking command, if any: with no argument (a disconnect) nothing is sent;
   * CLIENT UNBLOCK passes "timeout" (answer as the timeout would) or the reply to send.
   */
  unblock: ((how?: Reply | "timeout") => void) | null = null;
  /** The replication stream this connection follows after SYNC (replication_feed.ts). */
  replicationFeed: { stop(): void } | null = null;
  /** CLIENT REPLY OFF / SKIP state (client_reply.ts); `replyGated` says whether any is set. */
  replyGated = false;
  replyOff = false;
  replySkip = false;
  replySkipNext = false;
  /** SCRIPT DEBUG YES / SYNC was asked: the next EVAL ends that session at once (lua_debug.ts). */
  luaDebug = false;
  /** CLIENT TRACKING state; null while tracking is off (client_tracking.ts). */
  tracking: TrackingState | null = null;
  /** A read started while blocked (into `scratch`), consumed by the next loop turn. */
  pendingRead: Promise<number | null> | null = null;
  scratch: Uint8Array | null = null;
  /** The last read filled its buffer: read 64 KiB at a time. */
  bigReads = false;
  closeAfterFlush = false;
  /**
   * Settles once this connection's loop has ended and its socket is closed (set by the server
   * that accepted it): CLIENT KILL replies after its victims' (client_command.ts).
   */
  ended: Promise<void> = Promise.resolve();
  /** Since when (unix seconds) its output has been over its class's soft limit, or 0. */
  outputSoftSinceS = 0;
  closed = false;
  /**
   * CLIENT NO-EVICT: never closed for maxmemory-clients (flag `e`). RESET keeps it, as Redis
   * 7.0.15 does.
   */
  noEvict = false;
  /** Argument bytes of the command about to run, while maxmemory(-clients) counts them. */
  argvBytes = 0;
  /** Argument bytes of the MULTI queue (with a pointer each), while `multi` is set. */
  multiBytes = 0;
  /** This client's memory as last counted into ClientsMemory.bytes (client_memory.ts). */
  memoryBytes = 0;
  /** Whether it is counted there (from accept to disconnect). */
  memoryCounted = false;
  /** The ACL user this connection acts as (AUTH / HELLO AUTH change it; `default` at first). */
  user: AclUser;
  bytesRead = 0;

  constructor(
    id: number,
    conn: Deno.Conn,
    limits: RespLimits,
    user: AclUser,
    authenticated: boolean,
    nowMs: number,
  ) {
    this.user = user;
    this.id = id;
    this.conn = conn;
    const remote = conn.remoteAddr as Deno.NetAddr;
    const local = conn.localAddr as Deno.NetAddr;
    this.addr = formatAddr(remote);
    this.laddr = formatAddr(local);
    this.loopback = isLoopback(remote.hostname);
    this.createdMs = nowMs;
    this.lastInteractionMs = nowMs;
    this.parser = new RespParser(limits);
    this.authenticated = authenticated;
    this.output = new Output(conn);
  }

  get authenticated(): boolean {
    return this.#authenticated;
  }

  /** Also tightens the parser's bounds while unauthenticated (as Redis does). */
  set authenticated(value: boolean) {
    this.#authenticated = value;
    this.parser.unauthenticated = !value;
  }

  /** Every subscription, shard channels included: above 0, the client is in pub/sub mode. */
  get subscriptionCount(): number {
    return this.channels.size + this.patterns.size + this.shardChannels.size;
  }

  /** Inside EXEC: blocking commands must not block. */
  get inExec(): boolean {
    return this.execQueue !== null;
  }

  /**
   * CLIENT LIST's flags, in Redis 7.0's order: O monitor, P pub/sub, x MULTI, b blocked, t
   * tracking, R broken tracking redirect, B broadcast tracking, d a watched key changed, e
   * no-evict; N when none. `monitor` comes from the server's monitor list.
   */
  infoFlags(monitor: boolean): string {
    let f = monitor ? "O" : "";
    if (this.subscriptionCount > 0) f += "P";
    if (this.multi !== null || this.execQueue !== null) f += "x";
    if (this.unblock !== null) f += "b";
    if (this.tracking !== null) {
      f += "t";
      if (this.tracking.brokenRedirect) f += "R";
      if (this.tracking.bcast) f += "B";
    }
    if (this.watchDirty) f += "d";
    if (this.noEvict) f += "e";
    return f === "" ? "N" : f;
  }
}

function formatAddr(addr: Deno.NetAddr): string {
  return addr.hostname.includes(":")
    ? `[${addr.hostname}]:${addr.port}`
    : `${addr.hostname}:${addr.port}`;
}

export function isLoopback(hostname: string): boolean {
  return hostname === "::1" || hostname.startsWith("127.") || hostname === "localhost" ||
    hostname.startsWith("::ffff:127.");
}
