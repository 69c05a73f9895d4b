import assert from "node:assert/strict";
import { Store } from "../../atlas/mod.ts";
import { encodeEntry } from "./command_codec.ts";
import { AtlasStateMachine } from "./state_machine.ts";

const entry = (index: number, commands: string[][], nowMs = 1000) => ({
  index,
  term: 1,
  type: "normal" as const,
  data: encodeEntry({ kind: "commands", nowMs, seed: index, commands }),
});

Deno.test("state machine: entries apply with the stamped time; a TTL is absolute", () => {
  const machine = new AtlasStateMachine(new Store());
  const applied = machine.apply(entry(1, [["SET", "k", "v", "EX", "10"], ["INCR", "n"]], 5000));
  assert.deepEqual(applied.replies, [{ kind: "simple", value: "OK" }, {
    kind: "integer",
    value: 1,
  }]);
  assert.equal(machine.store.expireAtMs("k"), 15_000);
  assert.equal(machine.logicalNowMs, 5000);
});

Deno.test("state machine: a background snapshot holds the state of the moment it was taken", async () => {
  const machine = new AtlasStateMachine(new Store());
  for (let i = 0; i < 10_000; i++) machine.apply(entry(i + 1, [["SET", `k${i}`, `v${i}`]]));
  const expected = machine.snapshot();
  const pending = machine.snapshotInBackground();
  // Replication goes on while it is serialized.
  machine.apply(entry(10_001, [["SET", "k0", "changed"], ["DEL", "k1"], ["SET", "new", "x"]]));
  const data = await pending;
  assert.deepEqual(data, expected);
  const restored = new AtlasStateMachine(new Store());
  restored.restore({
    meta: { index: 10_000, term: 1, confState: { voters: [], learners: [] } },
    data,
  });
  assert.equal(restored.store.stats.keys, 10_000);
  const ctx = { nowMs: 1000, random: () => 0 };
  assert.deepEqual(restored.store.execute(["GET", "k0"], ctx).reply, { kind: "bulk", value: "v0" });
  assert.deepEqual(restored.store.execute(["EXISTS", "new"], ctx).reply, {
    kind: "integer",
    value: 0,
  });
});

Deno.test("state machine: a malformed entry is skipped the same way on every replica", () => {
  const machine = new AtlasStateMachine(new Store());
  const result = machine.apply({
    index: 7,
    term: 1,
    type: "normal",
    data: new Uint8Array([9, 9, 9]),
  });
  assert.equal(result.replies[0].kind, "error");
  assert.equal(machine.store.stats.keys, 0);
});

Deno.test("state machine: each command of an entry runs in its own database", () => {
  const machine = new AtlasStateMachine(new Store({ databases: 16 }));
  const applied = machine.apply({
    index: 1,
    term: 1,
    type: "normal",
    data: encodeEntry({
      kind: "commands",
      nowMs: 1000,
      seed: 1,
      commands: [["SET", "k", "zero"], ["SET", "k", "nine"], ["INCR", "n"]],
      dbs: [0, 9, 15],
    }),
  });
  assert.equal(applied.replies.length, 3);
  const get = (key: string, db: number) =>
    machine.store.execute(["GET", key], { nowMs: 1000, random: () => 0, db }).reply;
  assert.deepEqual(get("k", 0), { kind: "bulk", value: "zero" });
  assert.deepEqual(get("k", 9), { kind: "bulk", value: "nine" });
  assert.deepEqual(get("n", 15), { kind: "bulk", value: "1" });
  assert.deepEqual(machine.store.databaseStats().map((d) => d.index), [0, 9, 15]);
  // The snapshot carries every database to a replica that installs it.
  const restored = new AtlasStateMachine(new Store({ databases: 16 }));
  restored.restore({
    meta: { index: 1, term: 1, confState: { voters: [], learners: [] } },
    data: machine.snapshot(),
  });
  assert.deepEqual(restored.store.databaseStats(), machine.store.databaseStats());
});
