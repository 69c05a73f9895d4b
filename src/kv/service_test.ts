import assert from "node:assert/strict";
import { KvService } from "./service.ts";
import { etagOfText, parsePrecondition } from "./etag.ts";
import { memoryAtlas } from "../gateway/testing/memory_atlas.ts";
import { ManualClock } from "../lib/clock.ts";

function setup() {
  const clock = new ManualClock(1_700_000_000_000);
  const { client } = memoryAtlas(clock);
  return { clock, kv: new KvService(client, { valueBytesMax: 64, keyBytesMax: 16 }) };
}

Deno.test("set then get returns value, ttl and a content ETag", async () => {
  const { kv, clock } = setup();
  await kv.set("a", "héllo", 60);
  clock.advance(10_500);
  const entry = await kv.get("a");
  assert.deepEqual(entry, { key: "a", value: "héllo", ttl: 50, etag: etagOfText("héllo") });
  await kv.set("b", "x", null);
  assert.equal((await kv.get("b")).ttl, null);
  await assert.rejects(kv.get("missing"), { status: 404 });
});

Deno.test("If-None-Match: * creates only; If-Match compares and sets atomically", async () => {
  const { kv } = setup();
  const created = await kv.set("k", "v1", null, { kind: "absent" });
  assert.equal(created.created, true);
  await assert.rejects(kv.set("k", "v2", null, { kind: "absent" }), { status: 412 });
  const tag = created.entry.etag;
  await kv.set("k", "v2", null, { kind: "match", etag: tag });
  assert.equal((await kv.get("k")).value, "v2");
  await assert.rejects(kv.set("k", "v3", null, { kind: "match", etag: tag }), { status: 412 });
  await assert.rejects(kv.set("nope", "v", null, { kind: "match", etag: tag }), { status: 412 });
  await assert.rejects(kv.set("nope", "v", null, { kind: "present" }), { status: 412 });
  await assert.rejects(kv.delete("k", { kind: "match", etag: tag }), { status: 412 });
  await kv.delete("k", { kind: "match", etag: etagOfText("v2") });
  await assert.rejects(kv.delete("k"), { status: 404 });
});

Deno.test("key and value limits give 400 and 413", async () => {
  const { kv } = setup();
  await assert.rejects(kv.set("x".repeat(17), "v", null), { status: 400 });
  await assert.rejects(kv.set("a\nb", "v", null), { status: 400 });
  await assert.rejects(kv.set("k", "v".repeat(65), null), { status: 413 });
  await assert.rejects(kv.set("k", "v", 0), { status: 400 });
});

Deno.test("list pages through a prefix with an opaque cursor", async () => {
  const { kv } = setup();
  for (let i = 0; i < 25; i++) await kv.set(`p/${i}`, "v", null);
  await kv.set("q/1", "v", null);
  await kv.set("p*x", "v", null);
  const seen = new Set<string>();
  let cursor: string | undefined;
  for (let page = 0; page < 20; page++) {
    const result = await kv.list({ prefix: "p/", limit: 7, cursor });
    assert.ok(result.keys.length <= 7);
    result.keys.forEach((k) => seen.add(k));
    if (result.cursor === null) break;
    cursor = result.cursor;
  }
  assert.equal(seen.size, 25);
  assert.ok([...seen].every((k) => k.startsWith("p/")));
  assert.deepEqual((await kv.list({ prefix: "p*" })).keys, ["p*x"]);
  await assert.rejects(kv.list({ cursor: "!!" }), { status: 400 });
});

Deno.test("parsePrecondition accepts the forms it can honour atomically", () => {
  assert.deepEqual(parsePrecondition(undefined, "*"), { kind: "absent" });
  assert.deepEqual(parsePrecondition("*", undefined), { kind: "present" });
  assert.deepEqual(parsePrecondition('"abc"', undefined), { kind: "match", etag: '"abc"' });
  assert.equal(typeof parsePrecondition('W/"abc"', undefined), "string");
  assert.equal(typeof parsePrecondition('"a", "b"', undefined), "string");
  assert.equal(typeof parsePrecondition(undefined, '"a"'), "string");
});

Deno.test("utf8ByteLength matches TextEncoder, lone surrogates included", async () => {
  const { utf8ByteLength } = await import("./service.ts");
  const encoder = new TextEncoder();
  for (
    const text of ["", "abc", "héllo", "€", "🔑x", "\ud800", "a\udc00b", "日本語", "\ud83d\ud83d"]
  ) {
    assert.equal(utf8ByteLength(text), encoder.encode(text).length, JSON.stringify(text));
  }
});

Deno.test("KV.CAS: ttl_ms is a strict integer; no TTL is 0, not the empty string", async () => {
  const { store, client } = memoryAtlas(new ManualClock(1_700_000_000_000));
  await client.call("SET", "k", "v");
  const tag = etagOfText("v");
  for (const ttl of ["", "0x10", "1e3", " 1", "+1", "01", "-1", "1.5"]) {
    assert.deepEqual(await client.call("KV.CAS", "k", tag, "w", ttl), {
      error: "ERR ttl_ms must be a non-negative integer",
    });
  }
  assert.equal(await client.call("GET", "k"), "v");
  assert.equal(await client.call("KV.CAS", "k", tag, "v2", "0"), 1);
  assert.equal(await client.call("PTTL", "k"), -1);
  assert.equal(await client.call("KV.CAS", "k", etagOfText("v2"), "v3", "5000"), 1);
  assert.equal(await client.call("PTTL", "k"), 5000);
  assert.ok(store.stats.keys >= 1);
});
