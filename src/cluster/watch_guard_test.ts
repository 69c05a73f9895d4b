import assert from "node:assert/strict";
import { OK, Store } from "../../atlas/mod.ts";
import { encodeEntry } from "./command_codec.ts";
import { AtlasStateMachine } from "./state_machine.ts";
import { WATCH_CHANGED, watchGuard } from "./watch_guard.ts";

const entry = (index: number, commands: string[][], nowMs = 1000, dbs?: number[]) => ({
  index,
  term: 1,
  type: "normal" as const,
  data: encodeEntry({ kind: "commands", nowMs, seed: index, commands, dbs }),
});

const CTX = { nowMs: 1000, random: () => 0.5 };

function machineWith(commands: string[][]): AtlasStateMachine {
  const machine = new AtlasStateMachine(new Store());
  machine.apply(entry(1, commands));
  return machine;
}

Deno.test("a guarded transaction runs when its watched keys are as EXEC saw them", () => {
  const machine = machineWith([["SET", "counter", "5"], ["HSET", "h", "f", "v"]]);
  const guard = watchGuard(machine.store, ["0:counter", "0:h", "0:absent"], 1000);
  const applied = machine.apply(entry(2, [guard, ["SET", "counter", "6"], ["INCR", "counter"]]));
  assert.deepEqual(applied.replies, [OK, OK, { kind: "integer", value: 7 }]);
  assert.deepEqual(machine.store.execute(["GET", "counter"], CTX).reply, {
    kind: "bulk",
    value: "7",
  });
});

Deno.test("a write that overtook the transaction in the log aborts it on every replica", () => {
  const replicas = [machineWith([["SET", "counter", "5"]]), machineWith([["SET", "counter", "5"]])];
  const guard = watchGuard(replicas[0].store, ["0:counter"], 1000);
  for (const machine of replicas) {
    machine.apply(entry(2, [["SET", "counter", "6"]])); // another client's write, first in the log
    const applied = machine.apply(entry(3, [guard, ["SET", "counter", "6"], ["SET", "ran", "1"]]));
    assert.deepEqual(applied.replies, [WATCH_CHANGED, WATCH_CHANGED, WATCH_CHANGED]);
    assert.deepEqual(machine.store.execute(["EXISTS", "ran"], CTX).reply, {
      kind: "integer",
      value: 0,
    });
  }
});

Deno.test("the guard sees a created key, a changed deadline and an expiry by the entry's time", () => {
  const cases: { name: string; change: string[][]; nowMs?: number }[] = [
    { name: "created", change: [["SET", "fresh", "x"]] },
    { name: "deadline", change: [["PEXPIRE", "k", "100000"]] },
    { name: "expired", change: [], nowMs: 3000 },
    { name: "type", change: [["DEL", "k"], ["RPUSH", "k", "v"]] },
  ];
  for (const { name, change, nowMs } of cases) {
    const machine = machineWith([["SET", "k", "v", "PX", "1500"]]);
    const guard = watchGuard(machine.store, ["0:k", "0:fresh"], 1000);
    if (change.length > 0) machine.apply(entry(2, change));
    const applied = machine.apply(entry(3, [guard, ["SET", "ran", "1"]], nowMs ?? 1000));
    assert.deepEqual(applied.replies, [WATCH_CHANGED, WATCH_CHANGED], name);
  }
});

Deno.test("watched keys in other databases: the guard names each key's database", () => {
  const machine = new AtlasStateMachine(new Store({ databases: 16 }));
  // "n" in database 0 and in database 5 are different keys.
  machine.apply(entry(1, [["SET", "n", "1"], ["SET", "n", "50"]], 1000, [0, 5]));
  const guard = watchGuard(machine.store, ["5:n", "0:other"], 1000);
  assert.equal(guard[0], "helios.watchguarddb");
  // A write to "n" in database 0 leaves the watch on database 5's "n" as it was.
  machine.apply(entry(2, [["SET", "n", "2"]]));
  const ran = machine.apply(entry(3, [guard, ["INCR", "n"]], 1000, [0, 5]));
  assert.deepEqual(ran.replies, [OK, { kind: "integer", value: 51 }]);
  // Database 5's "n" changed since: the same guard now aborts the block.
  const aborted = machine.apply(entry(4, [guard, ["INCR", "n"]], 1000, [0, 5]));
  assert.deepEqual(aborted.replies, [WATCH_CHANGED, WATCH_CHANGED]);
  const get = (db: number) => machine.store.execute(["GET", "n"], { ...CTX, db }).reply;
  assert.deepEqual([get(0), get(5)], [{ kind: "bulk", value: "2" }, { kind: "bulk", value: "51" }]);
  // Database 0 alone: the guard keeps the form it always had.
  assert.equal(watchGuard(machine.store, ["0:n"], 1000)[0], "helios.watchguard");
});
