/**
 * Scripts that pause past busy-reply-threshold, through the engine: a client's command
 * (`interruptible`) answers a Promise once its script ran that long; meanwhile the engine
 * answers BUSY and tells the paused script (busyScript); the script's effects are logged once,
 * when it ends, and replay after a restart (a crash before its end loses all of them, never part);
 * a kill ends it with Redis's error, through pcall too;
 * what is not interruptible (EXEC's commands, in-process callers) runs to its end.
 */
import assert from "node:assert/strict";
import { SimDisk } from "../aof/sim_disk.ts";
import { AtlasEngine } from "../engine.ts";
import type { Reply } from "../store/reply.ts";
import { ManualTimers, RecordingLogger } from "../testing/manual_timers.ts";
import { registerScriptingCommands } from "./mod.ts";

const DIR = "/data";

/** Busy for a while (a few hundred ms), writing before and after. */
const SLOW_WRITER = "redis.call('set', 'before', '1') " +
  "local n = 0 for i = 1, 3000000 do n = n + 1 end " +
  "redis.call('lpush', 'after', 'z') return n";
const SPIN = "while true do end";
const PCALL_SPIN = "while true do pcall(function() while true do end end) end";

function open(disk: SimDisk): Promise<AtlasEngine> {
  return AtlasEngine.open({
    dataDir: DIR,
    disk,
    logger: new RecordingLogger(),
    timers: new ManualTimers(),
    clock: () => 1_000_000,
    extend: (store) => registerScriptingCommands(store, { instructionsMax: 0 }),
  });
}

Deno.test("a paused script: BUSY meanwhile, its effects logged at its end and replayed", async () => {
  const disk = new SimDisk();
  const engine = await open(disk);
  engine.setBusyReplyThreshold(1);
  const pending = engine.execute(["EVAL", SLOW_WRITER, "0"], 0, true);
  assert.ok(pending instanceof Promise, "the script paused");
  const busy = engine.busyScript;
  assert.equal(busy?.kind, "eval");
  assert.equal(busy?.wrote(), true);
  assert.deepEqual(
    engine.execute(["GET", "before"]),
    {
      kind: "error",
      value:
        "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.",
    },
  );
  assert.deepEqual(await pending, { kind: "integer", value: 3000000 });
  assert.equal(engine.busyScript, null);
  assert.deepEqual(engine.execute(["LRANGE", "after", "0", "-1"]), {
    kind: "array",
    value: [{ kind: "bulk", value: "z" }],
  });
  await engine.sync();
  await engine.close();
  const reopened = await open(disk);
  assert.deepEqual(reopened.execute(["GET", "before"]), { kind: "bulk", value: "1" });
  assert.deepEqual(reopened.execute(["LLEN", "after"]), { kind: "integer", value: 1 });
  await reopened.close();
});

Deno.test("a paused script ends at a kill with Redis's error, even one that pcalls", async () => {
  const engine = await open(new SimDisk());
  engine.setBusyReplyThreshold(1);
  for (const script of [SPIN, PCALL_SPIN]) {
    const pending = engine.execute(["EVAL", script, "0"], 0, true) as Promise<Reply>;
    assert.ok(pending instanceof Promise);
    assert.equal(engine.busyScript?.wrote(), false);
    await new Promise((resolve) => setTimeout(resolve, 50)); // a few slices
    engine.busyScript!.kill();
    const reply = await pending;
    assert.equal(reply.kind, "error");
    assert.match(
      (reply as { value: string }).value,
      /^ERR Script killed by user with SCRIPT KILL\.\.\. script: [0-9a-f]{40}, on @user_script:1\.$/,
    );
    assert.equal(engine.busyScript, null);
  }
  // The VM is usable afterwards.
  assert.deepEqual(engine.execute(["EVAL", "return 7", "0"], 0, true), {
    kind: "integer",
    value: 7,
  });
  await engine.close();
});

Deno.test("not interruptible, or a threshold of 0: a script runs to its end", async () => {
  const engine = await open(new SimDisk());
  engine.setBusyReplyThreshold(1);
  const direct = engine.execute(["EVAL", SLOW_WRITER, "0"]); // an in-process caller
  assert.deepEqual(direct, { kind: "integer", value: 3000000 });
  engine.setBusyReplyThreshold(0);
  const unlimited = engine.execute(["EVAL", SLOW_WRITER, "0"], 0, true);
  assert.deepEqual(unlimited, { kind: "integer", value: 3000000 });
  await engine.close();
});

Deno.test("a script's own coroutines keep their yields: pausing never resumes them", async () => {
  const engine = await open(new SimDisk());
  engine.setBusyReplyThreshold(1);
  // A coroutine that yields 1..3 and spins between its yields, as the script does between its
  // calls: both long enough to cross the threshold.
  const spin = "local n = 0 for j = 1, 1000000 do n = n + 1 end ";
  const script = "local co = coroutine.wrap(function() for i = 1, 3 do " + spin +
    "coroutine.yield(i) end end) local a = co() " + spin + "local b = co() " + spin +
    "return {a, b, co()}";
  const pending = engine.execute(["EVAL", script, "0"], 0, true);
  assert.ok(pending instanceof Promise, "the script paused");
  const reply = await pending;
  assert.deepEqual(reply, {
    kind: "array",
    value: [1, 2, 3].map((value) => ({ kind: "integer", value })),
  });
  await engine.close();
});

Deno.test("a crash while a script is paused loses the whole script, never half of it", async () => {
  const disk = new SimDisk();
  const engine = await open(disk);
  await engine.execute(["SET", "kept", "1"]);
  await engine.sync();
  engine.setBusyReplyThreshold(1);
  const pending = engine.execute(["EVAL", SLOW_WRITER, "0"], 0, true);
  assert.ok(pending instanceof Promise);
  // The script's first write is in memory, but none of its effects is logged before its end.
  disk.crash();
  await pending; // the crashed engine runs the script out; its log goes nowhere
  const reopened = await open(disk);
  assert.deepEqual(reopened.execute(["GET", "kept"]), { kind: "bulk", value: "1" });
  assert.deepEqual(reopened.execute(["EXISTS", "before", "after"]), { kind: "integer", value: 0 });
  await reopened.close();
});
