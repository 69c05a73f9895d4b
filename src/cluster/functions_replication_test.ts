/**
 * Functions and scripts under Raft: FUNCTION LOAD, FCALL, SCRIPT LOAD and EVALSHA are log entries
 * every replica applies, and a replica restored from a Raft snapshot gets the libraries and the
 * script cache (the store's "functions" and "scripts" sections) instead of keeping its own.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
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

Deno.test("scripts: a replica restored from a Raft snapshot has the scripts loaded before it", () => {
  const cached = () => {
    const store = new Store();
    registerScriptingCommands(store, { cacheInSnapshots: true });
    return new AtlasStateMachine(store);
  };
  const script = "return redis.call('INCRBY', KEYS[1], ARGV[1])";
  const leader = cached();
  const sha = leader.apply(entry(1, [["SCRIPT", "LOAD", script]])).replies[0];
  assert.equal(sha.kind, "bulk");
  const restored = cached();
  restored.apply(entry(1, [["SCRIPT", "LOAD", "return 0"]])); // replaced by the snapshot's
  restored.restore({
    meta: { index: 1, term: 1, confState: { voters: [], learners: [] } },
    data: leader.snapshot(),
  });
  // The next entry applies alike on both: without the cache, NOSCRIPT on the restored one only.
  const next = entry(2, [["EVALSHA", (sha as { value: string }).value, "1", "n", "5"]]);
  assert.deepEqual(leader.apply(next).replies, [{ kind: "integer", value: 5 }]);
  assert.deepEqual(restored.apply(next).replies, [{ kind: "integer", value: 5 }]);
  assert.deepEqual(restored.store.execute(["SCRIPT", "EXISTS", sha1("return 0")], ctx).reply, {
    kind: "array",
    value: [{ kind: "integer", value: 0 }],
  });
  // FLUSHALL keeps the scripts (as Redis does); SCRIPT FLUSH empties the section.
  leader.apply(entry(3, [["FLUSHALL"], ["SCRIPT", "FLUSH"]]));
  const empty = cached();
  empty.restore({
    meta: { index: 3, term: 1, confState: { voters: [], learners: [] } },
    data: leader.snapshot(),
  });
  const after = empty.apply(
    entry(4, [["EVALSHA", (sha as { value: string }).value, "1", "n", "1"]]),
  );
  assert.equal(after.replies[0].kind, "error");
});

function sha1(body: string): string {
  return createHash("sha1").update(body).digest("hex");
}
