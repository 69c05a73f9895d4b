/**
 * Functions under Raft: FUNCTION LOAD and FCALL are log entries every replica applies, and a
 * replica restored from a Raft snapshot gets the libraries (the store's "functions" section)
 * instead of keeping its own.
 */
import assert from "node:assert/strict";
import { registerScriptingCommands, Store } from "../../atlas/mod.ts";
import { encodeEntry } from "./command_codec.ts";
import { AtlasStateMachine } from "./state_machine.ts";

const entry = (index: number, commands: string[][]) => ({
  index,
  term: 1,
  type: "normal" as const,
  data: encodeEntry({ kind: "commands", nowMs: 1000, seed: index, commands }),
});

function replica(): AtlasStateMachine {
  const store = new Store();
  registerScriptingCommands(store);
  return new AtlasStateMachine(store);
}

const LIB = "#!lua name=lib\nredis.register_function('bump', function(keys) " +
  "return redis.call('INCR', keys[1]) end)";
const ctx = { nowMs: 1000, random: () => 0 };

Deno.test("functions: replicas apply FUNCTION and FCALL entries alike; snapshots carry libraries", () => {
  const leader = replica();
  const follower = replica();
  const entries = [
    entry(1, [["FUNCTION", "LOAD", LIB]]),
    entry(2, [["FCALL", "bump", "1", "n"], ["FCALL", "bump", "1", "n"]]),
  ];
  for (const e of entries) {
    leader.apply(e);
    follower.apply(e);
  }
  for (const m of [leader, follower]) {
    assert.deepEqual(m.store.execute(["GET", "n"], ctx).reply, { kind: "bulk", value: "2" });
  }
  const data = leader.snapshot();
  const stale = replica();
  stale.apply(entry(1, [[
    "FUNCTION",
    "LOAD",
    "#!lua name=old\nredis.register_function('o', " +
    "function() return 0 end)",
  ]]));
  stale.restore({ meta: { index: 2, term: 1, confState: { voters: [], learners: [] } }, data });
  assert.deepEqual(stale.store.execute(["FCALL", "bump", "1", "n"], ctx).reply, {
    kind: "integer",
    value: 3,
  });
  assert.deepEqual(stale.store.execute(["FCALL", "o", "0"], ctx).reply, {
    kind: "error",
    value: "ERR Function not found",
  });
});
