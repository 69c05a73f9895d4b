/** INFO: sections with Redis field names. */
import process from "node:process";
import type { Reply } from "../store/reply.ts";
import type { Client } from "./client.ts";
import { REDIS_COMPAT_VERSION } from "./connection_commands.ts";
import type { ServerContext } from "./context.ts";

type Fields = [string, string | number][];

const DEFAULT_SECTIONS = [
  "server",
  "clients",
  "memory",
  "persistence",
  "stats",
  "replication",
  "cpu",
  "keyspace",
];
const ALL_SECTIONS = [...DEFAULT_SECTIONS, "commandstats", "errorstats"];
const RUN_ID = Array.from({ length: 40 }, (_, i) => "0123456789abcdef"[(i * 7 + 3) % 16]).join("");

function human(bytes: number): string {
  if (bytes < 1024) return `${bytes}B`;
  const units = ["K", "M", "G", "T"];
  let v = bytes;
  let u = -1;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(2)}${units[u]}`;
}

type Section = (ctx: ServerContext) => Fields;

function storeStats(ctx: ServerContext) {
  return ctx.store?.stats;
}

function serverSection(ctx: ServerContext): Fields {
  const now = Date.now();
  const uptimeS = Math.floor((now - ctx.startedMs) / 1000);
  return [
    ["redis_version", REDIS_COMPAT_VERSION],
    ["redis_mode", "standalone"],
    ["atlas_version", "0.1.0"],
    ["os", `${Deno.build.os} ${Deno.build.arch}`],
    ["arch_bits", 64],
    ["process_id", Deno.pid],
    ["run_id", RUN_ID],
    ["tcp_port", ctx.port],
    ["server_time_usec", now * 1000],
    ["uptime_in_seconds", uptimeS],
    ["uptime_in_days", Math.floor(uptimeS / 86400)],
    ["hz", 10],
    ["executable", Deno.execPath()],
    ["config_file", ""],
  ];
}

function memorySection(ctx: ServerContext): Fields {
  const mem = Deno.memoryUsage();
  const st = storeStats(ctx);
  return [
    ["used_memory", mem.heapUsed + mem.external],
    ["used_memory_human", human(mem.heapUsed + mem.external)],
    ["used_memory_rss", mem.rss],
    ["used_memory_rss_human", human(mem.rss)],
    ["used_memory_dataset", st?.usedMemoryBytes ?? 0],
    ["total_system_memory", Deno.systemMemoryInfo().total],
    ["maxmemory", st?.maxmemoryBytes ?? 0],
    ["maxmemory_human", human(st?.maxmemoryBytes ?? 0)],
    ["maxmemory_policy", st?.maxmemoryPolicy ?? "noeviction"],
    ["mem_fragmentation_ratio", (mem.rss / Math.max(1, mem.heapUsed)).toFixed(2)],
  ];
}

function persistenceSection(ctx: ServerContext): Fields {
  const p = ctx.persistence;
  const fields: Fields = [
    ["loading", 0],
    ["async_loading", 0],
    ["rdb_bgsave_in_progress", 0],
    ["rdb_last_save_time", Math.floor((p.lastSaveMs?.() ?? ctx.startedMs) / 1000)],
    ["rdb_last_bgsave_status", "ok"],
    ["aof_enabled", p.appendonly === "yes" ? 1 : 0],
    ["aof_rewrite_in_progress", 0],
    ["aof_last_write_status", "ok"],
  ];
  return merge(fields, p.info?.() ?? {});
}

function statsSection(ctx: ServerContext): Fields {
  let commands = 0;
  let errors = 0;
  for (const e of ctx.table.entries()) {
    commands += e.calls;
    errors += e.failedCalls + e.rejectedCalls;
  }
  const st = storeStats(ctx);
  return [
    ["total_connections_received", ctx.stats.totalConnections],
    ["total_commands_processed", commands],
    ["instantaneous_ops_per_sec", 0],
    ["total_net_input_bytes", ctx.stats.netInputBytes],
    ["total_net_output_bytes", netOutputBytes(ctx)],
    ["rejected_connections", ctx.stats.rejectedConnections],
    ["expired_keys", st?.expiredKeysTotal ?? 0],
    ["evicted_keys", st?.evictedKeysTotal ?? 0],
    ["pubsub_channels", ctx.pubsub.channels.size],
    ["pubsub_patterns", ctx.pubsub.patterns.size],
    ["pubsubshard_channels", ctx.pubsub.shardChannels.size],
    ["total_error_replies", errors],
  ];
}

function commandstatsSection(ctx: ServerContext): Fields {
  return [...ctx.table.entries()].filter((e) => e.calls > 0 || e.rejectedCalls > 0).map((e) => [
    `cmdstat_${e.name}`,
    `calls=${e.calls},usec=${Math.round(e.durationUs)},usec_per_call=${
      (e.durationUs / Math.max(1, e.calls)).toFixed(2)
    },rejected_calls=${e.rejectedCalls},failed_calls=${e.failedCalls}`,
  ]);
}

const SECTIONS: Record<string, Section> = {
  server: serverSection,
  clients: (ctx) => [
    ["connected_clients", ctx.clients.size],
    ["cluster_connections", 0],
    ["maxclients", ctx.settings.maxclients],
    ["blocked_clients", ctx.blocking.blockedClients],
    ["tracking_clients", 0],
    ["pubsub_clients", [...ctx.clients.values()].filter((c) => c.subscriptionCount > 0).length],
  ],
  memory: memorySection,
  persistence: persistenceSection,
  stats: statsSection,
  replication: () => [
    ["role", "master"],
    ["connected_slaves", 0],
    ["master_failover_state", "no-failover"],
    ["master_replid", RUN_ID],
    ["master_repl_offset", 0],
  ],
  cpu: () => {
    const cpu = process.cpuUsage();
    return [
      ["used_cpu_sys", (cpu.system / 1e6).toFixed(6)],
      ["used_cpu_user", (cpu.user / 1e6).toFixed(6)],
    ];
  },
  commandstats: commandstatsSection,
  errorstats: () => [],
  keyspace: (ctx) => {
    const st = storeStats(ctx);
    return st === undefined || st.keys === 0
      ? []
      : [["db0", `keys=${st.keys},expires=${st.volatileKeys},avg_ttl=${st.avgTtlMs ?? 0}`]];
  },
};

function netOutputBytes(ctx: ServerContext): number {
  let n = ctx.stats.netOutputBytes;
  for (const c of ctx.clients.values()) n += c.output.bytesWritten;
  return n;
}

function merge(fields: Fields, extra: Record<string, string | number>): Fields {
  const out = new Map(fields);
  for (const [k, v] of Object.entries(extra)) out.set(k, v);
  return [...out];
}

/** The INFO text for the requested sections (Redis 7 accepts several). */
export function infoText(ctx: ServerContext, requested: string[]): string {
  const extra = Object.keys(ctx.infoSections);
  let names: string[];
  if (requested.length === 0) names = [...DEFAULT_SECTIONS, ...extra];
  else {
    const set = new Set<string>();
    for (const r of requested.map((s) => s.toLowerCase())) {
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
    const title = name === "commandstats" ? "Commandstats" : name[0].toUpperCase() + name.slice(1);
    parts.push(`# ${title}\r\n` + fields.map(([k, v]) => `${k}:${v}\r\n`).join(""));
  }
  return parts.join("\r\n");
}

export function info(ctx: ServerContext, _client: Client, argv: string[]): Reply {
  return { kind: "bulk", value: infoText(ctx, argv.slice(1)) };
}
