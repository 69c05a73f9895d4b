import assert from "node:assert/strict";
import { Harness, stateOf } from "./test_util.ts";

Deno.test("BITOP AND / OR / XOR / NOT zero-pad shorter sources to the longest", () => {
  const h = new Harness();
  h.run("SET", "a", "\xff\x0f\xf0");
  h.run("SET", "b", "\x0f");
  assert.equal(h.run("BITOP", "AND", "d", "a", "b"), 3);
  assert.equal(h.run("GET", "d"), "\x0f\x00\x00");
  assert.equal(h.run("BITOP", "or", "d", "b", "a"), 3);
  assert.equal(h.run("GET", "d"), "\xff\x0f\xf0");
  assert.equal(h.run("BITOP", "Xor", "d", "a", "b", "b"), 3);
  assert.equal(h.run("GET", "d"), "\xff\x0f\xf0");
  assert.equal(h.run("BITOP", "NOT", "d", "a"), 3);
  assert.equal(h.run("GET", "d"), "\x00\xf0\x0f");
  assert.equal(h.run("BITOP", "AND", "d", "a"), 3); // one source: a copy
  assert.equal(h.run("GET", "d"), "\xff\x0f\xf0");
  assert.equal(h.run("BITOP", "OR", "d", "nokey", "b"), 1);
  assert.equal(h.run("GET", "d"), "\x0f");
  assert.equal(h.run("BITOP", "AND", "d", "b", "nokey"), 1);
  assert.equal(h.run("GET", "d"), "\x00");
});

Deno.test("BITOP overwrites any destination, drops its TTL, deletes it on an empty result", () => {
  const h = new Harness();
  h.run("SET", "a", "x");
  h.run("RPUSH", "d", "v");
  assert.equal(h.run("BITOP", "OR", "d", "a"), 1);
  assert.equal(h.run("TYPE", "d"), "string");
  h.run("SET", "t", "v", "EX", "100");
  assert.equal(h.run("BITOP", "OR", "t", "a"), 1);
  assert.equal(h.run("TTL", "t"), -1);
  h.run("SET", "empty", "");
  assert.equal(h.run("BITOP", "AND", "d", "nokey", "empty"), 0);
  assert.equal(h.run("EXISTS", "d"), 0);
  assert.equal(h.run("BITOP", "NOT", "d", "nokey"), 0);
  assert.equal(h.run("EXISTS", "d"), 0);
});

Deno.test("BITOP errors: operation, NOT's single source, WRONGTYPE sources", () => {
  const h = new Harness();
  h.run("SET", "a", "x");
  h.run("RPUSH", "l", "v");
  assert.deepEqual(h.run("BITOP", "NAND", "d", "a"), { err: "ERR syntax error" });
  assert.deepEqual(h.run("BITOP", "NOT", "d", "a", "a"), {
    err: "ERR BITOP NOT must be called with a single source key.",
  });
  const wrongType = { err: "WRONGTYPE Operation against a key holding the wrong kind of value" };
  assert.deepEqual(h.run("BITOP", "AND", "d", "a", "l"), wrongType);
  assert.deepEqual(h.run("BITOP", "NOT", "d", "l"), wrongType);
  assert.equal(h.run("EXISTS", "d"), 0);
  assert.equal(h.run("BITOP", "OR", "l", "a"), 1); // a list destination is fine
  assert.deepEqual(h.run("BITOP", "AND", "d"), {
    err: "ERR wrong number of arguments for 'bitop' command",
  });
});

Deno.test("BITOP logs itself, or DEL when it deleted the destination; replay matches", () => {
  const h = new Harness();
  h.run("SET", "a", "ab");
  h.run("SET", "b", "c");
  h.run("BITOP", "XOR", "d", "a", "b");
  h.run("BITOP", "AND", "e", "nokey");
  h.run("BITOP", "AND", "d", "nokey");
  assert.deepEqual(h.logs.slice(2), [["BITOP", "XOR", "d", "a", "b"], ["DEL", "d"]]);
  h.run("BITOP", "NOT", "d", "a");
  assert.deepEqual(stateOf(h.replay(0).store), stateOf(h.store));
});
