import assert from "node:assert/strict";
import type { CommandExecutor } from "../executor.ts";
import { startAtlasServer } from "../server.ts";
import { registerScriptingCommands } from "../scripting/mod.ts";
import { Store } from "../store/store.ts";
import { RawClient } from "../testing/atlasd_harness.ts";

/** COMMAND GETKEYS lines and what redis-server 7.0.15 answers for them (reference values). */
const CASES: [string[], string[] | string][] = [
  [["SET", "a", "b"], ["a"]],
  [["MSET", "a", "1", "b", "2"], ["a", "b"]],
  [["BLPOP", "a", "b", "0"], ["a", "b"]],
  [["SORT", "l", "LIMIT", "0", "1", "BY", "x", "GET", "#", "STORE", "d"], ["l", "d"]],
  [["SORT", "l", "store", "d", "STORE", "e"], ["l", "e"]],
  [["SORT_RO", "l", "STORE", "d"], ["l"]],
  [["ZUNIONSTORE", "d", "2", "a", "b"], ["d", "a", "b"]],
  [["ZUNIONSTORE", "d", "x", "a", "b"], "ERR Invalid arguments specified for command"],
  [["ZUNIONSTORE", "d", "5", "a"], "ERR Invalid arguments specified for command"],
  [["ZUNIONSTORE", "d", "0"], "ERR Invalid number of arguments specified for command"],
  [["LMPOP", "2", "a", "b", "LEFT"], ["a", "b"]],
  [["LMPOP", "0", "a", "LEFT"], "ERR Invalid arguments specified for command"],
  [["BLMPOP", "0", "2", "a", "b", "LEFT"], ["a", "b"]],
  [["BZMPOP", "0", "2", "a", "b", "MIN"], ["a", "b"]],
  [["ZINTER", "2", "a", "b"], ["a", "b"]],
  [["SINTERCARD", "1", "a", "LIMIT", "2"], ["a"]],
  [["PING", "x"], "ERR The command has no key arguments"],
  [["SET", "a"], "ERR Invalid number of arguments specified for command"],
  [["EVAL", "return 1", "2", "a", "b", "c"], ["a", "b"]],
  [["EVAL", "return 1", "0"], []],
  [["EVAL", "return 1", "5", "a"], []],
  [["EVALSHA_RO", "x", "1", "a"], ["a"]],
];

Deno.test("COMMAND GETKEYS finds fixed and movable keys as Redis does", async () => {
  const store = new Store();
  registerScriptingCommands(store);
  const executor: CommandExecutor = {
    execute: (argv) => store.execute(argv, { nowMs: Date.now(), random: Math.random }).reply,
    sync: () => Promise.resolve(),
  };
  const server = startAtlasServer({ executor, store, port: 0 });
  const client = await RawClient.connect(server.addr.port);
  try {
    for (const [line, expected] of CASES) {
      const reply = await client.one("COMMAND", "GETKEYS", ...line);
      const want = typeof expected === "string"
        ? { t: "error", v: expected }
        : { t: "array", v: expected.map((key) => ({ t: "bulk", v: key })) };
      assert.deepEqual(reply, want, line.join(" "));
    }
  } finally {
    await client.close();
    await server.close();
  }
});
