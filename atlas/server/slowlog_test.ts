import assert from "node:assert/strict";
import type { RespValue } from "../testing/atlasd_harness.ts";
import { withBlockingServer } from "../testing/blocking_env.ts";
import { busyExecutor } from "../testing/busy_commands.ts";

const OK: RespValue = { t: "simple", v: "OK" };
const int = (v: number): RespValue => ({ t: "integer", v });
const err = (v: string): RespValue => ({ t: "error", v });

interface Entry {
  id: number;
  timeS: number;
  us: number;
  args: string[];
  addr: string;
  name: string;
}

/** A SLOWLOG GET reply as plain rows, checking each has Redis 7's six fields and types. */
function entries(reply: RespValue): Entry[] {
  assert.equal(reply.t, "array");
  return (reply as { v: RespValue[] }).v.map((row) => {
    assert.equal(row.t, "array");
    const [id, time, us, args, addr, name] = (row as { v: RespValue[] }).v;
    assert.deepEqual([id.t, time.t, us.t, args.t, addr.t, name.t], [
      "integer",
      "integer",
      "integer",
      "array",
      "bulk",
      "bulk",
    ]);
    return {
      id: (id as { v: number }).v,
      timeS: (time as { v: number }).v,
      us: (us as { v: number }).v,
      args: (args as { v: { v: string }[] }).v.map((a) => a.v),
      addr: (addr as { v: string }).v,
      name: (name as { v: string }).v,
    };
  });
}

const withServer = (fn: Parameters<typeof withBlockingServer>[1]) =>
  withBlockingServer(busyExecutor(), fn);

Deno.test("SLOWLOG at threshold 0 keeps every command, newest first, as Redis 7 shapes entries", async () => {
  await withServer(async ({ connect }) => {
    const c = await connect();
    assert.deepEqual(await c.one("CONFIG", "GET", "slowlog-*"), {
      t: "array",
      v: [
        { t: "bulk", v: "slowlog-log-slower-than" },
        { t: "bulk", v: "10000" },
        { t: "bulk", v: "slowlog-max-len" },
        { t: "bulk", v: "128" },
      ],
    });
    assert.deepEqual(await c.one("CONFIG", "SET", "slowlog-log-slower-than", "0"), OK);
    await c.call(["CLIENT", "SETNAME", "tester"], ["SET", "k", "v"], ["GET", "k"]);
    const rows = entries(await c.one("SLOWLOG", "GET"));
    assert.deepEqual(rows.map((r) => r.args), [
      ["GET", "k"],
      ["SET", "k", "v"],
      ["CLIENT", "SETNAME", "tester"],
      ["CONFIG", "SET", "slowlog-log-slower-than", "0"], // logged: the threshold is read after
    ]);
    assert.deepEqual(rows.map((r) => r.id), [3, 2, 1, 0]);
    assert.deepEqual(rows.map((r) => r.name), ["tester", "tester", "tester", ""]);
    const nowS = Date.now() / 1000;
    for (const r of rows) {
      assert.match(r.addr, /^127\.0\.0\.1:\d+$/);
      assert.ok(Math.abs(r.timeS - nowS) < 60);
      assert.ok(Number.isInteger(r.us) && r.us >= 0);
    }
    assert.deepEqual(await c.one("SLOWLOG", "LEN"), int(5)); // SLOWLOG GET itself too
    assert.deepEqual(entries(await c.one("SLOWLOG", "GET", "1")).map((r) => r.args), [
      ["SLOWLOG", "LEN"],
    ]);
    assert.equal(entries(await c.one("SLOWLOG", "GET", "-1")).length, 7);
    assert.deepEqual(await c.one("SLOWLOG", "GET", "0"), { t: "array", v: [] });
    assert.deepEqual(await c.one("SLOWLOG", "RESET"), OK);
    const after = entries(await c.one("SLOWLOG", "GET"));
    assert.deepEqual(after.map((r) => [r.id, r.args]), [[9, ["SLOWLOG", "RESET"]]]); // ids go on
  });
});

Deno.test("SLOWLOG shortens long argument lists and values, and hides passwords", async () => {
  await withServer(async ({ connect }) => {
    const c = await connect();
    await c.one("CONFIG", "SET", "slowlog-log-slower-than", "0");
    const keys = Array.from({ length: 40 }, (_, i) => `k${i + 1}`);
    await c.call(
      ["DEL", ...keys],
      ["ECHO", "x".repeat(200)],
      ["AUTH", "secret"],
      ["HELLO", "2", "AUTH", "default", "secret"],
      ["CONFIG", "SET", "maxclients", "100", "requirepass", ""],
    );
    const [config, hello, auth, echo, del] = entries(await c.one("SLOWLOG", "GET", "5"));
    assert.deepEqual(del.args, ["DEL", ...keys.slice(0, 30), "... (10 more arguments)"]);
    assert.deepEqual(echo.args, ["ECHO", `${"x".repeat(128)}... (72 more bytes)`]);
    assert.deepEqual(auth.args, ["AUTH", "(redacted)"]);
    assert.deepEqual(hello.args, ["HELLO", "2", "AUTH", "(redacted)", "(redacted)"]);
    assert.deepEqual(config.args, [
      "CONFIG",
      "SET",
      "maxclients",
      "100",
      "requirepass",
      "(redacted)",
    ]);
    await c.one("SLOWLOG", "RESET");
    await c.one("DEL", ...keys.slice(0, 31)); // 32 arguments: all kept
    const [exact] = entries(await c.one("SLOWLOG", "GET", "1"));
    assert.deepEqual(exact.args, ["DEL", ...keys.slice(0, 31)]);
  });
});

Deno.test("SLOWLOG logs what ran: EXEC's commands but not EXEC, not queueing, not rejections", async () => {
  await withServer(async ({ connect }) => {
    const c = await connect();
    await c.one("CONFIG", "SET", "slowlog-log-slower-than", "0");
    await c.one("SLOWLOG", "RESET");
    const replies = await c.call(
      ["MULTI"],
      ["SET", "a", "1"],
      ["INCR", "a"],
      ["EXEC"],
      ["SLOWLOG", "NOSUCH"], // Redis rejects these before running anything
      ["SLOWLOG", "LEN", "extra"],
      ["NOSUCHCOMMAND"],
      ["GET"],
      ["SLOWLOG", "GET", "-2"], // an error from the command itself: logged
      ["SLOWLOG", "GET", "1", "2"],
    );
    assert.deepEqual(replies.slice(4), [
      err("ERR unknown subcommand 'NOSUCH'. Try SLOWLOG HELP."),
      err("ERR wrong number of arguments for 'slowlog|len' command"),
      err("ERR unknown command 'NOSUCHCOMMAND', with args beginning with: "),
      err("ERR wrong number of arguments for 'get' command"),
      err("ERR count should be greater than or equal to -1"),
      err("ERR unknown subcommand or wrong number of arguments for 'GET'. Try SLOWLOG HELP."),
    ]);
    const rows = entries(await c.one("SLOWLOG", "GET", "-1"));
    assert.deepEqual(rows.map((r) => r.args.join(" ")).reverse(), [
      "SLOWLOG RESET",
      "MULTI",
      "SET a 1",
      "INCR a",
      "SLOWLOG GET -2",
      "SLOWLOG GET 1 2",
    ]);
  });
});

Deno.test("SLOWLOG honours its threshold, -1 turns it off, max-len trims like Redis", async () => {
  await withServer(async ({ connect }) => {
    const c = await connect();
    await c.one("CONFIG", "SET", "slowlog-log-slower-than", "40000");
    await c.call(["SET", "a", "1"], ["TEST.BUSY", "1"], ["TEST.BUSY", "50"], ["GET", "a"]);
    const [slow, ...rest] = entries(await c.one("SLOWLOG", "GET"));
    assert.deepEqual(rest, []);
    assert.deepEqual(slow.args, ["TEST.BUSY", "50"]);
    assert.ok(slow.us >= 50_000, `${slow.us} µs`);

    await c.one("CONFIG", "SET", "slowlog-log-slower-than", "-1");
    await c.one("TEST.BUSY", "50");
    assert.deepEqual(await c.one("SLOWLOG", "LEN"), int(1));

    await c.one("CONFIG", "SET", "slowlog-log-slower-than", "0");
    await c.call(["SET", "a", "2"], ["SET", "a", "3"], ["SET", "a", "4"]);
    assert.deepEqual(await c.one("SLOWLOG", "LEN"), int(5));
    await c.one("CONFIG", "SET", "slowlog-max-len", "2");
    assert.deepEqual(await c.one("SLOWLOG", "LEN"), int(2));
    await c.one("CONFIG", "SET", "slowlog-max-len", "0");
    assert.deepEqual(await c.one("SLOWLOG", "LEN"), int(0));
  });
});

Deno.test("SLOWLOG logs a blocked command once it is served, not when it times out", async () => {
  await withServer(async ({ connect, blocked }) => {
    const a = await connect();
    const b = await connect();
    await a.one("CONFIG", "SET", "slowlog-log-slower-than", "0");
    assert.deepEqual(await a.one("BLPOP", "q", "0.01"), { t: "nil" });
    const served = a.call(["BLPOP", "q", "0"]);
    await blocked(1);
    await b.one("RPUSH", "q", "x");
    await served;
    const rows = entries(await a.one("SLOWLOG", "GET"));
    assert.deepEqual(rows.map((r) => r.args.join(" ")), [
      "BLPOP q 0",
      "RPUSH q x",
      "CONFIG SET slowlog-log-slower-than 0",
    ]);
  });
});

Deno.test("SLOWLOG settings are checked like Redis's integer configs", async () => {
  await withServer(async ({ connect }) => {
    const c = await connect();
    const failed = (name: string, why: string) =>
      err(`ERR CONFIG SET failed (possibly related to argument '${name}') - ${why}`);
    const cases: [string, string, RespValue][] = [
      [
        "slowlog-log-slower-than",
        "-2",
        failed(
          "slowlog-log-slower-than",
          "argument must be between -1 and 9223372036854775807 inclusive",
        ),
      ],
      [
        "slowlog-log-slower-than",
        "01",
        failed("slowlog-log-slower-than", "argument couldn't be parsed into an integer"),
      ],
      [
        "slowlog-log-slower-than",
        "1k",
        failed("slowlog-log-slower-than", "argument couldn't be parsed into an integer"),
      ],
      [
        "slowlog-max-len",
        "-1",
        failed("slowlog-max-len", "argument must be between 0 and 9223372036854775807 inclusive"),
      ],
      [
        "slowlog-max-len",
        "99999999999999999999",
        failed("slowlog-max-len", "argument couldn't be parsed into an integer"),
      ],
      ["slowlog-max-len", "1000", OK],
    ];
    for (const [name, value, want] of cases) {
      assert.deepEqual(await c.one("CONFIG", "SET", name, value), want, `${name} ${value}`);
    }
    assert.deepEqual(await c.one("CONFIG", "GET", "slowlog-max-len"), {
      t: "array",
      v: [{ t: "bulk", v: "slowlog-max-len" }, { t: "bulk", v: "1000" }],
    });
  });
});

Deno.test("SLOWLOG at the default threshold times read batches: a slow command alone is logged, one in a pipeline once it repeats", async () => {
  await withServer(async ({ connect }) => {
    // Past its first 1024 calls a command is no longer timed one by one (dispatch samples 1 in
    // 64), so what logs it below is the batch timing. 1100 calls: the next ones are not sampled.
    const warm = await connect();
    const warmup = Array.from({ length: 1100 }, () => ["TEST.BUSY", "0"]);
    await warm.call(...warmup);
    await warm.one("SLOWLOG", "RESET");

    const c = await connect();
    await c.one("TEST.BUSY", "15"); // alone in its read: the batch's time is the command's
    let rows = entries(await c.one("SLOWLOG", "GET"));
    assert.deepEqual(rows.map((r) => r.args.join(" ")), ["TEST.BUSY 15"]);
    assert.ok(rows[0].us >= 15_000 && rows[0].us < 10_000_000, `${rows[0].us} µs`);

    // In a pipeline the batch cannot say which command was slow: nothing is logged, but this
    // client's commands are timed one by one from then on, so the repeat is.
    await c.call(["PING"], ["TEST.BUSY", "15"], ["PING"]);
    assert.deepEqual(await c.one("SLOWLOG", "LEN"), int(1));
    await c.call(["PING"], ["TEST.BUSY", "15"], ["PING"]);
    rows = entries(await c.one("SLOWLOG", "GET"));
    assert.deepEqual(rows.map((r) => r.args.join(" ")), ["TEST.BUSY 15", "TEST.BUSY 15"]);

    // Fast batches log nothing, whatever their size.
    await c.one("SLOWLOG", "RESET");
    await c.call(...Array.from({ length: 50 }, () => ["PING"]));
    assert.deepEqual(await c.one("SLOWLOG", "LEN"), int(0));
  });
});
