/**
 * Store-level differential fuzz against a real redis-server 7 (Debian `redis-server`, installed by
 * .ci/run): seeded random commands over a few keys, every family, compared reply by reply in RESP2
 * and RESP3 renderings. Complements tests/atlasd_differential_test.ts (scripted, through the
 * server): this one drives Store.execute directly and finds state divergence early. Bounded: a few
 * thousand commands, a few seconds. Replay a failure with the printed SEED.
 */
import assert from "node:assert/strict";
import { formatDouble } from "./numbers.ts";
import type { Reply } from "./reply.ts";
import { Store } from "./store.ts";

type Value =
  | null
  | string
  | number
  | { s: string }
  | { e: string }
  | { d: string }
  | { b: boolean }
  | { set: Value[] }
  | { map: [Value, Value][] }
  | Value[];

/** Renders a Reply the way a RESP2/RESP3 client would see it (mirrors the encoder's rules). */
function render(r: Reply, proto: 2 | 3): Value {
  switch (r.kind) {
    case "simple":
      return { s: r.value };
    case "error":
      return { e: r.value };
    case "integer":
      return Number(r.value);
    case "bulk":
      return r.value;
    case "nil":
    case "nilArray":
      return null;
    case "double":
      return proto === 3 ? { d: formatDouble(r.value) } : formatDouble(r.value);
    case "bool":
      return proto === 3 ? { b: r.value } : (r.value ? 1 : 0);
    case "set":
      return proto === 3
        ? { set: r.value.map((x) => render(x, 3)) }
        : r.value.map((x) => render(x, 2));
    case "map":
      if (proto === 2) return r.value.flatMap(([k, v]) => [render(k, 2), render(v, 2)]);
      return { map: r.value.map(([k, v]) => [render(k, 3), render(v, 3)] as [Value, Value]) };
    case "array":
    case "push": {
      const items = r.value.map((x) => render(x, proto));
      if (proto === 2 || !("pairs" in r && r.pairs)) return items;
      const nested: Value[] = [];
      for (let i = 0; i < items.length; i += 2) nested.push([items[i], items[i + 1]]);
      return nested;
    }
  }
}

/** A minimal RESP2/RESP3 client: one request at a time, binary strings in and out. */
class Client {
  #buf = new Uint8Array(0);
  private constructor(readonly conn: Deno.TcpConn) {}

  static async connect(port: number): Promise<Client> {
    for (let attempt = 0;; attempt++) {
      try {
        return new Client(await Deno.connect({ hostname: "127.0.0.1", port }));
      } catch (e) {
        if (attempt > 100) throw e;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  async call(argv: string[]): Promise<Value> {
    let out = `*${argv.length}\r\n`;
    for (const a of argv) out += `$${a.length}\r\n${a}\r\n`;
    await this.conn.write(Uint8Array.from(out, (c) => c.charCodeAt(0)));
    for (;;) {
      const parsed = this.#parse(0);
      if (parsed !== null) {
        this.#buf = this.#buf.slice(parsed[1]);
        return parsed[0];
      }
      const chunk = new Uint8Array(65536);
      const n = await this.conn.read(chunk);
      if (n === null) throw new Error("redis closed the connection");
      const next = new Uint8Array(this.#buf.length + n);
      next.set(this.#buf);
      next.set(chunk.subarray(0, n), this.#buf.length);
      this.#buf = next;
    }
  }

  #text(from: number, to: number): string {
    let s = "";
    for (let i = from; i < to; i++) s += String.fromCharCode(this.#buf[i]);
    return s;
  }

  #parse(pos: number): [Value, number] | null {
    let eol = pos;
    while (eol + 1 < this.#buf.length && !(this.#buf[eol] === 13 && this.#buf[eol + 1] === 10)) {
      eol++;
    }
    if (eol + 1 >= this.#buf.length) return null;
    const type = String.fromCharCode(this.#buf[pos]);
    const line = this.#text(pos + 1, eol);
    const next = eol + 2;
    if (type === "+") return [{ s: line }, next];
    if (type === "-") return [{ e: line }, next];
    if (type === ":") return [Number(line), next];
    if (type === ",") return [{ d: line }, next];
    if (type === "#") return [{ b: line === "t" }, next];
    if (type === "_") return [null, next];
    if (type === "$") {
      const n = Number(line);
      if (n < 0) return [null, next];
      if (this.#buf.length < next + n + 2) return null;
      return [this.#text(next, next + n), next + n + 2];
    }
    const count = Number(line) * (type === "%" ? 2 : 1);
    if (count < 0) return [null, next];
    const items: Value[] = [];
    let p = next;
    for (let i = 0; i < count; i++) {
      const r = this.#parse(p);
      if (r === null) return null;
      items.push(r[0]);
      p = r[1];
    }
    if (type === "~") return [{ set: items }, p];
    if (type === "%") {
      const map: [Value, Value][] = [];
      for (let i = 0; i < items.length; i += 2) map.push([items[i], items[i + 1]]);
      return [{ map }, p];
    }
    return [items, p];
  }
}

function generator(seed: number, big: boolean): () => string[] {
  let s = seed;
  const rnd = () => (s = (s * 48271) % 2147483647) / 2147483647;
  const pick = <X>(xs: readonly X[]): X => xs[Math.floor(rnd() * xs.length)];
  const K = () => pick(["k0", "k1", "k2", "k3", "k4"]);
  const M = big
    ? () => `m${Math.floor(rnd() * 300)}`
    : () => pick(["a", "b", "c", "d", "1", "2", "10", ""]);
  const N = () => pick(["0", "1", "-1", "2", "-2", "5", "100", "x", "1.5", "9223372036854775807"]);
  const F = () => pick(["0", "1", "-1.5", "0.1", "inf", "-inf", "abc", "(1", "3"]);
  const L = () => pick(["-", "+", "[a", "(b", "[m1", "c"]);
  const many = () => Array.from({ length: 1 + Math.floor(rnd() * (big ? 30 : 3)) }, M);
  const gens: (() => string[])[] = [
    () => ["SET", K(), N(), ...pick([[], ["NX"], ["XX", "GET"], ["KEEPTTL"], ["EX", "1000"]])],
    () => ["GET", K()],
    () => ["INCRBY", K(), N()],
    () => ["INCRBYFLOAT", K(), F()],
    () => ["APPEND", K(), M()],
    () => ["GETRANGE", K(), N(), N()],
    () => ["SETRANGE", K(), pick(["0", "2"]), M()],
    () => ["MSET", K(), M(), K(), N()],
    () => ["DEL", K(), K()],
    () => ["RENAME", K(), K()],
    () => ["EXPIRE", K(), pick(["1000", "-1", "x"]), ...pick([[], ["NX"], ["GT"], ["LT"]])],
    () => ["TYPE", K()],
    () => ["HSET", K(), M(), N(), M(), F()],
    () => ["HDEL", K(), ...many()],
    () => ["HINCRBY", K(), M(), N()],
    () => ["HINCRBYFLOAT", K(), M(), F()],
    () => ["HMGET", K(), M(), M()],
    () => ["HLEN", K()],
    () => ["LPUSH", K(), ...many()],
    () => ["RPUSH", K(), ...many()],
    () => ["LPOP", K(), ...pick([[], ["2"], ["0"], ["-1"]])],
    () => ["LRANGE", K(), N(), N()],
    () => ["LREM", K(), N(), M()],
    () => ["LTRIM", K(), N(), N()],
    () => ["LINSERT", K(), pick(["BEFORE", "AFTER"]), M(), M()],
    () => ["LPOS", K(), M(), ...pick([[], ["RANK", "-1"], ["COUNT", "0"]])],
    () => ["LMOVE", K(), K(), pick(["LEFT", "RIGHT"]), pick(["LEFT", "RIGHT"])],
    () => ["SADD", K(), ...many()],
    () => ["SREM", K(), ...many()],
    () => ["SCARD", K()],
    () => ["SISMEMBER", K(), M()],
    () => ["SINTERSTORE", K(), K(), K()],
    () => ["SUNIONSTORE", K(), K(), K()],
    () => ["SDIFFSTORE", K(), K(), K()],
    () => ["SMOVE", K(), K(), M()],
    () => [
      "ZADD",
      K(),
      ...pick([[], ["NX"], ["XX", "CH"], ["GT"], ["LT", "CH"], ["INCR"]]),
      F(),
      M(),
    ],
    () => ["ZADD", K(), "0", M(), "1", M(), "0", M()],
    () => ["ZINCRBY", K(), F(), M()],
    () => ["ZREM", K(), ...many()],
    () => ["ZSCORE", K(), M()],
    () => ["ZRANK", K(), M()],
    () => ["ZCOUNT", K(), F(), F()],
    () => ["ZLEXCOUNT", K(), L(), L()],
    () => ["ZRANGE", K(), N(), N(), ...pick([[], ["WITHSCORES"], ["REV", "WITHSCORES"]])],
    () => ["ZRANGE", K(), F(), F(), "BYSCORE", ...pick([[], ["REV"], ["LIMIT", "1", "3"]])],
    () => ["ZRANGEBYLEX", K(), L(), L()],
    () => ["ZPOPMIN", K(), ...pick([[], ["2"]])],
    () => ["ZREMRANGEBYRANK", K(), N(), N()],
    () => ["ZREMRANGEBYSCORE", K(), F(), F()],
    () => ["ZUNIONSTORE", K(), "2", K(), K(), ...pick([[], ["WEIGHTS", "2", "1"]])],
    () => ["ZINTER", "2", K(), K(), "WITHSCORES"],
    () => [
      pick(["SORT", "SORT_RO"]),
      K(),
      ...pick([[], ["ALPHA"], ["ALPHA", "DESC"], ["DESC"], ["BY", "k*"], ["BY", "k*->a", "DESC"]]),
      ...pick([[], ["LIMIT", N(), N()], ["GET", "#", "GET", "k*->b"], ["STORE", K()]]),
      ...pick([[], [], ["BY", "nosort", "STORE", K()]]),
    ],
    () => ["SETBIT", K(), pick(["0", "9", "-1"]), pick(["0", "1"])],
    () => ["BITCOUNT", K(), ...pick([[], ["0", "-1"], ["1", "9", "BIT"]])],
    () => [
      "BITOP",
      pick(["AND", "OR", "XOR", "NOT", "NOT", "nand"]),
      K(),
      ...Array.from({ length: 1 + Math.floor(rnd() * 3) }, K),
    ],
    () => {
      // BITFIELD: a few operations at field boundaries, every width class and overflow mode.
      const type = () =>
        pick(["i1", "u1", "i5", "u5", "i8", "u8", "i16", "u32", "i63", "u63", "i64"]);
      const offset = () => pick(["0", "3", "7", "13", "#1", "#2", "64"]);
      const num = () =>
        pick(["0", "1", "-1", "127", "-128", "255", "70000", "9223372036854775807", "x"]);
      const kinds = [
        () => ["GET", type(), offset()],
        () => ["SET", type(), offset(), num()],
        () => ["INCRBY", type(), offset(), num()],
        () => ["OVERFLOW", pick(["WRAP", "SAT", "FAIL"])],
      ];
      const ops = Array.from({ length: Math.floor(rnd() * 5) }, () => pick(kinds)());
      return [pick(["BITFIELD", "BITFIELD", "BITFIELD_RO"]), K(), ...ops.flat()];
    },
    () => {
      const opts = [[], ["LEN"], ["IDX"], ["IDX", "WITHMATCHLEN"], ["IDX", "MINMATCHLEN", N()]];
      return ["LCS", K(), K(), ...pick([...opts, ["LEN", "IDX"]])];
    },
    // GEO (no GEOPOS / WITHCOORD: RESP3 coordinates are bulk strings here, doubles in Redis).
    () => [
      "GEOADD",
      K(),
      ...pick([[], ["NX"], ["XX", "CH"]]),
      pick(["13.3", "15", "x"]),
      "37",
      M(),
    ],
    () => ["GEODIST", K(), M(), M(), ...pick([[], ["km"], ["mi"]])],
    () => ["GEOHASH", K(), M(), M()],
    () => ["GEOSEARCH", K(), "FROMMEMBER", M(), "BYRADIUS", "300", "km", "WITHDIST", "ASC"],
    () => ["GEORADIUS", K(), "14", "37", pick(["100", "300"]), "km", "STOREDIST", K()],
  ];
  return () => pick(gens)();
}

/** Replies whose order Redis does not define are compared sorted. */
function normalize(argv: string[], v: Value): string {
  const cmd = argv[0].toLowerCase();
  if (Array.isArray(v) && (cmd === "smembers" || cmd === "sinter")) v = v.slice().sort();
  return JSON.stringify(v);
}

function startRedis(port: number): Deno.ChildProcess {
  return new Deno.Command("redis-server", {
    args: ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    stdout: "null",
    stderr: "null",
  }).spawn();
}

Deno.test("Store.execute answers like redis-server 7 for random commands (RESP2 and RESP3)", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const redis = startRedis(port);
  const clients: Client[] = [];
  try {
    const resp2 = await Client.connect(port);
    clients.push(resp2);
    const resp3 = await Client.connect(port);
    clients.push(resp3);
    await resp3.call(["HELLO", "3"]);
    for (const [seed, big] of [[1, false], [2, false], [3, true]] as const) {
      await resp2.call(["FLUSHALL"]);
      const store = new Store();
      const next = generator(seed, big);
      for (let i = 0; i < 1500; i++) {
        const argv = next();
        const proto = i % 2 === 0 ? 2 : 3;
        const mine = render(
          store.execute(argv, { nowMs: Date.now(), random: Math.random }).reply,
          proto,
        );
        const theirs = await (proto === 2 ? resp2 : resp3).call(argv);
        assert.equal(
          normalize(argv, mine),
          normalize(argv, theirs),
          `SEED=${seed} step ${i} RESP${proto} ${JSON.stringify(argv)}`,
        );
      }
    }
  } finally {
    for (const c of clients) c.conn.close();
    redis.kill("SIGTERM");
    await redis.status;
  }
});
