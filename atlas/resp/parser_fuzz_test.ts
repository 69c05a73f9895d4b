import assert from "node:assert/strict";
import { RespParser } from "./parser.ts";

/** Deterministic xorshift PRNG so a failing seed can be replayed. */
function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

function encode(argv: string[]): string {
  return `*${argv.length}\r\n` + argv.map((a) => `$${a.length}\r\n${a}\r\n`).join("");
}

const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

Deno.test("parser fuzz: random valid commands in random chunkings round-trip", () => {
  for (let seed = 1; seed <= 200; seed++) {
    const rnd = prng(seed);
    const cmds: string[][] = [];
    for (let i = 0; i < 20; i++) {
      const argc = 1 + Math.floor(rnd() * 5);
      cmds.push(Array.from({ length: argc }, () => {
        const len = Math.floor(rnd() * 40);
        return String.fromCharCode(...Array.from({ length: len }, () => Math.floor(rnd() * 256)));
      }));
    }
    const text = cmds.map(encode).join("");
    const p = new RespParser();
    const got: string[][] = [];
    for (let i = 0; i < text.length;) {
      const n = 1 + Math.floor(rnd() * 200);
      p.feed(bytes(text.slice(i, i + n)));
      i += n;
      for (let a = p.next(); a !== null; a = p.next()) got.push(a);
    }
    assert.equal(p.error, null, `SEED=${seed}`);
    assert.deepEqual(got, cmds, `SEED=${seed}`);
  }
});

Deno.test("parser fuzz: random and mutated frames never throw and stay bounded", () => {
  for (let seed = 1; seed <= 500; seed++) {
    const rnd = prng(seed);
    const p = new RespParser();
    let text = encode(["SET", "key", "value"]).repeat(3);
    const chars = text.split("");
    for (let m = 0; m < 1 + rnd() * 6; m++) {
      const at = Math.floor(rnd() * chars.length);
      const pick = rnd();
      if (pick < 0.3) chars[at] = String.fromCharCode(Math.floor(rnd() * 256));
      else if (pick < 0.5) chars.splice(at, 1);
      else if (pick < 0.7) chars.splice(at, 0, String(Math.floor(rnd() * 1e12)));
      else chars.splice(at, 0, "\r\n*$-9"[Math.floor(rnd() * 6)]);
    }
    text = chars.join("");
    if (rnd() < 0.3) {
      text = String.fromCharCode(...Array.from({ length: 300 }, () => Math.floor(rnd() * 256)));
    }
    try {
      p.feed(bytes(text));
      let count = 0;
      while (p.next() !== null) count++;
      assert.ok(count <= 100, `SEED=${seed}`);
    } catch (e) {
      assert.fail(`SEED=${seed} threw ${e}`);
    }
    assert.ok(p.capacityBytes <= 1024 * 1024, `SEED=${seed}`);
    if (p.error !== null) assert.match(p.error, /^Protocol error: /);
  }
});
