import assert from "node:assert/strict";
import {
  fieldValue,
  parseFieldOffset,
  parseFieldType,
  readField,
  updateField,
  writeField,
} from "./bitfield.ts";
import { cWord } from "./util.ts";

Deno.test("parseFieldType: i1..i64, u1..u63, lower-case prefix, string2ll digits up to a NUL", () => {
  assert.deepEqual(parseFieldType("i1"), { signed: true, bits: 1 });
  assert.deepEqual(parseFieldType("i64"), { signed: true, bits: 64 });
  assert.deepEqual(parseFieldType("u63"), { signed: false, bits: 63 });
  assert.deepEqual(parseFieldType("u8\0junk"), { signed: false, bits: 8 });
  for (
    const bad of ["u64", "i65", "i0", "u0", "U8", "I8", "i08", "i+8", "i-8", "i", "", "x8", "i 8"]
  ) {
    assert.equal(parseFieldType(bad), null, bad);
  }
});

Deno.test("parseFieldOffset: plain and #N offsets, int64 wrap of #N, the 2^32 bit bound", () => {
  assert.equal(parseFieldOffset("0", 8), 0);
  assert.equal(parseFieldOffset("4294967295", 8), 4294967295);
  assert.equal(parseFieldOffset("4294967296", 8), null);
  assert.equal(parseFieldOffset("#3", 5), 15);
  assert.equal(parseFieldOffset("#536870911", 8), 4294967288);
  assert.equal(parseFieldOffset("#536870912", 8), null);
  assert.equal(parseFieldOffset("#4611686018427387904", 4), 0); // 2^62 * 4 wraps to 0, as in C
  for (const bad of ["-1", "#-1", "#", "", "x", "01", "+1", "1.5", "99999999999999999999"]) {
    assert.equal(parseFieldOffset(bad, 8), null, bad);
  }
});

Deno.test("cWord: case-insensitive up to the first NUL", () => {
  assert.equal(cWord("GeT"), "get");
  assert.equal(cWord("set\0xyz"), "set");
  assert.equal(cWord("\0get"), "");
});

/** Bit-by-bit reference: bit i of the buffer, MSB first. */
function bitAt(bytes: Uint8Array, i: number): number {
  const byte = i >> 3;
  return byte < bytes.length ? (bytes[byte] >> (7 - (i & 7))) & 1 : 0;
}

Deno.test("readField / writeField agree with a bit-by-bit reference at any offset and width", () => {
  let seed = 7;
  const rnd = (n: number) => (seed = (seed * 48271) % 2147483647) % n;
  for (let round = 0; round < 2000; round++) {
    const bytes = Uint8Array.from({ length: 12 }, () => rnd(256));
    const bits = 1 + rnd(64);
    const offset = rnd(96 - bits + 1);
    let expected = 0n;
    for (let i = 0; i < bits; i++) expected = (expected << 1n) | BigInt(bitAt(bytes, offset + i));
    assert.equal(readField((i) => bytes[i] ?? 0, offset, bits), expected);
    const before = bytes.slice();
    const value = BigInt(rnd(2147483647)) * BigInt(rnd(2147483647)) * 3n - 5n;
    writeField(bytes, 0, offset, bits, value);
    const low = BigInt.asUintN(bits, value);
    for (let i = 0; i < 96; i++) {
      const inside = i >= offset && i < offset + bits;
      const want = inside ? Number((low >> BigInt(offset + bits - 1 - i)) & 1n) : bitAt(before, i);
      assert.equal(bitAt(bytes, i), want, `round ${round} bit ${i}`);
    }
  }
});

Deno.test("readField past the end reads zeros; writeField honours the window base", () => {
  const bytes = new Uint8Array([0xff]);
  assert.equal(readField((i) => bytes[i] ?? 0, 4, 8), 0xf0n);
  const window = new Uint8Array(2); // bytes 10 and 11 of some string
  writeField(window, 10, 84, 8, 0xabn);
  assert.deepEqual([...window], [0x0a, 0xb0]);
  assert.equal(fieldValue(0xffn, { signed: true, bits: 8 }), -1n);
  assert.equal(fieldValue(0x7fn, { signed: true, bits: 8 }), 127n);
  assert.equal(fieldValue(0xffn, { signed: false, bits: 8 }), 255n);
});

Deno.test("updateField: WRAP / SAT / FAIL match exact arithmetic for in-range INCRBY", () => {
  for (const signed of [true, false]) {
    for (const bits of [1, 2, 3, 5]) {
      const min = signed ? -(2 ** (bits - 1)) : 0;
      const max = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
      const type = { signed, bits };
      for (let value = min; value <= max; value++) {
        for (let incr = -40; incr <= 40; incr++) {
          const sum = value + incr;
          const over = sum > max || sum < min;
          const wrapped = ((sum - min) % 2 ** bits + 2 ** bits) % 2 ** bits + min;
          const sat = Math.min(max, Math.max(min, sum));
          const args = [BigInt(value), BigInt(incr), type] as const;
          assert.deepEqual(updateField(...args, "wrap"), {
            overflow: over,
            stored: BigInt(wrapped),
          });
          assert.deepEqual(updateField(...args, "sat"), { overflow: over, stored: BigInt(sat) });
          assert.deepEqual(updateField(...args, "fail"), {
            overflow: over,
            stored: over ? null : BigInt(sum),
          });
        }
      }
    }
  }
});

Deno.test("updateField: 64-bit edges and Redis's int64 quirks", () => {
  const i64 = { signed: true, bits: 64 };
  const MAX = 9223372036854775807n;
  const MIN = -9223372036854775808n;
  assert.deepEqual(updateField(MAX, 1n, i64, "wrap"), { overflow: true, stored: MIN });
  assert.deepEqual(updateField(MAX, 1n, i64, "sat"), { overflow: true, stored: MAX });
  assert.deepEqual(updateField(MIN, -1n, i64, "sat"), { overflow: true, stored: MIN });
  assert.deepEqual(updateField(MIN, MAX, i64, "fail"), { overflow: false, stored: -1n });
  assert.deepEqual(updateField(-1n, MIN, i64, "fail"), { overflow: true, stored: null });
  const u63 = { signed: false, bits: 63 };
  assert.deepEqual(updateField(MAX, 1n, u63, "wrap"), { overflow: true, stored: 0n });
  assert.deepEqual(updateField(0n, MIN, u63, "sat"), { overflow: true, stored: 0n });
  // SET u8 -1: the argument is seen as uint64, so it overflows upwards.
  const u8 = { signed: false, bits: 8 };
  assert.deepEqual(updateField(BigInt.asUintN(64, -1n), 0n, u8, "sat"), {
    overflow: true,
    stored: 255n,
  });
  assert.deepEqual(updateField(BigInt.asUintN(64, -1n), 0n, u8, "wrap"), {
    overflow: true,
    stored: 255n,
  });
  // Redis computes max - value in int64: for SET i8 with a value near INT64_MIN it wraps, and
  // SAT stores the maximum (redis-server 7.0.15 answers 127 afterwards).
  const i8 = { signed: true, bits: 8 };
  assert.deepEqual(updateField(MIN, 0n, i8, "sat"), { overflow: true, stored: 127n });
  assert.deepEqual(updateField(MIN + 127n, 0n, i8, "sat"), { overflow: true, stored: 127n });
  assert.deepEqual(updateField(MIN + 128n, 0n, i8, "sat"), { overflow: true, stored: -128n });
  assert.deepEqual(updateField(MIN, 0n, i8, "wrap"), { overflow: true, stored: 0n });
});
