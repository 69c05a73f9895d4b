import assert from "node:assert/strict";
import { join } from "node:path";
import { AtlasEngine } from "../../atlas/mod.ts";
import { RecordingLogger } from "../../atlas/testing/manual_timers.ts";
import { foundFromStandaloneData, StandaloneDataError } from "./seed.ts";

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

Deno.test("a standalone data set with keys outside database 0 is not carried into a cluster", async () => {
  const dir = await standaloneDir([[0, ["SET", "a", "1"]], [3, ["SET", "b", "2"]]]);
  try {
    await assert.rejects(
      found(dir),
      (e: Error) =>
        e instanceof StandaloneDataError && /database 3 \(1 keys\)/.test(e.message) &&
        /serves database 0 alone/.test(e.message),
    );
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
