/**
 * Functions through the engine: libraries are server state that must survive a restart, by AOF
 * replay (FUNCTION LOAD / DELETE / RESTORE / FLUSH are logged) and by snapshot (the "functions"
 * section), including after the AOF was compacted into a snapshot.
 */
import assert from "node:assert/strict";
import { SimDisk } from "../aof/sim_disk.ts";
import { AtlasEngine } from "../engine.ts";
import { scanAof } from "../aof/scan.ts";
import type { Reply } from "../store/reply.ts";
import { ManualTimers, RecordingLogger } from "../testing/manual_timers.ts";
import { registerScriptingCommands } from "./mod.ts";

const DIR = "/data";

function harness() {
  const disk = new SimDisk();
  const timers = new ManualTimers();
  const open = (scripting = true) =>
    AtlasEngine.open({
      dataDir: DIR,
      disk,
      logger: new RecordingLogger(),
      timers,
      clock: () => 1_000_000,
      extend: scripting ? (store) => registerScriptingCommands(store) : undefined,
    });
  return { disk, open };
}

async function run(engine: AtlasEngine, ...argv: string[]): Promise<Reply> {
  const reply = await engine.execute(argv);
  await engine.sync();
  return reply;
}

/** Every command in the live AOF parts. */
async function loggedCommands(disk: SimDisk): Promise<string[][]> {
  const out: string[][] = [];
  for (const name of (await disk.readDir(DIR)).sort()) {
    if (!name.startsWith("appendonly")) continue;
    scanAof(disk.bytes(`${DIR}/${name}`), (record) => out.push(...record.log));
  }
  return out;
}

const COUNTER = [
  "#!lua name=counter",
  "redis.register_function('bump', function(keys, args)",
  "  return redis.call('INCRBY', keys[1], args[1]) end)",
  "redis.register_function{function_name='peek', callback=function(keys)",
  "  return redis.call('GET', keys[1]) end, flags={'no-writes'}}",
].join("\n");

const OTHER = "#!lua name=other\nredis.register_function('hello', function() return 'hi' end)";

Deno.test("functions survive a restart by AOF replay", async () => {
  const h = harness();
  const engine = await h.open();
  assert.deepEqual(await run(engine, "FUNCTION", "LOAD", COUNTER), {
    kind: "bulk",
    value: "counter",
  });
  await run(engine, "FUNCTION", "LOAD", OTHER);
  assert.deepEqual(await run(engine, "FCALL", "bump", "1", "n", "5"), {
    kind: "integer",
    value: 5,
  });
  await run(engine, "FUNCTION", "DELETE", "other");
  await engine.close();

  const again = await h.open();
  assert.deepEqual(await run(again, "FCALL", "bump", "1", "n", "2"), { kind: "integer", value: 7 });
  assert.deepEqual(await run(again, "FCALL_RO", "peek", "1", "n"), { kind: "bulk", value: "7" });
  assert.deepEqual(await run(again, "FCALL", "hello", "0"), {
    kind: "error",
    value: "ERR Function not found",
  });
  // FCALL was logged as its effect (INCRBY), never as FCALL.
  const names = (await loggedCommands(h.disk)).map((argv) => argv[0]);
  assert.ok(names.includes("INCRBY"));
  assert.ok(!names.some((n) => n.toLowerCase() === "fcall"));
  await again.close();
});

Deno.test("functions survive a snapshot (AOF compacted) and a restart", async () => {
  const h = harness();
  const engine = await h.open();
  await run(engine, "FUNCTION", "LOAD", COUNTER);
  await run(engine, "FUNCTION", "LOAD", OTHER);
  await run(engine, "SET", "k", "v");
  await engine.snapshot();
  await run(engine, "FUNCTION", "DELETE", "other"); // after the snapshot: in the new AOF part
  await engine.close();
  // The loads are only in the snapshot now: the AOF holds the DELETE alone.
  assert.deepEqual(await loggedCommands(h.disk), [["FUNCTION", "DELETE", "other"]]);

  const again = await h.open();
  assert.equal(again.stats.keys, 1);
  assert.deepEqual(await run(again, "FCALL", "bump", "1", "n", "3"), { kind: "integer", value: 3 });
  assert.deepEqual(await run(again, "FCALL", "hello", "0"), {
    kind: "error",
    value: "ERR Function not found",
  });
  // A second snapshot with the replayed state, then a restart from it alone.
  await run(again, "FUNCTION", "LOAD", "REPLACE", OTHER);
  await again.snapshot();
  await again.close();
  const third = await h.open();
  assert.deepEqual(await run(third, "FCALL", "hello", "0"), { kind: "bulk", value: "hi" });
  const list = await run(third, "FUNCTION", "LIST");
  assert.equal(list.kind === "array" ? list.value.length : -1, 2);
  // FUNCTION FLUSH is durable too.
  await run(third, "FUNCTION", "FLUSH");
  await third.close();
  const fourth = await h.open();
  assert.deepEqual(await run(fourth, "FUNCTION", "LIST"), { kind: "array", value: [] });
  await fourth.close();
});

Deno.test("a snapshot opened without the scripting module keeps the libraries for later", async () => {
  const h = harness();
  const engine = await h.open();
  await run(engine, "FUNCTION", "LOAD", OTHER);
  await engine.snapshot();
  await engine.close();
  const bare = await h.open(false);
  await run(bare, "SET", "x", "1");
  await bare.snapshot(); // saves the section it could not load
  await bare.close();
  const back = await h.open();
  assert.deepEqual(await run(back, "FCALL", "hello", "0"), { kind: "bulk", value: "hi" });
  await back.close();
});
