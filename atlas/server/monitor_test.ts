import assert from "node:assert/strict";
import type { CommandExecutor } from "../executor.ts";
import { startAtlasServer } from "../server.ts";
import { Store } from "../store/store.ts";
import { RawClient, type RespValue } from "../testing/atlasd_harness.ts";
import { quoted } from "./monitor.ts";

async function withServer(fn: (port: number) => Promise<void>): Promise<void> {
  const store = new Store();
  const executor: CommandExecutor = {
    execute: (argv) => store.execute(argv, { nowMs: Date.now(), random: Math.random }).reply,
    sync: () => Promise.resolve(),
  };
  const server = startAtlasServer({ executor, store, port: 0 });
  try {
    await fn(server.addr.port);
  } finally {
    await server.close();
  }
}

/** A monitor line without its timestamp and client address: `"SET" "k" "v"`. */
function command(line: RespValue): string {
  assert.equal(line.t, "simple");
  const text = (line as { v: string }).v;
  assert.match(text, /^\d+\.\d{6} \[0 127\.0\.0\.1:\d+\] /);
  return text.slice(text.indexOf("] ") + 2);
}

Deno.test("MONITOR streams each command as Redis prints it, passwords redacted, admin hidden", async () => {
  await withServer(async (port) => {
    const monitor = await RawClient.connect(port);
    const other = await RawClient.connect(port);
    try {
      assert.deepEqual(await monitor.one("MONITOR"), { t: "simple", v: "OK" });
      await other.call(
        ["SET", 'a\nb\t\x7f\xff"\\', "v"],
        ["AUTH", "secret"],
        ["HELLO", "2", "AUTH", "default", "secret"],
        ["CONFIG", "GET", "maxclients"], // admin: never shown
        ["NOSUCH", "x"], // rejected before running: not shown
        ["GET"], // arity error: not shown
        ["MULTI"],
        ["INCR", "n"],
        ["EXEC"],
      );
      const expected = [
        '"SET" "a\\nb\\t\\x7f\\xff\\"\\\\" "v"',
        '"AUTH" "(redacted)"',
        '"HELLO" "2" "AUTH" "(redacted)" "(redacted)"',
        '"MULTI"',
        '"INCR" "n"',
        '"EXEC"',
      ];
      for (const want of expected) assert.equal(command(await monitor.next()), want);
    } finally {
      await monitor.close();
      await other.close();
    }
  });
});

Deno.test("RESET ends monitoring; a closed monitor does not disturb other clients", async () => {
  await withServer(async (port) => {
    const monitor = await RawClient.connect(port);
    const gone = await RawClient.connect(port);
    const other = await RawClient.connect(port);
    try {
      await monitor.one("MONITOR");
      await gone.one("MONITOR");
      await gone.close();
      assert.deepEqual(await other.one("SET", "k", "1"), { t: "simple", v: "OK" });
      assert.equal(command(await monitor.next()), '"SET" "k" "1"');
      // Like Redis, the RESET itself is not shown to the client leaving monitor mode.
      assert.deepEqual(await monitor.one("RESET"), { t: "simple", v: "RESET" });
      await other.one("SET", "k", "2");
      assert.deepEqual(await monitor.one("PING"), { t: "simple", v: "PONG" });
    } finally {
      await monitor.close();
      await other.close();
    }
  });
});

Deno.test("quoted() escapes like Redis's sdscatrepr", () => {
  assert.equal(quoted("plain"), '"plain"');
  assert.equal(quoted('q"b\\'), '"q\\"b\\\\"');
  assert.equal(quoted("\r\n\t\x07\x08"), '"\\r\\n\\t\\a\\b"');
  assert.equal(quoted("\x00\x1f\x7f\x80\xff"), '"\\x00\\x1f\\x7f\\x80\\xff"');
});
