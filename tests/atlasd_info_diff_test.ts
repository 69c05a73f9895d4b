/**
 * INFO against a real redis-server 7.0: for every section of INFO EVERYTHING, atlasd prints the
 * same field names (the exceptions below, each with its reason), in the same section order, and
 * its counters move as Redis's do after the same commands.
 */
import assert from "node:assert/strict";
import {
  RawClient,
  type RespValue,
  startAtlasd,
  startRedis,
} from "../atlas/testing/atlasd_harness.ts";
import { LUA_MEMORY_FIELDS } from "./helpers/info_fields.ts";

/** Fields atlasd prints that redis-server 7.0.15 does not. */
const ATLAS_ONLY: Record<string, Record<string, string>> = {
  Server: { atlas_version: "atlasd's own version, next to the Redis version it speaks" },
  Clients: { pubsub_clients: "Redis 7.2's field, kept for tools that already read it" },
  Persistence: {
    aof_fsyncs_total: "atlasd's fsync counter (no Redis equivalent)",
    atlas_sync_mode: "atlasd's --sync-mode, in its own spelling",
  },
};

/** Fields redis-server prints that atlasd leaves out on purpose. */
const REDIS_ONLY: Record<string, Record<string, string>> = {
  Memory: Object.fromEntries(
    LUA_MEMORY_FIELDS.map((f) => [
      f,
      "the Lua VMs are JavaScript objects in V8's heap (counted in allocator_allocated); nothing " +
      "measures them apart",
    ]),
  ),
  Persistence: {
    aof_buffer_length: "the AOF writer keeps records, not a byte buffer; not measured",
  },
};

/** Fields whose names depend on what ran (one per command / error prefix / db). */
const DYNAMIC = /^(cmdstat_|errorstat_|latency_percentiles_usec_|db\d+$)/;

type Sections = Map<string, Map<string, string>>;

function text(v: RespValue): string {
  assert.ok(v.t === "bulk" || v.t === "verbatim", `INFO gave ${JSON.stringify(v)}`);
  return v.v;
}

function parseInfo(body: string): Sections {
  const sections: Sections = new Map();
  let current: Map<string, string> | null = null;
  for (const line of body.split("\r\n")) {
    if (line.startsWith("# ")) sections.set(line.slice(2), current = new Map());
    else if (line !== "") {
      const i = line.indexOf(":");
      assert.ok(current !== null && i > 0, `bad INFO line ${JSON.stringify(line)}`);
      current.set(line.slice(0, i), line.slice(i + 1));
    }
  }
  return sections;
}

async function info(c: RawClient, ...args: string[]): Promise<Sections> {
  return parseInfo(text(await c.one("INFO", ...args)));
}

function num(s: Sections, section: string, field: string): number {
  const v = s.get(section)?.get(field);
  assert.ok(v !== undefined, `${section}.${field} missing`);
  return Number(v);
}

const SCRIPT: string[][] = [
  ["SET", "s", "v"],
  ["GET", "s"],
  ["GET", "missing"],
  ["MGET", "s", "missing", "nope"],
  ["EXISTS", "s", "missing"],
  ["TYPE", "missing"],
  ["TTL", "missing"],
  ["STRLEN", "s"],
  ["OBJECT", "ENCODING", "missing"],
  ["GETDEL", "missing"],
  ["SET", "s", "w", "GET"],
  ["INCR", "n"],
  ["LPUSH", "s", "x"], // WRONGTYPE
  ["INCR", "s"], // ERR not an integer
  ["NOSUCHCOMMAND"], // ERR unknown command
  ["GET"], // ERR wrong number of arguments
  ["HGET", "missing", "f"],
  ["SADD", "set", "a"],
  ["SISMEMBER", "set", "a"],
  ["SUNIONSTORE", "dst", "set", "missing"], // a write whose sources are read lookups
  ["SINTERSTORE", "dst2", "missing", "set"],
  ["GEOADD", "geo", "13.36", "38.11", "p1"],
  ["GEOSEARCHSTORE", "gdst", "geo", "FROMLONLAT", "13", "38", "BYRADIUS", "100", "km"],
  ["GEOSEARCHSTORE", "gdst2", "nogeo", "FROMLONLAT", "13", "38", "BYRADIUS", "100", "km"],
  ["SCAN", "0"],
  ["RANDOMKEY"],
  ["SET", "e", "v", "PX", "1"],
  ["SCRIPT", "LOAD", "return 1"],
  ["EVAL", "return 2", "0"],
  ["SCRIPT", "LOAD", "return 1"],
  [
    "FUNCTION",
    "LOAD",
    "#!lua name=infolib\nredis.register_function('f1', function() return 1 end)\n" +
    "redis.register_function('f2', function() return 2 end)",
  ],
];

Deno.test("atlasd INFO: Redis 7.0's sections and field names; counters move as Redis's", async () => {
  // AOF on in Redis too: atlasd always logs, and Redis prints aof_current_size & co only then.
  const redis = await startRedis(["--save", "", "--appendonly", "yes"]);
  const atlas = await startAtlasd(["--sync-mode", "every"]);
  const r = await RawClient.connect(redis.port);
  const a = await RawClient.connect(atlas.port);
  try {
    // A command of each kind first, so the per-command sections have lines on both.
    for (const c of [r, a]) await c.call(["SET", "warm", "1"], ["GET", "warm"], ["LPUSH", "warm"]);

    for (const args of [[], ["ALL"], ["EVERYTHING"], ["default"], ["server", "keyspace"]]) {
      const [rs, as] = [await info(r, ...args), await info(a, ...args)];
      assert.deepEqual([...as.keys()], [...rs.keys()], `INFO ${args.join(" ")}: sections`);
      for (const [section, rFields] of rs) {
        const aFields = as.get(section)!;
        const want = new Set(
          [...rFields.keys()].filter((f) => !DYNAMIC.test(f) && !REDIS_ONLY[section]?.[f]),
        );
        for (const f of Object.keys(ATLAS_ONLY[section] ?? {})) want.add(f);
        const got = new Set([...aFields.keys()].filter((f) => !DYNAMIC.test(f)));
        assert.deepEqual(
          [...got].sort(),
          [...want].sort(),
          `INFO ${args.join(" ")}: fields of # ${section}`,
        );
      }
    }

    // Same commands on both; the counters move by the same amounts.
    const before = [await info(r, "EVERYTHING"), await info(a, "EVERYTHING")];
    for (const c of [r, a]) {
      for (const argv of SCRIPT) await c.one(...argv);
      await new Promise((res) => setTimeout(res, 20));
      await c.one("GET", "e"); // expired: a miss, and an expired key
    }
    const after = [await info(r, "EVERYTHING"), await info(a, "EVERYTHING")];
    const delta = (i: number, section: string, field: string) =>
      num(after[i], section, field) - num(before[i], section, field);
    for (
      const [section, field] of [
        ["Stats", "keyspace_hits"],
        ["Stats", "keyspace_misses"],
        ["Stats", "expired_keys"],
        ["Stats", "total_error_replies"],
        ["Stats", "total_commands_processed"],
      ]
    ) {
      // INFO itself counts once on each side after `before` was taken.
      assert.equal(delta(1, section, field), delta(0, section, field), `${section}.${field}`);
    }
    for (
      const field of ["number_of_cached_scripts", "number_of_functions", "number_of_libraries"]
    ) {
      assert.equal(num(after[1], "Memory", field), num(after[0], "Memory", field), field);
    }
    assert.equal(num(after[1], "Memory", "number_of_cached_scripts"), 2);
    assert.equal(num(after[1], "Memory", "number_of_functions"), 2);
    for (const prefix of ["ERR", "WRONGTYPE"]) {
      const count = (i: number) =>
        Number((after[i].get("Errorstats")!.get(`errorstat_${prefix}`) ?? "count=0").slice(6));
      assert.equal(count(1), count(0), `errorstat_${prefix}`);
    }
    const cmdstat = (i: number, cmd: string) => {
      const line = after[i].get("Commandstats")!.get(`cmdstat_${cmd}`)!;
      return line.replace(/usec=\d+,usec_per_call=[\d.]+,/, "");
    };
    for (const cmd of ["lpush", "incr", "get"]) {
      assert.equal(cmdstat(1, cmd), cmdstat(0, cmd), `cmdstat_${cmd}`);
    }
    assert.equal(
      after[1].get("Keyspace")!.get("db0")!.replace(/avg_ttl=\d+/, ""),
      after[0].get("Keyspace")!.get("db0")!.replace(/avg_ttl=\d+/, ""),
    );
    for (const i of [0, 1]) {
      const line = after[i].get("Latencystats")!.get("latency_percentiles_usec_get")!;
      assert.match(line, /^p50=\d+\.\d{3},p99=\d+\.\d{3},p99\.9=\d+\.\d{3}$/);
    }

    // Fixed values of a standalone master, and formats.
    const as = after[1];
    assert.equal(as.get("Replication")!.get("role"), "master");
    assert.equal(as.get("Replication")!.get("connected_slaves"), "0");
    assert.match(as.get("Replication")!.get("master_replid")!, /^[0-9a-f]{40}$/);
    assert.match(as.get("Memory")!.get("used_memory_human")!, /^\d+(\.\d\d[KMGTP])?B?$/);
    assert.match(as.get("Memory")!.get("mem_fragmentation_ratio")!, /^\d+\.\d\d$/);
    assert.match(as.get("CPU")!.get("used_cpu_user")!, /^\d+\.\d{6}$/);
    assert.equal(num(as, "Server", "tcp_port"), atlas.port);
    assert.equal(num(as, "Clients", "connected_clients"), 1);

    // CONFIG RESETSTAT zeroes what Redis zeroes.
    for (const c of [r, a]) await c.one("CONFIG", "RESETSTAT");
    const reset = [await info(r, "EVERYTHING"), await info(a, "EVERYTHING")];
    for (
      const field of ["keyspace_hits", "keyspace_misses", "expired_keys", "total_error_replies"]
    ) {
      assert.equal(num(reset[1], "Stats", field), num(reset[0], "Stats", field), field);
    }
    assert.equal(reset[1].get("Errorstats")!.size, reset[0].get("Errorstats")!.size);
  } finally {
    await r.close();
    await a.close();
    await atlas.stop();
    await redis.stop();
  }
});

Deno.test("atlasd INFO: instantaneous_ops_per_sec follows a sustained load", async () => {
  const atlas = await startAtlasd(["--sync-mode", "none"]);
  const a = await RawClient.connect(atlas.port);
  try {
    const until = Date.now() + 1800;
    while (Date.now() < until) await a.call(...Array.from({ length: 50 }, () => ["PING"]));
    const s = await info(a, "stats");
    assert.ok(num(s, "Stats", "instantaneous_ops_per_sec") > 0);
    assert.ok(Number(s.get("Stats")!.get("instantaneous_input_kbps")) > 0);
  } finally {
    await a.close();
    await atlas.stop();
  }
});
