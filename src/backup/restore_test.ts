import assert from "node:assert/strict";
import { join } from "node:path";
import { AtlasEngine, Store } from "../../atlas/mod.ts";
import { registerBackupCommand } from "./module.ts";
import { restoreToDataDir, restoreToRaftDir } from "./restore.ts";
import { stateInRaftDir } from "../cluster/testing/raft_dir.ts";

/** HELIOS.BACKUP of a store holding keys in databases 0, 4 and 11. */
function backupOfThreeDatabases(): Uint8Array {
  const store = new Store({ databases: 16 });
  registerBackupCommand(store);
  const at = (db: number) => ({ nowMs: 1_000, random: () => 0.5, db });
  store.execute(["SET", "a", "zero"], at(0));
  store.execute(["RPUSH", "l", "x", "y"], at(4));
  store.execute(["SET", "a", "eleven", "PXAT", "4102444800000"], at(11));
  const reply = store.execute(["HELIOS.BACKUP", "test"], at(0)).reply;
  assert.equal(reply.kind, "bulk");
  return Uint8Array.from(reply.value, (c) => c.charCodeAt(0));
}

Deno.test("a backup holds every database; a standalone restore puts each key back in its own", async () => {
  const bytes = backupOfThreeDatabases();
  const dir = await Deno.makeTempDir({ prefix: "helios_restore_" });
  try {
    await restoreToDataDir(bytes, join(dir, "data"));
    const engine = await AtlasEngine.open({ dataDir: join(dir, "data"), store: { databases: 16 } });
    try {
      const bulk = (value: string) => ({ kind: "bulk", value });
      assert.deepEqual(await engine.execute(["GET", "a"], 0), bulk("zero"));
      assert.deepEqual(await engine.execute(["LRANGE", "l", "0", "-1"], 4), {
        kind: "array",
        value: [bulk("x"), bulk("y")],
      });
      assert.deepEqual(await engine.execute(["GET", "a"], 11), bulk("eleven"));
      assert.equal(engine.store.expireAtMs("a", 11), 4102444800000);
      assert.deepEqual(engine.store.databaseStats().map((d) => d.index), [0, 4, 11]);
    } finally {
      await engine.close();
    }
    // A new cluster's first snapshot holds every database too.
    await restoreToRaftDir(bytes, join(dir, "raft"), ["n1"]);
    const machine = await stateInRaftDir(join(dir, "raft"));
    const ctx = (db: number) => ({ nowMs: 1_000, random: () => 0, db });
    assert.deepEqual(machine.store.execute(["GET", "a"], ctx(11)).reply, {
      kind: "bulk",
      value: "eleven",
    });
    assert.deepEqual(machine.store.databaseStats().map((d) => d.index), [0, 4, 11]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
