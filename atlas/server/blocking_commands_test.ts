/**
 * BZPOPMIN, BZPOPMAX, BZMPOP and BLMPOP on an in-process server: served at once, served after
 * another client's write (FIFO), timeouts, wrong types, argument errors, MULTI, COUNT. Expected
 * replies were taken from a real redis-server 7 (RESP2 and RESP3).
 */
import assert from "node:assert/strict";
import type { RespValue } from "../testing/atlasd_harness.ts";
import { type BlockingEnv, withBlockingServer } from "../testing/blocking_env.ts";
import { RecordingExecutor } from "../testing/recording_executor.ts";

function withServer(fn: (env: BlockingEnv) => Promise<void>, async = false): Promise<void> {
  return withBlockingServer(new RecordingExecutor(async), fn);
}

const b = (v: string): RespValue => ({ t: "bulk", v });
const d = (v: string): RespValue => ({ t: "double", v });
const arr = (...v: RespValue[]): RespValue => ({ t: "array", v });
const err = (v: string): RespValue => ({ t: "error", v });
const NIL: RespValue = { t: "nil" };
const WRONGTYPE = err("WRONGTYPE Operation against a key holding the wrong kind of value");

/** The non-blocking commands the executor ran (upper-cased names). */
const ranNames = (executor: RecordingExecutor) => executor.ran.map((a) => a[0].toUpperCase());

Deno.test("BZPOPMIN / BZPOPMAX / BZMPOP / BLMPOP are served at once when a key has elements", async () => {
  await withServer(async ({ connect, executor }) => {
    for (const proto of [2, 3] as const) {
      const c = await connect(proto);
      const score = proto === 3 ? d : b; // RESP3: the score is a double (`,`), RESP2 a bulk
      await c.call(["FLUSHALL"], ["ZADD", "z", "1", "a", "2.5", "b", "3", "c", "4", "d"]);
      await c.one("RPUSH", "l", "1", "2", "3", "4");
      assert.deepEqual(
        await c.call(
          ["BZPOPMIN", "nokey", "z", "0"],
          ["BZPOPMAX", "z", "nokey", "0"],
          ["BZMPOP", "0", "2", "nokey", "z", "MIN"],
          ["BZMPOP", "0", "1", "z", "max", "count", "10"],
          ["BLMPOP", "0", "2", "nokey", "l", "LEFT"],
          ["BLMPOP", "1", "1", "l", "RIGHT", "COUNT", "2"],
          ["BLMPOP", "1", "1", "l", "LEFT", "COUNT", "9223372036854775807"],
          ["EXISTS", "z", "l"],
        ),
        [
          arr(b("z"), b("a"), score("1")),
          arr(b("z"), b("d"), score("4")),
          arr(b("z"), arr(arr(b("b"), score("2.5")))),
          arr(b("z"), arr(arr(b("c"), score("3")))),
          arr(b("l"), arr(b("1"))),
          arr(b("l"), arr(b("4"), b("3"))),
          arr(b("l"), arr(b("2"))),
          { t: "integer", v: 0 },
        ],
      );
    }
    // The log only ever sees the deterministic, non-blocking forms.
    const names = ranNames(executor);
    for (const blocking of ["BZPOPMIN", "BZPOPMAX", "BZMPOP", "BLMPOP"]) {
      assert.ok(!names.includes(blocking), blocking);
    }
    for (const plain of ["ZPOPMIN", "ZPOPMAX", "ZMPOP", "LMPOP"]) assert.ok(names.includes(plain));
    assert.ok(executor.ran.some((a) => a.join(" ") === "ZMPOP 1 z MAX COUNT 10"));
    assert.ok(
      executor.ran.some((a) => a.join(" ") === "LMPOP 1 l LEFT COUNT 9223372036854775807"),
    );
  });
});

Deno.test("BZPOPMIN / BZPOPMAX waiters wake on another client's ZADD, first come first served", async () => {
  await withServer(async ({ connect, blocked, executor }) => {
    const a = await connect(2);
    const c = await connect(3);
    const w = await connect(2);
    const first = a.one("BZPOPMIN", "z1", "z2", "0");
    await blocked(1);
    const second = c.one("BZPOPMAX", "z2", "0"); // RESP3: the score comes back as a double
    await blocked(2);
    assert.deepEqual(await w.one("ZADD", "z2", "1", "a", "2", "b", "3", "c"), {
      t: "integer",
      v: 3,
    });
    assert.deepEqual(await first, arr(b("z2"), b("a"), b("1")));
    assert.deepEqual(await second, arr(b("z2"), b("c"), d("3")));
    assert.deepEqual(await w.one("ZRANGE", "z2", "0", "-1"), arr(b("b")));
    // A waiter served later still sees the key it was woken by, not the first one it named.
    const later = a.one("BZPOPMIN", "z1", "z3", "0");
    await blocked(1);
    await w.one("ZADD", "z3", "-0.5", "m");
    assert.deepEqual(await later, arr(b("z3"), b("m"), b("-0.5")));
    const names = ranNames(executor);
    assert.ok(!names.includes("BZPOPMIN") && !names.includes("BZPOPMAX"));
  });
});

Deno.test("BZMPOP / BLMPOP waiters take up to COUNT elements each, in FIFO order", async () => {
  await withServer(async ({ connect, blocked }) => {
    const a = await connect(2);
    const c = await connect(3);
    const w = await connect(2);
    let first = a.one("BLMPOP", "0", "2", "l1", "l2", "LEFT", "COUNT", "2");
    await blocked(1);
    let second = c.one("BLMPOP", "0", "1", "l2", "RIGHT", "COUNT", "5");
    await blocked(2);
    await w.one("RPUSH", "l2", "1", "2", "3");
    assert.deepEqual(await first, arr(b("l2"), arr(b("1"), b("2"))));
    assert.deepEqual(await second, arr(b("l2"), arr(b("3"))));

    first = c.one("BZMPOP", "0", "2", "y1", "y2", "MAX", "COUNT", "2");
    await blocked(1);
    second = a.one("BZMPOP", "0", "1", "y2", "MIN");
    await blocked(2);
    await w.one("ZADD", "y2", "1.5", "a", "2", "b", "3", "c", "4", "d");
    assert.deepEqual(await first, arr(b("y2"), arr(arr(b("d"), d("4")), arr(b("c"), d("3")))));
    assert.deepEqual(await second, arr(b("y2"), arr(arr(b("a"), b("1.5")))));
    assert.deepEqual(await w.one("ZCARD", "y2"), { t: "integer", v: 1 });
  });
});

Deno.test("a key's waiters of another type stay blocked while the matching ones are served", async () => {
  await withServer(async ({ connect, blocked }) => {
    const a = await connect(2);
    const c = await connect(2);
    const w = await connect(2);
    const zsetWaiter = a.one("BZPOPMIN", "k", "0");
    await blocked(1);
    const listWaiter = c.one("BLMPOP", "0", "1", "k", "LEFT");
    await blocked(2);
    await w.one("RPUSH", "k", "x");
    assert.deepEqual(await listWaiter, arr(b("k"), arr(b("x"))));
    await blocked(1);
    await w.one("ZADD", "k", "7", "q");
    assert.deepEqual(await zsetWaiter, arr(b("k"), b("q"), b("7")));
  });
});

Deno.test("a BLMOVE / BRPOPLPUSH whose destination became another type answers WRONGTYPE", async () => {
  // Redis 7.0.15: the waiter is answered WRONGTYPE and unblocked, the element stays in the source
  // for the next waiter; a waiter whose source is replaced by another type stays blocked.
  for (const async of [false, true]) {
    await withServer(async ({ connect, blocked }) => {
      const [a, c, other, w] = [
        await connect(2),
        await connect(2),
        await connect(2),
        await connect(2),
      ];
      const mover = a.one("BLMOVE", "q", "d", "LEFT", "LEFT", "0");
      await blocked(1);
      const popper = c.one("BLPOP", "q", "0");
      await blocked(2);
      await w.one("SET", "d", "str");
      await w.one("RPUSH", "q", "x");
      assert.deepEqual(await mover, WRONGTYPE);
      assert.deepEqual(await popper, arr(b("q"), b("x")));
      const old = other.one("BRPOPLPUSH", "src", "dst", "0");
      await blocked(1);
      await w.one("SET", "src", "not-a-list");
      await w.one("DEL", "src");
      await w.one("RPUSH", "src", "y");
      assert.deepEqual(await old, b("y"));
      assert.deepEqual(await w.one("LRANGE", "dst", "0", "-1"), arr(b("y")));
    }, async);
  }
});

Deno.test("a transaction's ZADD is seen by a BZMPOP waiter only after EXEC", async () => {
  await withServer(async ({ connect, blocked }) => {
    const a = await connect(2);
    const w = await connect(2);
    const waiting = a.one("BZMPOP", "0", "1", "t", "MIN", "COUNT", "10");
    await blocked(1);
    const replies = await w.call(
      ["MULTI"],
      ["ZADD", "t", "1", "a", "2", "b"],
      ["ZADD", "t", "3", "c"],
      ["ZPOPMIN", "t"],
      ["EXEC"],
    );
    assert.deepEqual(
      replies[4],
      arr({ t: "integer", v: 2 }, { t: "integer", v: 1 }, arr(b("a"), b("1"))),
    );
    assert.deepEqual(await waiting, arr(b("t"), arr(arr(b("b"), b("2")), arr(b("c"), b("3")))));
  });
});

Deno.test("with an asynchronous (replicated) executor the new pops behave the same", async () => {
  await withServer(async ({ connect, blocked, executor }) => {
    const a = await connect(3);
    const c = await connect(2);
    const e = await connect(2);
    const w = await connect(2);
    await w.call(["ZADD", "now", "1", "m"], ["SET", "str", "x"]);
    assert.deepEqual(
      await a.call(
        ["BZPOPMIN", "none", "now", "1"],
        ["BZPOPMAX", "none", "str", "1"],
        ["BZMPOP", "0.01", "1", "none", "MIN"],
        ["MULTI"],
        ["ZADD", "m", "1", "x"],
        ["BZMPOP", "0", "2", "none", "m", "MAX"],
        ["BLMPOP", "0", "1", "none", "LEFT"],
        ["EXEC"],
      ),
      [
        arr(b("now"), b("m"), d("1")),
        WRONGTYPE,
        NIL,
        { t: "simple", v: "OK" },
        ...Array(3).fill({ t: "simple", v: "QUEUED" }),
        arr({ t: "integer", v: 1 }, arr(b("m"), arr(arr(b("x"), d("1")))), NIL),
      ],
    );
    // Waiters of one key: a zset waiter, a list waiter, a second zset waiter.
    const first = a.one("BZPOPMIN", "k", "0");
    await blocked(1);
    const list = c.one("BLMPOP", "0", "1", "k", "RIGHT", "COUNT", "2");
    await blocked(2);
    const third = e.one("BZMPOP", "0", "1", "k", "MIN", "COUNT", "2");
    await blocked(3);
    await w.one("RPUSH", "k", "p", "q", "r");
    assert.deepEqual(await list, arr(b("k"), arr(b("r"), b("q"))));
    await w.one("DEL", "k");
    await w.one("ZADD", "k", "1", "a", "2", "b", "3", "c");
    assert.deepEqual(await first, arr(b("k"), b("a"), d("1")));
    assert.deepEqual(await third, arr(b("k"), arr(arr(b("b"), b("2")), arr(b("c"), b("3")))));
    assert.equal(executor.ran.filter((argv) => argv[0].startsWith("B")).length, 0);
  }, true);
});

/**
 * Sends commands over a bare socket (after HELLO 3 when `hello3`) and returns the raw bytes of
 * their replies, `expected.length` of them: RawClient reads `$-1` and `*-1` alike.
 */
async function rawReplies(port: number, hello3: boolean, commands: string[][], expected: string) {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const enc = (a: string[]) =>
      `*${a.length}\r\n${a.map((x) => `$${x.length}\r\n${x}\r\n`).join("")}`;
    const hello = hello3 ? enc(["HELLO", "3"]) : "";
    await conn.write(new TextEncoder().encode(hello + commands.map(enc).join("")));
    // HELLO's map ends with "modules" and an empty array; the commands' replies follow it.
    const marker = hello3 ? "modules\r\n*0\r\n" : "";
    let text = "";
    const buf = new Uint8Array(4096);
    const replies = () => text.slice(text.indexOf(marker) + marker.length);
    while (!text.includes(marker) || replies().length < expected.length) {
      const n = await conn.read(buf);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    return replies();
  } finally {
    conn.close();
  }
}

Deno.test("a timed-out BZPOPMIN / BZPOPMAX / BZMPOP / BLMPOP answers a nil array", async () => {
  await withServer(async ({ connect, server, executor }) => {
    const c = await connect(2);
    assert.deepEqual(
      await c.call(
        ["BZPOPMIN", "none", "0.01"],
        ["BZPOPMAX", "none", "other", "0.01"],
        ["BZMPOP", "0.01", "1", "none", "MIN"],
        ["BLMPOP", "0.01", "2", "none", "other", "RIGHT", "COUNT", "3"],
      ),
      [NIL, NIL, NIL, NIL],
    );
    const port = server.addr.port;
    const timingOut = [
      ["BZPOPMIN", "none", "0.01"],
      ["BZPOPMAX", "none", "0.01"],
      ["BZMPOP", "0.01", "1", "none", "MAX"],
      ["BLMPOP", "0.01", "1", "none", "LEFT"],
      // Redis 7 times BLMOVE / BRPOPLPUSH out with a nil array too (a nil bulk inside EXEC).
      ["BLMOVE", "none", "dst", "LEFT", "RIGHT", "0.01"],
      ["BRPOPLPUSH", "none", "dst", "0.01"],
    ];
    assert.equal(
      await rawReplies(port, false, timingOut, "*-1\r\n".repeat(6)),
      "*-1\r\n".repeat(6),
    );
    assert.equal(await rawReplies(port, true, timingOut, "_\r\n".repeat(6)), "_\r\n".repeat(6));
    const inExec = [["MULTI"], ...timingOut, ["EXEC"]];
    const execReply = "+OK\r\n" + "+QUEUED\r\n".repeat(6) + "*6\r\n" + "*-1\r\n".repeat(4) +
      "$-1\r\n".repeat(2);
    assert.equal(await rawReplies(port, false, inExec, execReply), execReply);
    assert.ok(!ranNames(executor).some((n) => n.startsWith("B")));
  });
});

Deno.test("BZPOPMIN / BZMPOP / BLMPOP on a wrong-type key answer WRONGTYPE without blocking", async () => {
  await withServer(async ({ connect }) => {
    const c = await connect(2);
    await c.call(["SET", "str", "x"], ["ZADD", "z", "1", "a"], ["RPUSH", "l", "x"]);
    assert.deepEqual(
      await c.call(
        ["BZPOPMIN", "str", "0"],
        ["BZPOPMAX", "nokey", "str", "0"],
        ["BZPOPMIN", "str", "z", "0"], // keys are tried in order: the string comes first
        ["BZPOPMIN", "l", "0"],
        ["BZMPOP", "0", "2", "nokey", "str", "MIN"],
        ["BZMPOP", "0", "1", "l", "MIN"],
        ["BLMPOP", "0", "1", "str", "LEFT"],
        ["BLMPOP", "0", "2", "z", "l", "LEFT"],
        ["BZPOPMIN", "z", "str", "0"], // the first key has a member: served
      ),
      [
        WRONGTYPE,
        WRONGTYPE,
        WRONGTYPE,
        WRONGTYPE,
        WRONGTYPE,
        WRONGTYPE,
        WRONGTYPE,
        WRONGTYPE,
        arr(b("z"), b("a"), b("1")),
      ],
    );
  });
});

Deno.test("BZPOPMIN / BZPOPMAX / BZMPOP / BLMPOP argument errors match Redis", async () => {
  await withServer(async ({ connect, executor }) => {
    const c = await connect(2);
    const cases: [string[], string][] = [
      [["BZPOPMIN", "z"], "ERR wrong number of arguments for 'bzpopmin' command"],
      [["BZPOPMAX"], "ERR wrong number of arguments for 'bzpopmax' command"],
      [["BZPOPMIN", "z", "-1"], "ERR timeout is negative"],
      [["BZPOPMAX", "z", "abc"], "ERR timeout is not a float or out of range"],
      [["BZPOPMIN", "z", " 1"], "ERR timeout is not a float or out of range"],
      [["BLMPOP", "0", "1", "l"], "ERR wrong number of arguments for 'blmpop' command"],
      [["BZMPOP", "0", "1", "z"], "ERR wrong number of arguments for 'bzmpop' command"],
      [["BLMPOP", "0", "0", "l", "LEFT"], "ERR numkeys should be greater than 0"],
      [["BZMPOP", "0", "-1", "z", "MIN"], "ERR numkeys should be greater than 0"],
      [["BLMPOP", "0", "abc", "l", "LEFT"], "ERR numkeys should be greater than 0"],
      [["BLMPOP", "0", "2", "l", "LEFT"], "ERR syntax error"],
      [["BLMPOP", "0", "1", "l", "MIN"], "ERR syntax error"],
      [["BZMPOP", "0", "1", "z", "LEFT"], "ERR syntax error"],
      [["BLMPOP", "0", "1", "l", "LEFT", "COUNT"], "ERR syntax error"],
      [["BZMPOP", "0", "1", "z", "MIN", "COUNT", "1", "COUNT", "2"], "ERR syntax error"],
      [["BZMPOP", "0", "1", "z", "MIN", "foo"], "ERR syntax error"],
      [["BLMPOP", "0", "1", "l", "LEFT", "COUNT", "0"], "ERR count should be greater than 0"],
      [["BZMPOP", "0", "1", "z", "MAX", "COUNT", "-3"], "ERR count should be greater than 0"],
      [["BZMPOP", "-1", "1", "z", "MIN"], "ERR timeout is negative"],
      [["BLMPOP", "x", "1", "l", "LEFT"], "ERR timeout is not a float or out of range"],
      // Redis checks numkeys, the direction and COUNT before the timeout.
      [["BLMPOP", "-1", "0", "l", "LEFT"], "ERR numkeys should be greater than 0"],
      [["BZMPOP", "-1", "1", "z", "UP"], "ERR syntax error"],
      [["BLMPOP", "abc", "1", "l", "LEFT", "COUNT", "0"], "ERR count should be greater than 0"],
    ];
    const replies = await c.call(...cases.map(([argv]) => argv));
    assert.deepEqual(replies, cases.map(([, text]) => err(text)));
    assert.equal(executor.ran.length, 0);
  });
});

Deno.test("inside MULTI the blocking pops never block", async () => {
  await withServer(async ({ connect, server }) => {
    const c = await connect(2);
    await c.call(["ZADD", "z", "1", "a", "2", "b"], ["RPUSH", "l", "x", "y", "z"], [
      "SET",
      "s",
      "v",
    ]);
    const replies = await c.call(
      ["MULTI"],
      ["BZPOPMIN", "none", "z", "0"],
      ["BZPOPMAX", "none", "0"],
      ["BZMPOP", "0", "2", "none", "z", "MAX", "COUNT", "5"],
      ["BZMPOP", "0", "1", "none", "MIN"],
      ["BLMPOP", "0", "2", "none", "l", "RIGHT", "COUNT", "2"],
      ["BLMPOP", "0", "1", "none", "LEFT"],
      ["BZPOPMIN", "s", "0"],
      ["BLMPOP", "0", "0", "none", "LEFT"],
      ["BZPOPMIN", "none", "-1"],
      ["EXEC"],
    );
    assert.deepEqual(replies.slice(1, -1), Array(9).fill({ t: "simple", v: "QUEUED" }));
    assert.deepEqual(
      replies.at(-1),
      arr(
        arr(b("z"), b("a"), b("1")),
        NIL,
        arr(b("z"), arr(arr(b("b"), b("2")))),
        NIL,
        arr(b("l"), arr(b("z"), b("y"))),
        NIL,
        WRONGTYPE,
        err("ERR numkeys should be greater than 0"),
        err("ERR timeout is negative"),
      ),
    );
    assert.equal(server.stats.blockedClients, 0);
  });
});

Deno.test("COMMAND INFO describes the blocking pops like Redis 7", async () => {
  await withServer(async ({ connect }) => {
    const c = await connect(2);
    const info = await c.one("COMMAND", "INFO", "bzpopmin", "bzpopmax", "blmpop", "bzmpop");
    const rows = (info as { v: { v: RespValue[] }[] }).v.map((row) => row.v.slice(0, 6));
    const set = (...names: string[]) => names.map((v) => ({ t: "simple", v }));
    const int = (v: number): RespValue => ({ t: "integer", v });
    assert.deepEqual(rows, [
      [
        b("bzpopmin"),
        int(-3),
        arr(...set("write", "noscript", "blocking", "fast") as RespValue[]),
        int(1),
        int(-2),
        int(1),
      ],
      [
        b("bzpopmax"),
        int(-3),
        arr(...set("write", "noscript", "blocking", "fast") as RespValue[]),
        int(1),
        int(-2),
        int(1),
      ],
      [
        b("blmpop"),
        int(-5),
        arr(...set("write", "blocking", "movablekeys") as RespValue[]),
        int(0),
        int(0),
        int(0),
      ],
      [
        b("bzmpop"),
        int(-5),
        arr(...set("write", "blocking", "movablekeys") as RespValue[]),
        int(0),
        int(0),
        int(0),
      ],
    ]);
  });
});
