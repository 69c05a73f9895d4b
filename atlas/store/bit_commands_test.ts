import assert from "node:assert/strict";
import { Harness } from "./test_util.ts";

Deno.test("SETBIT GETBIT: MSB first, zero padding, errors, TTL kept", () => {
  const h = new Harness();
  assert.equal(h.run("SETBIT", "b", "7", "1"), 0);
  assert.equal(h.run("GET", "b"), "\x01");
  assert.equal(h.run("SETBIT", "b", "7", "0"), 1);
  assert.equal(h.run("SETBIT", "b", "17", "1"), 0);
  assert.equal(h.run("GET", "b"), "\x00\x00\x40");
  assert.equal(h.run("GETBIT", "b", "17"), 1);
  assert.equal(h.run("GETBIT", "b", "1000"), 0);
  assert.equal(h.run("GETBIT", "none", "3"), 0);
  h.run("SET", "s", "v", "EX", "100");
  assert.equal(h.run("SETBIT", "s", "0", "1"), 0);
  assert.equal(h.run("GET", "s"), "\xf6");
  assert.equal(h.run("TTL", "s"), 100);
  assert.deepEqual(h.run("SETBIT", "b", "-1", "1"), {
    err: "ERR bit offset is not an integer or out of range",
  });
  assert.deepEqual(h.run("SETBIT", "b", "4294967296", "1"), {
    err: "ERR bit offset is not an integer or out of range",
  });
  assert.deepEqual(h.run("SETBIT", "b", "1", "2"), {
    err: "ERR bit is not an integer or out of range",
  });
});

Deno.test("SETBIT past valueBytesMax: the bit and the key's type are checked first", () => {
  const h = new Harness({ limits: { valueBytesMax: 16 } });
  h.run("RPUSH", "l", "x");
  assert.equal(h.run("SETBIT", "k", "127", "1"), 0);
  assert.deepEqual(h.run("SETBIT", "l", "128", "x"), {
    err: "ERR bit is not an integer or out of range",
  });
  assert.deepEqual(h.run("SETBIT", "l", "128", "1"), {
    err: "WRONGTYPE Operation against a key holding the wrong kind of value",
  });
  assert.deepEqual(h.run("SETBIT", "k", "128", "1"), {
    err: "ERR string exceeds maximum allowed size (proto-max-bulk-len)",
  });
});

Deno.test("BITCOUNT and BITPOS with BYTE/BIT ranges", () => {
  const h = new Harness();
  h.run("SET", "k", "\xff\xf0\x00");
  assert.equal(h.run("BITCOUNT", "k"), 12);
  assert.equal(h.run("BITCOUNT", "k", "1", "1"), 4);
  assert.equal(h.run("BITCOUNT", "k", "-2", "-1"), 4);
  assert.equal(h.run("BITCOUNT", "k", "5", "10", "BIT"), 6);
  assert.equal(h.run("BITCOUNT", "k", "2", "1"), 0);
  assert.equal(h.run("BITCOUNT", "none", "x"), 0);
  assert.deepEqual(h.run("BITCOUNT", "k", "0"), { err: "ERR syntax error" });
  assert.equal(h.run("BITPOS", "k", "0"), 12);
  assert.equal(h.run("BITPOS", "k", "1", "1"), 8);
  assert.equal(h.run("BITPOS", "k", "1", "2"), -1);
  assert.equal(h.run("BITPOS", "k", "0", "3", "14", "BIT"), 12);
  h.run("SET", "ones", "\xff");
  assert.equal(h.run("BITPOS", "ones", "0"), 8); // right-padded with zeros
  assert.equal(h.run("BITPOS", "ones", "0", "0", "-1"), -1); // explicit end: no padding
  assert.equal(h.run("BITPOS", "none", "0"), 0);
  assert.equal(h.run("BITPOS", "none", "1"), -1);
  assert.deepEqual(h.run("BITPOS", "k", "2"), { err: "ERR The bit argument must be 1 or 0." });
});
