/**
 * The slow log (SLOWLOG GET / LEN / RESET / HELP): commands that ran for at least
 * slowlog-log-slower-than µs, newest first, at most slowlog-max-len of them, each kept the way
 * Redis 7 replies it: [id, unix time, µs, argv (shortened), "ip:port", client name].
 */
import { array, bulk, error, integer, type Reply, simple } from "../store/reply.ts";
import type { Client } from "./client.ts";
import type { ServerContext } from "./context.ts";
import { redactedRange } from "./monitor.ts";
import {
  checkSubcommand,
  helpReply,
  isSubcommandRejection,
  subcommandSyntaxError,
} from "./subcommands.ts";
import { keylessCommands, type ServerCommand } from "./table.ts";
import type { CommandEntry } from "./types.ts";

/** Redis keeps at most 32 arguments (the last one saying how many more there were)... */
const ARGS_MAX = 32;
/** ...and the first 128 bytes of each. */
const ARG_BYTES_MAX = 128;
const REDACTED = "(redacted)";
/** CONFIG SET values Redis hides from the slow log. */
const SENSITIVE_CONFIGS = new Set(["requirepass", "masterauth"]);

/** Who ran a logged command: a client, or a script's (SCRIPT_CALLER). */
export type Caller = Pick<Client, "addr" | "name">;

/** What Redis logs for the commands a script ran: its script client, no address, no name. */
export const SCRIPT_CALLER: Caller = Object.freeze({ addr: "?:0", name: "" });

interface SlowLogEntry {
  readonly id: number;
  readonly timeS: number;
  readonly durationUs: number;
  readonly args: readonly string[];
  readonly addr: string;
  readonly name: string;
}

export class SlowLog {
  /** slowlog-log-slower-than, µs: negative disables, 0 logs every command. */
  slowerThanUs = 10_000;
  /** slowlog-max-len. Lowering it trims on the next command considered, as Redis does. */
  maxLen = 128;
  /** Oldest first from `#start`: a queue that drops from the front in O(1). */
  #entries: (SlowLogEntry | undefined)[] = [];
  #start = 0;
  #nextId = 0;

  get length(): number {
    return this.#entries.length - this.#start;
  }

  /**
   * Called after each command while the log is enabled. Commands flagged skip-slowlog (EXEC:
   * its commands are logged one by one) and subcommand rejections (which Redis answers before
   * running anything) are not logged.
   */
  consider(
    client: Caller,
    entry: CommandEntry,
    argv: readonly string[],
    us: number,
    reply: Reply,
  ): void {
    if (
      us >= this.slowerThanUs && !entry.flags.includes("skip-slowlog") &&
      !isSubcommandRejection(reply)
    ) {
      this.add(client, entry.name, argv, us);
    }
    if (this.length > this.maxLen) this.#trim();
  }

  add(client: Caller, command: string, argv: readonly string[], us: number): void {
    this.#entries.push({
      id: this.#nextId++,
      timeS: Math.floor(Date.now() / 1000),
      durationUs: Math.floor(us),
      args: loggedArgs(command, argv),
      addr: client.addr,
      name: client.name,
    });
  }

  /** The newest `count` entries, newest first (count < 0: all). */
  newest(count: number): SlowLogEntry[] {
    const out: SlowLogEntry[] = [];
    for (let i = this.#entries.length - 1; i >= this.#start; i--) {
      if (count >= 0 && out.length >= count) break;
      out.push(this.#entries[i]!);
    }
    return out;
  }

  reset(): void {
    this.#entries = [];
    this.#start = 0;
  }

  #trim(): void {
    while (this.length > this.maxLen) this.#entries[this.#start++] = undefined;
    if (this.#start > 1024 && this.#start * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#start);
      this.#start = 0;
    }
  }
}

/** argv as the log keeps it: secrets redacted, at most 32 arguments of at most 128 bytes. */
function loggedArgs(command: string, argv: readonly string[]): string[] {
  const [hideFrom, hideTo] = redactedRange(command, argv);
  const kept = Math.min(argv.length, ARGS_MAX);
  const out: string[] = [];
  for (let i = 0; i < kept; i++) {
    if (i === kept - 1 && kept < argv.length) {
      out.push(`... (${argv.length - kept + 1} more arguments)`);
    } else if ((i >= hideFrom && i < hideTo) || isSensitiveConfigValue(command, argv, i)) {
      out.push(REDACTED);
    } else if (argv[i].length > ARG_BYTES_MAX) {
      out.push(
        `${argv[i].slice(0, ARG_BYTES_MAX)}... (${argv[i].length - ARG_BYTES_MAX} more bytes)`,
      );
    } else out.push(argv[i]);
  }
  return out;
}

/** CONFIG SET name value [name value ...]: the value of a password setting. */
function isSensitiveConfigValue(command: string, argv: readonly string[], i: number): boolean {
  return command === "config" && i >= 3 && i % 2 === 1 && argv[1].toLowerCase() === "set" &&
    SENSITIVE_CONFIGS.has(argv[i - 1].toLowerCase());
}

function entryReply(e: SlowLogEntry): Reply {
  return array([
    integer(e.id),
    integer(e.timeS),
    integer(e.durationUs),
    array(e.args.map((a) => bulk(a))),
    bulk(e.addr),
    bulk(e.name),
  ]);
}

const SLOWLOG_ARITY: Readonly<Record<string, number>> = { get: -2, len: 2, reset: 2, help: 2 };

const SLOWLOG_HELP = [
  "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "GET [<count>]",
  "    The <count> newest logged commands, newest first (10 when omitted, -1 for every",
  "    one). Each is [id, unix time, microseconds taken, arguments (at most 32, long",
  "    ones cut, secrets hidden), client address, client name].",
  "LEN",
  "    How many commands the log holds now.",
  "RESET",
  "    Empty the log.",
  "HELP",
  "    Prints this help.",
];

/** SLOWLOG GET's count: an integer >= -1 (a long, as Redis parses it). */
function parseCount(text: string): number | null {
  if (!/^(0|-?[1-9]\d{0,18})$/.test(text)) return null;
  const n = BigInt(text);
  if (n < -1n || n > 9223372036854775807n) return null;
  return Number(n);
}

function slowlog(ctx: ServerContext, _client: Client, argv: string[]): Reply {
  const rejected = checkSubcommand("slowlog", SLOWLOG_ARITY, argv);
  if (rejected !== null) return rejected;
  const log = ctx.timing.slowlog;
  switch (argv[1].toLowerCase()) {
    case "get": {
      if (argv.length > 3) return subcommandSyntaxError("slowlog", argv);
      const count = argv.length === 3 ? parseCount(argv[2]) : 10;
      if (count === null) return error("ERR count should be greater than or equal to -1");
      return array(log.newest(count).map(entryReply));
    }
    case "len":
      return integer(log.length);
    case "reset":
      log.reset();
      return simple("OK");
    default:
      return helpReply(SLOWLOG_HELP);
  }
}

export const SLOWLOG_COMMANDS: ServerCommand[] = [{
  ...keylessCommands("server")("slowlog", -2, "admin loading stale", slowlog),
  since: "2.2.12",
}];
