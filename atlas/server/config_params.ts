/**
 * The CONFIG parameters that change the store and the engine at run time: maxmemory,
 * maxmemory-policy (and Redis's other maxmemory-* knobs, for CONFIG GET/SET parity),
 * appendfsync, the OBJECT ENCODING thresholds (hash-max-listpack-entries and the like, with
 * their *-ziplist-* aliases) and the layout of stored values (stream-node-max-bytes / -entries,
 * hll-sparse-max-bytes).
 * Values are parsed the way Redis 7.0 parses them and bad ones answer Redis's error texts. In a
 * Raft cluster the settings that every replica must share are refused (see docs/atlasd.md,
 * CONFIG).
 */
import { aclLogMaxLen, setAclLogMaxLen } from "./acl_commands.ts";
import type { EncodingLimits } from "../store/keyspace.ts";
import { type ClientsMemoryLimit, evictClients } from "./client_memory.ts";
import type { Param } from "./config.ts";
import type { ServerContext } from "./context.ts";
import { error } from "../store/reply.ts";

export const LONG_MAX = (1n << 63n) - 1n;
export const ULLONG_MAX = (1n << 64n) - 1n;
const INT_MIN = -(1n << 31n);
export const INT_MAX = (1n << 31n) - 1n;

const MEMORY_UNITS: Record<string, bigint> = {
  "": 1n,
  b: 1n,
  k: 1000n,
  kb: 1024n,
  m: 1000n * 1000n,
  mb: 1024n * 1024n,
  g: 1000n * 1000n * 1000n,
  gb: 1024n * 1024n * 1024n,
};

/**
 * Redis's memtoull: digits (maybe none: 0) then an optional unit b, k, kb, m, mb, g, gb in any
 * case. Like Redis, a number past 2^64-1 saturates and the unit's product wraps modulo 2^64.
 * null: "argument must be a memory value".
 */
export function parseMemory(value: string): bigint | null {
  const m = /^(\d*)([a-zA-Z]*)$/.exec(value);
  if (m === null || m[1].length >= 128) return null;
  const mul = MEMORY_UNITS[m[2].toLowerCase()];
  if (mul === undefined) return null;
  let n = m[1] === "" ? 0n : BigInt(m[1]);
  if (n > ULLONG_MAX) n = ULLONG_MAX;
  return (n * mul) & ULLONG_MAX;
}

/** Redis's string2ll: an optional '-', no leading zeros or '+', within 64 bits. */
export function parseInteger(value: string): bigint | null {
  if (!/^(-?[1-9]\d*|0)$/.test(value) || value.length > 20) return null;
  const n = BigInt(value);
  return n < -(1n << 63n) || n > LONG_MAX ? null : n;
}

export const ERR_INTEGER = "argument couldn't be parsed into an integer";
export const ERR_MEMORY = "argument must be a memory value";
export const range = (lo: bigint, hi: bigint) =>
  `argument must be between ${lo} and ${hi} inclusive`;

/**
 * Parameters Redis keeps as 64-bit integers hold here as JS numbers; the text last set is kept
 * per server so CONFIG GET answers exactly what was set (9223372036854775807, not ...808).
 */
const exactTexts = new WeakMap<ServerContext, Map<string, { value: number; text: string }>>();

/** Keeps `exact` as the text of `name` while its stored value is `value`; returns `value`. */
function remember(ctx: ServerContext, name: string, value: number, exact: bigint): number {
  let texts = exactTexts.get(ctx);
  if (texts === undefined) exactTexts.set(ctx, texts = new Map());
  texts.set(name, { value, text: String(exact) });
  return value;
}

function exactText(ctx: ServerContext, name: string, value: number): string {
  const kept = exactTexts.get(ctx)?.get(name);
  return kept !== undefined && kept.value === value ? kept.text : String(value);
}

// --- maxmemory / maxmemory-policy --------------------------------------------------------------

const REDIS_POLICIES = [
  "volatile-lru",
  "volatile-lfu",
  "volatile-random",
  "volatile-ttl",
  "allkeys-lru",
  "allkeys-lfu",
  "allkeys-random",
  "noeviction",
];
/** The policies whose choice of victim does not depend on a replica's own reads. */
const CLUSTER_SAFE_POLICIES = ["noeviction", "volatile-ttl"];

const inCluster = (ctx: ServerContext) => ctx.replication !== undefined;

const CLUSTER_MAXMEMORY =
  "maxmemory and maxmemory-policy cannot change at run time in a Raft cluster (every replica " +
  "evicts on its own, so they must all use the same limit): set atlas.maxmemory and " +
  "atlas.maxmemory_policy in the config file and restart the nodes";

function maxmemoryBytes(ctx: ServerContext): number {
  return ctx.store?.stats?.maxmemoryBytes ?? 0;
}

function maxmemoryPolicy(ctx: ServerContext): string {
  return ctx.store?.stats?.maxmemoryPolicy ?? "noeviction";
}

/** The store's limit for a parsed value: bytes past 2^53 cannot be reached anyway. */
const storeBytes = (bytes: bigint) =>
  bytes > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(bytes);

const maxmemory: Param = {
  get: (ctx) => exactText(ctx, "maxmemory", maxmemoryBytes(ctx)),
  check(ctx, value) {
    const bytes = parseMemory(value);
    if (bytes === null) return ERR_MEMORY;
    if (ctx.store?.setMaxmemory === undefined) return "can't set immutable config";
    if (inCluster(ctx) && storeBytes(bytes) !== maxmemoryBytes(ctx)) return CLUSTER_MAXMEMORY;
    return null;
  },
  set(ctx, value) {
    const bytes = parseMemory(value) as bigint;
    const stored = remember(ctx, "maxmemory", storeBytes(bytes), bytes);
    ctx.store!.setMaxmemory!(stored, maxmemoryPolicy(ctx), Date.now());
    ctx.persistence.evictToMaxmemory?.();
    return null;
  },
};

const maxmemoryPolicyParam: Param = {
  get: maxmemoryPolicy,
  check(ctx, value) {
    const policy = value.toLowerCase();
    if (!REDIS_POLICIES.includes(policy)) {
      return `argument(s) must be one of the following: ${REDIS_POLICIES.join(", ")}`;
    }
    if (ctx.store?.setMaxmemory === undefined) return "can't set immutable config";
    if (inCluster(ctx) && policy !== maxmemoryPolicy(ctx)) {
      if (!CLUSTER_SAFE_POLICIES.includes(policy)) {
        return `maxmemory-policy ${policy} is not deterministic across Raft replicas; a ` +
          `cluster supports ${CLUSTER_SAFE_POLICIES.join(" and ")}, set as ` +
          `atlas.maxmemory_policy in the config file`;
      }
      return CLUSTER_MAXMEMORY;
    }
    return null;
  },
  set(ctx, value) {
    ctx.store!.setMaxmemory!(maxmemoryBytes(ctx), value.toLowerCase(), Date.now());
    ctx.persistence.evictToMaxmemory?.();
    return null;
  },
};

// --- knobs: maxmemory-samples / -eviction-tenacity, list-compress-depth, repl-backlog-size ------

/** Values of the tuning knobs below, per server (CONFIG GET answers what CONFIG SET set). */
const knobValues = new WeakMap<ServerContext, Map<string, string>>();

/**
 * A tuning knob of Redis's (lo..hi, Redis 7.0.15's bounds and default; an integer, or a memory
 * value answered in bytes) that tunes something ATLAS does otherwise or does not have, so no
 * client sees a difference: the eviction samples (its evictor scans with its own cursor,
 * store/evict.ts), list node compression (it compresses no list), the replication backlog (a
 * standalone atlasd keeps none; INFO's repl_backlog_size shows the setting, as Redis's does
 * before a replica connects). Kept settable so CONFIG GET and CONFIG SET answer as Redis does for
 * tools, config scripts and Redis's own tests that tune them.
 */
function knob(
  name: string,
  kind: "integer" | "memory",
  lo: bigint,
  hi: bigint,
  dflt: string,
): Param {
  const parse = kind === "integer" ? parseInteger : parseMemory;
  return {
    get: (ctx) => knobValues.get(ctx)?.get(name) ?? dflt,
    check(_ctx, value) {
      const n = parse(value);
      if (n === null) return kind === "integer" ? ERR_INTEGER : ERR_MEMORY;
      return n < lo || n > hi ? range(lo, hi) : null;
    },
    set(ctx, value) {
      let values = knobValues.get(ctx);
      if (values === undefined) knobValues.set(ctx, values = new Map());
      values.set(name, String(parse(value)));
      return null;
    },
  };
}

/**
 * port: CONFIG SET moves the listener (same address), as Redis's does; 0 stops listening. Pinned
 * where the server cannot move it (a Raft member, whose peers know its RESP address).
 */
const listenPort: Param = {
  get: (ctx) => String(ctx.port),
  check(ctx, value) {
    const n = parseInteger(value);
    if (n === null) return ERR_INTEGER;
    if (n < 0n || n > 65535n) return range(0n, 65535n);
    return ctx.moveListener === null && Number(n) !== ctx.port
      ? "this server cannot move its listener: restart it with another --listen"
      : null;
  },
  set: (ctx, value) => ctx.moveListener?.(Number(value)) ?? null,
};

/**
 * bind: CONFIG SET moves the listener to another address, same port, as Redis's does; a failed
 * bind answers Redis's "Failed to bind to specified addresses." and changes nothing. atlasd
 * listens on one address: `*` is every IPv4 one (0.0.0.0), `::*` every IPv6 one, Redis's `-`
 * prefix (an optional address) is dropped; a list of several is refused. Protected mode follows
 * the new address. Pinned where the listener cannot move (a Raft member).
 */
const bind: Param = {
  get: (ctx) => ctx.hostname,
  check(ctx, value) {
    const address = bindAddress(value);
    if (address === null) {
      return "atlasd listens on one address: give one (or restart it with --listen)";
    }
    return ctx.moveListener === null && address !== ctx.hostname
      ? "this server cannot move its listener: restart it with another --listen"
      : null;
  },
  set: (ctx, value) => ctx.moveListener?.(ctx.port, bindAddress(value)!) ?? null,
};

/** The one address a bind value names, or null (none, or several). */
function bindAddress(value: string): string | null {
  const words = value.trim().split(/\s+/).filter((word) => word !== "");
  if (words.length !== 1) return null;
  const address = words[0].startsWith("-") ? words[0].slice(1) : words[0];
  if (address === "*") return "0.0.0.0";
  if (address === "::*") return "::";
  return address === "" ? null : address;
}

const replBacklogSize = knob("repl-backlog-size", "memory", 1n, LONG_MAX, String(1024 * 1024));

/** repl-backlog-size as INFO replication shows it. */
export function replBacklogBytes(ctx: ServerContext): string {
  return replBacklogSize.get(ctx);
}

/** client-query-buffer-limit: past it a client's unparsed input closes the client (connection.ts). */
const clientQueryBufferLimit: Param = {
  get: (ctx) => String(ctx.settings.queryBufferBytesMax),
  check(_ctx, value) {
    const n = parseMemory(value);
    if (n === null) return ERR_MEMORY;
    return n < 1024n * 1024n || n > LONG_MAX ? range(1024n * 1024n, LONG_MAX) : null;
  },
  set(ctx, value) {
    // Past 2^53 bytes no buffer can grow anyway.
    ctx.settings.queryBufferBytesMax = storeBytes(parseMemory(value)!);
    return null;
  },
};

/**
 * maxmemory-clients (Redis 7's client eviction: client_memory.ts): 0 (off), a memory value, or
 * N% of maxmemory (up to 100%), with Redis's error texts. Lowering it evicts after this command.
 */
const maxmemoryClients: Param = {
  get(ctx) {
    const limit = ctx.settings.maxmemoryClients;
    return "percent" in limit ? `${limit.percent}%` : String(limit.bytes);
  },
  check(_ctx, value) {
    const parsed = parseClientsLimit(value);
    return typeof parsed === "string" ? parsed : null;
  },
  set(ctx, value) {
    const parsed = parseClientsLimit(value);
    if (typeof parsed === "string") return parsed;
    ctx.settings.maxmemoryClients = parsed;
    queueMicrotask(() => evictClients(ctx)); // once this command is done, as Redis's next one
    return null;
  },
};

/** maxmemory-clients' value (CONFIG SET's syntax): the limit, or Redis's error text. */
export function parseClientsLimit(value: string): ClientsMemoryLimit | string {
  const percent = /^(\d+)%$/.exec(value);
  if (percent !== null) {
    const n = BigInt(percent[1]);
    if (n > 100n) return "percentage argument must be less or equal to 100";
    return n === 0n ? { bytes: 0 } : { percent: Number(n) };
  }
  const bytes = parseMemory(value);
  if (bytes === null) return "argument must be a memory or percent value";
  return { bytes: storeBytes(bytes) };
}

// --- appendfsync -------------------------------------------------------------------------------

const FSYNC_CHOICES = ["everysec", "always", "no"];

const appendfsync: Param = {
  get: (ctx) => ctx.persistence.appendfsync ?? "no",
  check(ctx, value) {
    if (!FSYNC_CHOICES.includes(value.toLowerCase())) {
      return `argument(s) must be one of the following: ${FSYNC_CHOICES.join(", ")}`;
    }
    if (inCluster(ctx)) {
      return "appendfsync does not apply in a Raft cluster: the Raft log is fsynced before " +
        "every commit whatever this setting says";
    }
    if (ctx.persistence.setAppendfsync === undefined) return "can't set immutable config";
    return null;
  },
  set: (ctx, value) => ctx.persistence.setAppendfsync!(value.toLowerCase()),
};

// --- OBJECT ENCODING thresholds ----------------------------------------------------------------

/** The OBJECT ENCODING thresholds (the layout settings below are optional fields). */
type LimitName = Exclude<
  keyof EncodingLimits,
  "streamNodeMaxBytes" | "streamNodeMaxEntries" | "hllSparseMaxBytes"
>;

/** A threshold: "size" (0..LONG_MAX integer), "memory" (0..LONG_MAX memory value), "int" (C int). */
function limit(field: LimitName, kind: "size" | "memory" | "int"): Param {
  return {
    get(ctx) {
      const limits = ctx.store?.encodingLimits;
      return limits === undefined ? "0" : exactText(ctx, field, limits[field]);
    },
    check(ctx, value) {
      const n = kind === "memory" ? parseMemory(value) : parseInteger(value);
      if (n === null) return kind === "memory" ? ERR_MEMORY : ERR_INTEGER;
      if (kind === "int") {
        if (n < INT_MIN || n > INT_MAX) return range(INT_MIN, INT_MAX);
      } else if (n < 0n || n > LONG_MAX) return range(0n, LONG_MAX);
      if (ctx.store?.encodingLimits === undefined) return "can't set immutable config";
      return null;
    },
    set(ctx, value) {
      const n = (kind === "memory" ? parseMemory(value) : parseInteger(value)) as bigint;
      ctx.store!.encodingLimits![field] = remember(ctx, field, Number(n), n);
      return null;
    },
  };
}

/** lfu-log-factor / lfu-decay-time: Redis's ints from 0 to INT_MAX, kept in Store.lfuSettings. */
function lfuParam(field: "logFactor" | "decayTimeMinutes"): Param {
  return {
    get: (ctx) => String(ctx.store?.lfuSettings?.[field] ?? (field === "logFactor" ? 10 : 1)),
    check(ctx, value) {
      const n = parseInteger(value);
      if (n === null) return ERR_INTEGER;
      if (n < 0n || n > INT_MAX) return range(0n, INT_MAX);
      if (ctx.store?.lfuSettings === undefined) return "can't set immutable config";
      return null;
    },
    set(ctx, value) {
      ctx.store!.lfuSettings![field] = Number(value);
      return null;
    },
  };
}

const hashEntries = limit("hashMaxListpackEntries", "size");
const hashValue = limit("hashMaxListpackValue", "memory");
const zsetEntries = limit("zsetMaxListpackEntries", "size");
const zsetValue = limit("zsetMaxListpackValue", "memory");
const listSize = limit("listMaxListpackSize", "int");

// --- layout of stored values: stream nodes, sparse HLLs ----------------------------------------

/**
 * A setting that changes the bytes of stored values, not just how they are reported: where XADD
 * starts a new stream node (stream-node-max-bytes / -entries; entries also set `~` trimming's
 * default LIMIT) and where a sparse HLL turns dense (hll-sparse-max-bytes). 0..LONG_MAX as Redis
 * parses them; refused in a Raft cluster unless unchanged, since every replica must lay out the
 * same values.
 */
function layoutParam(
  name: string,
  field: "streamNodeMaxBytes" | "streamNodeMaxEntries" | "hllSparseMaxBytes",
  dflt: bigint,
  kind: "memory" | "size",
): Param {
  const memory = kind === "memory";
  const current = (ctx: ServerContext) => {
    const v = ctx.store?.encodingLimits?.[field];
    return v === undefined ? dflt : BigInt(v);
  };
  return {
    get: (ctx) => memory ? exactText(ctx, field, Number(current(ctx))) : String(current(ctx)),
    check(ctx, value) {
      const n = memory ? parseMemory(value) : parseInteger(value);
      if (n === null) return memory ? ERR_MEMORY : ERR_INTEGER;
      if (n < 0n || n > LONG_MAX) return range(0n, LONG_MAX);
      if (ctx.store?.encodingLimits === undefined) return "can't set immutable config";
      if (inCluster(ctx) && n !== current(ctx)) {
        return `${name} cannot change in a Raft cluster (every replica must lay out stored ` +
          "values alike): set it the same on every node";
      }
      return null;
    },
    set(ctx, value) {
      const n = (memory ? parseMemory(value) : parseInteger(value)) as bigint;
      const target = ctx.store!.encodingLimits!;
      if (field === "streamNodeMaxEntries") target.streamNodeMaxEntries = n;
      else target[field] = remember(ctx, field, Number(n), n);
      return null;
    },
  };
}

/**
 * A setting ATLAS holds at one value: CONFIG SET to that value is a no-op answered OK (config
 * scripts and Redis's own CONFIG sanity test set every setting to what CONFIG GET showed); any
 * other value is refused with `why`, rather than accepted and ignored.
 */
export function pinned(read: (ctx: ServerContext) => string, why: string): Param {
  return {
    get: read,
    check: (ctx, value) => value === read(ctx) ? null : why,
    set: () => null,
  };
}

/** The longest string V8 holds (2^29 - 24 one-byte characters): no bulk can be longer here. */
const V8_STRING_BYTES_MAX = 536_870_888;

/** proto-max-bulk-len: a memory value from 1 MiB, at most what a V8 string holds. */
const protoMaxBulkLen: Param = {
  get: (ctx) => String(ctx.settings.limits.bulkBytesMax),
  check(_ctx, value) {
    const n = parseMemory(value);
    if (n === null) return ERR_MEMORY;
    if (n < 1024n * 1024n || n > LONG_MAX) return range(1024n * 1024n, LONG_MAX);
    return null;
  },
  set(ctx, value) {
    const n = parseMemory(value)!;
    ctx.settings.limits.bulkBytesMax = n > BigInt(V8_STRING_BYTES_MAX)
      ? V8_STRING_BYTES_MAX
      : Number(n);
    return null;
  },
};

// --- min-replicas-to-write / min-replicas-max-lag --------------------------------------------

/** Redis's refusal of writes while too few replicas are connected and recent. */
export const ERR_NOREPLICAS = error("NOREPLICAS Not enough good replicas to write.");

/** min-replicas-to-write / min-replicas-max-lag as CONFIG SET set them, per server. */
const replicaGates = new WeakMap<ServerContext, { toWrite: number; maxLag: number }>();

/**
 * min-replicas-to-write (min-slaves-to-write) and min-replicas-max-lag (min-slaves-max-lag), 0 to
 * INT_MAX: with both above 0 Redis refuses writes unless that many replicas acknowledged within
 * the lag. atlasd has no replicas (INFO's connected_slaves is 0; a Raft cluster replicates by its
 * own quorum), so then every write is refused with NOREPLICAS, as Redis refuses them with none
 * connected: the store's writeRefusal, checked where Redis checks it (dispatch, EXEC, scripts).
 */
function minReplicasParam(field: "toWrite" | "maxLag"): Param {
  const gateOf = (ctx: ServerContext) => {
    let gate = replicaGates.get(ctx);
    if (gate === undefined) replicaGates.set(ctx, gate = { toWrite: 0, maxLag: 10 });
    return gate;
  };
  return {
    get: (ctx) => String(gateOf(ctx)[field]),
    check(_ctx, value) {
      const n = parseInteger(value);
      if (n === null) return ERR_INTEGER;
      return n < 0n || n > INT_MAX ? range(0n, INT_MAX) : null;
    },
    set(ctx, value) {
      const gate = gateOf(ctx);
      gate[field] = Number(parseInteger(value));
      if (ctx.store) {
        ctx.store.writeRefusal = gate.toWrite > 0 && gate.maxLag > 0 ? ERR_NOREPLICAS : null;
      }
      return null;
    },
  };
}

/** The server's min-replicas figures, for INFO's min_slaves_good_slaves line. */
export function minReplicasGate(ctx: ServerContext): { toWrite: number; maxLag: number } {
  return replicaGates.get(ctx) ?? { toWrite: 0, maxLag: 10 };
}

const minReplicasToWrite = minReplicasParam("toWrite");
const minReplicasMaxLag = minReplicasParam("maxLag");

/**
 * busy-reply-threshold (alias lua-time-limit), 0..LONG_MAX milliseconds: how long a client's
 * script runs before the others are answered BUSY and SCRIPT KILL / FUNCTION KILL can stop it; 0
 * never. A Raft node runs each script to its end on every replica: only its default is taken.
 */
const busyReplyThreshold: Param = {
  get: (ctx) => String(ctx.persistence.busyReplyThreshold?.() ?? 5000),
  check(ctx, value) {
    const n = parseInteger(value);
    if (n === null) return ERR_INTEGER;
    if (n < 0n || n > LONG_MAX) return range(0n, LONG_MAX);
    if (ctx.persistence.setBusyReplyThreshold === undefined && n !== 5000n) {
      return "scripts run to their end on every replica of a Raft cluster (no BUSY state): " +
        "only the default is accepted";
    }
    return null;
  },
  set(ctx, value) {
    const n = parseInteger(value) as bigint;
    // Past 2^53 ms (285,000 years) is as good as never.
    ctx.persistence.setBusyReplyThreshold?.(
      Number(n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : n),
    );
    return null;
  },
};

/**
 * auto-aof-rewrite-percentage (0..INT_MAX; 0: never) and auto-aof-rewrite-min-size (a memory
 * value, 0..LONG_MAX): a snapshot, which compacts the AOF, once the AOF has grown past both the
 * size and that percentage of the last snapshot's size. A Raft node compacts its log by
 * raft.snapshot_threshold instead: only the defaults are accepted there.
 */
function aofRewriteParam(field: "percentage" | "minBytes"): Param {
  const isPercentage = field === "percentage";
  const fallback = isPercentage ? 100n : 64n * 1024n * 1024n;
  const parse = isPercentage ? parseInteger : parseMemory;
  return {
    get: (ctx) => String(ctx.persistence.aofRewrite?.()[field] ?? fallback),
    check(ctx, value) {
      const n = parse(value);
      if (n === null) return isPercentage ? ERR_INTEGER : ERR_MEMORY;
      const max = isPercentage ? INT_MAX : LONG_MAX;
      if (n < 0n || n > max) return range(0n, max);
      if (ctx.persistence.setAofRewrite === undefined && n !== fallback) {
        return "a Raft node compacts its log by raft.snapshot_threshold: only the default is " +
          "accepted";
      }
      return null;
    },
    set(ctx, value) {
      const n = parse(value) as bigint;
      // Past 2^53 bytes (8 PiB) is as good as never.
      const bounded = Number(n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : n);
      ctx.persistence.setAofRewrite?.({ [field]: bounded });
      return null;
    },
  };
}

/** Spread into config.ts's table; an alias shares its name's Param. */
export const RUNTIME_PARAMS: Record<string, Param> = {
  maxmemory,
  "maxmemory-policy": maxmemoryPolicyParam,
  "maxmemory-samples": knob("maxmemory-samples", "integer", 1n, INT_MAX, "5"),
  "acl-pubsub-default": {
    get: (ctx) => ctx.users.allChannelsByDefault ? "allchannels" : "resetchannels",
    check(_ctx, value) {
      return ["allchannels", "resetchannels"].includes(value.toLowerCase())
        ? null
        : "argument(s) must be one of the following: allchannels, resetchannels";
    },
    set(ctx, value) {
      ctx.users.allChannelsByDefault = value.toLowerCase() === "allchannels";
      return null;
    },
  },
  "acllog-max-len": {
    get: (ctx) => String(aclLogMaxLen(ctx)),
    check(_ctx, value) {
      const n = parseInteger(value);
      if (n === null) return ERR_INTEGER;
      return n < 0n || n > LONG_MAX ? range(0n, LONG_MAX) : null;
    },
    set(ctx, value) {
      setAclLogMaxLen(ctx, Number(parseInteger(value)));
      return null;
    },
  },
  "maxmemory-eviction-tenacity": knob("maxmemory-eviction-tenacity", "integer", 0n, 100n, "10"),
  "maxmemory-clients": maxmemoryClients,
  "lfu-log-factor": lfuParam("logFactor"),
  "lfu-decay-time": lfuParam("decayTimeMinutes"),
  appendfsync,
  "auto-aof-rewrite-percentage": aofRewriteParam("percentage"),
  "auto-aof-rewrite-min-size": aofRewriteParam("minBytes"),
  "hash-max-listpack-entries": hashEntries,
  "hash-max-ziplist-entries": hashEntries,
  "hash-max-listpack-value": hashValue,
  "hash-max-ziplist-value": hashValue,
  "set-max-intset-entries": limit("setMaxIntsetEntries", "size"),
  "zset-max-listpack-entries": zsetEntries,
  "zset-max-ziplist-entries": zsetEntries,
  "zset-max-listpack-value": zsetValue,
  "zset-max-ziplist-value": zsetValue,
  "list-max-listpack-size": listSize,
  "list-max-ziplist-size": listSize,
  "list-compress-depth": knob("list-compress-depth", "integer", 0n, INT_MAX, "0"),
  "proto-max-bulk-len": protoMaxBulkLen,
  "client-query-buffer-limit": clientQueryBufferLimit,
  "repl-backlog-size": replBacklogSize,
  "tracking-table-max-keys": {
    get: (ctx) => String(ctx.tracking.maxKeys),
    check(_ctx, value) {
      const n = parseInteger(value);
      if (n === null) return ERR_INTEGER;
      return n < 0n || n > LONG_MAX ? range(0n, LONG_MAX) : null;
    },
    set(ctx, value) {
      ctx.tracking.maxKeys = Number(parseInteger(value));
      ctx.tracking.limitKeys();
      return null;
    },
  },
  "min-replicas-to-write": minReplicasToWrite,
  "min-slaves-to-write": minReplicasToWrite,
  "min-replicas-max-lag": minReplicasMaxLag,
  "min-slaves-max-lag": minReplicasMaxLag,
  "lua-time-limit": busyReplyThreshold,
  "busy-reply-threshold": busyReplyThreshold,
  appendonly: pinned(
    (ctx) => ctx.persistence.appendonly ?? "no",
    "ATLAS keeps its append-only log always (there is no RDB-only mode)",
  ),
  port: listenPort,
  bind,
  dir: pinned(
    (ctx) => ctx.persistence.dir ?? "",
    "the data directory is fixed at start (--data-dir)",
  ),
  "client-output-buffer-limit": {
    get: (ctx) => ctx.settings.outputLimits.format(),
    check: (ctx, value) => ctx.settings.outputLimits.check(value),
    set: (ctx, value) => ctx.settings.outputLimits.set(value),
  },
  "stream-node-max-bytes": layoutParam(
    "stream-node-max-bytes",
    "streamNodeMaxBytes",
    4096n,
    "memory",
  ),
  "stream-node-max-entries": layoutParam(
    "stream-node-max-entries",
    "streamNodeMaxEntries",
    100n,
    "size",
  ),
  "hll-sparse-max-bytes": layoutParam("hll-sparse-max-bytes", "hllSparseMaxBytes", 3000n, "memory"),
};
