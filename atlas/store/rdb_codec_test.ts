/**
 * Unit tests of the DUMP payload codec: CRC-64, LZF, the RDB primitives, listpack, the older
 * compact encodings, decoding of payloads captured from redis-server 7.0.15
 * (rdb_redis_fixtures.ts), round trips of every type, and refusal of malformed payloads.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { DEFAULT_LIMITS, resolveLimits } from "../limits.ts";
import { binaryToBytes } from "./binary.ts";
import { crc64 } from "./crc64.ts";
import { HashValue } from "./hash_value.ts";
import type { Value } from "./keyspace.ts";
import { ListValue } from "./list_value.ts";
import { buildListpack, listpackElement, parseListpack } from "./listpack.ts";
import { lzfCompress, lzfDecompress } from "./lzf.ts";
import { decodeRdbValue } from "./rdb_decode.ts";
import { encodeDumpPayload, encodeRdbValue } from "./rdb_encode.ts";
import { RdbFormatError, RdbLimitError, RdbReader } from "./rdb_reader.ts";
import { REDIS_70_DUMPS } from "./rdb_redis_fixtures.ts";
import { streamNodeListpack } from "./rdb_stream.ts";
import { verifyDumpPayload } from "./rdb_types.ts";
import { rdbLength, rdbString } from "./rdb_writer.ts";
import { SetValue } from "./set_value.ts";
import { formatId } from "./stream_id.ts";
import { StreamValue } from "./stream_value.ts";
import { Harness, plain } from "./test_util.ts";
import { parseIntset, parseZiplist, parseZipmap } from "./ziplist.ts";
import { ZSetValue } from "./zset_value.ts";

const hex = (h: string) => new Uint8Array(Buffer.from(h, "hex"));
const bin = (h: string) => Buffer.from(h, "hex").toString("latin1");
const bytes = (s: string) => binaryToBytes(s);
const ascii = (s: string) => new TextEncoder().encode(s);

/** A payload (body + version 10 + CRC) around an object's bytes. */
function payload(body: string, version = 10): Uint8Array {
  const b = bytes(body + String.fromCharCode(version, 0));
  const crc = crc64(b);
  const out = new Uint8Array(b.length + 8);
  out.set(b);
  new DataView(out.buffer).setBigUint64(b.length, crc, true);
  return out;
}

const decode = (p: Uint8Array) => decodeRdbValue(p, DEFAULT_LIMITS);

/** A value as plain data, for comparisons independent of the classes' internals. */
function contentOf(v: Value): unknown {
  if (typeof v === "string") return v;
  if (v instanceof ListValue) return { list: v.toArray() };
  if (v instanceof SetValue) return { set: [...v.set].sort() };
  if (v instanceof HashValue) return { hash: [...v.map].sort() };
  if (v instanceof ZSetValue) {
    const zset: [string, number][] = [];
    for (let n = v.first(); n !== null; n = n.next) zset.push([n.member, n.score]);
    return { zset };
  }
  if (v instanceof StreamValue) {
    return {
      entries: v.range(0n, (1n << 128n) - 1n, 0, false).map(([id, f]) => [formatId(id), f]),
      last: formatId(v.lastId),
      first: formatId(v.firstId),
      maxDeleted: formatId(v.maxDeletedId),
      added: v.entriesAdded,
      groups: v.sortedGroups().map((g) => ({
        name: g.name,
        last: formatId(g.lastId),
        read: g.entriesRead,
        pel: g.order.ids.map((id) => {
          const p = g.pending.get(id)!;
          return [formatId(id), p.consumer.name, p.deliveryTime, p.deliveryCount];
        }),
        consumers: g.sortedConsumers().map((c) => [c.name, c.seenTime, c.pel.ids.map(formatId)]),
      })),
    };
  }
  throw new Error("unknown value");
}

Deno.test("crc64: Redis's Jones variant check value, and DUMP footers verify", () => {
  assert.equal(crc64(ascii("123456789")), 0xe9c6d914c4b8d9can);
  assert.equal(crc64(new Uint8Array(0)), 0n);
  for (const [name, h] of Object.entries(REDIS_70_DUMPS)) {
    const p = hex(h);
    assert.ok(verifyDumpPayload(p), name);
    const flipped = p.slice();
    flipped[0] ^= 0x01;
    assert.ok(!verifyDumpPayload(flipped), `${name}: one flipped bit`);
  }
  assert.ok(verifyDumpPayload(payload("\x00\x02hi", 10)));
  assert.ok(verifyDumpPayload(payload("\x00\x02hi", 9)), "older versions are accepted");
  assert.ok(!verifyDumpPayload(payload("\x00\x02hi", 11)), "newer than 7.0's RDB 10");
  assert.ok(!verifyDumpPayload(new Uint8Array(9)), "shorter than a footer");
});

Deno.test("lzf: literals, back references, overlapping copies, malformed input", () => {
  const run = (h: string, n: number) => {
    const input = hex(h);
    const out = lzfDecompress(input, 0, input.length, n);
    return out === null ? null : Buffer.from(out).toString("latin1");
  };
  assert.equal(run("02616263", 3), "abc");
  // "abc" then a 6-byte copy from 3 back: the copy reads what it writes.
  assert.equal(run("026162638002", 9), "abcabcabc");
  // A long back reference: length field 7 plus an extra byte (7 + 10 + 2 = 19), offset 1.
  assert.equal(run("0061e00a00", 20), "a".repeat(20));
  assert.equal(run("02616263", 4), null, "output shorter than declared");
  assert.equal(run("02616263", 2), null, "output longer than declared");
  assert.equal(run("0261", 3), null, "truncated literal");
  assert.equal(run("00618005", 4), null, "reference before the start");
  assert.equal(run("0061e0", 20), null, "truncated reference");
});

Deno.test("lzf compression: decompresses back; null when it would not save 4 bytes", () => {
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let t = 0; t < 200; t++) {
    const alphabet = 1 + Math.floor(next() * 255);
    const input = new Uint8Array(21 + Math.floor(next() * 20000));
    for (let i = 0; i < input.length; i++) {
      input[i] = i > 8 && next() < 0.6 ? input[i - 1 - Math.floor(next() * 8)] : next() * alphabet;
    }
    const packed = lzfCompress(input, input.length - 4);
    if (packed === null) continue;
    assert.ok(packed.length <= input.length - 4);
    assert.deepEqual(lzfDecompress(packed, 0, packed.length, input.length), input);
  }
  // Each call starts from an empty table, whatever came before.
  const short = ascii("abcdefabcdefabcdef-abcdef!");
  const alone = lzfCompress(short, short.length - 4);
  lzfCompress(ascii("fedcbaabcdef".repeat(5000)), 60000 - 4);
  assert.deepEqual(lzfCompress(short, short.length - 4), alone);
  assert.equal(lzfCompress(hex(REDIS_70_DUMPS.binary).subarray(2, 258), 252), null);
  assert.equal(
    Buffer.from(lzfCompress(ascii("ab".repeat(100) + "xyz"), 199)!).toString("hex"),
    REDIS_70_DUMPS.lzf.slice(10, 10 + 2 * 11),
  );
});

Deno.test("rdb strings: integer encodings, raw, LZF; lengths in every width", () => {
  const expected: Record<string, string> = {
    int8: "-5",
    int16: "1234",
    int32: "123456",
    bigint: "12345678901",
    lzf: "ab".repeat(100) + "xyz",
    binary: Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString("latin1"),
  };
  for (const [name, value] of Object.entries(expected)) {
    assert.equal(decode(hex(REDIS_70_DUMPS[name])), value, name);
    // ATLAS's payload is byte for byte Redis's, LZF-compressed or not.
    assert.equal(encodeDumpPayload(value), bin(REDIS_70_DUMPS[name]), name);
  }
  assert.equal(rdbString("127"), "\xc0\x7f");
  assert.equal(rdbString("-129"), "\xc1\x7f\xff");
  assert.equal(rdbString("-2147483648"), "\xc2\x00\x00\x00\x80");
  assert.equal(rdbString("2147483648"), "\x0a2147483648", "beyond int32: raw");
  assert.equal(rdbString("007"), "\x03007", "not canonical: raw");
  for (const n of [0, 63, 64, 16383, 16384, 0xffffffff, 0x100000000, 2 ** 53 - 1]) {
    const r = new RdbReader(bytes(rdbLength(n) + rdbLength(BigInt(n))), 100);
    assert.equal(r.count(0), n);
    assert.equal(r.lengthBig(), BigInt(n));
  }
  const u64 = new RdbReader(bytes(rdbLength((1n << 64n) - 1n)), 100);
  assert.equal(u64.lengthBig(), (1n << 64n) - 1n);
  assert.throws(() => new RdbReader(bytes("\x05ab"), 100).blob(), RdbFormatError);
  assert.throws(() => new RdbReader(bytes("\x05abcde"), 4).blob(), RdbLimitError);
});

Deno.test("listpack: every element encoding at its boundaries reads back exactly", () => {
  const values = [
    "0",
    "127",
    "128",
    "-1",
    "-4096",
    "4095",
    "4096",
    "-4097",
    "32767",
    "32768",
    "-32768",
    "-32769",
    "8388607",
    "8388608",
    "-8388609",
    "2147483647",
    "2147483648",
    "-2147483649",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "-0",
    "007",
    "",
    "\x00\xff\r\n",
    "x".repeat(63),
    "x".repeat(64),
    "y".repeat(4095),
    "y".repeat(4096),
    "z".repeat(70000),
  ];
  const lp = bytes(buildListpack(values.map(listpackElement)));
  assert.deepEqual(parseListpack(lp), values);
  // Sizes: encoding + data + backlen, as Redis's listpack lays them out.
  const size = (s: string) => listpackElement(s).length;
  assert.deepEqual(
    ["127", "128", "32768", "9223372036854775807", "x".repeat(63), "x".repeat(64)].map(size),
    [2, 3, 5, 10, 65, 67],
  );
  assert.equal(size("y".repeat(4096)), 5 + 4096 + 2);
  assert.equal(size("y".repeat(16378)), 5 + 16378 + 3);
  assert.throws(() => parseListpack(lp.subarray(0, lp.length - 1)), RdbFormatError);
  const badCount = lp.slice();
  badCount[4] ^= 1;
  assert.throws(() => parseListpack(badCount), RdbFormatError);
  const noEnd = lp.slice();
  noEnd[noEnd.length - 1] = 0;
  assert.throws(() => parseListpack(noEnd), RdbFormatError);
});

/** A hand-built ziplist: header, entries (previous length + encoding + data), end byte. */
function ziplist(entries: string[]): string {
  let body = "";
  let previous = 0;
  let tail = 10;
  for (const e of entries) {
    const entry = String.fromCharCode(previous) + e;
    tail = 10 + body.length;
    body += entry;
    previous = entry.length;
  }
  const total = 10 + body.length + 1;
  const u32 = (n: number) => String.fromCharCode(n & 0xff, (n >> 8) & 0xff, n >> 16, 0);
  return u32(total) + u32(tail) + String.fromCharCode(entries.length, 0) + body + "\xff";
}

const ZIP_ENTRIES = [
  "\x02ab", // 6-bit length string
  "\x40\x64" + "s".repeat(100), // 14-bit length string
  "\xfd", // immediate 12
  "\xf1", // immediate 0
  "\xfe\xfb", // int8 -5
  "\xc0\xe8\x03", // int16 1000
  "\xf0\xa0\x86\x01", // int24 100000
  "\xd0\x60\x79\xfe\xff", // int32 -100000
  "\xe0\x00\x00\x00\x00\x00\x01\x00\x00", // int64 2^40
];
const ZIP_VALUES = [
  "ab",
  "s".repeat(100),
  "12",
  "0",
  "-5",
  "1000",
  "100000",
  "-100000",
  "1099511627776",
];

Deno.test("ziplist, intset, zipmap: the older encodings Redis 7.0 still loads", () => {
  assert.deepEqual(parseZiplist(bytes(ziplist(ZIP_ENTRIES))), ZIP_VALUES);
  assert.throws(() => parseZiplist(bytes(ziplist(["\xc5\x00"]))), RdbFormatError);
  assert.throws(() => parseZiplist(bytes(ziplist(["\x05ab"]))), RdbFormatError);

  const intset = (width: number, values: bigint[]) => {
    const b = new Uint8Array(8 + width * values.length);
    const v = new DataView(b.buffer);
    v.setUint32(0, width, true);
    v.setUint32(4, values.length, true);
    values.forEach((x, i) => {
      if (width === 2) v.setInt16(8 + 2 * i, Number(x), true);
      else if (width === 4) v.setInt32(8 + 4 * i, Number(x), true);
      else v.setBigInt64(8 + 8 * i, x, true);
    });
    return b;
  };
  assert.deepEqual(parseIntset(intset(2, [-3n, 1n, 5n])), ["-3", "1", "5"]);
  assert.deepEqual(parseIntset(intset(8, [-(1n << 40n), 3n])), ["-1099511627776", "3"]);
  assert.throws(() => parseIntset(intset(4, [5n, 1n])), RdbFormatError, "not ascending");
  assert.throws(() => parseIntset(intset(4, [1n, 1n])), RdbFormatError, "repeated");
  assert.throws(() => parseIntset(intset(3, [])), RdbFormatError, "bad width");

  // Count byte, then field / value (with one byte of padding after "v1"), 0xFF.
  const zm = "\x02\x02f1\x02\x01v1_\x01g\x00\x00\xff";
  assert.deepEqual(parseZipmap(bytes(zm)), ["f1", "v1", "g", ""]);
  assert.throws(() => parseZipmap(bytes(zm.slice(0, -1))), RdbFormatError);

  // The same encodings inside payloads of each type that uses them.
  const str = (s: string) => rdbLength(s.length) + s;
  const zl = str(ziplist(ZIP_ENTRIES));
  assert.deepEqual(contentOf(decode(payload("\x0a" + zl))), { list: ZIP_VALUES });
  const twoNodes = "\x0e\x02" + zl + str(ziplist(["\x01z"]));
  assert.deepEqual(contentOf(decode(payload(twoNodes))), { list: [...ZIP_VALUES, "z"] });
  const pairs = str(ziplist(["\x01a", "\xf2", "\x01b", "\x031.5"]));
  assert.deepEqual(contentOf(decode(payload("\x0d" + pairs))), {
    hash: [["a", "1"], ["b", "1.5"]],
  });
  assert.deepEqual(contentOf(decode(payload("\x0c" + pairs))), { zset: [["a", 1], ["b", 1.5]] });
  assert.deepEqual(contentOf(decode(payload("\x09" + str(zm)))), {
    hash: [["f1", "v1"], ["g", ""]],
  });
  assert.deepEqual(contentOf(decode(payload("\x0b" + str(bytesToLatin1(intset(2, [1n, 2n])))))), {
    set: ["1", "2"],
  });
});

function bytesToLatin1(b: Uint8Array): string {
  return Buffer.from(b).toString("latin1");
}

Deno.test("payloads from redis-server 7.0.15 decode to the values Redis held", () => {
  const got = (name: string) => contentOf(decode(hex(REDIS_70_DUMPS[name])));
  assert.deepEqual(got("list_small"), {
    list: ["a", "-5", "123", "70000", "-9000000000", "hello"],
  });
  // Two quicklist nodes, each listpack LZF-compressed by Redis.
  assert.deepEqual(got("list_nodes"), {
    list: Array.from(
      { length: 300 },
      (_, i) => `element-${String(i).padStart(3, "0")}-${"x".repeat(28)}`,
    ),
  });
  assert.deepEqual(got("set_intset"), {
    set: ["-2", "1", "300", "5000000000", "70000"],
  });
  assert.deepEqual(got("set_table"), { set: ["1", "apple", "banana"] });
  assert.deepEqual(got("hash_lp"), { hash: [["f1", "v1"], ["n", "12"]] });
  assert.deepEqual(got("hash_table"), { hash: [["f", "v".repeat(100)], ["g", "w"]] });
  assert.deepEqual(got("zset_lp"), { zset: [["b", -2], ["a", 1.5], ["c", Infinity]] });
  assert.deepEqual(got("zset_skip"), { zset: [["b", -0.25], ["m".repeat(100), 1.5]] });
  const stream = got("stream") as {
    entries: unknown;
    maxDeleted: string;
    groups: { pel: unknown[][]; read: bigint }[];
  };
  assert.deepEqual(stream.entries, [["1-1", ["f", "v", "g", "w"]], ["3-0", ["x", "1"]]]);
  assert.equal(stream.maxDeleted, "2-0");
  assert.equal(stream.groups[0].read, -1n, "unknown entries-read, saved as 2^64 - 1");
  assert.equal(stream.groups.length, 1);
  assert.equal(stream.groups[0].pel.length, 1);
  assert.equal(stream.groups[0].pel[0][1], "alice");
  // Re-encoded, each is Redis's payload byte for byte: LZF-compressed listpack nodes and member,
  // intset, listpacks, a skiplist from its highest score down, hashtable order as loaded. (Not
  // the stream: ATLAS keeps no fields for its deleted entry.)
  for (const [name, dump] of Object.entries(REDIS_70_DUMPS)) {
    if (name !== "stream") assert.equal(encodeDumpPayload(decode(hex(dump))), bin(dump), name);
  }
});

/** Every byte value, to make sure nothing is lost on the way. */
const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString("latin1");

function buildValues(): Harness {
  const h = new Harness();
  h.run("SET", "str", ALL_BYTES);
  h.run("SET", "big", "q".repeat(1 << 20) + ALL_BYTES);
  h.run("SET", "int", "-2147483648");
  for (let i = 0; i < 20_000; i += 500) {
    const items = Array.from(
      { length: 500 },
      (_, k) => (k % 7 === 0 ? String(i + k) : `e${i + k}`),
    );
    h.run("RPUSH", "list", ...items);
  }
  h.run("RPUSH", "list", ALL_BYTES, "", "x".repeat(20_000), "-9223372036854775808");
  for (let i = 0; i < 10_000; i += 1000) {
    h.run("SADD", "set", ...Array.from({ length: 1000 }, (_, k) => String(i + k)), `m${i}`);
  }
  h.run("SADD", "set", ALL_BYTES, "");
  h.run("SADD", "intset", "1", "-7", "99999999999");
  for (let i = 0; i < 5000; i += 500) {
    const pairs = Array.from({ length: 500 }, (_, k) => [`f${i + k}`, ALL_BYTES.slice(k % 256)]);
    h.run("HSET", "hash", ...pairs.flat());
  }
  h.run("ZADD", "zset", "inf", "top", "-inf", "bottom", "-0", "negzero", "1e-300", "tiny");
  h.run("ZADD", "zset", "1.7976931348623157e308", "huge", "0.1", ALL_BYTES);
  for (let i = 0; i < 2000; i++) h.run("ZADD", "zset", String(i / 7), `z${i}`);
  for (let i = 1; i <= 350; i++) {
    const fields = i % 3 === 0
      ? ["other", String(i)]
      : ["f", `v${i}`, "g", ALL_BYTES.slice(i % 200)];
    h.run("XADD", "stream", `${1000 + i}-${i}`, ...fields);
  }
  h.run("XADD", "stream", "18446744073709551615-5", "last", "1");
  h.run("XGROUP", "CREATE", "stream", "g1", "0");
  h.run("XGROUP", "CREATE", "stream", "g2", "$");
  h.run("XREADGROUP", "GROUP", "g1", "bob", "COUNT", "3", "STREAMS", "stream", ">");
  h.clock.nowMs += 1234;
  h.run("XREADGROUP", "GROUP", "g1", "alice", "COUNT", "2", "STREAMS", "stream", ">");
  h.run("XGROUP", "CREATECONSUMER", "stream", "g1", "idle");
  return h;
}

Deno.test("every type round-trips through encode and decode (binary data, large values)", () => {
  const h = buildValues();
  for (const key of ["str", "big", "int", "list", "set", "intset", "hash", "zset", "stream"]) {
    const payloadText = (h.store.execute(["DUMP", key], h.clock).reply as { value: string }).value;
    const p = bytes(payloadText);
    assert.ok(verifyDumpPayload(p), key);
    const original = decode(p);
    assert.deepEqual(contentOf(decode(bytes(encodeDumpPayload(original)))), contentOf(original));
    // Restored through the command, the key holds what the commands built: it dumps to the
    // same bytes, and (but for a stream's consumer order) to the same ATLAS snapshot payload.
    const fresh = new Harness();
    fresh.run("RESTORE", key, "0", payloadText);
    assert.equal(dumpOf(fresh, key), payloadText, key);
    // (An intset comes back in its sorted order, as in Redis.)
    if (key !== "stream" && key !== "intset") {
      assert.equal(fresh.store.dumpValue(key), h.store.dumpValue(key), key);
    }
  }
  // A big list makes several quicklist nodes of at most 8 KiB (one large element alone).
  const list = encodeRdbValue(decode(bytes(dumpOf(h, "list"))));
  const nodes = new RdbReader(bytes(list), DEFAULT_LIMITS.valueBytesMax);
  assert.equal(nodes.byte(), 18);
  assert.ok(nodes.count() > 10);
});

function dumpOf(h: Harness, key: string): string {
  return (h.store.execute(["DUMP", key], h.clock).reply as { value: string }).value;
}

Deno.test("stream nodes are laid out byte for byte as Redis's listpacks", () => {
  const h = buildValues();
  const stream = decode(bytes(dumpOf(h, "stream"))) as StreamValue;
  assert.ok(stream.nodes.length > 3);
  for (const node of stream.nodes) assert.equal(streamNodeListpack(node).length, node.lpBytes);
  // A tombstone is written without its fields: the node shrinks, its entries stay.
  h.run("XDEL", "stream", "1002-2");
  const after = decode(bytes(dumpOf(h, "stream"))) as StreamValue;
  assert.ok(after.nodes[0].lpBytes < stream.nodes[0].lpBytes);
  assert.deepEqual(
    plain(h.store.execute(["XRANGE", "stream", "-", "1005"], h.clock).reply),
    [["1001-1", ["f", "v1", "g", ALL_BYTES.slice(1)]], ["1003-3", ["other", "3"]], [
      "1004-4",
      ["f", "v4", "g", ALL_BYTES.slice(4)],
    ], ["1005-5", ["f", "v5", "g", ALL_BYTES.slice(5)]]],
  );
  assert.equal(after.nodes[0].deleted, 1);
});

Deno.test("malformed payloads are refused as a format error, never half-loaded", () => {
  const bad = (body: string) => assert.throws(() => decode(payload(body)), RdbFormatError, body);
  bad(""); // no object: the footer's bytes are read as one (as Redis does) and make no sense
  bad("\x01\x00"); // empty list
  bad("\x02\x00"); // empty set
  bad("\x03\x00"); // empty zset
  bad("\x04\x00"); // empty hash
  bad("\x12\x01\x02" + rdbString(buildListpack([]))); // a quicklist whose only node is empty
  bad("\x02\x02\x01a\x01a"); // duplicate set member
  bad("\x04\x02\x01a\x01x\x01a\x01y"); // duplicate hash field
  bad("\x05\x02\x01a" + "\x00".repeat(8) + "\x01a" + "\x00".repeat(8)); // duplicate member
  bad("\x05\x01\x01a" + "\x00\x00\x00\x00\x00\x00\xf8\x7f"); // NaN score
  bad("\x03\x01\x01a\xfd"); // NaN score, text form
  bad("\x06\x00"); // a module value
  bad("\x63"); // unknown type
  bad("\x12\x01\x03\x00"); // unknown quicklist container
  bad("\x00\xc3\x05\x10abc"); // LZF that does not expand to 16 bytes
  bad("\x00\xc4"); // unknown string encoding

  // Random corruption of valid payloads: a value or a format error, nothing else.
  const h = buildValues();
  let seed = 7;
  const rnd = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  const small = new Harness();
  small.run("RPUSH", "l", "a", "1", "bb");
  small.run("HSET", "h", "f", "v", "n", "5");
  small.run("XADD", "s", "1-1", "f", "v");
  small.run("XADD", "s", "2-1", "g", "w");
  small.run("XGROUP", "CREATE", "s", "g", "0");
  small.run("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">");
  const sources = [
    ...Object.values(REDIS_70_DUMPS).map(hex),
    ...["l", "h", "s"].map((k) => bytes(dumpOf(small, k))),
    bytes(dumpOf(h, "intset")),
  ];
  for (let i = 0; i < 4000; i++) {
    const p = sources[i % sources.length].slice();
    const body = p.length - 10;
    if (rnd() < 0.5) p[Math.floor(rnd() * body)] = Math.floor(rnd() * 256);
    else p.fill(0, Math.floor(rnd() * body), body);
    try {
      decode(p);
    } catch (e) {
      if (!(e instanceof RdbFormatError || e instanceof RdbLimitError)) throw e;
    }
  }
});

Deno.test("ATLAS's limits apply to restored values", () => {
  const h = buildValues();
  const limits = resolveLimits({ collectionLengthMax: 100, elementBytesMax: 1000 });
  assert.throws(() => decodeRdbValue(bytes(dumpOf(h, "list")), limits), RdbLimitError);
  assert.throws(() => decodeRdbValue(bytes(dumpOf(h, "stream")), limits), RdbLimitError);
  const longElement = new Harness();
  longElement.run("RPUSH", "l", "x".repeat(2000));
  assert.throws(() => decodeRdbValue(bytes(dumpOf(longElement, "l")), limits), RdbLimitError);
  const small = resolveLimits({ valueBytesMax: 100 });
  assert.throws(() => decodeRdbValue(hex(REDIS_70_DUMPS.lzf), small), RdbLimitError);
});
