/**
 * Side by side with redis-server 7.0: COMMAND INFO of every command both servers have — arity,
 * flags (names and order), legacy key positions, ACL categories (names and order) and key
 * specifications (all but their notes' wording) and tips, a container's subcommands' entries
 * included; in RESP3 every field's type too (tips and key specs are sets, and so are the
 * subcommands of a plain command).
 * And COMMAND LIST FILTERBY and ACL CAT over the commands both have (Redis also lists
 * `container|sub` names).
 */
import assert from "node:assert/strict";
import {
  type RawClient,
  type RespValue,
  withRedisAndAtlasd,
} from "../atlas/testing/atlasd_harness.ts";

type Info = Map<string, string>;

/** COMMAND's reply as name -> the compared elements, rendered as one comparable string. */
async function commandTable(client: RawClient): Promise<Info> {
  const [reply] = await client.call(["COMMAND"]);
  const table: Info = new Map();
  for (const entry of (reply as { v: RespValue[] }).v) {
    const fields = (entry as { v: RespValue[] }).v;
    const name = (fields[0] as { v: string }).v;
    // Key specs too (field 8), but for their notes' text, which is each server's own words.
    const specs = JSON.stringify(fields[8]).replace(
      /("v":"notes"\},\{"t":"bulk","v":)"[^"]*"/g,
      '$1"…"',
    );
    table.set(name, JSON.stringify(fields.slice(1, 8)) + specs);
    // A container's subcommands, each as its own row (`config|get`).
    const subs = fields[9] as { t: string; v: RespValue[] };
    if (subs.t === "array") {
      for (const sub of subs.v) {
        const f = (sub as { v: RespValue[] }).v;
        table.set((f[0] as { v: string }).v, JSON.stringify(f.slice(1, 8)));
      }
    }
  }
  return table;
}

Deno.test("COMMAND INFO: arity, flags, key positions, ACL categories, tips and key specs match redis-server, subcommands too", () =>
  withRedisAndAtlasd(async (redisClient, atlasClient) => {
    const redis = await commandTable(redisClient);
    const atlas = await commandTable(atlasClient);
    const shared = [...atlas.keys()].filter((name) => redis.has(name)).sort();
    assert.ok(shared.length >= 200, `${shared.length} commands in common`);
    const differing = shared
      .filter((name) => atlas.get(name) !== redis.get(name))
      .map((name) => `${name}: redis ${redis.get(name)} atlasd ${atlas.get(name)}`);
    assert.deepEqual(differing, []);
  }));

/** Per command, the RESP3 type of each COMMAND INFO field (and of a container's entries). */
async function resp3Shapes(client: RawClient): Promise<Info> {
  await client.call(["HELLO", "3"]);
  const [reply] = await client.call(["COMMAND"]);
  const shapes: Info = new Map();
  const shape = (entry: RespValue): string =>
    (entry as { v: RespValue[] }).v.map((field, i) =>
      i === 9 && field.t === "array" ? `array[${field.v.map(shape).join(" ")}]` : field.t
    ).join(",");
  for (const entry of (reply as { v: RespValue[] }).v) {
    shapes.set(((entry as { v: RespValue[] }).v[0] as { v: string }).v, shape(entry));
  }
  return shapes;
}

Deno.test("COMMAND INFO in RESP3: every field is the type Redis sends (sets for tips, key specs, no subcommands)", () =>
  withRedisAndAtlasd(async (redisClient, atlasClient) => {
    const redis = await resp3Shapes(redisClient);
    const atlas = await resp3Shapes(atlasClient);
    // Containers' subcommand lists differ where atlasd lacks a subcommand: compare leaves fully,
    // containers by their own fields.
    const own = (s: string) => s.replace(/array\[.*\]$/, "array");
    const differing = [...atlas.keys()].filter((name) => redis.has(name))
      .filter((name) => own(atlas.get(name)!) !== own(redis.get(name)!))
      .map((name) => `${name}: redis ${redis.get(name)} atlasd ${atlas.get(name)}`);
    assert.deepEqual(differing, []);
    assert.equal(atlas.get("get"), redis.get("get"));
    assert.match(atlas.get("config")!, /,set,set,set,array\[.+\]$/);
  }));

/** A container's nested subcommand entries (element 10): name -> compared elements. */
function nested(entry: RespValue): Info {
  const subs = ((entry as { v: RespValue[] }).v[9] as { v: RespValue[] }).v;
  const out: Info = new Map();
  for (const sub of subs) {
    const fields = (sub as { v: RespValue[] }).v;
    out.set((fields[0] as { v: string }).v, JSON.stringify(fields.slice(1, 7)));
  }
  return out;
}

Deno.test("COMMAND INFO: subcommands (nested and on their own) match redis-server's", () =>
  withRedisAndAtlasd(async (redisClient, atlasClient) => {
    const containers = ["acl", "client", "command", "config", "function", "latency", "memory"]
      .concat(["module", "object", "pubsub", "script", "slowlog", "xgroup", "xinfo"]);
    const [redisReply] = await redisClient.call(["COMMAND", "INFO", ...containers]);
    const [atlasReply] = await atlasClient.call(["COMMAND", "INFO", ...containers]);
    const differing: string[] = [];
    let compared = 0;
    containers.forEach((container, i) => {
      const redis = nested((redisReply as { v: RespValue[] }).v[i]);
      const atlas = nested((atlasReply as { v: RespValue[] }).v[i]);
      if (atlas.size === 0) differing.push(`${container}: no subcommands listed`);
      for (const [name, fields] of atlas) {
        compared++;
        if (redis.get(name) !== fields) {
          differing.push(`${name}: redis ${redis.get(name)} atlasd ${fields}`);
        }
      }
    });
    assert.deepEqual(differing, []);
    assert.ok(compared >= 95, `${compared} subcommands compared`);
    // On its own (COMMAND INFO config|get), the same entry; an unknown subcommand is nil.
    for (const name of ["config|get", "client|list", "xinfo|stream", "client|nosuch"]) {
      const [want] = await redisClient.call(["COMMAND", "INFO", name]);
      const [got] = await atlasClient.call(["COMMAND", "INFO", name]);
      const shown = (reply: RespValue) =>
        JSON.stringify(
          (reply as { v: RespValue[] }).v.map((e) =>
            e.t === "array" ? (e as { v: RespValue[] }).v.slice(0, 7) : e
          ),
        );
      assert.equal(shown(got), shown(want), name);
    }
  }));

const FILTERS: string[][] = [
  ["FILTERBY", "ACLCAT", "hyperloglog"],
  ["FILTERBY", "ACLCAT", "STRING"],
  ["FILTERBY", "ACLCAT", "dangerous"],
  ["FILTERBY", "ACLCAT", "connection"],
  ["FILTERBY", "ACLCAT", "blocking"],
  ["FILTERBY", "ACLCAT", "nosuch"],
  ["FILTERBY", "PATTERN", "z*store"],
  ["FILTERBY", "PATTERN", "GET"],
  ["FILTERBY", "PATTERN", "*range*"],
  ["FILTERBY", "MODULE", "foo"],
];
const REFUSED: string[][] = [["foo"], ["FILTERBY"], ["FILTERBY", "PATTERN"], [
  "FILTERBY",
  "WHAT",
  "x",
]];

Deno.test("COMMAND LIST FILTERBY ACLCAT / PATTERN / MODULE agree with redis-server", () =>
  withRedisAndAtlasd(async (redis, atlas) => {
    const names = async (client: RawClient, args: string[]) => {
      const [reply] = await client.call(["COMMAND", "LIST", ...args]);
      return (reply as { v: RespValue[] }).v.map((name) => (name as { v: string }).v);
    };
    const redisAll = new Set(await names(redis, []));
    const atlasAll = new Set(await names(atlas, []));
    for (const filter of FILTERS) {
      const want = (await names(redis, filter)).filter((n) => atlasAll.has(n)).sort();
      const got = (await names(atlas, filter)).filter((n) => redisAll.has(n)).sort();
      assert.deepEqual(got, want, filter.join(" "));
    }
    for (const args of REFUSED) {
      const [want] = await redis.call(["COMMAND", "LIST", ...args]);
      const [got] = await atlas.call(["COMMAND", "LIST", ...args]);
      assert.deepEqual(got, want, args.join(" "));
    }
  }));

Deno.test("ACL CAT lists Redis's categories and, per category, the same shared commands", () =>
  withRedisAndAtlasd(async (redis, atlas) => {
    const list = async (client: RawClient, argv: string[]) => {
      const [reply] = await client.call(argv);
      return (reply as { v: RespValue[] }).v.map((name) => (name as { v: string }).v);
    };
    const categories = await list(redis, ["ACL", "CAT"]);
    assert.deepEqual(await list(atlas, ["ACL", "CAT"]), categories);
    const redisAll = new Set(await list(redis, ["COMMAND", "LIST"]));
    const atlasAll = new Set(await list(atlas, ["COMMAND", "LIST"]));
    for (const category of [...categories, "STRING"]) {
      const want = (await list(redis, ["ACL", "CAT", category])).filter((n) => atlasAll.has(n));
      const got = (await list(atlas, ["ACL", "CAT", category])).filter((n) => redisAll.has(n));
      assert.deepEqual(got.sort(), want.sort(), category);
    }
    for (const argv of [["ACL", "CAT", "nosuch"], ["ACL", "CAT", "string", "extra"]]) {
      const [want] = await redis.call(argv);
      const [got] = await atlas.call(argv);
      assert.deepEqual(got, want, argv.join(" "));
    }
  }));

const GETKEYS: string[][] = [
  ["GET"],
  ["PING"],
  ["GET", "a", "b"],
  ["SET", "a", "b"],
  ["MSET", "a", "1", "b", "2"],
  ["ZINTERCARD", "2", "a", "b", "LIMIT", "1"],
  ["ZINTERCARD", "0", "a"],
  ["ZINTERCARD", "3", "a", "b"],
  ["SINTERCARD", "2", "x", "y"],
  ["LMPOP", "2", "a", "b", "LEFT"],
  ["ZUNIONSTORE", "d", "2", "a", "b"],
  ["XREAD", "COUNT", "2", "STREAMS", "s1", "s2", "0", "0"],
  ["SORT", "k", "STORE", "d"],
  ["EVAL", "return 1", "2", "k1", "k2", "a"],
  ["NOSUCH", "a"],
];

Deno.test("COMMAND GETKEYS finds the same keys and gives the same errors as redis-server", () =>
  withRedisAndAtlasd(async (redis, atlas) => {
    for (const args of GETKEYS) {
      const argv = ["COMMAND", "GETKEYS", ...args];
      const [want] = await redis.call(argv);
      const [got] = await atlas.call(argv);
      assert.deepEqual(got, want, args.join(" "));
    }
  }));

const CONTAINERS = [
  "ACL",
  "CLIENT",
  "COMMAND",
  "CONFIG",
  "FUNCTION",
  "LATENCY",
  "MEMORY",
  "MODULE",
  "OBJECT",
  "PUBSUB",
  "SCRIPT",
  "SLOWLOG",
  "XGROUP",
  "XINFO",
];

Deno.test("every container answers HELP (its own text) and refuses HELP with arguments as Redis does", () =>
  withRedisAndAtlasd(async (redis, atlas) => {
    for (const container of CONTAINERS) {
      const [want] = await redis.call([container, "HELP"]);
      const [got] = await atlas.call([container, "HELP"]);
      assert.equal(got.t, "array", `${container} HELP`);
      const first = (reply: RespValue) => ((reply as { v: RespValue[] }).v[0] as { v: string }).v;
      assert.equal(first(got), first(want), `${container} HELP's first line`);
      const [wantExtra] = await redis.call([container, "HELP", "extra"]);
      const [gotExtra] = await atlas.call([container, "HELP", "extra"]);
      assert.deepEqual(gotExtra, wantExtra, `${container} HELP extra`);
    }
  }));
