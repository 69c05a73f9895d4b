/**
 * The dispatch table: the store's command specs (run on the executor) merged with the server's
 * own commands. Lookups are cached per raw spelling ("GET", "get"), so the hot path does no
 * lower-casing.
 */
import { mayWrite } from "../store/command_table.ts";
import { SUBCOMMAND_INFO } from "./subcommand_info.ts";
import type { CommandEntry, CommandSpecLike, CommandStats, Handler } from "./types.ts";

const SPELLING_CACHE_MAX = 4096;
const NO_AUTH = new Set(["auth", "hello", "quit", "reset"]);
const PUBSUB_OK = new Set([
  "subscribe",
  "unsubscribe",
  "psubscribe",
  "punsubscribe",
  "ssubscribe",
  "sunsubscribe",
  "ping",
  "quit",
  "reset",
]);
const MULTI_CONTROL = new Set(["exec", "discard", "multi", "watch", "quit", "reset"]);

export interface ServerCommand extends CommandSpecLike {
  readonly handler: Handler;
}

/**
 * A maker of keyless server commands of one group; flags as an array or as Redis's docs write
 * them, space-separated.
 */
export function keylessCommands(group: string) {
  return (
    name: string,
    arity: number,
    flags: string | readonly string[],
    handler: Handler,
  ): ServerCommand => ({
    name,
    arity,
    flags: typeof flags === "string" ? flags.split(" ").filter((f) => f !== "") : [...flags],
    firstKey: 0,
    lastKey: 0,
    step: 0,
    group,
    handler,
  });
}

export class CommandTable {
  readonly #byName = new Map<string, CommandEntry>();
  readonly #bySpelling = new Map<string, CommandEntry>();
  #lastRaw = "";
  #lastEntry: CommandEntry | undefined = undefined;

  /**
   * `storeSpecs` run on the executor; `serverCommands` override same-named specs. `subcommands`
   * are the full names (`config|get`) of the container subcommands that count on their own.
   */
  constructor(
    storeSpecs: Iterable<CommandSpecLike>,
    serverCommands: Iterable<ServerCommand>,
    subcommands: Iterable<string> = [],
  ) {
    const byContainer = new Map<string, Map<string, CommandStats>>();
    for (const full of subcommands) {
      const bar = full.indexOf("|");
      const container = full.slice(0, bar).toLowerCase();
      let subs = byContainer.get(container);
      if (subs === undefined) byContainer.set(container, subs = new Map());
      subs.set(full.slice(bar + 1).toLowerCase(), newStats(full.toLowerCase()));
    }
    for (const spec of storeSpecs) this.#add(spec, null, byContainer);
    for (const cmd of serverCommands) this.#add(cmd, cmd.handler, byContainer);
  }

  #add(
    spec: CommandSpecLike,
    handler: Handler | null,
    byContainer: ReadonlyMap<string, Map<string, CommandStats>>,
  ): void {
    const name = spec.name.toLowerCase();
    this.#byName.set(name, {
      name,
      arity: spec.arity,
      flags: spec.flags,
      firstKey: spec.firstKey,
      lastKey: spec.lastKey,
      step: spec.step,
      group: spec.group,
      since: spec.since,
      write: mayWrite(spec), // a reply waits for durability (EVAL too: it may write)
      noAuth: NO_AUTH.has(name) || spec.flags.includes("no-auth"),
      pubsubOk: PUBSUB_OK.has(name),
      multiControl: MULTI_CONTROL.has(name),
      noMulti: spec.flags.includes("no-multi"),
      handler,
      subcommands: byContainer.get(name) ?? null,
      calls: 0,
      durationUs: 0,
      failedCalls: 0,
      rejectedCalls: 0,
      latencyHistogram: null,
    });
  }

  lookup(raw: string): CommandEntry | undefined {
    // Pipelines repeat one command; comparing a short string beats hashing a fresh one.
    if (raw === this.#lastRaw) return this.#lastEntry;
    const hit = this.#bySpelling.get(raw);
    if (hit !== undefined) {
      this.#lastRaw = raw;
      this.#lastEntry = hit;
    }
    if (hit !== undefined) return hit;
    if (raw.length > 64) return undefined;
    const entry = this.#byName.get(raw.toLowerCase());
    if (entry !== undefined && this.#bySpelling.size < SPELLING_CACHE_MAX) {
      this.#bySpelling.set(raw, entry);
    }
    return entry;
  }

  get(name: string): CommandEntry | undefined {
    return this.#byName.get(name.toLowerCase());
  }

  /** The counters of `get` or of a subcommand by its full name (`config|get`). */
  stats(name: string): CommandStats | undefined {
    const lower = name.toLowerCase();
    const bar = lower.indexOf("|");
    if (bar < 0) return this.#byName.get(lower);
    return this.#byName.get(lower.slice(0, bar))?.subcommands?.get(lower.slice(bar + 1));
  }

  /** Every command's counters, each container followed by its subcommands'. */
  *allStats(): IterableIterator<CommandStats> {
    for (const e of this.#byName.values()) {
      yield e;
      if (e.subcommands !== null) yield* e.subcommands.values();
    }
  }

  get size(): number {
    return this.#byName.size;
  }

  entries(): IterableIterator<CommandEntry> {
    return this.#byName.values();
  }

  resetStats(): void {
    for (const e of this.allStats()) {
      e.calls = 0;
      e.durationUs = 0;
      e.failedCalls = 0;
      e.rejectedCalls = 0;
      e.latencyHistogram = null;
    }
  }
}

function newStats(name: string): CommandStats {
  return {
    name,
    calls: 0,
    durationUs: 0,
    failedCalls: 0,
    rejectedCalls: 0,
    latencyHistogram: null,
  };
}

/**
 * The flags of the command `argv` names: a container's known subcommand's own (Redis 7.0.15's,
 * subcommand_info.ts: FUNCTION LOAD is write / denyoom, FUNCTION LIST is not), else the entry's.
 */
export function flagsOf(entry: CommandEntry, argv: readonly string[]): readonly string[] {
  if (entry.subcommands !== null && argv.length > 1) {
    const info = SUBCOMMAND_INFO[`${entry.name}|${argv[1].toLowerCase()}`];
    if (info !== undefined) return info.flags;
  }
  return entry.flags;
}

/**
 * Whose counters a call counts in: a container's known subcommand (CONFIG GET counts as
 * `config|get`), else the command itself (a container called without a subcommand).
 */
export function statsOf(entry: CommandEntry, argv: readonly string[]): CommandStats {
  if (entry.subcommands === null || argv.length < 2) return entry;
  return entry.subcommands.get(argv[1].toLowerCase()) ?? entry;
}

/** Normalizes the store's `commands` (a Map, a record or an array of specs) to a list. */
export function specsOf(commands: unknown): CommandSpecLike[] {
  if (commands === undefined || commands === null) return [];
  if (commands instanceof Map) return [...commands.values()] as CommandSpecLike[];
  if (Array.isArray(commands)) return commands as CommandSpecLike[];
  return Object.values(commands as Record<string, CommandSpecLike>);
}
