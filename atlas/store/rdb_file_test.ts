import assert from "node:assert/strict";
import { DEFAULT_LIMITS } from "../limits.ts";
import { FUNCTIONS_SECTION as SCRIPTING_FUNCTIONS_SECTION } from "../scripting/function_commands.ts";
import { registerScriptingCommands } from "../scripting/mod.ts";
import { bytesToBinary } from "./binary.ts";
import { crc64LittleEndian } from "./crc64.ts";
import type { Value } from "./keyspace.ts";
import { readRdbValue } from "./rdb_decode.ts";
import { encodeDumpPayload } from "./rdb_encode.ts";
import {
  encodeRdbFile,
  FUNCTIONS_SECTION,
  RDB_FILE_LZF_MAX_BYTES,
  RDB_OPCODE_AUX,
  RDB_OPCODE_EOF,
  RDB_OPCODE_EXPIRETIME_MS,
  RDB_OPCODE_FUNCTION2,
  RDB_OPCODE_RESIZEDB,
  RDB_OPCODE_SELECTDB,
  RdbFileEncoder,
  type RdbFileHeader,
} from "./rdb_file.ts";
import { RdbReader } from "./rdb_reader.ts";
import { TAG_SECTION } from "./serialize.ts";
import { Harness } from "./test_util.ts";

const hex = (h: string) => Uint8Array.from(h.match(/../g)!, (b) => parseInt(b, 16));

/**
 * `redis-cli --rdb` from redis-server 7.0.15 holding one library, whose code it LZF-compressed,
 * and `SET k v PXAT 4102444800000` (ctime, used-mem, repl-id and repl-offset as in its AUX fields).
 */
const REDIS_FILE = hex(
  "524544495330303130fa0972656469732d76657206372e302e3135fa0a72656469732d62697473c040fa0563" +
    "74696d65c280f6096bfa08757365642d6d656dc228981300fa0e7265706c2d73747265616d2d6462c000fa07" +
    "7265706c2d69642864346664626536326463643631623838663262653066373831306136653362323135633833" +
    "373361fa0b7265706c2d6f6666736574c17b01fa08616f662d62617365c000f5c3404f40a61523216c756120" +
    "6e616d653d6c6f6e670a2d2d20616263e04e021d0a72656469732e72656769737465725f66756e6374696f6e28" +
    "2767272c20e0000d116b2c61292072657475726e203220656e6429fe00fb0101fc00d8c32cbb03000000016b01" +
    "76ffb3cadc319869df61",
);
const REDIS_HEADER = {
  ctimeSeconds: 1795815040,
  usedMemoryBytes: 1284136,
  replication: { id: "d4fdbe62dcd61b88f2be0f7810a6e3b215c8373a", offset: 379 },
};
const LONG_LIBRARY = `#!lua name=long\n-- ${"abcabcabc".repeat(10)}\n` +
  "redis.register_function('g', function(k,a) return 2 end)";

function harness(): Harness {
  const h = new Harness();
  registerScriptingCommands(h.store);
  return h;
}

function header(h: Harness, extra: Partial<RdbFileHeader> = {}): RdbFileHeader {
  return {
    ctimeSeconds: 1_700_000_000,
    usedMemoryBytes: 1_000_000,
    replication: null,
    keys: h.store.stats.keys,
    expires: h.store.stats.volatileKeys,
    ...extra,
  };
}

interface ParsedFile {
  aux: [string, string][];
  libraries: string[];
  resize: [bigint, bigint] | null;
  keys: Map<string, { value: Value; expireAtMs: number | null }>;
}

/** Reads an RDB file as Redis's rdbLoad does (the opcodes ATLAS writes), checking its CRC. */
function readRdbFile(file: Uint8Array): ParsedFile {
  assert.equal(bytesToBinary(file, 0, 9), "REDIS0010");
  assert.deepEqual(
    crc64LittleEndian(file, 0, file.length - 8),
    file.subarray(file.length - 8),
    "CRC-64 of the file",
  );
  const r = new RdbReader(file.subarray(0, file.length - 8), DEFAULT_LIMITS.valueBytesMax);
  r.pos = 9;
  const out: ParsedFile = { aux: [], libraries: [], resize: null, keys: new Map() };
  let expireAtMs: number | null = null;
  for (;;) {
    const op = r.byte();
    if (op === RDB_OPCODE_EOF) break;
    if (op === RDB_OPCODE_AUX) out.aux.push([r.string(), r.string()]);
    else if (op === RDB_OPCODE_FUNCTION2) out.libraries.push(r.string());
    else if (op === RDB_OPCODE_SELECTDB) assert.equal(r.lengthBig(), 0n);
    else if (op === RDB_OPCODE_RESIZEDB) out.resize = [r.lengthBig(), r.lengthBig()];
    else if (op === RDB_OPCODE_EXPIRETIME_MS) expireAtMs = r.millisecondTime();
    else {
      const key = r.string();
      assert.ok(!out.keys.has(key), `${key} twice`);
      out.keys.set(key, { value: readRdbValue(r, op, DEFAULT_LIMITS), expireAtMs });
      expireAtMs = null;
    }
  }
  assert.equal(r.remaining, 0);
  return out;
}

Deno.test("the file is byte for byte what redis-server 7.0.15 sends redis-cli --rdb", () => {
  const h = harness();
  assert.equal(h.run("FUNCTION", "LOAD", LONG_LIBRARY), "long");
  assert.equal(h.run("SET", "k", "v", "PXAT", "4102444800000"), "OK");
  const file = encodeRdbFile(header(h, REDIS_HEADER), h.store.snapshotView("rdb"));
  assert.equal(bytesToBinary(file), bytesToBinary(REDIS_FILE));
  // The store section the encoder looks for is the scripting module's.
  assert.equal(FUNCTIONS_SECTION, SCRIPTING_FUNCTIONS_SECTION);
});

Deno.test("every type, TTLs and libraries read back: each value DUMPs as before", () => {
  const h = harness();
  h.run("FUNCTION", "LOAD", LONG_LIBRARY);
  h.run("FUNCTION", "LOAD", "#!lua name=short\nredis.register_function('s', function() end)");
  const cmds = [
    ["SET", "s:int", "12345"],
    ["SET", "s:big", "x".repeat(100_000)],
    ["SET", "s:bin", String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i))],
    ["SET", "ttl", "v", "PX", "600000"],
    ["RPUSH", "list", ...Array.from({ length: 3000 }, (_, i) => `item-${i}`)],
    ["SADD", "intset", "3", "-1", "70000"],
    ["SADD", "set", ...Array.from({ length: 600 }, (_, i) => `m${i}`)],
    ["HSET", "hash:small", "f", "v", "n", "1"],
    ["HSET", "hash:big", ...Array.from({ length: 1200 }, (_, i) => `f${i % 600}`)],
    ["ZADD", "z:small", "1", "a", "2.5", "b"],
    ["ZADD", "z:big", ...Array.from({ length: 300 }, (_, i) => [String(i / 7), `z${i}`]).flat()],
    ["XADD", "stream", "1-1", "f", "v"],
    ["XADD", "stream", "2-1", "f", "w", "g", "x"],
    ["XGROUP", "CREATE", "stream", "grp", "0"],
    ["XREADGROUP", "GROUP", "grp", "alice", "COUNT", "1", "STREAMS", "stream", ">"],
    ["SET", "12", "an integer key"],
  ];
  for (const argv of cmds) assert.ok(!(h.exec(...argv).reply.kind === "error"), argv[0]);
  h.run("PEXPIREAT", "list", "4102444800000");
  const file = encodeRdbFile(
    header(h, { replication: { id: "a".repeat(40), offset: 7 } }),
    h.store.snapshotView("rdb"),
  );
  const parsed = readRdbFile(file);
  assert.deepEqual(parsed.aux, [
    ["redis-ver", "7.0.15"],
    ["redis-bits", "64"],
    ["ctime", "1700000000"],
    ["used-mem", "1000000"],
    ["repl-stream-db", "0"],
    ["repl-id", "a".repeat(40)],
    ["repl-offset", "7"],
    ["aof-base", "0"],
  ]);
  assert.equal(parsed.libraries.length, 2);
  assert.equal(parsed.libraries[0], LONG_LIBRARY);
  assert.deepEqual(parsed.resize, [13n, 2n]);
  const keys = new Set(cmds.filter((c) => !c[0].startsWith("XGROUP") && c[0] !== "XREADGROUP"));
  assert.deepEqual([...parsed.keys.keys()].sort(), [...new Set([...keys].map((c) => c[1]))].sort());
  for (const [key, { value, expireAtMs }] of parsed.keys) {
    assert.equal(encodeDumpPayload(value), h.run("DUMP", key), key);
    assert.equal(expireAtMs, h.store.expireAtMs(key), key);
  }
  assert.equal(parsed.keys.get("ttl")!.expireAtMs, h.clock.nowMs + 600_000);
});

Deno.test("a view opened before writes gives the file of that moment; chunks change nothing", () => {
  const h = harness();
  for (let i = 0; i < 500; i++) h.run("SET", `k${i}`, `value ${i}`);
  h.run("HSET", "h", "f", "v");
  const whole = h.store.snapshotView("rdb");
  const chunked = h.store.snapshotView("rdb");
  const before = readRdbFile(encodeRdbFile(header(h), h.store.snapshotView("rdb")));
  // Writes after the views opened: changed, deleted, new and expiring keys.
  h.run("SET", "k1", "changed");
  h.run("DEL", "k2");
  h.run("HSET", "h", "g", "w");
  h.run("SET", "new", "key");
  h.run("PEXPIRE", "k3", "1000");
  const fileHeader = header(h, { keys: 501, expires: 0 });
  const file = encodeRdbFile(fileHeader, whole);
  const after = readRdbFile(file);
  assert.deepEqual(after.resize, before.resize);
  assert.deepEqual(new Map([...after.keys].sort()), new Map([...before.keys].sort()));
  assert.equal(after.keys.get("k1")!.value, "value 1");
  assert.equal(after.keys.get("k2")!.value, "value 2");
  assert.equal(after.keys.has("new"), false);
  assert.equal(after.keys.get("k3")!.expireAtMs, null);
  // The same view taken in many small chunks: the same bytes, one CRC across them.
  const encoder = new RdbFileEncoder(fileHeader);
  const parts: Uint8Array[] = [];
  for (const entry of chunked) {
    encoder.add(entry);
    if (encoder.pendingBytes > 100) parts.push(encoder.take());
  }
  parts.push(encoder.finish());
  assert.ok(parts.length > 10);
  assert.ok(parts.map((p) => bytesToBinary(p)).join("") === bytesToBinary(file), "chunked file");
  assert.equal(encoder.bytesTaken, file.length);
  assert.equal(encoder.keys, 501);
});

Deno.test("an empty keyspace: AUX fields and EOF, no SELECTDB; other sections are left out", () => {
  const h = harness();
  const file = encodeRdbFile(header(h), h.store.snapshotView("rdb"));
  const parsed = readRdbFile(file);
  assert.equal(parsed.resize, null);
  assert.equal(parsed.keys.size, 0);
  assert.deepEqual(parsed.aux.map(([k]) => k), [
    "redis-ver",
    "redis-bits",
    "ctime",
    "used-mem",
    "aof-base",
  ]);
  const encoder = new RdbFileEncoder(header(h));
  encoder.add({ key: "jobs", payload: TAG_SECTION + "anything", expireAtMs: null });
  assert.equal(bytesToBinary(encoder.finish()), bytesToBinary(file));
  // Libraries after a key would be out of order in the file.
  const late = new RdbFileEncoder(header(h));
  late.add({ key: "k", payload: "\x00" + "\x01v", expireAtMs: null });
  assert.throws(() =>
    late.add({ key: FUNCTIONS_SECTION, payload: TAG_SECTION + "x".repeat(12), expireAtMs: null })
  );
  late.finish();
  assert.throws(() => late.finish());
  assert.throws(() => late.add({ key: "k", payload: "\x00\x01v", expireAtMs: null }));
});

Deno.test("strings over 1 MiB are written raw in the file (DUMP still compresses them)", () => {
  const h = harness();
  const big = "ab".repeat(RDB_FILE_LZF_MAX_BYTES / 2 + 1);
  const smaller = "cd".repeat(RDB_FILE_LZF_MAX_BYTES / 4);
  h.run("SET", "big", big);
  h.run("RPUSH", "list", smaller, big);
  const file = encodeRdbFile(header(h), h.store.snapshotView("rdb"));
  const parsed = readRdbFile(file);
  assert.ok(parsed.keys.get("big")!.value === big);
  assert.equal(encodeDumpPayload(parsed.keys.get("list")!.value), h.run("DUMP", "list"));
  // `big` twice uncompressed, `smaller` (in a listpack under 1 MiB) LZF-compressed.
  assert.ok(file.length > 2 * big.length && file.length < 2 * big.length + 64 * 1024);
  assert.ok((h.run("DUMP", "big") as string).length < 64 * 1024);
});
