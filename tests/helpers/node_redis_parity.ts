/**
 * A scripted node-redis (npm `redis` v4) session for parity tests
 * (tests/atlasd_client_parity_test.ts): the same session against one server gives one JSON-able line
 * per step, `{ step, result }` or `{ step, error: [class, message] }`. Values that legitimately
 * differ between two servers (ids, timestamps, memory sizes, client addr/fd/age) are normalised
 * here; everything else is kept as node-redis returned it.
 */
import { Buffer } from "node:buffer";
import { commandOptions, createClient } from "redis";

export interface StepLine {
  step: string;
  result?: unknown;
  error?: [string, string];
}

type Client = ReturnType<typeof createClient>;

/** JSON-able form that keeps kinds apart (Buffers, Maps, undefined). */
function norm(v: unknown): unknown {
  if (v === undefined) return { undefined: true };
  if (v === null || typeof v === "string" || typeof v === "boolean") return v;
  if (typeof v === "number") return Number.isFinite(v) ? v : { number: String(v) };
  if (typeof v === "bigint") return { bigint: String(v) };
  if (Buffer.isBuffer(v)) return "b:" + v.toString("latin1");
  if (Array.isArray(v)) return v.map(norm);
  if (v instanceof Map) return { map: [...v].map(([k, x]) => [norm(k), norm(x)]) };
  if (v instanceof Set) return { set: [...v].map(norm).sort() };
  if (v instanceof Error) return { exception: [v.constructor.name, v.message] };
  if (typeof v === "object") {
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)
        .map(([k, x]) => [k, norm(x)]),
    );
  }
  return { other: String(v) };
}

const kind = (v: unknown) => v === null ? null : Buffer.isBuffer(v) ? "buffer" : typeof v;
const sorted = <T>(xs: T[]) => [...xs].sort();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** Fields of a CLIENT LIST / INFO line that differ per connection or per server. */
const CLIENT_VOLATILE = new Set([
  "id",
  "addr",
  "laddr",
  "fd",
  "age",
  "idle",
  "qbuf",
  "qbuf-free",
  "argv-mem",
  "obl",
  "oll",
  "omem",
  "tot-mem",
  "multi-mem",
  "events",
  "rbs",
  "rbp",
]);

function clientFields(line: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of line.trim().split(" ")) {
    const i = part.indexOf("=");
    const k = part.slice(0, i);
    out[k] = CLIENT_VOLATILE.has(k) ? "*" : part.slice(i + 1);
  }
  return out;
}

export async function nodeRedisSession(port: number): Promise<StepLine[]> {
  const lines: StepLine[] = [];
  const url = `redis://127.0.0.1:${port}`;
  const r: Client = createClient({ url });
  const other: Client = createClient({ url });
  r.on("error", () => {});
  other.on("error", () => {});
  await r.connect();
  await other.connect();
  const step = async (name: string, fn: () => Promise<unknown> | unknown) => {
    try {
      lines.push({ step: name, result: norm(await fn()) });
    } catch (e) {
      const err = e as Error & { replies?: unknown };
      const line: StepLine = { step: name, error: [err.constructor.name, err.message] };
      // MultiErrorReply: EXEC's replies, errors in place.
      if (err.replies !== undefined) line.result = norm(err.replies);
      lines.push(line);
    }
  };
  try {
    await step("flushAll", () => r.flushAll());
    // strings
    await step("set", () => r.set("s", "v"));
    await step("set_ex_get", () => r.set("s", "v1", { EX: 100, GET: true }));
    await step("ttl", () => r.ttl("s"));
    await step("set_nx", () => r.set("s", "x", { NX: true }));
    await step("set_xx_missing", () => r.set("missing", "x", { XX: true }));
    await step("set_keepttl", () => r.set("s", "v2", { KEEPTTL: true }));
    await step("ttl_kept", () => r.ttl("s"));
    await step("getEx", () => r.getEx("s", { PERSIST: true }));
    await step("getDel", () => r.getDel("s"));
    await step("incrByFloat", () => r.incrByFloat("f", 1.5));
    await step("incrByFloat_small", () => r.incrByFloat("f", 0.1));
    await step("mSet", () => r.mSet({ m1: "a", m2: "b" }));
    await step("mGet", () => r.mGet(["m1", "nokey", "m2"]));
    await step("setRange", () => r.setRange("sr", 3, "abc"));
    await step("getRange", () => r.getRange("sr", 0, -1));
    await step("append", () => r.append("sr", "d"));
    await step("strLen", () => r.strLen("sr"));
    await step("get_buffer", () => r.get(commandOptions({ returnBuffers: true }), "sr"));
    // keys
    await step("expire_nx", () => r.expire("m1", 100, "NX"));
    await step("expire_gt_smaller", () => r.expire("m1", 50, "GT"));
    await step("expire_lt", () => r.expire("m1", 50, "LT"));
    await step("ttl_m1", () => r.ttl("m1"));
    await step("pTTL_range", async () => {
      const ms = await r.pTTL("m1");
      return ms > 49_000 && ms <= 50_000;
    });
    await step("persist", () => r.persist("m1"));
    await step("type", () => r.type("m1"));
    await step("rename", () => r.rename("m2", "m3"));
    await step("exists", () => r.exists(["m1", "m3", "nokey"]));
    await step(
      "scanIterator_match",
      async () => sorted(await collect(r.scanIterator({ MATCH: "m*", COUNT: 1 }))),
    );
    await step(
      "scanIterator_type",
      async () => sorted(await collect(r.scanIterator({ TYPE: "string" }))),
    );
    await step(
      "randomKey_is_key",
      async () => (await r.keys("*")).includes((await r.randomKey())!),
    );
    await step("dump_restore", async () => {
      const dump = await r.dump(commandOptions({ returnBuffers: true }), "m1");
      return [await r.restore("m1copy", 0, dump), await r.get("m1copy")];
    });
    await step("objectEncoding", () => r.objectEncoding("m1"));
    await step("memoryUsage_kind", async () => kind(await r.memoryUsage("m1")));
    // hashes
    await step("hSet", () => r.hSet("h", { a: "1", b: "2" }));
    await step("hGetAll", () => r.hGetAll("h"));
    await step("hIncrByFloat", () => r.hIncrByFloat("h", "a", 0.5));
    await step(
      "hScanIterator",
      async () => (await collect(r.hScanIterator("h"))).map((e) => `${e.field}=${e.value}`).sort(),
    );
    await step("hRandField_member", async () => ["a", "b"].includes((await r.hRandField("h"))!));
    await step("hRandFieldCount", async () => sorted(await r.hRandFieldCount("h", 5)));
    await step("hRandFieldCountWithValues", () => r.hRandFieldCountWithValues("h", 5));
    // lists
    await step("rPush", () => r.rPush("l", ["a", "b", "c", "a"]));
    await step("lPush", () => r.lPush("l", "z"));
    await step("lRange", () => r.lRange("l", 0, -1));
    await step("lPos", () => r.lPos("l", "a", { RANK: -1 }));
    await step("lPosCount", () => r.lPosCount("l", "a", 0));
    await step("lInsert", () => r.lInsert("l", "BEFORE", "b", "ab"));
    await step("lMove", () => r.lMove("l", "l2", "RIGHT", "LEFT"));
    await step("blPop_empty", () => r.blPop(commandOptions({ isolated: true }), "emptyl", 0.1));
    await step("blPop_nonempty", () => r.blPop(commandOptions({ isolated: true }), ["l2"], 1));
    // sets
    await step("sAdd", () => r.sAdd("s1", ["a", "b", "c"]));
    await step("sAdd2", () => r.sAdd("s2", ["b", "c", "d"]));
    await step("sMembers", async () => sorted(await r.sMembers("s1")));
    await step("sInter", async () => sorted(await r.sInter(["s1", "s2"])));
    await step("sUnion", async () => sorted(await r.sUnion(["s1", "s2"])));
    await step("sDiffStore", () => r.sDiffStore("s3", ["s1", "s2"]));
    await step("smIsMember", () => r.smIsMember("s1", ["a", "z"]));
    await step("sIsMember", () => r.sIsMember("s1", "a"));
    await step("sRandMemberCount", async () => (await r.sRandMemberCount("s1", -5)).length);
    await step("sPop_count", async () => (await r.sPop("s2", 2) as unknown as string[]).length);
    await step("sScanIterator", async () => sorted(await collect(r.sScanIterator("s1"))));
    // sorted sets
    await step("zAdd", () =>
      r.zAdd("z", [{ score: 1, value: "a" }, { score: 2.5, value: "b" }, {
        score: 3,
        value: "c",
      }]));
    await step(
      "zAdd_gt_ch",
      () =>
        r.zAdd("z", [{ score: 0, value: "a" }, { score: 4, value: "b" }], { GT: true, CH: true }),
    );
    await step("zAdd_nx", () => r.zAdd("z", [{ score: 9, value: "a" }], { NX: true }));
    await step("zAddIncr", () => r.sendCommand(["ZADD", "z", "INCR", "0.5", "a"]));
    await step("zRangeWithScores", () => r.zRangeWithScores("z", 0, -1));
    await step(
      "zRange_byscore_rev_limit",
      () =>
        r.zRange("z", "+inf", "-inf", { BY: "SCORE", REV: true, LIMIT: { offset: 1, count: 2 } }),
    );
    await step("zRangeByScore", () => r.zRangeByScore("z", "(1.5", 4));
    await step("zRank", () => r.zRank("z", "b"));
    await step("zScore", () => r.zScore("z", "a"));
    await step("zmScore", () => r.zmScore("z", ["a", "nope"]));
    await step("zPopMin", () => r.zPopMin("z"));
    await step("zUnionStore_weights", async () => {
      await r.zAdd("z2", [{ score: 10, value: "c" }, { score: 1, value: "d" }]);
      return [
        await r.zUnionStore("zu", ["z", "z2"], { WEIGHTS: [2, 0.5] }),
        await r.zRangeWithScores("zu", 0, -1),
      ];
    });
    await step(
      "zScanIterator",
      async () => (await collect(r.zScanIterator("zu"))).map((e) => `${e.value}=${e.score}`).sort(),
    );
    // streams
    await step("xAdd", async () => [
      await r.xAdd("st", "1-1", { a: "1" }),
      await r.xAdd("st", "1-2", { a: "2" }),
      await r.xAdd("st", "2-1", { a: "3" }),
    ]);
    await step("xAdd_trim_approx", () =>
      r.xAdd("st", "3-1", { a: "4" }, {
        TRIM: { strategy: "MAXLEN", strategyModifier: "~", threshold: 2 },
      }));
    await step("xLen", () => r.xLen("st"));
    await step("xRange", () => r.xRange("st", "-", "+", { COUNT: 3 }));
    await step(
      "xRead_block_empty",
      () => r.xRead(commandOptions({ isolated: true }), { key: "st", id: "$" }, { BLOCK: 100 }),
    );
    await step("xRead", () => r.xRead({ key: "st", id: "1-2" }, { COUNT: 1 }));
    await step("xGroupCreate", () => r.xGroupCreate("st", "g", "0"));
    await step("xReadGroup", () => r.xReadGroup("g", "c1", { key: "st", id: ">" }, { COUNT: 2 }));
    await step("xAck", () => r.xAck("st", "g", "1-1"));
    await step("xPending", () => r.xPending("st", "g"));
    await step(
      "xPendingRange",
      async () =>
        (await r.xPendingRange("st", "g", "-", "+", 10)).map((e) => ({
          ...e,
          millisecondsSinceLastDelivery: kind(e.millisecondsSinceLastDelivery),
        })),
    );
    await step("xAutoClaim", () => r.xAutoClaim("st", "g", "c2", 0, "0-0"));
    await step("xInfoStream", () => r.xInfoStream("st"));
    await step("xInfoGroups", () => r.xInfoGroups("st"));
    // geo, hll, bitfield, sort
    await step(
      "geoAdd",
      () =>
        r.geoAdd("geo", [{ longitude: 13.361389, latitude: 38.115556, member: "Palermo" }, {
          longitude: 15.087269,
          latitude: 37.502669,
          member: "Catania",
        }]),
    );
    await step("geoDist", () => r.geoDist("geo", "Palermo", "Catania", "km"));
    await step(
      "geoSearchWith",
      () =>
        r.geoSearchWith("geo", { longitude: 15, latitude: 37 }, { radius: 200, unit: "km" }, [
          "WITHDIST",
          "WITHCOORD",
        ] as never, { SORT: "ASC" }),
    );
    await step(
      "pfAdd_pfCount",
      async () => [await r.pfAdd("hll", ["a", "b", "c"]), await r.pfCount("hll")],
    );
    await step("bitField", () =>
      r.bitField("bf", [
        { operation: "SET", encoding: "u8", offset: 0, value: 255 },
        { operation: "INCRBY", encoding: "u8", offset: 0, increment: 10 },
        { operation: "GET", encoding: "i8", offset: 0 },
      ]));
    await step("sort", async () => {
      await r.rPush("sl", ["3", "1", "2"]);
      return [
        await r.sort("sl"),
        await r.sort("sl", { DIRECTION: "DESC", LIMIT: { offset: 0, count: 2 } }),
      ];
    });
    // transactions and pipelines
    await step("multi_exec", () => r.multi().set("t", "1").incr("t").get("t").exec());
    await step("multi_exec_runtime_error", () => r.multi().set("t2", "a").incr("t2").exec());
    await step(
      "multi_exec_queue_error",
      () => r.multi().set("t3", "a").addCommand(["SET", "t3"]).get("t3").exec(),
    );
    await step("multi_execAsPipeline", () => r.multi().set("p", "1").incr("p").execAsPipeline());
    await step(
      "pipeline_promise_all",
      () => Promise.all([r.set("pa", "1"), r.incr("pa"), r.get("pa")]),
    );
    await step("executeIsolated_watch_conflict", () =>
      r.executeIsolated(async (iso) => {
        await iso.watch("wk");
        await other.set("wk", "changed");
        return iso.multi().set("wk", "mine").exec();
      }));
    await step("watch_key_after_conflict", () => r.get("wk"));
    await step("executeIsolated_watch_ok", () =>
      r.executeIsolated(async (iso) => {
        await iso.watch("wk");
        const v = await iso.get("wk");
        return iso.multi().set("wk", v + "!").get("wk").exec();
      }));
    // scripts
    await step("eval", () =>
      r.eval("return {KEYS[1], ARGV[1], 3.7, redis.call('incr', KEYS[1])}", {
        keys: ["ek"],
        arguments: ["x"],
      }));
    await step("scriptLoad_evalSha", async () => {
      const sha = await r.scriptLoad("return redis.call('get', KEYS[1])");
      return r.evalSha(sha, { keys: ["ek"] });
    });
    await step("evalSha_noscript", () => r.evalSha("0".repeat(40)));
    // pub/sub with a duplicated client
    await step("pubsub_duplicate", async () => {
      const sub = r.duplicate();
      sub.on("error", () => {});
      await sub.connect();
      const got: string[] = [];
      try {
        await sub.subscribe("ch", (m, ch) => got.push(`${ch}:${m}`));
        await sub.pSubscribe("c*", (m, ch) => got.push(`p ${ch}:${m}`));
        const receivers = await r.publish("ch", "hello");
        const numsub = await r.pubSubNumSub(["ch", "nochan"]);
        for (let i = 0; i < 100 && got.length < 2; i++) await sleep(10);
        await sub.unsubscribe("ch");
        const afterUnsub = await r.publish("ch", "again");
        for (let i = 0; i < 100 && got.length < 3; i++) await sleep(10);
        await sub.pUnsubscribe();
        return [receivers, numsub, afterUnsub, sorted(got), await r.pubSubNumPat()];
      } finally {
        await sub.disconnect();
      }
    });
    // sendCommand and server
    await step("sendCommand_set", () => r.sendCommand(["SET", "sc", "1", "GET"]));
    await step("sendCommand_hello2", async () => {
      const h = await r.sendCommand(["HELLO", "2"]) as unknown[];
      return h.filter((_x, i) => i % 2 === 0);
    });
    await step("sendCommand_unknown", () => r.sendCommand(["NOSUCHCMD", "a"]));
    await step("sendCommand_wrongtype", () => r.sendCommand(["LPUSH", "sc", "x"]));
    await step("sendCommand_syntax", () => r.sendCommand(["SET", "sc", "1", "BOGUS"]));
    await step("hGet_wrongtype", () => r.hGet("sc", "f"));
    await step(
      "clientInfo_line",
      async () => clientFields(String(await r.sendCommand(["CLIENT", "INFO"]))),
    );
    await step("clientList_self_name", async () => {
      await r.clientSetName("nr");
      const list = String(await r.sendCommand(["CLIENT", "LIST"]));
      return list.split("\n").filter((l) => l.includes(" name=nr ")).map(clientFields);
    });
    await step("configGet_maxmemory", () => r.configGet("maxmemory*"));
    await step("time_kind", async () => (await r.time()) instanceof Date);
    await step("dbSize", () => r.dbSize());
    await step(
      "info_sections",
      async () => (await r.info()).split("\r\n").filter((l) => l.startsWith("# ")),
    );
    await step("info_keyspace", async () => (await r.info("keyspace")).replace(/avg_ttl=\d+/, ""));
    await step("flushDb", () => r.flushDb());
    await step("dbSize_after", () => r.dbSize());
  } finally {
    await r.disconnect();
    await other.disconnect();
  }
  return lines;
}
