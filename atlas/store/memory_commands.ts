/**
 * MEMORY USAGE / STATS / DOCTOR / MALLOC-STATS / PURGE / HELP (Redis 7.0's reply shapes; the
 * DOCTOR and HELP texts are ATLAS's own).
 *
 * USAGE reports the store's own estimate (docs/atlas_store.md, "Memory model"): the same terms
 * the keyspace adds to `usedBytes` for the key, so over all keys with `SAMPLES 0` it sums to
 * `stats.usedMemoryBytes`. Like Redis, a collection larger than `count` (default 5) is estimated
 * from its first `count` elements. Like Redis (dictFind), USAGE neither expires the key nor
 * touches its LRU position, and nothing here is ever logged.
 *
 * STATS, DOCTOR and MALLOC-STATS read the process's memory through StoreOptions.processMemory
 * (the engine passes Deno.memoryUsage; the store itself does no I/O). That makes their replies
 * nondeterministic, which is fine for read-only introspection: they never change state or
 * produce a log, so replay stays exact.
 */
import { type BuiltinCommand, command } from "./command_table.ts";
import { ERR_NOT_INTEGER, ERR_SYNTAX, sanitize, wrongArity } from "./errors.ts";
import { hashEntryBytes, HashValue } from "./hash_value.ts";
import {
  COLLECTION_OVERHEAD_BYTES,
  EXPIRE_OVERHEAD_BYTES,
  type Keyspace,
  type ProcessMemory,
  type Value,
} from "./keyspace.ts";
import { listElementBytes, ListValue } from "./list_value.ts";
import { array, bulk, error, integer, NIL, OK, type Reply, simple, verbatimText } from "./reply.ts";
import { setMemberBytes, SetValue } from "./set_value.ts";
import { ID_MAX, ID_MIN } from "./stream_id.ts";
import { streamEntryBytes, StreamValue } from "./stream_value.ts";
import { lower, parseIntArg } from "./util.ts";
import { zsetMemberBytes, type ZSetValue } from "./zset_value.ts";

/** Redis's OBJ_COMPUTE_SIZE_DEF_SAMPLES. */
export const MEMORY_USAGE_DEFAULT_SAMPLES = 5;

const NO_PROCESS_MEMORY: ProcessMemory = { rss: 0, heapTotal: 0, heapUsed: 0, external: 0 };

interface MemorySample {
  readonly mem: ProcessMemory;
  /** heapUsed + external, as INFO's allocator_allocated. */
  readonly total: number;
  readonly peak: number;
}

function sample(ks: Keyspace): MemorySample {
  const mem = ks.processMemory?.() ?? NO_PROCESS_MEMORY;
  const total = mem.heapUsed + mem.external;
  if (total > ks.peakAllocatedBytes) ks.peakAllocatedBytes = total;
  return { mem, total, peak: ks.peakAllocatedBytes };
}

/**
 * The estimate of a collection's elements: exact (`bytes`) when `samples` covers it, else the
 * mean of its first `samples` elements times its size (Redis's objectComputeSize, truncated).
 */
function sampledElementBytes(value: Exclude<Value, string>, samples: number): number {
  const size = value instanceof ListValue ? value.length : value.size;
  if (samples >= size) return value.bytes;
  let sum = 0;
  let n = 0;
  if (value instanceof ListValue) {
    for (; n < samples; n++) sum += listElementBytes(value.get(n));
  } else if (value instanceof HashValue) {
    for (const [f, v] of value.map) {
      if (n === samples) break;
      sum += hashEntryBytes(f, v);
      n++;
    }
  } else if (value instanceof SetValue) {
    for (const m of value.set) {
      if (n === samples) break;
      sum += setMemberBytes(m);
      n++;
    }
  } else if (value instanceof StreamValue) {
    // Oldest entries first; the node and tombstone overheads are added exactly.
    for (const [, f] of value.range(ID_MIN, ID_MAX, samples, false)) {
      sum += streamEntryBytes(f);
      n++;
    }
    const extra = value.structureBytes();
    return (n === 0 ? 0 : Math.floor((sum / n) * size)) + extra;
  } else {
    // Lowest scores first, like Redis walking the skip list from the header.
    for (let node = (value as ZSetValue).first(); node !== null && n < samples; node = node.next) {
      sum += zsetMemberBytes(node.member);
      n++;
    }
  }
  return n === 0 ? 0 : Math.floor((sum / n) * size);
}

/** MEMORY USAGE's number for a key holding `value`. */
export function memoryUsage(ks: Keyspace, key: string, value: Value, samples: number): number {
  if (typeof value === "string") return ks.entryBytes(key, value);
  return ks.entryBytes(key, value, COLLECTION_OVERHEAD_BYTES + sampledElementBytes(value, samples));
}

function usage(ks: Keyspace, argv: string[]): Reply {
  let samples = MEMORY_USAGE_DEFAULT_SAMPLES;
  for (let i = 3; i < argv.length; i++) {
    if (lower(argv[i]) === "samples" && i + 1 < argv.length) {
      const n = parseIntArg(argv[++i]);
      if (n === null) return ERR_NOT_INTEGER;
      if (n < 0) return ERR_SYNTAX;
      samples = n === 0 ? Infinity : n;
    } else return ERR_SYNTAX;
  }
  // No expiry and no LRU touch, as Redis (dictFind): an expired key not yet reclaimed still
  // takes its memory.
  const value = ks.data.get(argv[2]);
  if (value === undefined) return NIL;
  return integer(memoryUsage(ks, argv[2], value, samples));
}

function double(value: number): Reply {
  return { kind: "double", value };
}

/**
 * Redis 7.0's MEMORY STATS: its fields in its order with its reply types, filled with the figures
 * INFO memory reports (server/info.ts's memorySection) when the server set them
 * (Store.setServerMemory): total.allocated is used_memory (ATLAS's accounting: the base, the data
 * estimate, clients' buffers, the script caches), peak and startup are INFO's, dataset.bytes is the
 * data estimate and overhead.total the rest; the allocator.* fields are V8's heap, as INFO's
 * allocator_*. Without a server, total.allocated is the base plus the data. What ATLAS has none of
 * (replication backlog, replicas, cluster links, AOF buffer) reads 0. db.0 only when it holds
 * keys, as Redis.
 */
function stats(ks: Keyspace): Reply {
  const { mem, total: allocated } = sample(ks);
  const server = ks.serverMemory?.() ?? null;
  const dataset = ks.usedBytes;
  let total: number;
  let peak: number;
  if (server !== null) {
    total = server.usedBytes;
    peak = server.peakBytes;
  } else {
    total = ks.baseMemoryBytes + dataset;
    if (total > ks.peakUsedBytes) ks.peakUsedBytes = total;
    peak = ks.peakUsedBytes;
  }
  const startup = server?.startupBytes ?? ks.baseMemoryBytes;
  const keys = ks.data.size;
  const active = mem.heapTotal + mem.external;
  // Redis's net usage: never below 1, so the ratios over it stay finite.
  const net = total > startup ? total - startup : 1;
  const fields: [Reply, Reply][] = [
    [bulk("peak.allocated"), integer(peak)],
    [bulk("total.allocated"), integer(total)],
    [bulk("startup.allocated"), integer(startup)],
    [bulk("replication.backlog"), integer(0)],
    [bulk("clients.slaves"), integer(0)],
    [bulk("clients.normal"), integer(server?.clientsNormalBytes ?? 0)],
    [bulk("cluster.links"), integer(0)],
    [bulk("aof.buffer"), integer(0)],
    [bulk("lua.caches"), integer(server?.evalScriptsBytes ?? 0)],
    [bulk("functions.caches"), integer(server?.functionsBytes ?? 0)],
  ];
  if (keys > 0) {
    fields.push([
      bulk("db.0"),
      {
        kind: "map",
        value: [
          [bulk("overhead.hashtable.main"), integer(keys * ks.keyOverheadBytes)],
          [
            bulk("overhead.hashtable.expires"),
            integer(ks.expires.size * EXPIRE_OVERHEAD_BYTES),
          ],
          [bulk("overhead.hashtable.slot-to-keys"), integer(0)],
        ],
      },
    ]);
  }
  fields.push(
    [bulk("overhead.total"), integer(total - dataset)],
    [bulk("keys.count"), integer(keys)],
    [bulk("keys.bytes-per-key"), integer(keys === 0 ? 0 : Math.floor(net / keys))],
    [bulk("dataset.bytes"), integer(dataset)],
    [bulk("dataset.percentage"), double((dataset * 100) / net)],
    [bulk("peak.percentage"), double(peak === 0 ? 0 : (total * 100) / peak)],
    [bulk("allocator.allocated"), integer(allocated)],
    [bulk("allocator.active"), integer(active)],
    [bulk("allocator.resident"), integer(mem.rss)],
    [bulk("allocator-fragmentation.ratio"), double(allocated === 0 ? 0 : active / allocated)],
    [bulk("allocator-fragmentation.bytes"), integer(active - allocated)],
    [bulk("allocator-rss.ratio"), double(active === 0 ? 0 : mem.rss / active)],
    [bulk("allocator-rss.bytes"), integer(mem.rss - active)],
    [bulk("rss-overhead.ratio"), double(1)],
    [bulk("rss-overhead.bytes"), integer(0)],
    [bulk("fragmentation"), double(total === 0 ? 0 : mem.rss / total)],
    [bulk("fragmentation.bytes"), integer(mem.rss - total)],
  );
  return { kind: "map", value: fields };
}

/** As Redis: below 5 MiB of data there is too little to judge. */
const DOCTOR_EMPTY_BYTES = 5 * 1024 * 1024;

const DOCTOR_EMPTY = "The data set holds under 5 MiB, too little for this check to judge. " +
  "Run MEMORY DOCTOR again once more data is loaded.\n";
const DOCTOR_FINE = "No memory problem found (this check sees only the process's heap figures).\n";
const DOCTOR_PEAK = "Memory check found a problem:\n\n" +
  " * Peak memory: the process once used more than 150% of the memory it uses now. The heap " +
  "seldom gives all of it back, so RSS can stay high; the memory is reused as data grows. If the " +
  "peak was a one-off and the memory must be returned, restart the server.\n";

/**
 * ATLAS's own report texts, on Redis's two decisions: "too little data" is judged on the store's
 * data estimate (a V8 heap is never below 5 MiB), and of Redis's checks only the peak one applies
 * (the RSS/allocator ones assume jemalloc and would always fire for a V8 heap). No advice to run
 * MEMORY PURGE: here it does nothing.
 */
function doctor(ks: Keyspace): Reply {
  const { total, peak } = sample(ks);
  if (ks.usedBytes < DOCTOR_EMPTY_BYTES) return verbatimText(DOCTOR_EMPTY);
  if (total === 0 || peak / total <= 1.5) return verbatimText(DOCTOR_FINE);
  return verbatimText(DOCTOR_PEAK);
}

function mallocStats(ks: Keyspace): Reply {
  const { mem, total, peak } = sample(ks);
  return verbatimText(
    "___ Begin V8 heap statistics ___\n" +
      `rss: ${mem.rss}\nheap_total: ${mem.heapTotal}\nheap_used: ${mem.heapUsed}\n` +
      `external: ${mem.external}\nallocated: ${total}\npeak_allocated: ${peak}\n` +
      "--- End V8 heap statistics ---\n",
  );
}

const HELP: Reply = array(
  [
    "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "DOCTOR",
    "    A short plain-text check of the process's memory: it flags a past peak well",
    "    above what is used now, and does not judge under 5 MiB of data.",
    "MALLOC-STATS",
    "    The V8 heap figures as text: rss, heap_total, heap_used, external, allocated",
    "    (heap_used + external) and peak_allocated (the highest allocated seen).",
    "PURGE",
    "    Replies OK and does nothing: V8 gives unused memory back by itself.",
    "STATS",
    "    The server's memory figures as name/value pairs: peak and current allocation,",
    "    overheads, key count, data set size and fragmentation.",
    "USAGE <key> [SAMPLES <count>]",
    "    An estimate of the bytes <key> and its value take (nil if no such key). A",
    "    collection of more than <count> elements (default 5; 0: no limit) is estimated",
    "    from its first <count>.",
    "HELP",
    "    Prints this help.",
  ].map(simple),
);

/** Redis 7 subcommand arities (argv[0] included). */
const SUBCOMMANDS: Record<string, number> = {
  usage: -3,
  stats: 2,
  doctor: 2,
  "malloc-stats": 2,
  purge: 2,
  help: 2,
};

function memoryCommand(ks: Keyspace, argv: string[]): Reply {
  const sub = lower(argv[1]);
  const arity = Object.hasOwn(SUBCOMMANDS, sub) ? SUBCOMMANDS[sub] : undefined;
  if (arity === undefined) {
    return error(
      sanitize(`ERR unknown subcommand '${argv[1].slice(0, 128)}'. Try MEMORY HELP.`),
    );
  }
  if (arity > 0 ? argv.length !== arity : argv.length < -arity) {
    return wrongArity(`memory|${sub}`);
  }
  switch (sub) {
    case "usage":
      return usage(ks, argv);
    case "stats":
      return stats(ks);
    case "doctor":
      return doctor(ks);
    case "malloc-stats":
      return mallocStats(ks);
    case "purge":
      return OK; // V8 returns memory to the OS on its own; nothing to purge on demand.
    default:
      return HELP;
  }
}

export const MEMORY_COMMANDS: readonly BuiltinCommand[] = [
  // Keys as OBJECT's: argv[2] (MEMORY USAGE <key>); the other subcommands take none.
  command("memory", -2, "readonly", [2, 2, 1], "server", memoryCommand),
];
