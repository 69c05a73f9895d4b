/** CONFIG GET / SET / RESETSTAT / REWRITE over the settings that exist. */
import { globMatch } from "../store/glob.ts";
import { bulk, error, type Reply, simple } from "../store/reply.ts";
import type { Client } from "./client.ts";
import { TIMING_SETTINGS } from "./command_timing.ts";
import { RUNTIME_PARAMS } from "./config_params.ts";
import { REDIS_ONLY_PARAMS } from "./config_redis_params.ts";
import type { ServerContext } from "./context.ts";
import { INVALID_EVENT_CLASS, parseKeyspaceEvents } from "../store/notify.ts";
import { helpReply } from "./subcommands.ts";
import type { ServerCommand } from "./table.ts";
import type { SaveRuleLike } from "./types.ts";

export interface Param {
  get(ctx: ServerContext): string;
  /**
   * Validates a value without applying it (every value of a CONFIG SET is checked before any is
   * applied, as Redis does); returns an error text, or null.
   */
  check?(ctx: ServerContext, value: string): string | null;
  /** Applies a value; returns an error text, or null. Missing: immutable. */
  set?(ctx: ServerContext, value: string): string | null;
  /** Answered when asked by name, left out of pattern matches (Redis's HIDDEN_CONFIG). */
  readonly hidden?: true;
}

const yesNo = (v: boolean) => (v ? "yes" : "no");

function parseYesNo(value: string): boolean | null {
  const v = value.toLowerCase();
  return v === "yes" ? true : v === "no" ? false : null;
}

const fixed = (value: string): Param => ({ get: () => value });

const PARAMS: Record<string, Param> = {
  requirepass: {
    get: (ctx) => ctx.settings.requirepass,
    set: (ctx, v) => {
      ctx.settings.requirepass = v;
      ctx.users.setRequirepass(v); // as Redis: `default` gets resetpass, then >v or nopass
      return null;
    },
  },
  "protected-mode": {
    get: (ctx) => yesNo(ctx.settings.protectedMode),
    check: (_ctx, v) => parseYesNo(v) === null ? "argument must be 'yes' or 'no'" : null,
    set: (ctx, v) => {
      ctx.settings.protectedMode = parseYesNo(v)!;
      return null;
    },
  },
  maxclients: {
    get: (ctx) => String(ctx.settings.maxclients),
    check: (_ctx, v) => {
      // Redis's string2ll, then the unsigned int's range.
      const n = /^(-?[1-9]\d{0,18}|0)$/.test(v) ? BigInt(v) : null;
      if (n === null || n > LLONG_MAX || n < -LLONG_MAX - 1n) {
        return "argument couldn't be parsed into an integer";
      }
      return n < 1n || n > UINT_MAX ? `argument must be between 1 and ${UINT_MAX} inclusive` : null;
    },
    set: (ctx, v) => {
      // Redis's updateMaxclients: every client needs a descriptor, and 32 stay in reserve.
      const files = openFilesLimit();
      const n = Number(v);
      if (files !== null && n + RESERVED_FDS > files) {
        return "The operating system is not able to handle the specified number of clients, " +
          `try with ${files - RESERVED_FDS}`;
      }
      ctx.settings.maxclients = n;
      return null;
    },
  },
  timeout: {
    get: (ctx) => String(ctx.idleTimeout.seconds),
    check: (_ctx, v) => nonNegativeIntError(v),
    set: (ctx, v) => {
      ctx.idleTimeout.seconds = Number(v);
      return null;
    },
  },
  databases: { get: (ctx) => String(ctx.databases) },
  aclfile: { get: (ctx) => ctx.users.file ?? "" },
  // Redis's server cron frequency; here how often active expiry runs (a Raft node expires on the
  // leader's ticks). Redis takes 0..INT_MAX and holds it to 1..500, as here.
  hz: {
    get: (ctx) => String(ctx.persistence.hz?.() ?? 10),
    check: (ctx, v) => {
      if (ctx.persistence.setHz === undefined) {
        return "not available here: a Raft node expires keys on the leader's ticks";
      }
      return nonNegativeIntError(v);
    },
    set: (ctx, v) => {
      ctx.persistence.setHz!(Math.min(500, Math.max(1, Number(v))));
      return null;
    },
  },
  // Not a replica of a Redis primary (Redis too takes these only from its config file).
  replicaof: fixed(""),
  slaveof: fixed(""),
  save: {
    get: (ctx) => formatSaveRules(ctx.persistence.saveRules?.() ?? []),
    check: (ctx, v) => {
      if (ctx.persistence.setSaveRules === undefined) {
        return "not available here: snapshots are taken by Raft (raft.snapshot_threshold)";
      }
      return typeof parseSaveRules(v) === "string" ? "Invalid save parameters" : null;
    },
    set: (ctx, v) => {
      ctx.persistence.setSaveRules!(parseSaveRules(v) as SaveRuleLike[]);
      return null;
    },
  },

  "notify-keyspace-events": {
    get: (ctx) => ctx.keyspaceEvents.text,
    check: (_ctx, v) => parseKeyspaceEvents(v) === null ? INVALID_EVENT_CLASS : null,
    set: (ctx, v) => ctx.keyspaceEvents.configure(v),
  },

  "cluster-enabled": fixed("no"),
  daemonize: fixed("no"), // atlasd stays in the foreground (a supervisor runs it)

  ...TIMING_SETTINGS,
  ...RUNTIME_PARAMS,
  ...REDIS_ONLY_PARAMS,
};

const UINT_MAX = 2n ** 32n - 1n;
const LLONG_MAX = 2n ** 63n - 1n;
/** Descriptors Redis keeps for itself beyond maxclients (CONFIG_MIN_RESERVED_FDS). */
const RESERVED_FDS = 32;

/**
 * The process's open-files limit (RLIMIT_NOFILE, soft), from /proc/self/limits; null where that
 * cannot be read (not Linux): then no bound is checked.
 */
function openFilesLimit(): number | null {
  try {
    const line = Deno.readTextFileSync("/proc/self/limits").split("\n")
      .find((l) => l.startsWith("Max open files"));
    const soft = line?.slice("Max open files".length).trim().split(/\s+/)[0];
    return soft === undefined || soft === "unlimited" ? null : Number(soft);
  } catch {
    return null;
  }
}

/** Redis's errors for an int config outside 0..INT_MAX (timeout, hz), or null. */
function nonNegativeIntError(v: string): string | null {
  if (!/^(-?[1-9]\d{0,18}|0)$/.test(v)) return "argument couldn't be parsed into an integer";
  const n = Number(v);
  return n < 0 || n > 2 ** 31 - 1 ? "argument must be between 0 and 2147483647 inclusive" : null;
}

/**
 * Redis's `save` text, "<seconds> <changes> ..." split on single spaces as Redis splits it ("" =
 * no rules; an empty word reads as 0, so "10 " is `10 0` and "  " is invalid); an error text if
 * invalid. Values past what the engine keeps exactly are refused (Redis would saturate them).
 */
function parseSaveRules(text: string): SaveRuleLike[] | string {
  const words = text === "" ? [] : text.split(" ");
  if (words.length % 2 !== 0) return "odd";
  const rules: SaveRuleLike[] = [];
  for (let i = 0; i < words.length; i += 2) {
    const seconds = words[i] === "" ? 0 : Number(words[i]);
    const changes = words[i + 1] === "" ? 0 : Number(words[i + 1]);
    if (!/^([+-]?\d+)?$/.test(words[i]) || !/^([+-]?\d+)?$/.test(words[i + 1])) return "number";
    if (seconds < 1 || seconds > 1e12 || changes < 0 || changes > 2 ** 31 - 1) return "range";
    rules.push({ afterMs: seconds * 1000, changes });
  }
  return rules;
}

/** As Redis shows them: whole seconds (an engine rule of 1500 ms shows as 2). */
function formatSaveRules(rules: readonly SaveRuleLike[]): string {
  return rules.map((r) => `${Math.ceil(r.afterMs / 1000)} ${r.changes}`).join(" ");
}

function configGet(ctx: ServerContext, client: Client, argv: string[]): Reply {
  if (argv.length < 3) return error("ERR wrong number of arguments for 'config|get' command");
  // Lower-case name -> [name as shown, value]. Like Redis, a name without glob characters is
  // looked up directly and shown as it was asked (CONFIG GET MAXCLIENTS answers "MAXCLIENTS");
  // a pattern shows the names it matched.
  const seen = new Map<string, [string, string]>();
  for (let i = 2; i < argv.length; i++) {
    const pattern = argv[i].toLowerCase();
    if (!/[[*?]/.test(pattern)) {
      if (!seen.has(pattern) && Object.hasOwn(PARAMS, pattern)) {
        seen.set(pattern, [argv[i], PARAMS[pattern].get(ctx)]);
      }
      continue;
    }
    for (const [name, p] of Object.entries(PARAMS)) {
      if (p.hidden || seen.has(name) || !globMatch(pattern, name)) continue;
      seen.set(name, [name, p.get(ctx)]);
    }
  }
  const pairs = [...seen.values()].map(([k, v]) => [bulk(k), bulk(v)] as const);
  if (client.proto === 3) return { kind: "map", value: pairs };
  return { kind: "array", value: pairs.flat() };
}

function configSet(ctx: ServerContext, argv: string[]): Reply {
  if (argv.length < 4 || argv.length % 2 !== 0) {
    return error("ERR wrong number of arguments for 'config|set' command");
  }
  const failedOn = (arg: string, why: string) =>
    error(`ERR CONFIG SET failed (possibly related to argument '${arg}') - ${why}`);
  // Like Redis: an unknown name anywhere wins; then immutable / duplicate (a name given twice;
  // an alias and its name may both be given: the last wins), then each value's check, and only
  // then does anything change.
  for (let i = 2; i < argv.length; i += 2) {
    if (!Object.hasOwn(PARAMS, argv[i].toLowerCase())) {
      return error(`ERR Unknown option or number of arguments for CONFIG SET - '${argv[i]}'`);
    }
  }
  const seen = new Set<string>();
  for (let i = 2; i < argv.length; i += 2) {
    const name = argv[i].toLowerCase();
    if (PARAMS[name].set === undefined) return failedOn(argv[i], "can't set immutable config");
    if (seen.has(name)) return failedOn(argv[i], "duplicate parameter");
    seen.add(name);
  }
  for (let i = 2; i < argv.length; i += 2) {
    const bad = PARAMS[argv[i].toLowerCase()].check?.(ctx, argv[i + 1]) ?? null;
    if (bad !== null) return failedOn(argv[i], bad);
  }
  // A value that fails to apply (maxclients past the open-files limit) undoes the ones applied
  // before it, as Redis restores its backup: a CONFIG SET changes everything or nothing.
  const applied: [Param, string][] = [];
  for (let i = 2; i < argv.length; i += 2) {
    const param = PARAMS[argv[i].toLowerCase()];
    const before = param.get(ctx);
    const failed = param.set!(ctx, argv[i + 1]);
    if (failed !== null) {
      for (const [done, value] of applied.reverse()) done.set!(ctx, value);
      return failedOn(argv[i], failed);
    }
    applied.push([param, before]);
  }
  return simple("OK");
}

const CONFIG_HELP = [
  "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "GET <pattern> [<pattern> ...]",
  "    Each parameter whose name one of the glob patterns matches, paired with its value.",
  "SET <parameter> <value> [<parameter> <value> ...]",
  "    Change parameters at run time; every value is checked before any is applied.",
  "RESETSTAT",
  "    Zero the counters INFO shows: per-command and per-error statistics, connections,",
  "    network bytes, published messages, keyspace hits, misses, expired and evicted keys.",
  "REWRITE",
  "    Not available: atlasd takes its configuration from flags and its YAML file.",
  "HELP",
  "    Prints this help.",
];

function config(ctx: ServerContext, client: Client, argv: string[]): Reply {
  const sub = argv[1].toLowerCase();
  switch (sub) {
    case "get":
      return configGet(ctx, client, argv);
    case "set":
      return configSet(ctx, argv);
    case "resetstat":
      ctx.table.resetStats();
      ctx.stats.rejectedConnections = 0;
      ctx.stats.totalConnections = 0;
      ctx.stats.netInputBytes = 0;
      ctx.stats.netOutputBytes = 0;
      ctx.stats.pubsubMessages = 0;
      ctx.stats.errorReplies = 0;
      ctx.stats.reads = 0;
      ctx.stats.writes = 0;
      ctx.stats.syncFull = 0;
      ctx.stats.syncPartialErr = 0;
      ctx.stats.evictedClients = 0;
      ctx.stats.errors.clear();
      ctx.sampler.reset();
      ctx.store?.resetStats?.();
      return simple("OK");
    case "rewrite":
      return error("ERR The server is running without a config file");
    case "help":
      return argv.length === 2
        ? helpReply(CONFIG_HELP)
        : error("ERR wrong number of arguments for 'config|help' command");
    default:
      return error(`ERR unknown subcommand '${argv[1].slice(0, 128)}'. Try CONFIG HELP.`);
  }
}

export const CONFIG_COMMANDS: ServerCommand[] = [{
  name: "config",
  arity: -2,
  flags: ["admin", "noscript", "loading", "stale"],
  firstKey: 0,
  lastKey: 0,
  step: 0,
  group: "server",
  handler: config,
}];
