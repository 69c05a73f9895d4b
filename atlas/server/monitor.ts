/**
 * MONITOR: every command a client runs, streamed to the monitoring connections as Redis prints
 * it (`+1700000000.123456 [0 127.0.0.1:50000] "SET" "k" "v"`). Like Redis 7, a command is fed
 * after it ran and only if it passed the checks (unknown commands and arity errors are not),
 * but for the scripts' commands flagged `skip-monitor` (EVAL, EVALSHA, FCALL and their _RO
 * forms), fed before they run so that the commands the script runs follow them (`[0 lua]`);
 * admin commands (CONFIG, DEBUG, SAVE...) are never shown and AUTH/HELLO passwords are redacted.
 * The hot path pays one size check while nobody monitors.
 */
import { type Reply, simple } from "../store/reply.ts";
import type { Client } from "./client.ts";
import type { ServerContext } from "./context.ts";
import { complete, migrateOptions } from "./migrate_options.ts";
import type { ServerCommand } from "./table.ts";
import type { CommandEntry } from "./types.ts";
import { type OutputLimits, outputOverflows } from "./output_limits.ts";

/**
 * A monitor is a normal client for client-output-buffer-limit, as in Redis; unlike Redis's
 * (unlimited by default), one that cannot keep up is also closed past this much unsent output.
 */
const MONITOR_OUTPUT_BYTES_MAX = 32 * 1024 * 1024;
const REDACTED = "(redacted)";

export class Monitors {
  readonly #clients = new Set<Client>();
  /** Called with a monitor over its output limit (the server disconnects it). */
  onOverflow: (client: Client) => void = () => {};

  constructor(private readonly limits: OutputLimits) {}

  get size(): number {
    return this.#clients.size;
  }

  add(client: Client): void {
    this.#clients.add(client);
  }

  remove(client: Client): void {
    this.#clients.delete(client);
  }

  has(client: Client): boolean {
    return this.#clients.has(client);
  }

  /** Shows one command that `client` ran to every monitor. */
  feed(client: Client, entry: CommandEntry, argv: readonly string[]): void {
    this.#feed(client.db, client.addr, entry, argv);
  }

  /** Shows a command a script ran (redis.call / pcall), from Redis's script caller `lua`. */
  feedScript(entry: CommandEntry, argv: readonly string[], db = 0): void {
    this.#feed(db, "lua", entry, argv);
  }

  #feed(db: number, from: string, entry: CommandEntry, argv: readonly string[]): void {
    if (entry.flags.includes("admin")) return;
    const nowUs = Math.floor((performance.timeOrigin + performance.now()) * 1000);
    const seconds = Math.floor(nowUs / 1_000_000);
    const micros = String(nowUs % 1_000_000).padStart(6, "0");
    let line = `${seconds}.${micros} [${db} ${from}]`;
    const [hideFrom, hideTo] = redactedRange(entry.name, argv);
    for (let i = 0; i < argv.length; i++) {
      line += ` ${quoted(i >= hideFrom && i < hideTo ? REDACTED : argv[i])}`;
    }
    const reply = simple(line);
    for (const monitor of this.#clients) {
      monitor.output.writer.reply(reply, monitor.proto);
      const unsent = monitor.output.unsentBytes;
      if (
        unsent > MONITOR_OUTPUT_BYTES_MAX || outputOverflows(this.limits.normal, monitor, unsent)
      ) {
        this.onOverflow(monitor);
      } else void monitor.output.flush();
    }
  }
}

/**
 * The arguments shown as "(redacted)", [from, to): every argument of AUTH, the user name and
 * password after HELLO's AUTH, the user name and rules of ACL SETUSER, MIGRATE's AUTH password and
 * AUTH2 user name and password (Redis's redactClientCommandArgument).
 */
export function redactedRange(name: string, argv: readonly string[]): [number, number] {
  if (name === "auth") return [1, argv.length];
  if (name === "acl") return argv[1]?.toLowerCase() === "setuser" ? [2, argv.length] : [0, 0];
  if (name === "migrate") return migrateSecrets(argv);
  if (name !== "hello") return [0, 0];
  for (let i = 2; i < argv.length; i++) {
    if (argv[i].toLowerCase() === "auth") return [i + 1, i + 3];
  }
  return [0, 0];
}

/**
 * MIGRATE's secrets, found as its option parser finds them (up to KEYS). With both AUTH and AUTH2
 * the range spans from the first secret to the last (the option word between them is hidden too).
 */
function migrateSecrets(argv: readonly string[]): [number, number] {
  let from = 0;
  let to = 0;
  for (const option of migrateOptions(argv).options) {
    if ((option.name !== "auth" && option.name !== "auth2") || !complete(option, argv.length)) {
      continue;
    }
    if (to === 0) from = option.at + 1;
    to = option.at + 1 + option.args;
  }
  return [from, to];
}

/** Redis's sdscatrepr: a double-quoted string with C escapes and \xHH for other bytes. */
export function quoted(value: string): string {
  let out = '"';
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    switch (c) {
      case 0x5c:
        out += "\\\\";
        break;
      case 0x22:
        out += '\\"';
        break;
      case 0x0a:
        out += "\\n";
        break;
      case 0x0d:
        out += "\\r";
        break;
      case 0x09:
        out += "\\t";
        break;
      case 0x07:
        out += "\\a";
        break;
      case 0x08:
        out += "\\b";
        break;
      default:
        out += c >= 0x20 && c <= 0x7e ? value[i] : `\\x${(c & 0xff).toString(16).padStart(2, "0")}`;
    }
  }
  return out + '"';
}

/** MONITOR: from now on this connection receives every command run on the server. */
function monitor(ctx: ServerContext, client: Client): Reply {
  ctx.monitors.add(client);
  return simple("OK");
}

export const MONITOR_COMMANDS: ServerCommand[] = [{
  name: "monitor",
  arity: 1,
  flags: ["admin", "noscript", "loading", "stale"],
  firstKey: 0,
  lastKey: 0,
  step: 0,
  group: "server",
  handler: monitor,
}];
