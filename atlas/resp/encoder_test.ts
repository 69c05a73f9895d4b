import assert from "node:assert/strict";
import { RespWriter } from "./encoder.ts";
import { formatDouble } from "./double.ts";
import type { Reply } from "../store/reply.ts";

const text = (w: RespWriter) => String.fromCharCode(...w.bytes());

function render(r: Reply, proto: 2 | 3): string {
  const w = new RespWriter(16);
  w.reply(r, proto);
  return text(w);
}

Deno.test("encoder: every kind in RESP2 and RESP3", () => {
  const cases: [Reply, string, string][] = [
    [{ kind: "simple", value: "OK" }, "+OK\r\n", "+OK\r\n"],
    [{ kind: "error", value: "ERR x\ny" }, "-ERR x y\r\n", "-ERR x y\r\n"],
    [{ kind: "integer", value: -1234567 }, ":-1234567\r\n", ":-1234567\r\n"],
    [
      { kind: "integer", value: 9223372036854775807n },
      ":9223372036854775807\r\n",
      ":9223372036854775807\r\n",
    ],
    [{ kind: "bulk", value: "\xff\r\n" }, "$3\r\n\xff\r\n\r\n", "$3\r\n\xff\r\n\r\n"],
    [{ kind: "nil" }, "$-1\r\n", "_\r\n"],
    [{ kind: "nilArray" }, "*-1\r\n", "_\r\n"],
    [{ kind: "double", value: 1.5 }, "$3\r\n1.5\r\n", ",1.5\r\n"],
    [{ kind: "bool", value: true }, ":1\r\n", "#t\r\n"],
    [
      { kind: "map", value: [[{ kind: "bulk", value: "a" }, { kind: "integer", value: 1 }]] },
      "*2\r\n$1\r\na\r\n:1\r\n",
      "%1\r\n$1\r\na\r\n:1\r\n",
    ],
    [{ kind: "set", value: [] }, "*0\r\n", "~0\r\n"],
    [
      { kind: "push", value: [{ kind: "bulk", value: "m" }] },
      "*1\r\n$1\r\nm\r\n",
      ">1\r\n$1\r\nm\r\n",
    ],
  ];
  for (const [reply, r2, r3] of cases) {
    assert.equal(render(reply, 2), r2);
    assert.equal(render(reply, 3), r3);
  }
});

Deno.test("encoder: grows for large values and resets", () => {
  const w = new RespWriter(16);
  const big = "z".repeat(100_000);
  w.bulk(big);
  assert.equal(w.length, big.length + 11);
  assert.equal(text(w).slice(0, 10), "$100000\r\nz");
  w.reset();
  assert.equal(w.length, 0);
});

Deno.test("formatDouble matches C %.17g as Redis 7.0 prints it", () => {
  assert.equal(formatDouble(1.5), "1.5");
  assert.equal(formatDouble(0.1), "0.10000000000000001");
  assert.equal(formatDouble(3), "3");
  assert.equal(formatDouble(1e20), "1e+20");
  assert.equal(formatDouble(1.5e-7), "1.4999999999999999e-07");
  assert.equal(formatDouble(Infinity), "inf");
  assert.equal(formatDouble(-Infinity), "-inf");
  assert.equal(formatDouble(10.5), "10.5");
});
