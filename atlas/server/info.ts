/** INFO: sections with Redis field names. */
import process from "node:process";
import type { ServerMemory } from "../store/keyspace.ts";
import { type Reply, verbatimText } from "../store/reply.ts";
import type { Client } from "./client.ts";
import { REDIS_COMPAT_VERSION } from "./connection_commands.ts";
import type { ServerContext } from "./context.ts";
import { minReplicasGate, replBacklogBytes } from "./config_params.ts";
import { bytesToHuman, ratio } from "./info_stats.ts";
import { histogramPercentileUs } from "./latency_histogram.ts";

type Fields = [string, string | number][];

/** Redis 7.0's default sections (INFO, INFO default), in its order. */
const DEFAULT_SECTIONS = [
  "server",
  "clients",
  "memory",
  "persistence",
  "stats",
  "replication",
  "cpu",
  "module_list",
  "errorstats",
  "cluster",
  "keyspace",
];
/** INFO all / everything: every section, in Redis's order. */
const ALL_SECTIONS = [
  "server",
  "clients",
  "memory",
  "persistence",
  "stats",
  "replication",
  "cpu",
  "module_list",
  "commandstats",
  "errorstats",
  "latencystats",
  "cluster",
  "keyspace",
];
const TITLES: Record<string, string> = {
  cpu: "CPU",
  module_list: "Modules",
  modules: "Modules",
};
/** LRU_CLOCK_MAX: Redis's lru_clock is Unix seconds in 24 bits. */
const LRU_CLOCK_MAX = (1 << 24) - 1;

/** A random 40-hex-digit id, like Redis's run_id and master_replid (new each process). */
function randomHexId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(20));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
const RUN_ID = randomHexId();
/** INFO master_replid, and the replid of PSYNC's +FULLRESYNC and the RDB files SYNC sends. */
export const MASTER_REPLID = randomHexId();
const OS_NAMES: Record<string, string> = {
  linux: "Linux",
  darwin: "Darwin",
  windows: "Windows_NT",
  freebsd: "FreeBSD",
  netbsd: "NetBSD",
  solaris: "SunOS",
  illumos: "SunOS",
  android: "Linux",
  aix: "AIX",
};
/** The readiness API of the event loop under Deno (tokio's mio), as Redis names its own. */
const MULTIPLEXING: Record<string, string> = {
  linux: "epoll",
  android: "epoll",
  darwin: "kqueue",
  freebsd: "kqueue",
  netbsd: "kqueue",
  windows: "iocp",
};

type Section = (ctx: ServerContext) => Fields;

function storeStats(ctx: ServerContext) {
  return ctx.store?.stats;
}

/** The parts of used_memory (see accountedMemory). */
interface AccountedMemory {
  /** used_memory: the sum of the rest. */
  readonly used: number;
  /** What the server counts besides data (StoreOptions.baseMemoryBytes, Redis's startup). */
  readonly base: number;
  /** The store's estimate of its keys and values (used_memory_dataset). */
  readonly dataset: number;
  /** What clients hold: buffers, MULTI queues... (client_memory.ts; mem_clients_normal). */
  readonly clients: number;
  /** The script and function caches (used_memory_scripts_eval / used_memory_functions). */
  readonly evalScripts: number;
  readonly functions: number;
}

/**
 * used_memory as ATLAS accounts it: the server base, the data estimate, clients' buffers and the
 * script caches — maxmemory counts all but the script caches. Not V8's
 * heap in use: that holds garbage until a collection runs, so two reads a moment apart can differ
 * by megabytes, and a limit set from used_memory (`used_memory + 100kb`, as Redis's users and
 * tests do) would mean nothing. V8's own figures are INFO's allocator_* fields.
 */
export function accountedMemory(ctx: ServerContext): AccountedMemory {
  const st = storeStats(ctx);
  const base = st?.baseMemoryBytes ?? 0;
  const dataset = st?.usedMemoryBytes ?? 0;
  const clients = ctx.clientsMemory.bytes;
  const scripts = ctx.store?.scriptingStats?.();
  const evalScripts = scripts === undefined
    ? 0
    : scripts.scriptBytes + scripts.cachedScripts * SCRIPT_ENTRY_BYTES;
  const functions = scripts === undefined
    ? 0
    : scripts.libraryBytes + scripts.functions * SCRIPT_ENTRY_BYTES;
  const used = base + dataset + clients + evalScripts + functions;
  return { used, base, dataset, clients, evalScripts, functions };
}

/** One tick of the 100 ms sampler (started by startAtlasServer). */
export function sampleInfo(ctx: ServerContext, nowMs = Date.now()): void {
  ctx.sampler.sample(
    totalCommands(ctx),
    ctx.stats.netInputBytes,
    netOutputBytes(ctx),
    accountedMemory(ctx).used,
    nowMs,
  );
}

function totalCommands(ctx: ServerContext): number {
  let commands = 0;
  for (const s of ctx.table.allStats()) commands += s.calls;
  return commands;
}

let osText: string | null = null;
function osField(): string {
  if (osText === null) {
    let release = "";
    try {
      release = Deno.osRelease();
    } catch {
      // No permission to read it: leave it out.
    }
    const name = OS_NAMES[Deno.build.os] ?? Deno.build.os;
    osText = [name, release, Deno.build.arch].filter((p) => p !== "").join(" ");
  }
  return osText;
}

function serverSection(ctx: ServerContext): Fields {
  const nowMs = Date.now();
  const uptimeS = Math.floor((nowMs - ctx.startedMs) / 1000);
  return [
    ["redis_version", REDIS_COMPAT_VERSION],
    ["redis_git_sha1", "00000000"],
    ["redis_git_dirty", 0],
    ["redis_build_id", "0"],
    ["redis_mode", "standalone"],
    ["atlas_version", "0.1.0"],
    ["os", osField()],
    ["arch_bits", 64],
    [
      "monotonic_clock",
      Deno.build.os === "windows" ? "QueryPerformanceCounter" : "POSIX clock_gettime",
    ],
    ["multiplexing_api", MULTIPLEXING[Deno.build.os] ?? "unknown"],
    ["atomicvar_api", "none"],
    ["gcc_version", "0.0.0"],
    ["process_id", Deno.pid],
    ["process_supervised", "no"],
    ["run_id", RUN_ID],
    ["tcp_port", ctx.port],
    ["server_time_usec", nowMs * 1000],
    ["uptime_in_seconds", uptimeS],
    ["uptime_in_days", Math.floor(uptimeS / 86400)],
    ["hz", 10],
    ["configured_hz", 10],
    ["lru_clock", Math.floor(nowMs / 1000) & LRU_CLOCK_MAX],
    ["executable", Deno.execPath()],
    ["config_file", ""],
    ["io_threads_active", 0],
  ];
}

function clientsSection(ctx: ServerContext): Fields {
  let maxIn = 0;
  let maxOut = 0;
  let pubsubClients = 0;
  for (const c of ctx.clients.values()) {
    if (c.parser.bufferedBytes > maxIn) maxIn = c.parser.bufferedBytes;
    if (c.output.pendingBytes > maxOut) maxOut = c.output.pendingBytes;
    if (c.subscriptionCount > 0) pubsubClients++;
  }
  return [
    ["connected_clients", ctx.clients.size],
    ["cluster_connections", 0],
    ["maxclients", ctx.settings.maxclients],
    ["client_recent_max_input_buffer", maxIn],
    ["client_recent_max_output_buffer", maxOut],
    ["blocked_clients", ctx.blocking.blockedClients + ctx.pause.heldCount],
    ["tracking_clients", ctx.tracking.count],
    ["clients_in_timeout_table", ctx.blocking.timedClients],
    ["pubsub_clients", pubsubClients],
  ];
}

/**
 * Redis's fields over ATLAS's accounting (accountedMemory): used_memory and what derives from it
 * (peak, overhead, dataset, fragmentation against RSS) are the accounted bytes; allocator_* are
 * V8's heap (allocated: in use + external; active: committed + external; resident: the RSS).
 */
function memorySection(ctx: ServerContext): Fields {
  const mem = Deno.memoryUsage();
  const st = storeStats(ctx);
  const accounted = accountedMemory(ctx);
  const { used, dataset } = accounted;
  const clientsCounted = ctx.replication === undefined ? accounted.clients : 0;
  ctx.sampler.notePeak(used);
  const peak = ctx.sampler.peakMemoryBytes;
  const startup = ctx.sampler.startupMemoryBytes;
  const overhead = used - dataset;
  const allocated = mem.heapUsed + mem.external;
  const active = mem.heapTotal + mem.external;
  const total = Deno.systemMemoryInfo().total;
  const maxmemory = st?.maxmemoryBytes ?? 0;
  return [
    ["used_memory", used],
    ["used_memory_human", bytesToHuman(used)],
    ["used_memory_rss", mem.rss],
    ["used_memory_rss_human", bytesToHuman(mem.rss)],
    ["used_memory_peak", peak],
    ["used_memory_peak_human", bytesToHuman(peak)],
    ["used_memory_peak_perc", `${ratio(used * 100, peak)}%`],
    ["used_memory_overhead", overhead],
    ["used_memory_startup", startup],
    ["used_memory_dataset", dataset],
    ["used_memory_dataset_perc", `${ratio(dataset * 100, Math.max(0, used - startup))}%`],
    ["allocator_allocated", allocated],
    ["allocator_active", active],
    ["allocator_resident", mem.rss],
    ["total_system_memory", total],
    ["total_system_memory_human", bytesToHuman(total)],
    ...scriptingMemory(ctx, accounted),
    ["maxmemory", maxmemory],
    ["maxmemory_human", bytesToHuman(maxmemory)],
    ["maxmemory_policy", st?.maxmemoryPolicy ?? "noeviction"],
    ["allocator_frag_ratio", ratio(active, allocated)],
    ["allocator_frag_bytes", active - allocated],
    ["allocator_rss_ratio", ratio(mem.rss, active)],
    ["allocator_rss_bytes", mem.rss - active],
    ["rss_overhead_ratio", "1.00"],
    ["rss_overhead_bytes", 0],
    ["mem_fragmentation_ratio", ratio(mem.rss, used)],
    ["mem_fragmentation_bytes", mem.rss - used],
    // What maxmemory does not count of used_memory: the script caches, and on a Raft node the
    // clients (server.ts). So used_memory - mem_not_counted_for_evict is the figure maxmemory is
    // compared with, as in Redis (where the AOF and replication buffers are left out).
    ["mem_not_counted_for_evict", used - accounted.base - dataset - clientsCounted],
    ["mem_replication_backlog", 0],
    ["mem_total_replication_buffers", 0],
    ["mem_clients_slaves", 0],
    ["mem_clients_normal", accounted.clients],
    ["mem_cluster_links", 0],
    ["mem_aof_buffer", 0],
    ["mem_allocator", "v8"],
    ["active_defrag_running", 0],
    ["lazyfree_pending_objects", 0],
    ["lazyfreed_objects", st?.lazyfreedObjects ?? 0],
  ];
}

/** Per cached script or function: its SHA1 / name and the dictionary entry (ATLAS's estimate). */
const SCRIPT_ENTRY_BYTES = 96;

/**
 * INFO memory's scripting fields, as Redis 7.0 places them: the counts, and the caches' memory
 * estimated as their code plus an entry each. The Lua VMs' own memory (used_memory_lua,
 * used_memory_vm_*) is not measured: the VM is JavaScript objects in V8's heap.
 */
function scriptingMemory(ctx: ServerContext, accounted: AccountedMemory): Fields {
  const stats = ctx.store?.scriptingStats?.();
  if (!stats) return [];
  const { evalScripts, functions } = accounted;
  return [
    ["used_memory_scripts_eval", evalScripts],
    ["number_of_cached_scripts", stats.cachedScripts],
    ["number_of_functions", stats.functions],
    ["number_of_libraries", stats.libraries],
    ["used_memory_functions", functions],
    ["used_memory_scripts", evalScripts + functions],
    ["used_memory_scripts_human", bytesToHuman(evalScripts + functions)],
  ];
}

/** MEMORY STATS's server figures (Store.setServerMemory), INFO memory's at the same moment. */
export function serverMemory(ctx: ServerContext): ServerMemory {
  const accounted = accountedMemory(ctx);
  ctx.sampler.notePeak(accounted.used);
  return {
    usedBytes: accounted.used,
    startupBytes: ctx.sampler.startupMemoryBytes,
    peakBytes: ctx.sampler.peakMemoryBytes,
    clientsNormalBytes: accounted.clients,
    evalScriptsBytes: accounted.evalScripts,
    functionsBytes: accounted.functions,
  };
}

/** Bytes held for clients: unparsed input and unsent output (Redis's mem_clients_normal). */

/** Redis 7.0's persistence fields in order, with its values for "nothing of the kind running". */
function persistenceDefaults(ctx: ServerContext): Fields {
  const p = ctx.persistence;
  return [
    ["loading", 0],
    ["async_loading", 0],
    ["current_cow_peak", 0],
    ["current_cow_size", 0],
    ["current_cow_size_age", 0],
    ["current_fork_perc", "0.00"],
    ["current_save_keys_processed", 0],
    ["current_save_keys_total", 0],
    ["rdb_changes_since_last_save", 0],
    ["rdb_bgsave_in_progress", 0],
    ["rdb_last_save_time", Math.floor((p.lastSaveMs?.() ?? ctx.startedMs) / 1000)],
    ["rdb_last_bgsave_status", "ok"],
    ["rdb_last_bgsave_time_sec", -1],
    ["rdb_current_bgsave_time_sec", -1],
    ["rdb_saves", 0],
    ["rdb_last_cow_size", 0],
    ["rdb_last_load_keys_expired", 0],
    ["rdb_last_load_keys_loaded", 0],
    ["aof_enabled", p.appendonly === "yes" ? 1 : 0],
    ["aof_rewrite_in_progress", 0],
    ["aof_rewrite_scheduled", 0],
    ["aof_last_rewrite_time_sec", -1],
    ["aof_current_rewrite_time_sec", -1],
    ["aof_last_bgrewrite_status", "ok"],
    ["aof_rewrites", 0],
    ["aof_rewrites_consecutive_failures", 0],
    ["aof_last_write_status", "ok"],
    ["aof_last_cow_size", 0],
    ["module_fork_in_progress", 0],
    ["module_fork_last_cow_size", 0],
  ];
}

/** Printed only while the AOF is on, as Redis does. */
const AOF_ON_FIELDS: Fields = [
  ["aof_current_size", 0],
  ["aof_base_size", 0],
  ["aof_pending_rewrite", 0],
  ["aof_pending_bio_fsync", 0],
  ["aof_delayed_fsync", 0],
];

function persistenceSection(ctx: ServerContext): Fields {
  const fields = new Map(persistenceDefaults(ctx));
  const extra = ctx.persistence.info?.() ?? {};
  if (Number(extra.aof_enabled ?? fields.get("aof_enabled")) === 1) {
    for (const [k, v] of AOF_ON_FIELDS) fields.set(k, v);
  }
  for (const [k, v] of Object.entries(extra)) {
    // Before the first snapshot Redis reports the start time (its lastsave starts there).
    if (k === "rdb_last_save_time" && v === 0) continue;
    fields.set(k, v);
  }
  return [...fields];
}

function statsSection(ctx: ServerContext): Fields {
  const st = storeStats(ctx);
  const sampler = ctx.sampler;
  const tracking = ctx.tracking.totals();
  return [
    ["total_connections_received", ctx.stats.totalConnections],
    ["total_commands_processed", totalCommands(ctx)],
    ["instantaneous_ops_per_sec", sampler.ops.get()],
    ["total_net_input_bytes", ctx.stats.netInputBytes],
    ["total_net_output_bytes", netOutputBytes(ctx)],
    ["total_net_repl_input_bytes", 0],
    ["total_net_repl_output_bytes", 0],
    ["instantaneous_input_kbps", (sampler.netInput.get() / 1024).toFixed(2)],
    ["instantaneous_output_kbps", (sampler.netOutput.get() / 1024).toFixed(2)],
    ["instantaneous_input_repl_kbps", "0.00"],
    ["instantaneous_output_repl_kbps", "0.00"],
    ["rejected_connections", ctx.stats.rejectedConnections],
    ["sync_full", ctx.stats.syncFull],
    ["sync_partial_ok", 0],
    ["sync_partial_err", ctx.stats.syncPartialErr],
    ["expired_keys", st?.expiredKeysTotal ?? 0],
    ["expired_stale_perc", "0.00"],
    ["expired_time_cap_reached_count", 0],
    ["expire_cycle_cpu_milliseconds", 0],
    ["evicted_keys", st?.evictedKeysTotal ?? 0],
    ["evicted_clients", ctx.stats.evictedClients],
    ["total_eviction_exceeded_time", 0],
    ["current_eviction_exceeded_time", 0],
    ["keyspace_hits", st?.keyspaceHits ?? 0],
    ["keyspace_misses", st?.keyspaceMisses ?? 0],
    ["pubsub_channels", ctx.pubsub.channels.size],
    ["pubsub_patterns", ctx.pubsub.patterns.size],
    ["pubsubshard_channels", ctx.pubsub.shardChannels.size],
    ["latest_fork_usec", 0],
    ["total_forks", 0],
    ["migrate_cached_sockets", ctx.migrateSockets.size],
    ["slave_expires_tracked_keys", 0],
    ["active_defrag_hits", 0],
    ["active_defrag_misses", 0],
    ["active_defrag_key_hits", 0],
    ["active_defrag_key_misses", 0],
    ["total_active_defrag_time", 0],
    ["current_active_defrag_time", 0],
    ["tracking_total_keys", tracking.keys],
    ["tracking_total_items", tracking.items],
    ["tracking_total_prefixes", tracking.prefixes],
    ["unexpected_error_replies", 0],
    ["total_error_replies", ctx.stats.errorReplies],
    ["dump_payload_sanitizations", 0],
    ["total_reads_processed", ctx.stats.reads],
    ["total_writes_processed", totalWrites(ctx)],
    ["io_threaded_reads_processed", 0],
    ["io_threaded_writes_processed", 0],
    ["reply_buffer_shrinks", 0],
    ["reply_buffer_expands", 0],
  ];
}

/** Redis prints its count of good replicas when min-replicas-to-write and -max-lag are set. */
function minSlavesLine(ctx: ServerContext): Fields {
  const gate = minReplicasGate(ctx);
  return gate.toWrite > 0 && gate.maxLag > 0 ? [["min_slaves_good_slaves", 0]] : [];
}

function replicationSection(ctx: ServerContext): Fields {
  return [
    ["role", "master"],
    ["connected_slaves", 0],
    ...minSlavesLine(ctx),
    ["master_failover_state", "no-failover"],
    ["master_replid", MASTER_REPLID],
    ["master_replid2", "0000000000000000000000000000000000000000"],
    ["master_repl_offset", ctx.replication?.offset() ?? 0],
    ["second_repl_offset", -1],
    ["repl_backlog_active", 0],
    ["repl_backlog_size", replBacklogBytes(ctx)], // the setting: no backlog is kept
    ["repl_backlog_first_byte_offset", 0],
    ["repl_backlog_histlen", 0],
  ];
}

function cpuSection(): Fields {
  const cpu = process.cpuUsage();
  const sys = seconds(cpu.system);
  const user = seconds(cpu.user);
  // One JavaScript thread serves every command: the process's time stands for the main
  // thread's (Deno's own threads — I/O, GC helpers — are included, as they work for it).
  return [
    ["used_cpu_sys", sys],
    ["used_cpu_user", user],
    ["used_cpu_sys_children", "0.000000"],
    ["used_cpu_user_children", "0.000000"],
    ["used_cpu_sys_main_thread", sys],
    ["used_cpu_user_main_thread", user],
  ];
}

/** Microseconds as Redis prints a timeval: seconds with six decimals. */
function seconds(us: number): string {
  return `${Math.floor(us / 1e6)}.${String(Math.floor(us % 1e6)).padStart(6, "0")}`;
}

function commandstatsSection(ctx: ServerContext): Fields {
  const out: Fields = [];
  for (const e of ctx.table.allStats()) {
    if (e.calls === 0 && e.rejectedCalls === 0 && e.failedCalls === 0) continue;
    const usec = Math.round(e.durationUs);
    out.push([
      `cmdstat_${e.name}`,
      `calls=${e.calls},usec=${usec},usec_per_call=${
        (e.calls === 0 ? 0 : usec / e.calls).toFixed(2)
      },rejected_calls=${e.rejectedCalls},failed_calls=${e.failedCalls}`,
    ]);
  }
  return out;
}

function errorstatsSection(ctx: ServerContext): Fields {
  // Redis lists them from a radix tree: byte order of the prefix.
  return [...ctx.stats.errors].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map((
    [prefix, count],
  ) => [`errorstat_${prefix}`, `count=${count}`]);
}

function latencystatsSection(ctx: ServerContext): Fields {
  if (!ctx.timing.tracking) return [];
  const percentiles = ctx.timing.percentiles.split(" ").filter((w) => w !== "").map(Number);
  const out: Fields = [];
  for (const e of ctx.table.allStats()) {
    if (e.latencyHistogram === null) continue;
    const values = percentiles.map((p) =>
      `p${formatPercentile(p)}=${histogramPercentileUs(e.latencyHistogram!, p).toFixed(3)}`
    );
    out.push([`latency_percentiles_usec_${e.name}`, values.join(",")]);
  }
  return out;
}

/** Redis prints the percentile with %f, trailing zeros trimmed: 50, 99, 99.9. */
function formatPercentile(p: number): string {
  return String(Number(p.toFixed(6)));
}

const SECTIONS: Record<string, Section> = {
  server: serverSection,
  clients: clientsSection,
  memory: memorySection,
  persistence: persistenceSection,
  stats: statsSection,
  replication: replicationSection,
  cpu: cpuSection,
  module_list: () => [],
  modules: () => [],
  commandstats: commandstatsSection,
  errorstats: errorstatsSection,
  latencystats: latencystatsSection,
  cluster: () => [["cluster_enabled", 0]],
  keyspace: (ctx) => {
    const dbs = ctx.store?.databaseStats?.();
    if (dbs !== undefined) {
      return dbs.map((db) => [
        `db${db.index}`,
        `keys=${db.keys},expires=${db.volatileKeys},avg_ttl=${db.avgTtlMs}`,
      ]);
    }
    const st = storeStats(ctx);
    return st === undefined || (st.keys === 0 && st.volatileKeys === 0)
      ? []
      : [["db0", `keys=${st.keys},expires=${st.volatileKeys},avg_ttl=${st.avgTtlMs ?? 0}`]];
  },
};

function totalWrites(ctx: ServerContext): number {
  let n = ctx.stats.writes;
  for (const c of ctx.clients.values()) n += c.output.writes;
  return n;
}

function netOutputBytes(ctx: ServerContext): number {
  let n = ctx.stats.netOutputBytes;
  for (const c of ctx.clients.values()) n += c.output.bytesWritten;
  return n;
}

/** The INFO text for the requested sections (Redis 7 accepts several). */
export function infoText(ctx: ServerContext, requested: string[]): string {
  const extra = Object.keys(ctx.infoSections);
  let names: string[];
  if (requested.length === 0) names = [...DEFAULT_SECTIONS, ...extra];
  else {
    const set = new Set<string>();
    for (
      const r of requested.map((
        s,
      ) => (s.toLowerCase() === "modules" ? "module_list" : s.toLowerCase()))
    ) {
      if (r === "all" || r === "everything") [...ALL_SECTIONS, ...extra].forEach((s) => set.add(s));
      else if (r === "default") [...DEFAULT_SECTIONS, ...extra].forEach((s) => set.add(s));
      else set.add(r);
    }
    names = [...ALL_SECTIONS, ...extra].filter((s) => set.has(s));
  }
  const parts: string[] = [];
  for (const name of names) {
    const custom = ctx.infoSections[name];
    const fields = custom ? Object.entries(custom()) : SECTIONS[name]?.(ctx);
    if (fields === undefined) continue;
    const title = TITLES[name] ?? name[0].toUpperCase() + name.slice(1);
    parts.push(`# ${title}\r\n` + fields.map(([k, v]) => `${k}:${v}\r\n`).join(""));
  }
  return parts.join("\r\n");
}

export function info(ctx: ServerContext, _client: Client, argv: string[]): Reply {
  return verbatimText(infoText(ctx, argv.slice(1)));
}
