import assert from "node:assert/strict";
import { join } from "node:path";
import { AtlasEngine } from "../../atlas/mod.ts";
import { stateInRaftDir } from "./testing/raft_dir.ts";
import { RecordingLogger } from "../../atlas/testing/manual_timers.ts";
import { foundFromStandaloneData } from "./seed.ts";

/** A standalone data directory holding `writes` (database, argv), made by a real engine. */
async function standaloneDir(writes: [number, string[]][]): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "helios_seed_" });
  const engine = await AtlasEngine.open({
    dataDir: join(dir, "data"),
    fsync: "every",
    store: { databases: 16 },
  });
  for (const [db, argv] of writes) await engine.execute(argv, db);
  await engine.sync();
  await engine.close();
  return dir;
}

function found(dir: string) {
  return foundFromStandaloneData({
    dataDir: join(dir, "data"),
    raftDir: join(dir, "raft"),
    nodeId: "n1",
    peerIds: [],
    extend: () => {},
    aofLoadTruncated: true,
    databases: 16,
    logger: new RecordingLogger(),
  });
}

Deno.test("a standalone data set is carried into a one-node cluster with every database", async () => {
  const dir = await standaloneDir([
    [0, ["SET", "a", "1"]],
    [3, ["SET", "b", "2", "PXAT", "4102444800000"]],
    [15, ["RPUSH", "l", "x", "y"]],
  ]);
  try {
    assert.equal(await found(dir), 3);
    const machine = await stateInRaftDir(join(dir, "raft"));
    const ctx = (db: number) => ({ nowMs: 1_000, random: () => 0, db });
    const bulk = (value: string) => ({ kind: "bulk", value });
    assert.deepEqual(machine.store.execute(["GET", "a"], ctx(0)).reply, bulk("1"));
    assert.deepEqual(machine.store.execute(["GET", "b"], ctx(3)).reply, bulk("2"));
    assert.equal(machine.store.expireAtMs("b", 3), 4102444800000);
    assert.deepEqual(machine.store.execute(["LRANGE", "l", "0", "-1"], ctx(15)).reply, {
      kind: "array",
      value: [bulk("x"), bulk("y")],
    });
    assert.deepEqual(machine.store.databaseStats().map((d) => d.index), [0, 3, 15]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a standalone data set in database 0 is carried into a one-node cluster", async () => {
  const dir = await standaloneDir([[0, ["SET", "a", "1"]], [0, ["SET", "b", "2"]]]);
  try {
    assert.equal(await found(dir), 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
