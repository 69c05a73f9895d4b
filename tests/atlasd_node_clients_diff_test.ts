/**
 * ioredis (v6, RESP3 by default) and node-redis 4.7.1 side by side with redis-server 7.0.15,
 * beyond the basic families: each probe runs the same client calls against a redis-server and
 * then against atlasd (real processes) and records what the client returned (values, reply
 * types as the client maps them, thrown error classes and messages, events); the records must
 * be equal, and every difference of a step is reported at once.
 *
 * ioredis: the connect handshake (connectionName, db, enableReadyCheck's INFO, username /
 * password against requirepass, RESP2 and RESP3), enableAutoPipelining, scan / hscan / sscan /
 * zscan streams with MATCH / COUNT / TYPE, pipeline() and multi() with errors inside (EXECABORT,
 * WATCH failure), defineCommand (EVALSHA falling back to EVAL after SCRIPT FLUSH, fixed and
 * dynamic numberOfKeys, keyPrefix), monitor() (a script's commands from "lua"), pub/sub (channels,
 * patterns, shard channels, Buffers, resubscribing after CLIENT KILL), keyPrefix, blocking
 * commands and commandTimeout, binary-safe keys and values (all 256 byte values), streams with
 * consumer groups (XREADGROUP BLOCK woken by XADD or ended by XGROUP DESTROY, XAUTOCLAIM,
 * extended XPENDING, XINFO), quit() / disconnect() / reconnectOnError, CLIENT TRACKING with a
 * RESP2 redirect, call() returning every reply type (RESP2, RESP3 legacy and resp3 mappings).
 * node-redis: HELLO, INFO, CLIENT INFO / LIST parsing, requirepass, the scan iterators,
 * multi() / WatchError / executeIsolated, isolated blocking XREADGROUP / BLPOP / BZPOPMAX /
 * BLMOVE / BLMPOP, pub/sub on a duplicate (subscribe, pSubscribe, sSubscribe, buffers,
 * resubscribing after CLIENT KILL), sendCommand, defineScript, functions (FUNCTION LOAD and the
 * `functions` option), ErrorReply messages, server commands with reply transforms (MEMORY, ACL,
 * COMMAND, CONFIG, CLIENT, XINFO, GEO), reconnectStrategy, quit() / disconnect().
 *
 * Pinned here: BGSAVE / BGREWRITEAOF / SAVE answer by what the running snapshot stands for, as
 * Redis answers by the kind of child it runs (atlasd answered "Background save already in
 * progress" to all three): BGREWRITEAOF during a BGSAVE is scheduled, BGSAVE during a rewrite is
 * refused (or scheduled with SCHEDULE), SAVE during a rewrite saves; inside EXEC both are
 * "scheduled"; BGSAVE with an argument other than SCHEDULE is a syntax error.
 *
 * Left out as documented differences (docs/atlasd.md): one database (SELECT 1), CLIENT SETINFO's
 * lib-name / lib-ver, DEBUG, connection ids, COMMAND COUNT / LIST, CONFIG GET's parameter set,
 * the HELP texts; FUNCTION LIST's function order is random in Redis and compared sorted.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { Redis } from "ioredis";
import {
  commandOptions,
  createClient,
  defineScript,
  ErrorReply,
  type RedisClientType,
  WatchError,
} from "redis";
import { type Proc, startAtlasd, startRedis } from "../atlas/testing/atlasd_harness.ts";

type Record_ = (name: string, value: unknown) => void;
type Probe = (port: number, rec: Record_) => Promise<void>;

/** JSON-able form keeping kinds apart (Buffers, Maps, Sets, Dates, errors by class). */
function norm(v: unknown): unknown {
  if (v === undefined) return { undefined: true };
  if (v === null || typeof v === "string" || typeof v === "boolean") return v;
  if (typeof v === "number") return Number.isFinite(v) ? v : { number: String(v) };
  if (typeof v === "bigint") return { bigint: String(v) };
  if (Buffer.isBuffer(v)) return { buffer: v.toString("hex") };
  if (Array.isArray(v)) return v.map(norm);
  if (v instanceof Map) return { map: [...v].map(([k, x]) => [norm(k), norm(x)]) };
  if (v instanceof Set) return { set: [...v].map(norm) };
  if (v instanceof Date) return { date: true };
  if (v instanceof Error) {
    const previous = (v as { previousErrors?: unknown[] }).previousErrors;
    return { error: [v.constructor.name, v.message, ...(previous ? [norm(previous)] : [])] };
  }
  if (typeof v === "object") {
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a < b ? -1 : 1)
        .map(([k, x]) => [k, norm(x)]),
    );
  }
  return { other: typeof v };
}

/** The value, or what it threw. */
async function settle(f: () => Promise<unknown>): Promise<unknown> {
  try {
    return await f();
  } catch (e) {
    return { threw: e };
  }
}

/** Resolves with the event's arguments once `n` arrived; a deadline only for failures. */
function events(
  emitter: { on(e: string, f: (...a: never[]) => void): unknown },
  name: string,
  n: number,
  map: (...a: never[]) => unknown = (...a) => a,
): Promise<unknown[]> {
  const got: unknown[] = [];
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve([...got, `only ${got.length} ${name}`]), 5000);
    emitter.on(name, (...a: never[]) => {
      got.push(map(...a));
      if (got.length === n) {
        clearTimeout(timer);
        resolve(got);
      }
    });
  });
}

/** Polls until `check` holds (an observable server state, not a guess at timing). */
async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const clientList = async (r: Redis) => String(await r.client("LIST"));
const blockedCount = async (r: Redis) => (await clientList(r)).match(/ flags=b /g)?.length ?? 0;

function io(port: number, options: Record<string, unknown> = {}): Redis {
  const r = new Redis({
    host: "127.0.0.1",
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    ...options,
  });
  r.on("error", () => {}); // failed handshakes are recorded from connect() itself
  return r;
}

async function ioConnected(port: number, options: Record<string, unknown> = {}): Promise<Redis> {
  const r = io(port, options);
  await r.connect();
  return r;
}

function nr(port: number, options: Record<string, unknown> = {}): RedisClientType {
  const socket = { host: "127.0.0.1", port, ...(options.socket as object | undefined) };
  const c = createClient({ ...options, socket } as never) as RedisClientType;
  c.on("error", () => {});
  return c;
}

async function nrConnected(
  port: number,
  options: Record<string, unknown> = {},
): Promise<RedisClientType> {
  const c = nr(port, options);
  await c.connect();
  return c;
}

/** Drops CLIENT SETINFO's fields (documented: 7.0.15 answers SETINFO with an error). */
const withoutLib = (line: string) => line.replace(/ lib-name=\S* lib-ver=\S*/, "");

// ---------------------------------------------------------------------------------------------
// ioredis

const IOREDIS: Record<string, Probe> = {
  async handshake(port, rec) {
    for (const protocol of [2, 3]) {
      // ioredis SELECTs the database as it connects (a redis://host/5 URL does the same).
      const r = await ioConnected(port, { connectionName: "app-one", protocol, db: 5 });
      try {
        rec(`p${protocol} status`, r.status);
        rec(`p${protocol} getname`, await r.client("GETNAME"));
        const info = withoutLib(String(await r.client("INFO")));
        rec(`p${protocol} client info`, [
          // (age and idle: seconds, which a second boundary can split between the two servers)
          info.match(/ name=\S* .* multi=-?\d+ /)?.[0].replace(/ age=\d+ idle=\d+ /, " "),
          info.match(/ events=.*/)?.[0],
        ]);
        rec(`p${protocol} ready check INFO loading`, (r as unknown as Info).serverInfo?.loading);
        const hello = await r.hello() as unknown[];
        rec(`p${protocol} hello`, hello.map((x, i) => hello[i - 1] === "id" ? typeof x : x));
      } finally {
        r.disconnect();
      }
    }
    const auto = await ioConnected(port, { enableAutoPipelining: true });
    try {
      await auto.del("ap", "aph");
      rec(
        "auto-pipelined",
        await Promise.allSettled([
          auto.set("ap", "1"),
          auto.incr("ap"),
          auto.lpush("ap", "x"),
          auto.get("ap"),
          auto.hset("aph", "f", "v"),
          auto.hgetall("aph"),
        ]),
      );
    } finally {
      auto.disconnect();
    }
  },

  async "username / password with requirepass"(port, rec) {
    const admin = await ioConnected(port);
    await admin.config("SET", "requirepass", "s3cret");
    try {
      const cases: [string, Record<string, unknown>][] = [
        ["password", { password: "s3cret" }],
        ["username", { username: "default", password: "s3cret" }],
        ["wrong password", { password: "bad" }],
        ["unknown user", { username: "nobody", password: "s3cret" }],
        ["none", {}],
      ];
      for (const protocol of [2, 3]) {
        for (const [label, options] of cases) {
          const r = io(port, { protocol, ...options, retryStrategy: () => null });
          const emitted: string[] = [];
          r.on("error", (e: Error) => emitted.push(`${e.constructor.name}: ${e.message}`));
          rec(`p${protocol} ${label} connect`, await settle(() => r.connect()));
          rec(`p${protocol} ${label} ping`, await settle(() => r.ping()));
          rec(`p${protocol} ${label} errors`, emitted);
          r.disconnect();
        }
      }
    } finally {
      await admin.auth("s3cret");
      await admin.config("SET", "requirepass", "");
      admin.disconnect();
    }
  },

  async "scan streams"(port, rec) {
    const r = await ioConnected(port);
    try {
      const p = r.pipeline();
      for (let i = 0; i < 300; i++) p.set(`user:${i}`, i);
      for (let i = 0; i < 200; i++) p.hset("bigh", `f${i}`, i);
      for (let i = 0; i < 5; i++) p.hset("smallh", `f${i}`, i);
      for (let i = 0; i < 200; i++) p.sadd("bigs", `m${i}`);
      for (let i = 0; i < 200; i++) p.zadd("bigz", i, `m${i}`);
      p.zadd("smallz", 0.5, "a", 1, "b").sadd("ints", 1, 2, 3, 40);
      await p.exec();
      const all = (s: NodeJS.ReadableStream) =>
        new Promise<unknown[]>((resolve, reject) => {
          const out: unknown[] = [];
          s.on("data", (d: unknown[]) => out.push(...d));
          s.on("end", () => resolve(out));
          s.on("error", reject);
        });
      const sorted = (xs: unknown[]) => xs.map(String).sort();
      rec("scan match", sorted(await all(r.scanStream({ match: "user:1*", count: 20 }))));
      rec("scan type", sorted(await all(r.scanStream({ type: "zset", count: 1000 }))));
      rec("scan all", (await all(r.scanStream({ count: 7 }))).length);
      rec("scanBuffer", sorted(await all(r.scanBufferStream({ match: "user:29?" }))));
      rec("hscan match", (await all(r.hscanStream("bigh", { match: "f1?", count: 10 }))).length);
      rec("hscan small", await all(r.hscanStream("smallh", { count: 1 })));
      rec("sscan", sorted(await all(r.sscanStream("bigs", { match: "m1*" }))));
      rec("sscan intset", await all(r.sscanStream("ints")));
      rec("zscan", (await all(r.zscanStream("bigz", { match: "m19*", count: 5 }))).length);
      rec("zscan small", await all(r.zscanStream("smallz")));
      rec("zscan missing", await all(r.zscanStream("nokey")));
      rec("hscan wrong type", await settle(() => all(r.hscanStream("bigz"))));
      rec("scan bad cursor", await settle(() => r.scan("abc")));
    } finally {
      r.disconnect();
    }
  },

  async "pipeline and multi"(port, rec) {
    const r = await ioConnected(port);
    const other = await ioConnected(port);
    try {
      rec(
        "pipeline with errors",
        await r.pipeline().set("a", "1").lpush("a", "x").get("a").call("NOSUCH", "x").call("GET")
          .hget("a", "f").exec(),
      );
      rec("multi runtime error", await r.multi().set("c", "1").lpush("c", "x").incr("c").exec());
      rec(
        "multi EXECABORT",
        await settle(() => r.multi().set("d", "1").call("NOSUCH").incr("d").exec()),
      );
      rec("multi arity EXECABORT", await settle(() => r.multi().set("d", "1").call("GET").exec()));
      rec("not written", await r.get("d"));
      rec(
        "multi without pipeline",
        await settle(async () => {
          await r.multi({ pipeline: false });
          return [await r.set("e", "1"), await settle(() => r.call("NOSUCH")), await r.exec()];
        }),
      );
      await r.watch("w");
      await other.set("w", "theirs");
      rec("WATCH failure", await r.multi().set("w", "mine").get("w").exec());
      rec("after WATCH failure", await r.get("w"));
      await r.watch("w");
      rec("WATCH kept", await r.multi().set("w", "mine").get("w").exec());
      await r.watch("w2");
      await other.del("w2"); // deleting a missing key touches nothing
      rec("WATCH missing key", await r.multi().set("w2", "1").exec());
      const chain = (r.pipeline() as unknown as Chain).set("f", "1").multi().incr("f").incr("f")
        .exec().get("f");
      rec("multi in a pipeline", await (chain as unknown as { exec(): Promise<unknown> }).exec());
      rec("blocking in multi", await r.multi().blpop("nolist", 0).bzpopmin("noz", 0).exec());
      rec("EXEC without MULTI", await settle(() => r.exec()));
    } finally {
      r.disconnect();
      other.disconnect();
    }
  },

  async defineCommand(port, rec) {
    const r = await ioConnected(port);
    const prefixed = await ioConnected(port, { keyPrefix: "pp:" });
    try {
      await r.script("FLUSH");
      r.defineCommand("echoKeys", {
        numberOfKeys: 2,
        lua: "return {KEYS[1], KEYS[2], ARGV[1], #ARGV}",
      });
      r.defineCommand("dyn", {
        lua: "redis.call('set', KEYS[1], ARGV[1]); return redis.call('get', KEYS[1])",
      });
      r.defineCommand("types", {
        numberOfKeys: 0,
        lua: "return {1, 'two', {3, 'four'}, true, false, redis.status_reply('OK'), 3.9, nil, 5}",
      });
      r.defineCommand("err", { numberOfKeys: 0, lua: "return redis.call('nosuch')" });
      r.defineCommand("perr", { numberOfKeys: 0, lua: "return redis.pcall('lpush', 'k1', 'x')" });
      const x = r as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
      rec("fixed keys", await x.echoKeys("k1", "k2", "a", "b"));
      rec("Buffer variant", await x.echoKeysBuffer("k1", "k2", "a"));
      rec("dynamic keys", await x.dyn(1, "k1", "v1"));
      rec("reply types", await x.types());
      rec("error", await settle(() => x.err()));
      rec("pcall error", await settle(() => x.perr()));
      const pipe = r.pipeline() as unknown as Record<string, (...a: unknown[]) => unknown>;
      pipe.echoKeys("a", "b", "c");
      pipe.dyn(1, "k2", "v2");
      rec("pipeline", await (pipe as unknown as { exec(): Promise<unknown> }).exec());
      await r.script("FLUSH");
      rec("after SCRIPT FLUSH (EVALSHA, NOSCRIPT, EVAL)", await x.echoKeys("k1", "k2", "z"));
      await r.script("FLUSH");
      const multi = r.multi() as unknown as Record<string, (...a: unknown[]) => unknown>;
      multi.echoKeys("a", "b", "c");
      rec("multi after FLUSH", await (multi as unknown as { exec(): Promise<unknown> }).exec());
      prefixed.defineCommand("dyn", {
        lua: "redis.call('set', KEYS[1], ARGV[1]); return KEYS[1]",
      });
      const p = prefixed as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
      rec("keyPrefix", await p.dyn(1, "k9", "v"));
      rec("keyPrefix stored", await r.get("pp:k9"));
    } finally {
      r.disconnect();
      prefixed.disconnect();
    }
  },

  async monitor(port, rec) {
    const r = await ioConnected(port);
    const monitor = await r.monitor();
    try {
      const seen = events(monitor, "monitor", 7, (time, args, source, db) => [
        /^\d+\.\d{6}$/.test(time as string),
        args,
        source === "lua" ? "lua" : /^127\.0\.0\.1:\d+$/.test(source as string),
        db,
      ]);
      await r.set("mk", 'v a"l\n\x01');
      await r.call("EVAL", "return redis.call('get', KEYS[1])", 1, "mk");
      await r.multi().incr("mc").exec();
      await r.get("mk");
      await r.config("GET", "maxmemory"); // admin: not shown
      rec("lines", await seen);
      rec("a command on the monitor", await settle(() => monitor.get("x")));
    } finally {
      monitor.disconnect();
      r.disconnect();
    }
  },

  async "pub/sub"(port, rec) {
    for (const protocol of [2, 3]) {
      const P = `p${protocol}`;
      const pub = await ioConnected(port, { protocol });
      const sub = await ioConnected(port, { protocol });
      try {
        rec(`${P} subscribe`, await sub.subscribe("ch1", "ch2"));
        rec(`${P} psubscribe`, await sub.psubscribe("ch*", "x?"));
        rec(`${P} ssubscribe`, await sub.ssubscribe("sh1", "sh2"));
        const messages = events(sub, "messageBuffer", 1);
        const pmessages = events(sub, "pmessageBuffer", 2);
        const smessages = events(sub, "smessageBuffer", 1);
        const bytes = Buffer.from([0, 1, 0xfe, 0xff, 13, 10, 0x80]);
        rec(`${P} publish`, await pub.publish("ch1", bytes));
        rec(`${P} publish pattern`, await pub.publish("xy", "hello"));
        rec(`${P} spublish`, await pub.spublish("sh1", "shard"));
        rec(`${P} message`, await messages);
        rec(`${P} pmessage`, await pmessages);
        rec(`${P} smessage`, await smessages);
        rec(`${P} ping`, await sub.ping());
        rec(`${P} get while subscribed`, await settle(() => sub.get("x")));
        rec(`${P} numsub`, await pub.pubsub("NUMSUB", "ch1", "sh1"));
        rec(`${P} shardnumsub`, await pub.pubsub("SHARDNUMSUB", "sh1", "ch1"));
        rec(`${P} numpat`, await pub.pubsub("NUMPAT"));
        rec(`${P} sunsubscribe all`, await sub.sunsubscribe());
        rec(`${P} unsubscribe`, await sub.unsubscribe("ch1", "ch2", "never"));
        rec(`${P} punsubscribe all`, await sub.punsubscribe());
        rec(`${P} get after`, await sub.get("x"));
      } finally {
        sub.disconnect();
      }
      // Killed by CLIENT KILL: ioredis reconnects and subscribes again to all three kinds.
      const again = await ioConnected(port, { protocol });
      try {
        const id = await again.client("ID");
        await again.subscribe("rc");
        await again.psubscribe("rc*");
        await again.ssubscribe("rcs");
        const ready = events(again, "ready", 1);
        rec(`${P} kill`, await pub.client("KILL", "ID", String(id)));
        await ready;
        await until("resubscribed", async () => {
          const n = await pub.pubsub("NUMSUB", "rc") as [string, number];
          const s = await pub.pubsub("SHARDNUMSUB", "rcs") as [string, number];
          const p = await pub.pubsub("NUMPAT") as unknown as number;
          return n[1] === 1 && s[1] === 1 && p === 1;
        });
        const m = events(again, "message", 1);
        const p = events(again, "pmessage", 1);
        const s = events(again, "smessage", 1);
        rec(`${P} publish after reconnect`, await pub.publish("rc", "again"));
        rec(`${P} spublish after reconnect`, await pub.spublish("rcs", "s-again"));
        rec(`${P} after reconnect`, [await m, await p, await s]);
      } finally {
        again.disconnect();
        pub.disconnect();
      }
    }
  },

  async keyPrefix(port, rec) {
    const r = await ioConnected(port);
    const k = await ioConnected(port, { keyPrefix: "app:" });
    try {
      await k.set("a", "1");
      await k.mset("b", "2", "c", "3");
      rec("mget", await k.mget("a", "b", "c"));
      rec("rename", await k.rename("a", "a2"));
      rec("exists", await k.exists("a2", "b", "zz"));
      await k.rpush("src", "x");
      rec("blmove", await k.blmove("src", "dst", "LEFT", "LEFT", 1));
      rec("eval keys", await k.eval("return KEYS", 2, "x", "y"));
      await k.xgroup("CREATE", "st", "g", "$", "MKSTREAM");
      await k.xadd("st", "1-1", "f", "v");
      rec("xreadgroup", await k.xreadgroup("GROUP", "g", "c", "STREAMS", "st", ">"));
      rec("pipeline", await k.pipeline().set("p", 1).get("p").exec());
      rec("multi", await k.multi().set("m", 1).get("m").exec());
      rec("stored keys", (await r.keys("*")).sort());
    } finally {
      k.disconnect();
      r.disconnect();
    }
  },

  async "blocking commands"(port, rec) {
    const timed = await ioConnected(port, { commandTimeout: 200 });
    try {
      rec("BLPOP 0 past commandTimeout", await settle(() => timed.blpop("nolist", 0)));
    } finally {
      timed.disconnect();
    }
    const b = await ioConnected(port);
    try {
      rec("timeouts", [
        await b.blpop("nolist", 0.05),
        await b.bzpopmin("noz", 0.05),
        await b.blmpop(0.05, 1, "nolist", "LEFT"),
        await b.bzmpop(0.05, 1, "noz", "MIN"),
        await b.xread("BLOCK", 50, "STREAMS", "nost", "$"),
        await b.brpoplpush("nolist", "d", 0.05),
      ]);
      await b.rpush("l1", "a");
      await b.zadd("z1", 1, "m");
      rec("blmpop", await b.blmpop(1, 2, "nolist", "l1", "RIGHT", "COUNT", 5));
      rec("bzmpop", await b.bzmpop(1, 1, "z1", "MAX"));
      rec("negative timeout", await settle(() => b.bzpopmin("z1", -1)));
      rec("bad timeout", await settle(() => b.blpop("z1", "abc")));
    } finally {
      b.disconnect();
    }
  },

  async "binary keys and values"(port, rec) {
    const r = await ioConnected(port);
    try {
      const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const key = Buffer.concat([Buffer.from("k:"), all]);
      rec("set", await r.set(key, all));
      rec("getBuffer", await r.getBuffer(key));
      rec("keysBuffer", await r.keysBuffer("k:*"));
      rec("mgetBuffer", await r.mgetBuffer(key, "nokey"));
      await r.del(key);
      await r.hset(key, all, all, "f2", Buffer.from([0xff]));
      rec("hgetallBuffer", await r.hgetallBuffer(key));
      await r.del(key);
      await r.rpush(key, all, Buffer.alloc(0), Buffer.from([0]));
      rec("lrangeBuffer", await r.lrangeBuffer(key, 0, -1));
      await r.del(key);
      await r.zadd(key, 1.5, all, "-inf", Buffer.from([0x80]));
      rec("zrangeBuffer", await r.zrangeBuffer(key, "0", "-1", "WITHSCORES"));
      await r.del(key);
      await r.xadd(key, "1-1", all, all);
      rec("xrangeBuffer", await r.xrangeBuffer(key, "-", "+"));
      const dump = await r.dumpBuffer(key);
      await r.del(key);
      rec("restore", [await r.restore(key, 0, dump!), await r.xlen(key)]);
      rec("evalBuffer", await loose(r).evalBuffer("return ARGV[1]", 0, all));
      rec("echoBuffer", await r.echoBuffer(all));
      const pattern = Buffer.concat([Buffer.from("k:"), all.subarray(0, 5), Buffer.from("*")]);
      rec("scanBuffer", await loose(r).scanBuffer(0, "MATCH", pattern));
    } finally {
      r.disconnect();
    }
  },

  async "streams with consumer groups"(port, rec) {
    for (const protocol of [2, 3]) {
      const P = `p${protocol}`;
      const r = await ioConnected(port, { protocol });
      const b = await ioConnected(port, { protocol });
      try {
        await r.del("st");
        rec(`${P} create`, await r.xgroup("CREATE", "st", "g", "$", "MKSTREAM"));
        rec(`${P} create again`, await settle(() => r.xgroup("CREATE", "st", "g", "$")));
        rec(`${P} createconsumer`, await r.xgroup("CREATECONSUMER", "st", "g", "alice"));
        const blocked = b.xreadgroup(
          "GROUP",
          "g",
          "bob",
          "COUNT",
          10,
          "BLOCK",
          5000,
          "STREAMS",
          "st",
          ">",
        );
        await until("XREADGROUP to block", async () => await blockedCount(r) === 1);
        rec(`${P} xadd`, await r.xadd("st", "1-1", "f", "v1", "g", "w"));
        rec(`${P} woken`, await blocked);
        await r.xadd("st", "2-1", "f", "v2");
        await r.xadd("st", "3-1", "f", "v3");
        rec(`${P} read`, await r.xreadgroup("GROUP", "g", "alice", "STREAMS", "st", ">"));
        rec(`${P} history`, await r.xreadgroup("GROUP", "g", "alice", "STREAMS", "st", "0"));
        rec(`${P} pending`, await r.xpending("st", "g"));
        const extended = await r.xpending("st", "g", "-", "+", 10) as unknown[][];
        rec(`${P} pending extended`, extended.map((e) => [e[0], e[1], typeof e[2], e[3]]));
        const idle = await r.xpending("st", "g", "IDLE", 0, "-", "+", 10, "bob") as unknown[][];
        rec(`${P} pending IDLE consumer`, idle.map((e) => [e[0], e[1], e[3]]));
        rec(`${P} claim JUSTID`, await r.xclaim("st", "g", "carol", 0, "1-1", "JUSTID"));
        rec(
          `${P} claim`,
          await r.xclaim("st", "g", "carol", 0, "2-1", "IDLE", 5, "RETRYCOUNT", 7, "FORCE"),
        );
        rec(`${P} autoclaim`, await r.xautoclaim("st", "g", "dave", 0, "0-0", "COUNT", 2));
        rec(`${P} autoclaim JUSTID`, await r.xautoclaim("st", "g", "dave", 0, "0-0", "JUSTID"));
        await r.xdel("st", "2-1");
        rec(`${P} autoclaim deleted`, await r.xautoclaim("st", "g", "erin", 0, "0-0"));
        rec(`${P} ack`, await r.xack("st", "g", "1-1", "9-9"));
        rec(`${P} xinfo stream`, await r.xinfo("STREAM", "st"));
        const full = await r.xinfo("STREAM", "st", "FULL") as unknown[];
        rec(`${P} xinfo stream full fields`, full.filter((_, i) => i % 2 === 0));
        rec(`${P} xinfo groups`, await r.xinfo("GROUPS", "st"));
        const consumers = await r.xinfo("CONSUMERS", "st", "g") as unknown[][];
        rec(
          `${P} xinfo consumers`,
          consumers.map((c) => c.map((x, i) => c[i - 1] === "idle" ? typeof x : x)),
        );
        rec(`${P} no group`, await settle(() => r.xinfo("CONSUMERS", "st", "nog")));
        await r.xgroup("CREATE", "st", "g2", "$");
        const ended = settle(() =>
          b.xreadgroup("GROUP", "g2", "c", "BLOCK", 5000, "STREAMS", "st", ">")
        );
        await until("XREADGROUP to block", async () => await blockedCount(r) === 1);
        await r.xgroup("DESTROY", "st", "g2");
        rec(`${P} group destroyed while blocked`, await ended);
        rec(`${P} xsetid`, await r.xsetid("st", "10-0", "ENTRIESADDED", 10, "MAXDELETEDID", "5-0"));
        rec(`${P} xinfo after xsetid`, await r.xinfo("STREAM", "st"));
      } finally {
        r.disconnect();
        b.disconnect();
      }
    }
  },

  async "quit, disconnect, reconnectOnError"(port, rec) {
    const r = await ioConnected(port);
    const closed = events(r, "end", 1, () => "end");
    rec("quit", await r.quit());
    rec("end", await closed);
    rec("after quit", await settle(() => r.get("x")));
    const q = await ioConnected(port);
    rec("pipeline with QUIT", await q.pipeline().set("pq", "1").quit().get("pq").exec());
    q.disconnect();
    const roe = await ioConnected(port, {
      reconnectOnError: (err: Error) => err.message.startsWith("WRONGTYPE"),
    });
    try {
      const reconnected = events(roe, "ready", 1, () => "ready");
      await roe.set("rk", "x");
      rec("reconnectOnError", await settle(() => roe.lpush("rk", "y")));
      rec("reconnected", await reconnected);
      rec("after reconnect", await roe.get("rk"));
    } finally {
      roe.disconnect();
    }
    const named = await ioConnected(port, { connectionName: "nm" });
    try {
      rec("RESET", await named.call("RESET"));
      rec("name after RESET", await named.client("GETNAME"));
    } finally {
      named.disconnect();
    }
  },

  async "CLIENT TRACKING with a RESP2 redirect"(port, rec) {
    const r = await ioConnected(port);
    const redirect = await ioConnected(port, { protocol: 2 });
    try {
      const rid = await redirect.client("ID");
      const got: unknown[] = [];
      redirect.on("messageBuffer", (c: Buffer, m: unknown) => got.push([c.toString(), m]));
      await redirect.subscribe("__redis__:invalidate");
      const arrived = (n: number) =>
        until(`${n} invalidations`, () => Promise.resolve(got.length >= n));
      for (const protocol of [2, 3]) {
        const P = `p${protocol}`;
        const t = await ioConnected(port, { protocol });
        try {
          rec(`${P} on`, await t.client("TRACKING", "ON", "REDIRECT", String(rid)));
          rec(`${P} getredir is the redirect`, (await t.client("GETREDIR")) === rid);
          const info = await t.client("TRACKINGINFO") as unknown as unknown[];
          rec(`${P} trackinginfo`, info.map((x) => x === rid ? "rid" : x));
          await t.get("tk");
          await t.mget("tk2", "tk3");
          await r.set("tk", "2");
          await r.mset("tk2", "a", "tk3", "b");
          await arrived(3);
          rec(`${P} invalidations`, got.splice(0));
          await r.flushdb();
          await arrived(1);
          rec(`${P} flush`, got.splice(0));
          rec(
            `${P} switch to BCAST`,
            await settle(() => t.client("TRACKING", "ON", "BCAST", "PREFIX", "b:")),
          );
          await t.client("TRACKING", "OFF");
          await t.client("TRACKING", "ON", "REDIRECT", String(rid), "BCAST", "PREFIX", "b:");
          await r.set("b:1", "x");
          await r.set("zz", "1");
          await arrived(1);
          rec(`${P} bcast`, got.splice(0));
          rec(`${P} CACHING`, await settle(() => t.client("CACHING", "YES")));
          rec(`${P} bad redirect`, await settle(() => t.client("TRACKING", "ON", "REDIRECT", "0")));
        } finally {
          t.disconnect();
        }
      }
    } finally {
      redirect.disconnect();
      r.disconnect();
    }
  },

  async "call() reply types"(port, rec) {
    const modes = [[2, "legacy"], [3, "legacy"], [3, "resp3"]] as const;
    for (const [protocol, replyMapping] of modes) {
      const P = `p${protocol} ${replyMapping}`;
      const r = await ioConnected(port, { protocol, replyMapping });
      try {
        await r.del("h", "s", "z", "l", "st", "g");
        await r.hset("h", "a", "1", "b", "2");
        await r.sadd("s", "x");
        await r.zadd("z", 1.5, "m", 2, "n");
        await r.rpush("l", "1");
        await r.xadd("st", "1-1", "f", "v");
        const resp3 = (lua: string) => ["EVAL", `redis.setresp(3); ${lua}`, 0];
        const calls: (string | number)[][] = [
          ["PING"],
          ["GET", "nokey"],
          ["INCR", "cnt"],
          ["HGETALL", "h"],
          ["SMEMBERS", "s"],
          ["ZSCORE", "z", "m"],
          ["ZRANGE", "z", 0, -1, "WITHSCORES"],
          ["ZPOPMIN", "z"],
          ["ZRANDMEMBER", "z", 1, "WITHSCORES"],
          ["ZADD", "z", "INCR", 1, "n"],
          ["ZMSCORE", "z", "n", "q"],
          ["CONFIG", "GET", "maxmemory"],
          ["EVAL", "return true", 0],
          ["EVAL", "return false", 0],
          ["EVAL", "return {1,{2,'x'},nil}", 0],
          ["EVAL", "return redis.error_reply('MYERR bad')", 0],
          ["EVAL", "return redis.status_reply('FINE')", 0],
          resp3("return redis.call('hgetall', 'h')"),
          resp3("return {double=3.5}"),
          resp3("return {big_number='123456789012345678901234'}"),
          resp3("return {verbatim_string={format='txt', string='hi'}}"),
          resp3("return {map={a=1}}"),
          resp3("return {set={a=true}}"),
          resp3("return redis.call('zscore', 'z', 'n')"),
          ["LPOS", "l", "zz"],
          ["XREAD", "STREAMS", "st", "0"],
          ["XINFO", "STREAM", "st"],
          ["SMISMEMBER", "s", "x", "y"],
          ["COMMAND", "GETKEYS", "SET", "k", "v"],
          ["GEOADD", "g", 13.36, 38.11, "P"],
          ["GEOPOS", "g", "P", "Q"],
          ["GEODIST", "g", "P", "P"],
          ["SET", "k", "v", "GET"],
          ["INCRBYFLOAT", "f", "1.5"],
          ["WAIT", 0, 0],
          ["ACL", "WHOAMI"],
          ["LATENCY", "LATEST"],
          ["MEMORY", "USAGE", "nokey"],
          ["LOLWUT"],
          ["RESET"],
        ];
        for (const c of calls) {
          rec(`${P} ${c.join(" ")}`, await settle(() => r.call(String(c[0]), ...c.slice(1))));
        }
        rec(`${P} callBuffer HGETALL`, await r.callBuffer("HGETALL", "h"));
      } finally {
        r.disconnect();
      }
    }
  },
};

interface Info {
  serverInfo?: Record<string, string>;
}

/** ioredis's typings lack some calls used here (MULTI in a pipeline, Buffer patterns). */
type Chain = { [name: string]: (...a: unknown[]) => Chain };
const loose = (x: unknown) => x as Record<string, (...a: unknown[]) => Promise<unknown>>;

// ---------------------------------------------------------------------------------------------
// node-redis

type AnyClient = RedisClientType & Record<string, (...a: never[]) => Promise<unknown>>;

const NODE_REDIS: Record<string, Probe> = {
  async "handshake, HELLO, INFO, CLIENT INFO / LIST"(port, rec) {
    const c = await nrConnected(port, { name: "nr-app", database: 0 });
    try {
      rec("name", await c.clientGetName());
      const hello = await c.hello();
      rec("hello", { ...hello, id: typeof hello.id });
      rec("hello 3", await settle(() => c.hello(3 as never)));
      const info = await c.clientInfo() as unknown as Record<string, unknown>;
      delete info.libName, delete info.libVer; // CLIENT SETINFO, documented
      rec("clientInfo keys", Object.keys(info).sort());
      const { name, db, flags, cmd, resp, sub, psub, multi, user } = info;
      rec("clientInfo", { name, db, flags, cmd, resp, sub, psub, multi, user });
      const own = (await c.clientList()).filter((x) => x.name === "nr-app");
      rec("clientList", own.map((x) => [x.flags, x.db, x.cmd, x.resp, x.ssub, x.redir]));
      rec("clientList TYPE", (await c.clientList({ TYPE: "PUBSUB" })).length);
      rec("clientList ID", (await c.clientList({ ID: [String(await c.clientId())] })).length);
      const server = await c.info("server");
      rec(
        "info server fields",
        server.split("\r\n").map((l) => l.split(":")[0]).filter((k) => k && k !== "atlas_version"),
      );
      rec("info loading", (await c.info("persistence")).match(/\nloading:(\d)/)?.[1]);
      rec("info unknown section", await c.info("nosuchsection"));
    } finally {
      await c.quit();
    }
    const admin = await nrConnected(port);
    await admin.configSet("requirepass", "pw1");
    try {
      const cases: [string, Record<string, unknown>][] = [
        ["password", { password: "pw1" }],
        ["username", { username: "default", password: "pw1" }],
        ["wrong", { password: "bad" }],
        ["none", {}],
      ];
      for (const [label, options] of cases) {
        const c = nr(port, { ...options, socket: { reconnectStrategy: false } });
        rec(`${label} connect`, await settle(() => c.connect()));
        rec(`${label} ping`, await settle(() => c.ping()));
        rec(`${label} auth`, await settle(() => c.auth({ password: "pw1" })));
        rec(`${label} ping after auth`, await settle(() => c.ping()));
        await settle(() => c.disconnect());
      }
    } finally {
      await admin.auth({ password: "pw1" });
      await admin.configSet("requirepass", "");
      await admin.quit();
    }
  },

  async "scan iterators"(port, rec) {
    const c = await nrConnected(port);
    try {
      const m = c.multi();
      for (let i = 0; i < 250; i++) m.set(`k:${i}`, String(i));
      for (let i = 0; i < 150; i++) m.hSet("h", `f${i}`, String(i));
      for (let i = 0; i < 150; i++) m.sAdd("s", `m${i}`);
      for (let i = 0; i < 150; i++) m.zAdd("z", { score: i / 2, value: `m${i}` });
      m.hSet("hs", { a: "1", b: "2" });
      m.zAdd("zs", [{ score: 1.5, value: "a" }, { score: -Infinity, value: "b" }]);
      await m.exec();
      const all = async <T>(it: AsyncIterable<T>) => {
        const out: string[] = [];
        for await (const x of it) out.push(JSON.stringify(x));
        return out.sort();
      };
      rec("scanIterator", await all(c.scanIterator({ MATCH: "k:1*", COUNT: 10 })));
      rec("scanIterator TYPE", await all(c.scanIterator({ TYPE: "zset" })));
      rec("hScanIterator", await all(c.hScanIterator("h", { MATCH: "f1?", COUNT: 5 })));
      rec("hScanIterator small", await all(c.hScanIterator("hs")));
      rec("sScanIterator", await all(c.sScanIterator("s", { MATCH: "*9" })));
      rec("zScanIterator", await all(c.zScanIterator("z", { MATCH: "m1*", COUNT: 3 })));
      rec("zScanIterator small", await all(c.zScanIterator("zs")));
      rec("hScan", await c.hScan("hs", 0));
      rec("zScan", await c.zScan("zs", 0));
      rec("sScan wrong type", await settle(() => c.sScan("hs", 0)));
      const scan = c as unknown as { scanIterator(...a: unknown[]): AsyncIterable<unknown> };
      const buffers = scan.scanIterator(commandOptions({ returnBuffers: true }), {
        MATCH: "k:24*",
      });
      rec("scanIterator buffers", await all(buffers));
    } finally {
      await c.quit();
    }
  },

  async "multi, WatchError, executeIsolated"(port, rec) {
    const c = await nrConnected(port);
    const other = await nrConnected(port);
    try {
      rec("exec", await c.multi().set("a", "1").incr("a").get("a").exec());
      const runtime = await settle(() => c.multi().set("b", "x").incr("b").get("b").exec());
      const replies = (runtime as { threw?: { replies?: unknown; errorIndexes?: unknown } }).threw;
      rec("exec runtime error", [runtime, replies?.replies, replies?.errorIndexes]);
      rec(
        "EXECABORT",
        await settle(() => c.multi().set("b", "x").addCommand(["NOSUCH"]).get("b").exec()),
      );
      rec(
        "execAsPipeline",
        await settle(() =>
          c.multi().set("b", "y").addCommand(["NOSUCH"]).get("b").execAsPipeline()
        ),
      );
      rec("empty", await c.multi().exec());
      await c.watch("w");
      await other.set("w", "other");
      const failed = await settle(() => c.multi().set("w", "mine").exec()) as { threw?: unknown };
      rec("WATCH failure", [failed, failed.threw instanceof WatchError]);
      rec(
        "executeIsolated WATCH failure",
        await settle(() =>
          c.executeIsolated(async (iso) => {
            await iso.watch("iw");
            await other.set("iw", "1");
            return iso.multi().set("iw", "2").exec();
          })
        ),
      );
      rec(
        "executeIsolated",
        await c.executeIsolated(async (iso) => {
          await iso.watch("iw");
          const v = await iso.get("iw");
          return iso.multi().set("iw", String(Number(v) + 1)).get("iw").exec();
        }),
      );
      rec(
        "typed replies in multi",
        await c.multi().hSet("mh", { x: "1" }).hGetAll("mh").zAdd("mz", { score: 2, value: "v" })
          .zRangeWithScores("mz", 0, -1).exists("mh").smIsMember("nos", ["a"]).exec(),
      );
    } finally {
      await c.quit();
      await other.quit();
    }
  },

  async "isolated blocking commands"(port, rec) {
    const c = await nrConnected(port, { isolationPoolOptions: { max: 8 } });
    const p = await nrConnected(port);
    const iso = commandOptions({ isolated: true });
    try {
      await c.xGroupCreate("st", "g", "$", { MKSTREAM: true });
      const waiting = [
        c.xReadGroup(iso, "g", "c1", { key: "st", id: ">" }, { BLOCK: 5000, COUNT: 5 }),
        c.blPop(iso, ["l1", "l2"], 5),
        c.bzPopMax(iso, "zq", 5),
        c.blMove(iso, "src", "dst", "LEFT", "RIGHT", 5),
        c.blmPop(iso, 5, ["lm"], "LEFT", { COUNT: 3 }),
      ];
      await until("five blocked clients", async () => {
        const list = await p.sendCommand<string>(["CLIENT", "LIST"]);
        return (list.match(/ flags=b /g)?.length ?? 0) === 5;
      });
      await p.xAdd("st", "1-1", { f: "v" });
      await p.rPush("l2", ["a", "b"]);
      await p.zAdd("zq", [{ score: 1, value: "lo" }, { score: 9, value: "hi" }]);
      await p.rPush("src", "s");
      await p.rPush("lm", ["1", "2"]);
      rec("woken", await Promise.all(waiting));
      rec(
        "timeouts",
        await Promise.all([
          c.blPop(iso, "none", 0.05),
          c.brPopLPush(iso, "none", "d", 0.05),
          c.bzPopMin(iso, "none", 0.05),
          c.xRead(iso, { key: "st", id: "$" }, { BLOCK: 50 }),
          c.xReadGroup(iso, "g", "c1", { key: "st", id: ">" }, { BLOCK: 50 }),
        ]),
      );
      rec(
        "no group",
        await settle(() => c.xReadGroup(iso, "nog", "c", { key: "st", id: ">" }, { BLOCK: 50 })),
      );
      rec("wrong type", await settle(() => c.blPop(iso, "st", 0.05)));
    } finally {
      await c.quit();
      await p.quit();
    }
  },

  async "pub/sub on a duplicate"(port, rec) {
    const c = await nrConnected(port);
    const sub = c.duplicate();
    sub.on("error", () => {});
    await sub.connect();
    try {
      const got: unknown[] = [];
      let arrived: () => void;
      const five = new Promise<void>((r) => arrived = r);
      const push = (x: unknown) => got.push(x) === 5 && arrived();
      await sub.subscribe(["a", "b"], (msg, ch) => push(["message", msg, ch]));
      await sub.pSubscribe("a*", (msg, ch) => push(["pmessage", msg, ch]));
      await sub.sSubscribe("sh", (msg, ch) => push(["smessage", msg, ch]));
      await sub.subscribe("bin", (msg, ch) => push(["buffers", msg, ch]), true);
      rec("publish", await c.publish("a", "1"));
      rec("publish bytes", await c.publish("bin", Buffer.from([0, 255, 128])));
      rec("sPublish", await c.sPublish("sh", "2"));
      rec("publish pattern", await c.publish("ab", "3"));
      await five;
      rec("messages", got);
      rec("pubSubNumSub", await c.pubSubNumSub(["a", "b", "zz"]));
      rec("pubSubNumPat", await c.pubSubNumPat());
      rec("pubSubChannels", (await c.pubSubChannels()).sort());
      rec("pubSubShardChannels", (await c.pubSubShardChannels()).sort());
      await sub.unsubscribe("a");
      await sub.sUnsubscribe();
      await sub.unsubscribe(["b", "bin", "never"]);
      await sub.pUnsubscribe();
      await sub.unsubscribe();
      rec("after unsubscribing", await c.pubSubNumSub(["a", "b", "bin"]));
      rec("ping after", await sub.ping());
    } finally {
      await sub.quit();
    }
    // CLIENT KILL: reconnectStrategy reconnects, node-redis subscribes again.
    const r = await nrConnected(port, { socket: { reconnectStrategy: () => 20 } });
    try {
      const id = await r.clientId();
      const got: unknown[] = [];
      let arrived: () => void;
      const three = new Promise<void>((res) => arrived = res);
      const push = (x: unknown) => got.push(x) === 3 && arrived();
      await r.subscribe("rc", (msg, ch) => push(["message", msg, ch]));
      await r.pSubscribe("rc*", (msg, ch) => push(["pmessage", msg, ch]));
      await r.sSubscribe("rcs", (msg, ch) => push(["smessage", msg, ch]));
      const seen: string[] = [];
      r.on("reconnecting", () => seen.push("reconnecting"));
      const ready = new Promise((res) => r.once("ready", res));
      rec("kill", await c.clientKill({ filter: "ID", id } as never));
      await ready;
      await until("resubscribed", async () => {
        const n = await c.pubSubNumSub("rc");
        const s = await c.sendCommand<unknown[]>(["PUBSUB", "SHARDNUMSUB", "rcs"]);
        return n.rc === 1 && s[1] === 1 && Number(await c.pubSubNumPat()) === 1;
      });
      await c.publish("rc", "again");
      await c.sPublish("rcs", "s-again");
      await three;
      rec("after reconnect", [got, seen]);
    } finally {
      await r.quit();
      await c.quit();
    }
  },

  async sendCommand(port, rec) {
    const c = await nrConnected(port);
    try {
      const commands: string[][] = [
        ["SET", "k", "v"],
        ["GET", "nokey"],
        ["HSET", "h", "a", "1"],
        ["HGETALL", "h"],
        ["ZADD", "z", "1.5", "m"],
        ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
        ["EVAL", "return {1,'a',{true,false}}", "0"],
        ["EVAL", "return redis.error_reply('E1 custom')", "0"],
        ["NOSUCH"],
        ["SET"],
        ["XADD", "st", "1-1", "a", "b"],
        ["XINFO", "STREAM", "st"],
        ["CLIENT", "NOSUCH"],
        ["SET", "k", "v", "EX", "0"],
        ["INCR", "k"],
        ["LPUSH", "h", "x"],
        ["BITFIELD", "bf", "SET", "u8", "0", "255", "GET", "i8", "0"],
        ["PING", "x"],
        ["SCRIPT", "EXISTS", "aaa"],
        ["HELLO", "4"],
        ["AUTH", "x"],
        ["SELECT", "0"],
        ["FCALL", "nofn", "0"],
        ["EVALSHA", "ffffffffffffffffffffffffffffffffffffffff", "0"],
        ["XREADGROUP", "GROUP", "g", "c", "STREAMS", "st", ">"],
        ["ZADD", "z", "nan", "x"],
        ["SETRANGE", "k", "-1", "x"],
      ];
      for (const argv of commands) rec(argv.join(" "), await settle(() => c.sendCommand(argv)));
      rec("returnBuffers", await c.sendCommand(["GET", "k"], { returnBuffers: true }));
      const thrown = await settle(() => c.sendCommand(["LPUSH", "k", "x"])) as { threw: Error };
      rec("ErrorReply", [thrown.threw instanceof ErrorReply, thrown.threw.message]);
    } finally {
      await c.quit();
    }
  },

  async "defineScript and functions"(port, rec) {
    const scripts = {
      incrBy: defineScript({
        NUMBER_OF_KEYS: 1,
        SCRIPT: "return redis.call('INCRBY', KEYS[1], ARGV[1])",
        transformArguments: (k: string, n: number) => [k, String(n)],
        transformReply: (r: number) => r,
      }),
      kv: defineScript({
        NUMBER_OF_KEYS: 2,
        SCRIPT: "return {KEYS[1], KEYS[2], ARGV[1], redis.call('get', KEYS[1])}",
        transformArguments: (a: string, b: string, x: string) => [a, b, x],
        transformReply: (r: unknown) => r,
      }),
      fails: defineScript({
        NUMBER_OF_KEYS: 0,
        SCRIPT: "return redis.call('lpush', 'k', 'x') + redis.call('nosuch')",
        transformArguments: () => [],
        transformReply: (r: unknown) => r,
      }),
      writes: defineScript({
        NUMBER_OF_KEYS: 1,
        SCRIPT: "#!lua flags=no-writes\nreturn redis.call('set', KEYS[1], 'x')",
        transformArguments: (k: string) => [k],
        transformReply: (r: unknown) => r,
      }),
    };
    const lib = "#!lua name=nrlib\n" +
      "redis.register_function('add', function(k, a) return redis.call('incrby', k[1], a[1]) end)\n" +
      "redis.register_function{function_name='get_ro', callback=function(k) " +
      "return redis.call('get', k[1]) end, flags={'no-writes'}}\n" +
      "redis.register_function('boom', function() return redis.error_reply('BOOM it broke') end)\n";
    const functions = {
      nrlib: {
        add: {
          NUMBER_OF_KEYS: 1,
          transformArguments: (k: string, n: number) => [k, String(n)],
          transformReply: (r: number) => r,
        },
        get_ro: {
          NUMBER_OF_KEYS: 1,
          IS_READ_ONLY: true,
          transformArguments: (k: string) => [k],
          transformReply: (r: unknown) => r,
        },
        boom: {
          NUMBER_OF_KEYS: 0,
          transformArguments: () => [],
          transformReply: (r: unknown) => r,
        },
      },
    };
    const c = await nrConnected(port, { scripts, functions }) as unknown as AnyClient;
    const x = c as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
    try {
      await c.scriptFlush();
      await c.functionFlush();
      rec("script", await x.incrBy("ctr", 5));
      rec("script again (EVALSHA)", await x.incrBy("ctr", 5));
      rec("two keys", await x.kv("ctr", "other", "arg"));
      rec("script error", await settle(() => x.fails()));
      rec("no-writes script writing", await settle(() => x.writes("ctr")));
      await c.scriptFlush();
      const multi = c.multi() as unknown as Record<string, (...a: unknown[]) => unknown>;
      multi.incrBy("ctr", 1);
      multi.kv("a", "b", "c");
      const exec = () => (multi as unknown as { exec(): Promise<unknown> }).exec();
      rec("scripts in multi after SCRIPT FLUSH", await settle(exec));
      rec("evalRo", await c.evalRo("return redis.call('get', KEYS[1])", { keys: ["ctr"] }));
      rec("FUNCTION LOAD", await c.functionLoad(lib));
      rec("FUNCTION LOAD again", await settle(() => c.functionLoad(lib)));
      rec("FUNCTION LOAD REPLACE", await c.functionLoad(lib, { REPLACE: true }));
      const listed = await c.functionList();
      for (const l of listed) l.functions.sort((a, b) => a.name < b.name ? -1 : 1); // random in Redis
      rec("FUNCTION LIST", listed);
      const f = loose((c as unknown as { nrlib: unknown }).nrlib);
      rec("fcall", await f.add("cnt", 3));
      rec("fcall_ro", await f.get_ro("cnt"));
      rec("fcall error", await settle(() => f.boom()));
      rec("fCall", await c.fCall("add", { keys: ["cnt"], arguments: ["2"] }));
      rec(
        "fCallRo of a writing function",
        await settle(() => c.fCallRo("add", { keys: ["cnt"], arguments: ["2"] })),
      );
      rec("fCall missing", await settle(() => c.fCall("nofn", { keys: [], arguments: [] })));
      rec("FUNCTION DELETE missing", await settle(() => c.functionDelete("nolib")));
    } finally {
      await c.functionFlush();
      await c.quit();
    }
  },

  async "server commands"(port, rec) {
    const c = await nrConnected(port) as unknown as AnyClient;
    const call = c as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
    try {
      await c.set("k", "v");
      await c.hSet("h", "a", "1");
      /** Types and keys only: sizes, times and counters are each server's own. */
      const shape = (v: unknown): unknown =>
        typeof v === "number"
          ? "number"
          : Array.isArray(v)
          ? v.map(shape)
          : v !== null && typeof v === "object" && !(v instanceof Error)
          ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shape(x)]))
          : v;
      const calls: [string, () => Promise<unknown>, boolean?][] = [
        ["memoryStats keys", async () => Object.keys(await c.memoryStats() as object)],
        ["memoryUsage", () => c.memoryUsage("k"), true],
        ["aclCat", () => c.aclCat()],
        ["aclDryRun", () => c.aclDryRun("default", ["GET", "k"])],
        ["aclGenPass length", async () => (await c.aclGenPass()).length],
        ["aclGetUser", () => c.aclGetUser("default")],
        ["aclList", () => c.aclList()],
        ["aclUsers", () => c.aclUsers()],
        ["aclWhoAmI", () => c.aclWhoAmI()],
        ["aclDelUser", () => c.aclDelUser("bob")],
        ["commandInfo", () => c.commandInfo(["get", "set", "nosuch", "eval", "xreadgroup"])],
        ["commandGetKeys", () => c.commandGetKeys(["SET", "a", "b"])],
        ["role", () => c.role(), true],
        ["moduleList", () => c.moduleList()],
        ["lastSave", () => c.lastSave()],
        ["configSet", () => c.configSet("maxmemory-policy", "allkeys-lru")],
        ["configSet bad", () => c.configSet("maxmemory-policy", "bogus")],
        ["configGet", () => c.configGet("maxmemory*")],
        ["configSet several", () => c.configSet({ "maxmemory-policy": "noeviction" })],
        ["clientNoEvict", () => c.clientNoEvict(true)],
        ["clientTracking", () => c.clientTracking(true)],
        ["clientTrackingInfo", () => c.clientTrackingInfo()],
        ["clientTracking off", () => c.clientTracking(false)],
        ["clientGetRedir", () => c.clientGetRedir()],
        ["clientCaching", () => c.clientCaching(true)],
        ["clientSetName bad", () => c.clientSetName("a b")],
        ["clientKill ADDR", () => c.clientKill({ filter: "ADDR", address: "1.2.3.4:5" } as never)],
        [
          "clientKill LADDR",
          () => c.clientKill({ filter: "LADDR", localAddress: "1.2.3.4:5" } as never),
        ],
        [
          "clientKill SKIPME",
          () => c.clientKill(["SKIPME", { filter: "TYPE", type: "master" }] as never),
        ],
        ["clientKill USER", () => c.clientKill({ filter: "USER", username: "nobody" } as never)],
        ["clientKill TYPE", () => c.clientKill({ filter: "TYPE", type: "pubsub" } as never)],
        ["CLIENT UNBLOCK", () => c.sendCommand(["CLIENT", "UNBLOCK", "999", "ERROR"])],
        ["swapDb 0 0", () => c.swapDb(0, 0)],
        ["objectFreq", () => c.objectFreq("k")],
        ["objectEncoding", () => c.objectEncoding("h")],
        ["touch", () => c.touch(["k", "h", "x"])],
        ["wait", () => c.wait(0, 10)],
        ["readonly", () => c.readonly()],
        ["clusterInfo", () => c.clusterInfo()],
        ["expireTime", () => c.expireTime("k")],
        ["copy", () => c.copy("k", "k2", { replace: true })],
        ["lcs idx", () => call.lcsIdxWithMatchLen("k", "k2")],
        ["xAutoClaimJustId", async () => {
          await c.xAdd("st", "1-1", { a: "1" });
          await c.xGroupCreate("st", "g", "0");
          await c.xReadGroup("g", "c", { key: "st", id: ">" });
          return c.xAutoClaimJustId("st", "g", "c2", 0, "0");
        }],
        ["xInfoConsumers", () => c.xInfoConsumers("st", "g"), true],
        ["xInfoGroups", () => c.xInfoGroups("st")],
        ["xInfoStream", () => c.xInfoStream("st")],
        ["xPendingRange", () => c.xPendingRange("st", "g", "-", "+", 10), true],
        ["xPending", () => c.xPending("st", "g")],
        ["xGroupCreateConsumer", () => c.xGroupCreateConsumer("st", "g", "zz")],
        ["xGroupDelConsumer", () => c.xGroupDelConsumer("st", "g", "zz")],
        ["xGroupSetId", () => c.xGroupSetId("st", "g", "$")],
        ["geoSearchWith", async () => {
          await c.geoAdd("geo", [
            { longitude: 13.361389, latitude: 38.115556, member: "Palermo" },
            { longitude: 15.087269, latitude: 37.502669, member: "Catania" },
          ]);
          return c.geoSearchWith(
            "geo",
            "Palermo",
            { radius: 300, unit: "km" },
            ["WITHDIST", "WITHCOORD", "WITHHASH"] as never,
            { SORT: "ASC" },
          );
        }],
        ["geoPos", () => c.geoPos("geo", ["Palermo", "x"])],
        ["geoHash", () => c.geoHash("geo", "Palermo")],
      ];
      for (const [name, f, shapeOnly] of calls) {
        const v = await settle(f);
        rec(name, shapeOnly ? shape(v) : v);
      }
    } finally {
      await c.configSet("maxmemory-policy", "noeviction");
      await c.quit();
    }
  },

  async "reconnectStrategy, quit, disconnect"(port, rec) {
    const c = await nrConnected(port);
    const ended: string[] = [];
    c.on("end", () => ended.push("end"));
    rec("quit", await c.quit());
    rec("after quit", [c.isOpen, ended, await settle(() => c.get("x"))]);
    const d = await nrConnected(port);
    const pending = settle(() => d.blPop("never", 2));
    rec("disconnect", await d.disconnect());
    rec("pending command", await pending);
    const k = await nrConnected(port, { socket: { reconnectStrategy: () => 10 } });
    const o = await nrConnected(port);
    try {
      const seen: string[] = [];
      k.on("reconnecting", () => seen.push("reconnecting"));
      k.on("error", (e: Error) => seen.push(`error: ${e.message}`));
      const ready = new Promise((r) => k.once("ready", r));
      const inflight = settle(() => k.blPop("never", 5));
      await until("BLPOP to block", async () => {
        const list = await o.sendCommand<string>(["CLIENT", "LIST"]);
        return / flags=b /.test(list);
      });
      rec("kill", await o.clientKill({ filter: "ID", id: await clientIdOf(o, "blpop") } as never));
      await ready;
      rec("events", seen);
      rec("in-flight command", await inflight);
      rec("after reconnect", await k.ping());
    } finally {
      await k.quit();
      await o.quit();
    }
  },

  async "BGSAVE / BGREWRITEAOF / SAVE while a snapshot runs"(port, rec) {
    const c = await nrConnected(port);
    const r = await ioConnected(port);
    const idle = () =>
      until("no snapshot running or scheduled", async () => {
        const info = await r.info("persistence");
        return /rdb_bgsave_in_progress:0/.test(info) && /aof_rewrite_in_progress:0/.test(info) &&
          /aof_rewrite_scheduled:0/.test(info);
      });
    try {
      await idle();
      // One write: every command is read while the first one's snapshot still runs.
      rec(
        "during a BGSAVE",
        await r.pipeline().bgsave().bgrewriteaof().bgrewriteaof().bgsave().bgsave("SCHEDULE")
          .save().call("BGSAVE", "SCHEDULE", "x").call("BGSAVE", "x").exec(),
      );
      await idle();
      rec(
        "during a BGREWRITEAOF",
        await r.pipeline().bgrewriteaof().bgsave().bgsave("SCHEDULE").bgrewriteaof().save()
          .exec(),
      );
      await idle();
      rec("inside EXEC", await c.multi().bgSave().bgRewriteAof().exec());
      await idle();
      rec("bgSave SCHEDULE", await c.bgSave({ SCHEDULE: true }));
      await idle();
    } finally {
      r.disconnect();
      await c.quit();
    }
  },
};

/** The id of `o`'s peer running `cmd` (CLIENT LIST). */
async function clientIdOf(o: RedisClientType, cmd: string): Promise<number> {
  const list = await o.sendCommand<string>(["CLIENT", "LIST"]);
  const line = list.split("\n").find((l) => l.includes(` cmd=${cmd} `));
  return Number(line?.match(/^id=(\d+)/)?.[1]);
}

// ---------------------------------------------------------------------------------------------

async function differences(servers: Proc[], probes: Record<string, Probe>, name: string) {
  const records: Map<string, string>[] = [];
  for (const server of servers) {
    const flush = await ioConnected(server.port);
    await flush.call("FLUSHALL");
    await flush.call("SCRIPT", "FLUSH");
    flush.disconnect();
    const record = new Map<string, string>();
    const rec: Record_ = (k, v) => record.set(k, JSON.stringify(norm(v)));
    await probes[name](server.port, rec);
    records.push(record);
  }
  const [redis, atlas] = records;
  const out: string[] = [];
  for (const k of new Set([...redis.keys(), ...atlas.keys()])) {
    if (redis.get(k) !== atlas.get(k)) {
      out.push(`${name}: ${k}\n  redis:  ${redis.get(k)}\n  atlasd: ${atlas.get(k)}`);
    }
  }
  assert.ok(redis.size > 0, `${name}: nothing recorded`);
  return out;
}

Deno.test({
  name: "ioredis and node-redis: same results on redis-server and atlasd",
  // ioredis and node-redis keep timers and sockets whose close completes after they resolve.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const [redis, atlas] = await Promise.all([
      startRedis(),
      startAtlasd(["--sync-mode", "none"]),
    ]);
    try {
      for (const [client, probes] of [["ioredis", IOREDIS], ["node-redis", NODE_REDIS]] as const) {
        for (const name of Object.keys(probes)) {
          await t.step(`${client}: ${name}`, async () => {
            const found = await differences([redis, atlas], probes, name);
            assert.deepEqual(found, [], found.join("\n"));
          });
        }
      }
    } finally {
      await Promise.all([redis.stop(), atlas.stop()]);
    }
  },
});
