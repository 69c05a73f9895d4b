/**
 * CLIENT PAUSE / UNPAUSE. While a pause is on, dispatch hands each command it must hold to
 * `hold`, which answers a Blocked: the connection then waits on its usual async path (it keeps
 * reading into its parser, and every other connection is served), and the command is dispatched
 * again once the pause ends, the held clients in the order they were held.
 *
 * As in Redis 7.0 the pausing client is held too, and commands are held after the checks that
 * reject them outright (unknown command, arity, auth, RESP2 subscribed mode) but before MULTI
 * queueing. ALL holds every command, CLIENT UNPAUSE included, until the deadline; WRITE holds
 * commands flagged write or may-replicate (EVAL, PUBLISH, PFCOUNT...) and an EXEC whose queue
 * holds one. A second pause keeps the stricter type and the later deadline.
 */
import { parseInt64 } from "../store/numbers.ts";
import { error, type Reply, simple } from "../store/reply.ts";
import type { Client } from "./client.ts";
import type { ServerContext } from "./context.ts";
import { subcommandSyntaxError } from "./subcommands.ts";
import { Blocked, type CommandEntry, type HandlerResult, type ReplyList } from "./types.ts";

export const PAUSE_WRITE = 1;
export const PAUSE_ALL = 2;

/**
 * Where the table's flags differ from what Redis 7.0 holds under WRITE: PFCOUNT (may write its
 * cache) and SPUBLISH are flagged may-replicate in Redis; SCRIPT (its subcommands) is not.
 */
const WRITE_PAUSE_HOLDS = new Set(["pfcount", "spublish"]);
const WRITE_PAUSE_SKIPS = new Set(["script"]);

/** setTimeout's longest delay; longer pauses re-arm. */
const TIMER_MS_MAX = 2 ** 31 - 1;

export class ClientPause {
  /** `onHold(true)` when a pause starts, `onHold(false)` when it ends (the server holds expiry). */
  constructor(private readonly onHold: (held: boolean) => void = () => {}) {}

  /** 0 when not paused: the only field dispatch reads on the hot path. */
  type: 0 | typeof PAUSE_WRITE | typeof PAUSE_ALL = 0;
  #endMs = 0;
  #timer: ReturnType<typeof setTimeout> | undefined = undefined;
  /** Held clients -> what resumes them; a Map keeps the order they were held in. */
  readonly #held = new Map<Client, () => void>();

  pause(type: typeof PAUSE_WRITE | typeof PAUSE_ALL, endMs: number): void {
    if (this.type === 0) {
      this.type = type;
      this.#endMs = endMs;
      this.onHold(true);
    } else {
      this.type = Math.max(this.type, type) as typeof type;
      this.#endMs = Math.max(this.#endMs, endMs);
    }
    this.#arm();
  }

  #arm(): void {
    clearTimeout(this.#timer);
    const delay = Math.min(Math.max(this.#endMs - Date.now(), 0), TIMER_MS_MAX);
    this.#timer = setTimeout(() => {
      if (Date.now() < this.#endMs) this.#arm();
      else this.unpause();
    }, delay);
  }

  /** Ends the pause and runs the held commands, first held first. */
  unpause(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.type !== 0) this.onHold(false);
    this.type = 0;
    const resumes = [...this.#held.values()];
    this.#held.clear();
    for (const resume of resumes) resume();
  }

  /** Whether the current pause holds `entry` run as `argv` (only called while paused). */
  holds(ctx: ServerContext, client: Client, entry: CommandEntry, argv: readonly string[]): boolean {
    if (this.type === PAUSE_ALL || writes(ctx, entry, argv)) return true;
    // EXEC is as much a write as the commands it queued.
    if (entry.name !== "exec" || client.multi === null) return false;
    return client.multi.some((queuedArgv) => {
      const queued = ctx.table.lookup(queuedArgv[0]);
      return queued !== undefined && writes(ctx, queued, queuedArgv);
    });
  }

  /** Clients held now: INFO's blocked_clients counts them, as Redis's postponed clients. */
  get heldCount(): number {
    return this.#held.size;
  }

  isHeld(client: Client): boolean {
    return this.#held.has(client);
  }

  /** Holds `client` until the pause ends, then answers what `rerun` (dispatch again) gives. */
  hold(client: Client, rerun: () => HandlerResult): Blocked {
    const resumed = new Promise<void>((resume) => {
      this.#held.set(client, resume);
      // A disconnect while held: forget the client, nothing runs.
      client.unblock = () => {
        this.#held.delete(client);
        client.unblock = null;
      };
    });
    const resumedResult = resumed.then(() => {
      client.unblock = null;
      const result = rerun();
      return result instanceof Blocked ? result.promise : result;
    });
    // A ReplyList (SUBSCRIBE a b) is encoded by the connection like a Reply (see Blocked).
    return new Blocked(resumedResult as Promise<Reply | ReplyList> as Promise<Reply>);
  }

  /** Server shutdown: no timer may outlive the server (held clients are disconnected). */
  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.type !== 0) this.onHold(false);
    this.type = 0;
    this.#held.clear();
  }
}

/**
 * Whether WRITE holds the command: flagged write or may-replicate as Redis 7.0 flags it. A script
 * command whose script declares flags is a write unless it declares `no-writes` (Redis's
 * scriptFlagsToCmdFlags); without flags EVAL / FCALL keep their may-replicate.
 */
function writes(ctx: ServerContext, entry: CommandEntry, argv: readonly string[]): boolean {
  if (entry.group === "scripting") {
    const declared = ctx.store?.scriptFlags?.(argv) ?? null;
    if (declared !== null) return !declared.includes("no-writes");
  }
  return entry.write ? !WRITE_PAUSE_SKIPS.has(entry.name) : WRITE_PAUSE_HOLDS.has(entry.name);
}

const INT64_MAX = 9223372036854775807n;

/** CLIENT PAUSE timeout [WRITE|ALL], with Redis 7.0's checks in its order. */
export function clientPause(ctx: ServerContext, argv: string[]): Reply {
  if (argv.length > 4) return subcommandSyntaxError("client", argv);
  let type: typeof PAUSE_WRITE | typeof PAUSE_ALL = PAUSE_ALL;
  if (argv.length === 4) {
    const mode = argv[3].toLowerCase();
    if (mode === "write") type = PAUSE_WRITE;
    else if (mode !== "all") return error("ERR CLIENT PAUSE mode must be WRITE or ALL");
  }
  // A strict int64 ("01", "-0" refused), as Redis reads it.
  const timeoutMs = parseInt64(argv[2]);
  if (timeoutMs === null) return error("ERR timeout is not an integer or out of range");
  if (timeoutMs < 0) return error("ERR timeout is negative");
  // Redis adds its clock in 64 bits: past INT64_MAX the end wraps into the past, so the pause
  // ends at once (OK all the same).
  const endMs = BigInt(Date.now()) + BigInt(timeoutMs);
  ctx.pause.pause(type, endMs > INT64_MAX ? 0 : Number(endMs));
  return simple("OK");
}
