import assert from "node:assert/strict";
import {
  Hll,
  HLL_DENSE,
  HLL_DENSE_SIZE,
  HLL_SPARSE,
  HLL_SPARSE_MAX_BYTES,
  hllEstimate,
  hllPatLen,
  hllSelfTest,
  hllSparseDecode,
  murmurHash64A,
  registersHistogram,
} from "./hyperloglog.ts";
import { Harness, plain, stateOf } from "./test_util.ts";

const NOT_HLL = { err: "WRONGTYPE Key is not a valid HyperLogLog string value." };
const CORRUPTED = { err: "INVALIDOBJ Corrupted HLL object detected" };
const WRONGTYPE = { err: "WRONGTYPE Operation against a key holding the wrong kind of value" };

/** An independent, plain BigInt MurmurHash64A (slow, obviously right) to cross-check. */
function referenceMurmur(key: string, seed: bigint): bigint {
  const mask = (1n << 64n) - 1n;
  const m = 0xc6a4a7935bd1e995n;
  const len = BigInt(key.length);
  let h = (seed ^ (len * m)) & mask;
  const blocks = key.length - (key.length & 7);
  for (let i = 0; i < blocks; i += 8) {
    let k = 0n;
    for (let j = 7; j >= 0; j--) k = (k << 8n) | BigInt(key.charCodeAt(i + j));
    k = (k * m) & mask;
    k ^= k >> 47n;
    k = (k * m) & mask;
    h ^= k;
    h = (h * m) & mask;
  }
  const rest = key.length & 7;
  if (rest !== 0) {
    for (let j = rest - 1; j >= 0; j--) h ^= BigInt(key.charCodeAt(blocks + j)) << BigInt(8 * j);
    h = (h * m) & mask;
  }
  h ^= h >> 47n;
  h = (h * m) & mask;
  h ^= h >> 47n;
  return h;
}

function hex(bytes: string): string {
  return [...bytes].map((c) => c.charCodeAt(0).toString(16).padStart(2, "0")).join("");
}

function fnv1a(bytes: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16);
}

/** PFADD of "1".."n", 1000 elements per call (the same calls were sent to redis-server). */
function addRange(h: Harness, key: string, n: number): void {
  for (let from = 1; from <= n; from += 1000) {
    const els: string[] = [];
    for (let i = from; i <= Math.min(n, from + 999); i++) els.push(String(i));
    h.run("PFADD", key, ...els);
  }
}

/** A dense HLL string (invalid cache) whose register i holds f(i). */
function denseOf(f: (i: number) => number, card = "\0\0\0\0\0\0\0\x80"): string {
  const hll = Hll.create();
  assert.ok(hll.toDense());
  for (let i = 0; i < 16384; i++) if (f(i) !== 0) hll.set(i, f(i));
  return "HYLL\0\0\0\0" + card + hll.toBinary().slice(16);
}

Deno.test("MurmurHash64A: fixed vectors, agrees with a BigInt reference at every tail length", () => {
  assert.equal(murmurHash64A("", 0), 0n);
  assert.equal(murmurHash64A("hello"), 0x0f656f01eecfe400n);
  assert.equal(murmurHash64A("hello"), referenceMurmur("hello", 0xadc83b19n));
  assert.equal(murmurHash64A("foobar-1234567"), referenceMurmur("foobar-1234567", 0xadc83b19n));
  for (let len = 0; len < 40; len++) {
    let s = "";
    for (let i = 0; i < len; i++) s += String.fromCharCode((i * 37 + len * 11 + 200) & 255);
    assert.equal(murmurHash64A(s), referenceMurmur(s, 0xadc83b19n), `length ${len}`);
    assert.equal(murmurHash64A(s, 0), referenceMurmur(s, 0n), `length ${len}, seed 0`);
  }
});

Deno.test("register and run length per element match redis-server 7.0.15's sparse bytes", () => {
  // From `PFADD k <element>` + `GET k` on redis-server 7.0.15: XZERO run, VAL, XZERO run.
  assert.equal(hllPatLen("hello"), 9216 * 64 + 1);
  assert.equal(hllPatLen(""), 5938 * 64 + 2);
  assert.equal(hllPatLen("foobar-1234567"), 5831 * 64 + 1);
  const h = new Harness();
  assert.equal(h.run("PFADD", "k", "hello"), 1);
  const header = "48594c4c" + "01000000" + "0000000000000080";
  assert.equal(hex(h.run("GET", "k") as string), header + "63ff805bfe");
  assert.equal(h.run("PFADD", "k", "hello"), 0);
  assert.equal(h.run("PFADD", "e", ""), 1);
  assert.equal(hex(h.run("GET", "e") as string), header + "57318468cc");
});

Deno.test("PFCOUNT equals redis-server 7.0.15 and the bytes are Redis's, sparse and dense", () => {
  const h = new Harness();
  // Reference values and bytes (FNV-1a of GET before any PFCOUNT) come from redis-server 7.0.15
  // given the same PFADD calls.
  addRange(h, "r10", 10);
  assert.equal(
    hex(h.run("GET", "r10") as string),
    "48594c4c01000000000000000000008041ee844823805351804ce0804092" +
      "804c3f8042d78042128c40b88015844322",
  );
  addRange(h, "r1000", 1000);
  addRange(h, "r5000", 5000);
  addRange(h, "r100000", 100000);
  assert.equal(h.run("STRLEN", "r1000"), 1922);
  assert.equal(fnv1a(h.run("GET", "r1000") as string), "c158d57d");
  assert.equal(h.run("STRLEN", "r5000"), HLL_DENSE_SIZE);
  assert.equal(fnv1a(h.run("GET", "r5000") as string), "d9814ea3");
  assert.equal(fnv1a(h.run("GET", "r100000") as string), "b5677f59");
  assert.equal(h.run("PFCOUNT", "r10"), 10);
  assert.equal(h.run("PFCOUNT", "r1000"), 1001);
  assert.equal(h.run("PFCOUNT", "r5000"), 4985);
  assert.equal(h.run("PFCOUNT", "r100000"), 99562);
  assert.equal(h.run("PFCOUNT", "r10", "r1000", "r5000"), 4985);
  assert.equal(h.run("PFCOUNT", "nokey"), 0);
  assert.equal(h.run("PFCOUNT", "nokey", "r10"), 10);
  assert.equal(h.run("TYPE", "r10"), "string");
  // PFMERGE: all-sparse sources stay sparse, a dense source makes the target dense.
  assert.equal(h.run("PFMERGE", "m", "r10", "r1000"), "OK");
  assert.equal(fnv1a(h.run("GET", "m") as string), "c158d57d");
  assert.equal(h.run("PFCOUNT", "m"), 1001);
  assert.equal(h.run("PFMERGE", "m2", "r1000", "r100000"), "OK");
  assert.equal(fnv1a(h.run("GET", "m2") as string), "b5677f59");
  assert.equal(h.run("PFCOUNT", "m2"), 99562);
  assert.equal(h.run("PFMERGE", "empty"), "OK");
  assert.equal(hex(h.run("GET", "empty") as string), "48594c4c0100000000000000000000807fff");
  assert.equal(h.run("PFCOUNT", "empty"), 0);
});

Deno.test("a sparse HLL turns dense past 3000 bytes or for a register above 32", () => {
  const h = new Harness();
  let length = 0;
  let i = 0;
  for (; i < 5000; i++) {
    h.run("PFADD", "k", `e${i}`);
    const next = h.run("STRLEN", "k") as number;
    if (next === HLL_DENSE_SIZE) break;
    assert.ok(next <= HLL_SPARSE_MAX_BYTES);
    length = next;
  }
  assert.ok(i < 5000 && length > HLL_SPARSE_MAX_BYTES - 4, `promoted at ${length} bytes`);
  assert.equal((h.run("GET", "k") as string).charCodeAt(4), HLL_DENSE);

  const hll = Hll.create();
  assert.equal(hll.set(100, 32), 1);
  assert.equal(hll.encoding, HLL_SPARSE);
  assert.equal(hll.set(100, 32), 0);
  assert.equal(hll.set(200, 33), 1);
  assert.equal(hll.encoding, HLL_DENSE);
  assert.equal(hll.length, HLL_DENSE_SIZE);
  const max = new Uint8Array(16384);
  max[100] = 32;
  max[200] = 33;
  const s = new Harness();
  s.run("SET", "d", hll.toBinary());
  assert.equal(s.run("PFCOUNT", "d"), hllEstimate(registersHistogram(max)));
});

Deno.test("the cached cardinality: written back by PFCOUNT as Redis does, read when valid, cleared by writes", () => {
  const h = new Harness();
  h.run("PFADD", "k", "a", "b", "c");
  h.run("EXPIRE", "k", "100");
  const before = h.run("GET", "k") as string;
  assert.equal(before.charCodeAt(15) & 0x80, 0x80);
  const logged = h.logs.length;
  assert.equal(h.run("PFCOUNT", "k"), 3);
  const after = h.run("GET", "k") as string;
  assert.equal(after.slice(8, 16), "\x03\0\0\0\0\0\0\0"); // the count, the cache valid
  assert.equal(after.slice(0, 8) + after.slice(16), before.slice(0, 8) + before.slice(16));
  assert.equal(h.run("TTL", "k"), 100);
  assert.deepEqual(h.logs.slice(logged), [["PFCOUNT", "k"]]); // a replay writes it back too
  assert.equal(h.replay(h.clock.nowMs).run("GET", "k"), after);
  // Answered from the valid cache: nothing written, nothing logged.
  assert.equal(h.run("PFCOUNT", "k"), 3);
  assert.equal(h.logs.length, logged + 1);
  // Several keys: a temporary union, no key written.
  h.run("PFADD", "k2", "z");
  const k2 = h.run("GET", "k2");
  assert.equal(h.run("PFCOUNT", "k2", "k"), 4);
  assert.equal(h.run("GET", "k2"), k2);
  // A copy with a valid cache (as Redis leaves it after PFCOUNT) answers from the cache.
  h.run("SET", "c", before.slice(0, 8) + "\x07\0\0\0\0\0\0\0" + before.slice(16));
  assert.equal(h.run("PFCOUNT", "c"), 7);
  assert.equal(h.run("PFCOUNT", "c", "nokey"), 3);
  assert.equal(h.run("PFADD", "c", "a"), 0); // no change: the cache stays valid
  assert.equal(h.run("PFCOUNT", "c"), 7);
  assert.equal(h.run("PFADD", "c", "d"), 1);
  assert.equal((h.run("GET", "c") as string).slice(8, 16), "\x07\0\0\0\0\0\0\x80");
  assert.equal(h.run("PFCOUNT", "c"), 4);
  assert.equal((h.run("GET", "c") as string).slice(8, 16), "\x04\0\0\0\0\0\0\0");
});

Deno.test("a read served outside the log (a Raft replica's) leaves PFCOUNT's cache as it is", () => {
  const h = new Harness();
  h.run("PFADD", "k", "a", "b", "c");
  const before = h.run("GET", "k");
  const result = h.store.execute(["PFCOUNT", "k"], {
    nowMs: h.clock.nowMs,
    random: () => 0,
    readsOutsideLog: true,
  });
  assert.equal(plain(result.reply), 3);
  assert.equal(result.log, null);
  assert.equal(h.run("GET", "k"), before);
});

Deno.test("PFADD replies, TTL kept, arity", () => {
  const h = new Harness();
  assert.equal(h.run("PFADD", "k"), 1); // created
  assert.equal(h.run("PFADD", "k"), 0);
  assert.equal(h.run("PFADD", "k", "x", "y"), 1);
  assert.equal(h.run("PFADD", "k", "y", "x"), 0);
  h.run("EXPIRE", "k", "100");
  assert.equal(h.run("PFADD", "k", "z"), 1);
  assert.equal(h.run("TTL", "k"), 100);
  assert.equal(h.run("PFMERGE", "k", "k"), "OK");
  assert.equal(h.run("TTL", "k"), 100);
  assert.deepEqual(h.run("PFADD"), { err: "ERR wrong number of arguments for 'pfadd' command" });
  assert.deepEqual(h.run("PFCOUNT"), {
    err: "ERR wrong number of arguments for 'pfcount' command",
  });
  assert.deepEqual(h.run("PFMERGE"), {
    err: "ERR wrong number of arguments for 'pfmerge' command",
  });
  assert.equal(h.store.commands.get("pfcount")?.flags.includes("readonly"), true);
  assert.equal(h.store.commands.get("pfadd")?.flags.includes("write"), true);
});

Deno.test("wrong type, not an HLL, corrupted HLL: Redis's errors", () => {
  const h = new Harness();
  h.run("RPUSH", "list", "a");
  h.run("SET", "str", "hello");
  h.run("PFADD", "ok", "a");
  for (const cmd of ["PFADD", "PFCOUNT", "PFMERGE"]) {
    assert.deepEqual(h.run(cmd, "list"), WRONGTYPE, cmd);
    assert.deepEqual(h.run(cmd, "str"), NOT_HLL, cmd);
  }
  assert.deepEqual(h.run("PFCOUNT", "ok", "str"), NOT_HLL);
  assert.deepEqual(h.run("PFMERGE", "ok", "list"), WRONGTYPE);
  const header = "HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80";
  const invalid = [
    "HYLL\x01\0\0\0\0\0\0\0\0\0\0", // shorter than the header
    "HYLX\x01\0\0\0\0\0\0\0\0\0\0\x80\x7f\xff", // magic
    "HYLL\x02\0\0\0\0\0\0\0\0\0\0\x80\x7f\xff", // encoding
    denseOf(() => 1).slice(0, HLL_DENSE_SIZE - 1), // dense of the wrong size
  ];
  for (const value of invalid) {
    h.run("SET", "bad", value);
    assert.deepEqual(h.run("PFCOUNT", "bad"), NOT_HLL);
    assert.deepEqual(h.run("PFADD", "bad", "a"), NOT_HLL);
  }
  // Sparse runs not covering exactly 16384 registers (answers checked against redis-server).
  for (const body of ["", "\x7f\xfe", "\x7f\xff\x00", "\x7f", "\x7f\xfe\x83", "\x5f\xff"]) {
    h.run("SET", "bad", header + body);
    assert.deepEqual(h.run("PFCOUNT", "bad"), CORRUPTED, hex(body));
    assert.deepEqual(h.run("PFCOUNT", "bad", "ok"), CORRUPTED, hex(body));
    assert.deepEqual(h.run("PFMERGE", "dst", "bad"), CORRUPTED, hex(body));
  }
  h.run("SET", "bad", header);
  assert.deepEqual(h.run("PFADD", "bad", "a"), CORRUPTED);
  assert.equal(h.run("GET", "bad"), header);
  // Redis edits in place: registers inside the covered part are set before the error.
  h.run("SET", "half", header + "\x5f\xff"); // covers registers 0..8191 only
  assert.deepEqual(h.run("PFADD", "half", "foobar-1234567", "hello"), CORRUPTED);
  assert.equal(hex(h.run("GET", "half") as string), hex(header) + "56c6804937");
});

Deno.test("crafted dense registers: the estimator's extremes as redis-server 7.0.15 answers", () => {
  const h = new Harness();
  // Values from redis-server 7.0.15 (PFCOUNT of the same bytes; -2^63 is llroundl's overflow).
  h.run("SET", "low", denseOf((i) => (i % 3 === 0 ? 1 : 0)));
  assert.equal(h.run("PFCOUNT", "low"), 6420);
  h.run("SET", "mix", denseOf((i) => i % 64));
  assert.equal(h.run("PFCOUNT", "mix"), 375261);
  h.run("SET", "mix2", denseOf((i) => (i * 7) % 52));
  assert.equal(h.run("PFCOUNT", "mix2"), 303929);
  h.run("SET", "big", denseOf((i) => (i % 5 === 0 ? 40 : 0)));
  assert.equal(h.run("PFCOUNT", "big"), 3731);
  h.run("SET", "top", denseOf(() => 51));
  assert.equal(h.run("PFCOUNT", "top"), -(2n ** 63n));
  h.run("SET", "cached", denseOf((i) => (i % 3 === 0 ? 1 : 0), "\xd2\x04\0\0\0\0\0\0"));
  assert.equal(h.run("PFCOUNT", "cached"), 1234);
  assert.equal(h.run("PFCOUNT", "cached", "nokey"), 6420);
});

Deno.test("PFADD, PFMERGE and a cache-writing PFCOUNT log themselves; replay gives the same bytes", () => {
  const h = new Harness();
  const els = Array.from({ length: 300 }, (_, i) => `x${i}`);
  h.run("PFADD", "a", ...els.slice(0, 150));
  h.run("PFADD", "b", ...els.slice(100));
  h.run("PFADD", "a", "x1"); // no change: not logged
  h.run("PFCOUNT", "a");
  h.run("PFCOUNT", "a", "b");
  h.run("PFMERGE", "c", "a", "b");
  h.run("PFADD", "c", ...Array.from({ length: 4000 }, (_, i) => `y${i}`)); // dense
  assert.deepEqual(h.logs.map((l) => l[0]), ["PFADD", "PFADD", "PFCOUNT", "PFMERGE", "PFADD"]);
  assert.deepEqual(stateOf(h.replay(h.clock.nowMs).store), stateOf(h.store));
  assert.equal(h.run("PFCOUNT", "c", "a", "b"), h.run("PFCOUNT", "c"));
});

Deno.test("hll-sparse-max-bytes: a sparse HLL turns dense where redis-server 7.0.15 does", () => {
  // (limit, the element e<i> that made Redis's HLL dense, its sparse length just before)
  for (const [limit, at, before] of [[100, 28, 99], [1000, 463, 1000], [0, 0, 0]]) {
    const hll = Hll.create(limit);
    let length = 0;
    let i = 0;
    for (; hll.encoding === HLL_SPARSE; i++) {
      length = hll.length;
      hll.add(`e${i}`);
    }
    assert.deepEqual([i - 1, i === 1 ? 0 : length], [at, before], `limit ${limit}`);
  }
  const copy = Hll.from(Hll.create().toBinary(), 0);
  assert.equal(copy.add("a"), 1);
  assert.equal(copy.encoding, HLL_DENSE);
});

Deno.test("PFDEBUG: Redis's checks and answers; GETREG / TODENSE convert and log", () => {
  const h = new Harness();
  h.run("SET", "str", "hello");
  h.run("RPUSH", "list", "a");
  h.run("PFADD", "h", "a", "b", "c");
  const missing = { err: "ERR The specified key does not exist" };
  assert.deepEqual(h.run("PFDEBUG", "nosuch", "nokey"), missing);
  assert.deepEqual(h.run("PFDEBUG", "nosuch", "str"), NOT_HLL);
  assert.deepEqual(h.run("PFDEBUG", "nosuch", "list"), WRONGTYPE);
  assert.deepEqual(h.run("PFDEBUG", "nosuch", "h"), {
    err: "ERR Unknown PFDEBUG subcommand 'nosuch'",
  });
  assert.deepEqual(h.run("PFDEBUG", "getreg"), {
    err: "ERR wrong number of arguments for 'pfdebug' command",
  });
  // Answers of redis-server 7.0.15 for the same values.
  assert.equal(h.run("PFDEBUG", "decode", "h"), "Z:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603");
  assert.equal(h.run("PFDEBUG", "Encoding", "h"), "sparse");
  const header = "HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80";
  assert.equal(hllSparseDecode(header), "");
  assert.equal(hllSparseDecode(header + "\x7f"), "Z:16129");
  assert.equal(
    hllSparseDecode(header + "\x00\x01\x80\x84\xff\x7f\xfe"),
    "z:1 z:2 v:1,1 v:2,1 v:32,4 Z:16383",
  );
  h.run("SET", "bad", header + "\x7f\xfe\x83");
  assert.deepEqual(h.run("PFDEBUG", "TODENSE", "bad"), CORRUPTED);
  assert.deepEqual(h.run("PFDEBUG", "GETREG", "bad"), CORRUPTED);
  assert.equal(h.run("PFDEBUG", "ENCODING", "bad"), "sparse");

  const logged = h.logs.length;
  assert.equal(h.run("PFDEBUG", "ENCODING", "h"), "sparse");
  assert.equal(h.logs.length, logged);
  h.run("EXPIRE", "h", "100");
  const registers = h.run("PFDEBUG", "GETREG", "h") as number[];
  assert.equal(registers.length, 16384);
  assert.deepEqual(registers.filter((r) => r !== 0), [1, 2, 1]);
  assert.equal(h.run("PFDEBUG", "ENCODING", "h"), "dense");
  assert.equal(h.run("TTL", "h"), 100);
  assert.equal(h.run("STRLEN", "h"), HLL_DENSE_SIZE);
  assert.deepEqual(h.run("PFDEBUG", "DECODE", "h"), { err: "ERR HLL encoding is not sparse" });
  assert.equal(h.run("PFCOUNT", "h"), 3);
  h.run("PFADD", "t", "x");
  assert.equal(h.run("PFDEBUG", "TODENSE", "t"), 1);
  assert.equal(h.run("PFDEBUG", "TODENSE", "t"), 0);
  assert.deepEqual(h.logs.slice(logged + 1).map((l) => l.join(" ")), [
    "PFDEBUG GETREG h",
    "PFCOUNT h",
    "PFADD t x",
    "PFDEBUG TODENSE t",
  ]);
  assert.deepEqual(stateOf(h.replay(h.clock.nowMs).store), stateOf(h.store));
});

Deno.test("PFSELFTEST passes; OBJECT ENCODING after PFCOUNT / PFDEBUG is raw, as in Redis", () => {
  const h = new Harness();
  assert.equal(h.run("PFSELFTEST"), "OK");
  assert.equal(hllSelfTest(Math.random, 0, 20_000), null);
  assert.equal(h.logs.length, 0);
  const empty = Hll.create().toBinary();
  for (const cmd of [["PFCOUNT", "k"], ["PFDEBUG", "ENCODING", "k"]]) {
    h.run("SET", "k", empty);
    assert.equal(h.run("OBJECT", "ENCODING", "k"), "embstr");
    h.run(...cmd);
    assert.equal(h.run("OBJECT", "ENCODING", "k"), "raw", cmd.join(" "));
  }
  h.run("SET", "k", empty);
  h.run("PFCOUNT", "k", "k"); // several keys: Redis reads them as they are
  assert.equal(h.run("OBJECT", "ENCODING", "k"), "embstr");
});
