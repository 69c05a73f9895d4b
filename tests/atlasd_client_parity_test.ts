/**
 * Two more real clients side by side with redis-server 7.0.15: the same scripted session of
 * redis-py (tests/helpers/redis_py_parity.py, run by Debian's /usr/bin/python3 with
 * python3-redis) and of node-redis v4 (tests/helpers/node_redis_parity.ts) against a
 * redis-server and against atlasd (real processes on free 127.0.0.1 ports) must print the same
 * normalised step results. The few known differences are listed below with their reasons; only
 * the fields they name are set aside, the rest of those steps is still compared.
 */
import assert from "node:assert/strict";
import { type Proc, startAtlasd, startRedis } from "../atlas/testing/atlasd_harness.ts";
import { LUA_MEMORY_FIELDS } from "./helpers/info_fields.ts";
import { nodeRedisSession, type StepLine } from "./helpers/node_redis_parity.ts";

const PY_SCRIPT = new URL("./helpers/redis_py_parity.py", import.meta.url).pathname;
/** Debian's python: the `python3` on PATH may be a pyenv shim without python3-redis. */
const PYTHON = "/usr/bin/python3";

type Line = StepLine;
/** Adjusts one step's [redis, atlasd] lines before they are compared. */
type Adjust = (redis: Line, atlas: Line) => [Line, Line];

/** redis-py prints dicts as {"dict": [[key, value], ...]}: drops the named keys. */
function dropPyKeys(line: Line, keys: readonly string[]): Line {
  const strip = (v: unknown): unknown => {
    if (v === null || typeof v !== "object") return v;
    if (Array.isArray(v)) return v.map(strip);
    const d = (v as { dict?: [unknown, unknown][] }).dict;
    if (d === undefined) return v;
    return { dict: d.filter(([k]) => !keys.includes(k as string)).map(([k, x]) => [k, strip(x)]) };
  };
  return { ...line, result: strip(line.result) };
}

/** node-redis lines keep plain objects: drops the named keys (in arrays too). */
function dropKeys(line: Line, keys: string[]): Line {
  const strip = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(strip)
      : v !== null && typeof v === "object"
      ? Object.fromEntries(Object.entries(v).filter(([k]) => !keys.includes(k)))
      : v;
  return { ...line, result: strip(line.result) };
}

const both = (f: (l: Line) => Line): Adjust => (r, a) => [f(r), f(a)];

/** CLIENT SETINFO (Redis 7.2) is implemented by atlasd, so its CLIENT LIST / INFO lines end with
 * lib-name= lib-ver=, which 7.0.15 does not print; CLIENT INFO's trailing "\n" then lands on
 * lib-ver instead of resp in redis-py's parse. */
const LIB_FIELDS = ["lib-name", "lib-ver"];
const withoutNewlines = (line: Line): Line =>
  JSON.parse(JSON.stringify(line).replaceAll("\\n", "")) as Line;

/** Known, legitimate differences (see docs/atlasd.md and tests/atlasd_info_diff_test.ts). */
const PY_KNOWN: Record<string, { reason: string; adjust: Adjust }> = {
  info_server_keys: {
    reason: "atlas_version: atlasd's own version next to the Redis version it speaks",
    adjust: both((l) => dropPyKeys(l, ["atlas_version"])),
  },
  info_clients_keys: {
    reason: "pubsub_clients: Redis 7.2's field, kept by atlasd for tools that read it",
    adjust: both((l) => dropPyKeys(l, ["pubsub_clients"])),
  },
  info_memory_keys: {
    reason: "atlasd has no separate measure of the Lua VM and script/function caches",
    adjust: both((l) => dropPyKeys(l, LUA_MEMORY_FIELDS)),
  },
  info_persistence_keys: {
    reason: "aof_buffer_length is not measured; aof_fsyncs_total and atlas_sync_mode are atlasd's",
    adjust: both((l) =>
      dropPyKeys(l, ["aof_buffer_length", "aof_fsyncs_total", "atlas_sync_mode"])
    ),
  },
  client_info: {
    reason: "lib-name / lib-ver: atlasd implements Redis 7.2's CLIENT SETINFO",
    adjust: both((l) => withoutNewlines(dropPyKeys(l, LIB_FIELDS))),
  },
  client_list_self: {
    reason: "lib-name / lib-ver: atlasd implements Redis 7.2's CLIENT SETINFO",
    adjust: both((l) => dropPyKeys(l, LIB_FIELDS)),
  },
  command_count: {
    reason: "atlasd's own command set: helios.* / job.* / kv.* / rl.take extensions, and no " +
      "replication, module or MIGRATE commands",
    adjust: both((l) => ({ ...l, result: typeof l.result })),
  },
  command_info_get: {
    reason: "atlasd publishes no COMMAND INFO key specifications (first/last/step match Redis)",
    adjust: both((l) => dropPyKeys(l, ["key_specifications"])),
  },
};

const NODE_KNOWN: Record<string, { reason: string; adjust: Adjust }> = {
  clientInfo_line: {
    reason: "node-redis sends CLIENT SETINFO on connect: atlasd (7.2's command) keeps lib-name " +
      "and lib-ver, redis-server 7.0.15 answers an error that node-redis ignores",
    adjust: both((l) => dropKeys(l, LIB_FIELDS)),
  },
  clientList_self_name: {
    reason: "as clientInfo_line",
    adjust: both((l) => dropKeys(l, LIB_FIELDS)),
  },
};

function compare(
  client: string,
  redis: Line[],
  atlas: Line[],
  known: Record<string, { reason: string; adjust: Adjust }>,
): void {
  assert.deepEqual(
    atlas.map((l) => l.step),
    redis.map((l) => l.step),
    `${client}: the sessions ran different steps`,
  );
  const seen = new Set<string>();
  for (let i = 0; i < redis.length; i++) {
    let [r, a] = [redis[i], atlas[i]];
    const k = known[r.step];
    if (k !== undefined) {
      seen.add(r.step);
      [r, a] = k.adjust(r, a);
    }
    assert.deepEqual(
      a,
      r,
      `${client}: first differing step ${r.step} (#${i})\n  redis:  ${JSON.stringify(r)}\n` +
        `  atlasd: ${JSON.stringify(a)}`,
    );
  }
  // A known difference whose step vanished is stale.
  assert.deepEqual([...seen].sort(), Object.keys(known).sort(), `${client}: known steps ran`);
}

async function withBoth(fn: (redis: Proc, atlas: Proc) => Promise<void>): Promise<void> {
  // AOF on in Redis too: atlasd always logs, and Redis prints its aof_* INFO fields only then.
  const [redis, atlas] = await Promise.all([
    startRedis(["--save", "", "--appendonly", "yes"]),
    startAtlasd(["--sync-mode", "interval"]),
  ]);
  try {
    await fn(redis, atlas);
  } finally {
    await Promise.all([redis.stop(), atlas.stop()]);
  }
}

async function redisPySession(port: number): Promise<Line[]> {
  const out = await new Deno.Command(PYTHON, {
    args: [PY_SCRIPT, String(port)],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, `redis_py_parity.py against port ${port} failed:\n${stderr}`);
  return stdout.trim().split("\n").map((l) => JSON.parse(l) as Line);
}

Deno.test("redis-py: same session, same results on redis-server and atlasd", async () => {
  const check = await new Deno.Command(PYTHON, { args: ["-c", "import redis"], stderr: "piped" })
    .output();
  assert.equal(check.code, 0, "python3-redis is missing: apt-get install -y python3-redis");
  await withBoth(async (redis, atlas) => {
    const r = await redisPySession(redis.port);
    const a = await redisPySession(atlas.port);
    assert.ok(r.length > 400, `only ${r.length} steps ran`);
    compare("redis-py", r, a, PY_KNOWN);
  });
});

Deno.test("node-redis: same session, same results on redis-server and atlasd", async () => {
  await withBoth(async (redis, atlas) => {
    const r = await nodeRedisSession(redis.port);
    const a = await nodeRedisSession(atlas.port);
    assert.ok(r.length > 100, `only ${r.length} steps ran`);
    compare("node-redis", r, a, NODE_KNOWN);
  });
});
