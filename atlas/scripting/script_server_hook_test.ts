/**
 * Server commands from scripts (Store.setScriptServerHook): the script host looks every command
 * up through the server's hook and sends the server's own commands (PUBLISH, INFO...) to it, with
 * Redis's refusals; a replayed log publishes nothing (the AOF holds a script's writes, never its
 * PUBLISH, and a replayed EVAL's PUBLISH does not reach the server).
 */
import assert from "node:assert/strict";
import { SimDisk } from "../aof/sim_disk.ts";
import { scanAof } from "../aof/scan.ts";
import { AtlasEngine } from "../engine.ts";
import { startAtlasServer } from "../server.ts";
import { integer } from "../store/reply.ts";
import type { ScriptCommandInfo, ScriptServerHook, Store } from "../store/store.ts";
import { Harness } from "../store/test_util.ts";
import { encodeCommand, RawClient } from "../testing/atlasd_harness.ts";
import { ManualTimers, RecordingLogger } from "../testing/manual_timers.ts";
import { registerScriptingCommands } from "./mod.ts";

/** The server's commands of these tests, as Redis's table has them. */
const SERVER: Readonly<Record<string, ScriptCommandInfo>> = {
  publish: { arity: 3, flags: ["pubsub", "loading", "stale", "fast"] },
  spublish: { arity: 3, flags: ["pubsub", "loading", "stale", "fast"] },
  info: { arity: -1, flags: ["loading", "stale"] },
  subscribe: { arity: -2, flags: ["pubsub", "noscript", "loading", "stale"] },
};

/** A server hook that answers from SERVER and the store's own table, and records its calls. */
function spyHook(store: Store, calls: string[][]): ScriptServerHook {
  return {
    lookup(argv) {
      const name = argv[0].toLowerCase();
      return SERVER[name] ?? store.commands.get(name) ?? null;
    },
    call(argv) {
      calls.push(argv);
      return argv[0].toLowerCase() === "publish" ? integer(7) : { kind: "bulk", value: "# Info" };
    },
  };
}

function harness(): { h: Harness; calls: string[][] } {
  const h = new Harness();
  registerScriptingCommands(h.store);
  const calls: string[][] = [];
  h.store.setScriptServerHook(spyHook(h.store, calls));
  return { h, calls };
}

const SET_AND_PUBLISH = "redis.call('SET', KEYS[1], 'v'); return redis.call('PUBLISH', 'c', 'm')";

Deno.test("script server hook: PUBLISH and INFO run on the server; the log holds the writes", () => {
  const { h, calls } = harness();
  assert.equal(h.run("EVAL", SET_AND_PUBLISH, "1", "k"), 7);
  assert.equal(h.run("EVAL", "return redis.call('info')", "0"), "# Info");
  assert.deepEqual(calls, [["PUBLISH", "c", "m"], ["info"]]);
  assert.deepEqual(h.logs, [["SET", "k", "v"]]);
  assert.equal(h.run("GET", "k"), "v");
});

Deno.test("script server hook: Redis's refusals come before the server is called", () => {
  const { h, calls } = harness();
  const err = (script: string, cmd = "EVAL") =>
    (h.run(cmd, `return redis.pcall(${script})`, "0") as { err: string }).err;
  assert.equal(
    err("'publish', 'c'"),
    "ERR Wrong number of args calling Redis command from script",
  );
  assert.equal(err("'subscribe', 'c'"), "ERR This Redis command is not allowed from script");
  assert.equal(err("'nosuch'"), "ERR Unknown Redis command called from script");
  assert.equal(
    err("'publish', 'c', 'm'", "EVAL_RO"),
    "ERR Write commands are not allowed from read-only scripts.",
  );
  assert.equal(
    err("'cluster', 'reset'"),
    "ERR This Redis command is not allowed from script",
  );
  assert.equal(err("'cluster', 'nosuch'"), "ERR Unknown Redis command called from script");
  assert.equal(
    err("'acl', 'deluser'"),
    "ERR Wrong number of args calling Redis command from script",
  );
  assert.deepEqual(calls, []);
  // CLUSTER's subcommands that Redis lets scripts run go to the server, which answers them.
  h.run("EVAL", "return redis.pcall('cluster', 'info')", "0");
  assert.deepEqual(calls, [["cluster", "info"]]);
});

Deno.test("script server hook: while replaying a log, a script's PUBLISH publishes nothing", () => {
  const { h, calls } = harness();
  h.clock.replaying = true;
  assert.equal(h.run("EVAL", SET_AND_PUBLISH, "1", "k"), 0);
  assert.equal(h.run("EVAL", "return redis.call('SPUBLISH', 'c', 'm')", "0"), 0);
  h.clock.replaying = false;
  assert.deepEqual(calls, []);
  assert.equal(h.run("GET", "k"), "v");
});

Deno.test("script server hook: without a server, scripts reach the store's commands only", () => {
  const h = new Harness();
  registerScriptingCommands(h.store);
  const err = (script: string) =>
    (h.run("EVAL", `return redis.pcall(${script})`, "0") as { err: string }).err;
  assert.equal(err("'publish', 'c', 'm'"), "ERR Unknown Redis command called from script");
  assert.equal(err("'cluster', 'info'"), "ERR Unknown Redis command called from script");
  assert.equal(err("'subscribe', 'c'"), "ERR This Redis command is not allowed from script");
  assert.equal(err("'client', 'id'"), "ERR This Redis command is not allowed from script");
  assert.equal(
    err("'client', 'kill'"),
    "ERR Wrong number of args calling Redis command from script",
  );
  for (const name of ["constructor", "toString", "__proto__"]) {
    assert.equal(err(`'${name}', 'x'`), "ERR Unknown Redis command called from script");
  }
  assert.equal(h.run("EVAL", "return redis.call('set', 'k', 'v')", "0"), "OK");
});

const DIR = "/data";

/** Every command in the live AOF parts. */
async function loggedCommands(disk: SimDisk): Promise<string[][]> {
  const out: string[][] = [];
  for (const name of (await disk.readDir(DIR)).sort()) {
    if (!name.startsWith("appendonly")) continue;
    scanAof(disk.bytes(`${DIR}/${name}`), (record) => out.push(...record.log));
  }
  return out;
}

Deno.test("a script's PUBLISH reaches a subscriber once; the AOF replay publishes nothing", async () => {
  const disk = new SimDisk();
  const calls: string[][] = [];
  const open = (spy: boolean) =>
    AtlasEngine.open({
      dataDir: DIR,
      disk,
      logger: new RecordingLogger(),
      timers: new ManualTimers(),
      extend: (store) => {
        registerScriptingCommands(store);
        if (spy) store.setScriptServerHook(spyHook(store, calls));
      },
    });
  const engine = await open(false);
  const server = startAtlasServer({ executor: engine, store: engine.store, port: 0 });
  const subscriber = await RawClient.connect(server.addr.port);
  const client = await RawClient.connect(server.addr.port);
  try {
    await subscriber.one("HELLO", "3");
    await subscriber.writeRaw(encodeCommand(["SUBSCRIBE", "c"]));
    assert.equal((await subscriber.takePushes(1)).length, 1);
    assert.deepEqual(await client.one("EVAL", SET_AND_PUBLISH, "1", "k"), { t: "integer", v: 1 });
    assert.deepEqual(await subscriber.takePushes(1), [{
      t: "push",
      v: [{ t: "bulk", v: "message" }, { t: "bulk", v: "c" }, { t: "bulk", v: "m" }],
    }]);
  } finally {
    await subscriber.close();
    await client.close();
    await server.close();
    await engine.close();
  }
  assert.deepEqual(await loggedCommands(disk), [["SET", "k", "v"]]);
  const reopened = await open(true);
  try {
    assert.deepEqual(await reopened.execute(["GET", "k"]), { kind: "bulk", value: "v" });
    assert.deepEqual(calls, []);
  } finally {
    await reopened.close();
  }
});
