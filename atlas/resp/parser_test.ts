import assert from "node:assert/strict";
import { RespParser } from "./parser.ts";
import { splitInlineArgs } from "./inline.ts";
import { DEFAULT_RESP_LIMITS } from "./limits.ts";

const enc = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

function parseAll(parser: RespParser, text: string): string[][] {
  parser.feed(enc(text));
  const out: string[][] = [];
  for (let argv = parser.next(); argv !== null; argv = parser.next()) out.push(argv);
  return out;
}

Deno.test("parser: multibulk commands, pipelined, binary-safe", () => {
  const p = new RespParser();
  const cmds = parseAll(
    p,
    "*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\na\r\n\xff\r\n*0\r\n",
  );
  assert.deepEqual(cmds, [["PING"], ["SET", "k", "a\r\n\xff"]]);
  assert.equal(p.error, null);
  assert.equal(p.bufferedBytes, 0);
});

Deno.test("parser: byte-at-a-time delivery gives the same commands", () => {
  const text = "*2\r\n$4\r\nECHO\r\n$5\r\nhello\r\nPING\r\n*1\r\n$4\r\nQUIT\r\n";
  const p = new RespParser();
  const out: string[][] = [];
  for (const ch of text) out.push(...parseAll(p, ch));
  assert.deepEqual(out, [["ECHO", "hello"], ["PING"], ["QUIT"]]);
});

Deno.test("parser: inline commands with quotes", () => {
  const p = new RespParser();
  assert.deepEqual(parseAll(p, "SET k \"a b\\x41\\n\"\r\nGET 'k'\n\r\n"), [
    ["SET", "k", "a bA\n"],
    ["GET", "k"],
  ]);
  assert.equal(splitInlineArgs('"unterminated'), null);
  assert.equal(splitInlineArgs('"a"b'), null);
  assert.deepEqual(splitInlineArgs("  "), []);
});

Deno.test("parser: quote-free inline lines split on sdssplitargs's whitespace", () => {
  assert.deepEqual(splitInlineArgs("a\tb  c\x0bd\x0ce \xe9\x00x"), [
    "a",
    "b",
    "c",
    "d",
    "e",
    "\xe9\x00x",
  ]);
  // Random quote-free lines against a reference split (seeded: the same lines every run).
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const alphabet = "ab \t\n\r\x0b\x0cxyz\\\x00\xff";
  for (let n = 0; n < 500; n++) {
    let line = "";
    const length = Math.floor(random() * 20);
    for (let i = 0; i < length; i++) line += alphabet[Math.floor(random() * alphabet.length)];
    const reference = line.split(/[ \t\n\r\v\f]+/).filter((word) => word !== "");
    assert.deepEqual(splitInlineArgs(line), reference, JSON.stringify(line));
  }
});

Deno.test("parser: protocol errors use Redis texts", () => {
  const cases: [string, string][] = [
    ["*abc\r\n", "Protocol error: invalid multibulk length"],
    ["*2000000\r\n", "Protocol error: invalid multibulk length"],
    ["*1\r\n+x\r\n", "Protocol error: expected '$', got '+'"],
    ["*1\r\n$-5\r\n", "Protocol error: invalid bulk length"],
    ["*1\r\n$999999999999\r\n", "Protocol error: invalid bulk length"],
    ['SET "k\r\n', "Protocol error: unbalanced quotes in request"],
    ["A".repeat(70_000), "Protocol error: too big inline request"],
    ["*" + "1".repeat(70_000), "Protocol error: too big mbulk count string"],
    ["*1\r\n$" + "1".repeat(70_000), "Protocol error: too big bulk count string"],
  ];
  for (const [input, text] of cases) {
    const p = new RespParser();
    assert.deepEqual(parseAll(p, input), [], input.slice(0, 20));
    assert.equal(p.error, text);
  }
});

Deno.test("parser: a declared huge bulk does not allocate before its bytes arrive", () => {
  const p = new RespParser();
  parseAll(p, "*1\r\n$500000000\r\n");
  assert.equal(p.error, null);
  p.spare();
  assert.ok(p.capacityBytes < 1024 * 1024);
});

Deno.test("parser: a large argument split over many reads", () => {
  const p = new RespParser();
  const big = "x".repeat(3_000_000);
  const frame = `*2\r\n$3\r\nGET\r\n$${big.length}\r\n${big}\r\n`;
  const out: string[][] = [];
  for (let i = 0; i < frame.length; i += 65536) out.push(...parseAll(p, frame.slice(i, i + 65536)));
  assert.equal(out.length, 1);
  assert.equal(out[0][1].length, big.length);
  assert.equal(p.bufferedBytes, 0);
});

Deno.test("parser: tighter bounds before authentication, like Redis", () => {
  const many = new RespParser();
  many.unauthenticated = true;
  parseAll(many, "*11\r\n");
  assert.equal(many.error, "Protocol error: unauthenticated multibulk length");
  const big = new RespParser();
  big.unauthenticated = true;
  parseAll(big, "*2\r\n$4\r\nAUTH\r\n$20000\r\n");
  assert.equal(big.error, "Protocol error: unauthenticated bulk length");
  const ok = new RespParser();
  ok.unauthenticated = true;
  assert.deepEqual(parseAll(ok, "*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n"), [["AUTH", "pw"]]);
});

Deno.test("parser: bulk lengths around the short-header fast path, whole and split", () => {
  const lengths = [0, 1, 9, 10, 16, 17, 32, 33, 99, 100, 250];
  const args = lengths.map((n) =>
    Array.from({ length: n }, (_, i) => String.fromCharCode((i * 53 + n) & 0xff)).join("")
  );
  const text = `*${args.length}\r\n` + args.map((a) => `$${a.length}\r\n${a}\r\n`).join("");
  assert.deepEqual(parseAll(new RespParser(), text + text), [args, args]);
  for (const cut of [1, 2, 3, 4, 5, 6, 7, 20, 40, text.length - 3]) {
    const p = new RespParser();
    const out = [...parseAll(p, text.slice(0, cut)), ...parseAll(p, text.slice(cut))];
    assert.deepEqual(out, [args], `cut at ${cut}`);
  }
});

Deno.test("parser: bulk headers the fast path must not accept", () => {
  for (const bad of ["$01\r\nab\r\n", "$-1\r\n", "$1x\r\na\r\n", "$+1\r\na\r\n"]) {
    const p = new RespParser();
    assert.deepEqual(parseAll(p, `*1\r\n${bad}xxxx`), [], bad);
    assert.equal(p.error, "Protocol error: invalid bulk length", bad);
  }
  const small = new RespParser({ ...DEFAULT_RESP_LIMITS, bulkBytesMax: 5 });
  assert.deepEqual(parseAll(small, "*2\r\n$3\r\nGET\r\n$12\r\nabcdefghijkl\r\n"), []);
  assert.equal(small.error, "Protocol error: invalid bulk length");
});
