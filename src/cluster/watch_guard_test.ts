import assert from "node:assert/strict";
import { OK, Store } from "../../atlas/mod.ts";
import { encodeEntry } from "./command_codec.ts";
import { AtlasStateMachine } from "./state_machine.ts";
import { WATCH_CHANGED, watchGuard } from "./watch_guard.ts";

const entry = (index: number, commands: string[][], nowMs = 1000) => ({
  index,
  term: 1,
  type: "normal" as const,
  data: encodeEntry({ kind: "commands", nowMs, seed: index, commands }),
});

const CTX = { nowMs: 1000, random: () => 0.5 };

function machineWith(commands: string[][]): AtlasStateMachine {
  const machine = new AtlasStateMachine(new Store());
  machine.apply(entry(1, commands));
  return machine;
}

Deno.test("a guarded transaction runs when its watched keys are as EXEC saw them", () => {
  const machine = machineWith([["SET", "counter", "5"], ["HSET", "h", "f", "v"]]);
  const guard = watchGuard(machine.store, ["counter", "h", "absent"], 1000);
  const applied = machine.apply(entry(2, [guard, ["SET", "counter", "6"], ["INCR", "counter"]]));
  assert.deepEqual(applied.replies, [OK, OK, { kind: "integer", value: 7 }]);
  assert.deepEqual(machine.store.execute(["GET", "counter"], CTX).reply, {
    kind: "bulk",
    value: "7",
  });
});

Deno.test("a write that overtook the transaction in the log aborts it on every replica", () => {
  const replicas = [machineWith([["SET", "counter", "5"]]), machineWith([["SET", "counter", "5"]])];
  const guard = watchGuard(replicas[0].store, ["counter"], 1000);
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
    const guard = watchGuard(machine.store, ["k", "fresh"], 1000);
    if (change.length > 0) machine.apply(entry(2, change));
    const applied = machine.apply(entry(3, [guard, ["SET", "ran", "1"]], nowMs ?? 1000));
    assert.deepEqual(applied.replies, [WATCH_CHANGED, WATCH_CHANGED], name);
  }
});
