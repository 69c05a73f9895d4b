/**
 * SELECT inside a script (Redis 7): the script's database from there on, never the caller's. The
 * AOF record of the script's writes says which database each went to, so recovery puts them back
 * there.
 */
import assert from "node:assert/strict";
import { SimDisk } from "../aof/sim_disk.ts";
import { scanAof } from "../aof/scan.ts";
import { AtlasEngine } from "../engine.ts";
import type { Reply } from "../store/reply.ts";
import { ManualTimers, RecordingLogger } from "../testing/manual_timers.ts";
import { registerScriptingCommands } from "./mod.ts";

const DIR = "/data";

function open(disk: SimDisk) {
  return AtlasEngine.open({
    dataDir: DIR,
    disk,
    logger: new RecordingLogger(),
    timers: new ManualTimers(),
    clock: () => 1_000_000,
    extend: (store) => registerScriptingCommands(store),
    store: { databases: 4 },
  });
}

async function run(engine: AtlasEngine, db: number, ...argv: string[]): Promise<Reply> {
  const reply = await engine.execute(argv, db);
  await engine.sync();
  return reply;
}

Deno.test("a script's SELECT moves its own writes only; the AOF puts them back in place", async () => {
  const disk = new SimDisk();
  let engine = await open(disk);
  const script = "redis.call('set', KEYS[1], 'caller'); redis.call('select', 3); " +
    "redis.call('set', KEYS[1], 'three'); return redis.pcall('select', 4)";
  const reply = await run(engine, 1, "EVAL", script, "1", "k");
  // SELECT's own error, carried on by the script (counted in errorstats when SELECT failed).
  assert.deepEqual(reply, { kind: "error", value: "ERR DB index is out of range", counted: true });
  assert.deepEqual(await run(engine, 1, "GET", "k"), { kind: "bulk", value: "caller" });
  assert.deepEqual(await run(engine, 3, "GET", "k"), { kind: "bulk", value: "three" });
  assert.deepEqual(await run(engine, 0, "EXISTS", "k"), { kind: "integer", value: 0 });
  // FCALL's functions run on the same host: a SELECT there holds for the function only.
  const library = "#!lua name=lib\nredis.register_function('put', function(keys, args) " +
    "redis.call('select', args[1]); return redis.call('set', keys[1], args[1]) end)";
  await run(engine, 0, "FUNCTION", "LOAD", library);
  await run(engine, 2, "FCALL", "put", "1", "f", "0");
  assert.deepEqual(await run(engine, 0, "GET", "f"), { kind: "bulk", value: "0" });
  assert.deepEqual(await run(engine, 2, "EXISTS", "f"), { kind: "integer", value: 0 });
  await engine.close();

  const records: string[][][] = [];

  for (const name of (await disk.readDir(DIR)).sort()) {
    if (!name.startsWith("appendonly")) continue;
    scanAof(disk.bytes(`${DIR}/${name}`), (r) => records.push(r.log));
  }
  const scriptRecord = records.find((log) => log.some((f) => f[2] === "three"));
  // (The script's commands are logged as it called them: lower case.)
  assert.deepEqual(scriptRecord, [
    ["SELECT", "1"],
    ["set", "k", "caller"],
    ["SELECT", "3"],
    ["set", "k", "three"],
    ["SELECT", "0"],
  ]);
  // The function ran in database 2 and wrote in 0: no SELECT needed.
  assert.deepEqual(records.at(-1), [["set", "f", "0"]]);

  engine = await open(disk);
  try {
    assert.deepEqual(await run(engine, 1, "GET", "k"), { kind: "bulk", value: "caller" });
    assert.deepEqual(await run(engine, 3, "GET", "k"), { kind: "bulk", value: "three" });
    assert.deepEqual(await run(engine, 0, "GET", "f"), { kind: "bulk", value: "0" });
    assert.deepEqual(engine.store.databaseStats().map((d) => [d.index, d.keys]), [
      [0, 1],
      [1, 1],
      [3, 1],
    ]);
  } finally {
    await engine.close();
  }
});
