import assert from "node:assert/strict";
import { AtlasEngine, registerScriptingCommands } from "../../atlas/mod.ts";
import { SimDisk } from "../../atlas/aof/sim_disk.ts";
import { UnavailableError } from "../errors/app_error.ts";
import { EmbeddedAtlasClient } from "./embedded_client.ts";

Deno.test("embedded client: 503 atlas_busy while a RESP client's script is busy, then served", async () => {
  const engine = await AtlasEngine.open({
    dataDir: "/data",
    disk: new SimDisk(),
    extend: (store) => registerScriptingCommands(store, { instructionsMax: 0 }),
  });
  const client = new EmbeddedAtlasClient(engine);
  try {
    engine.setBusyReplyThreshold(1);
    // As atlasd runs a client's EVAL: interruptible, so it pauses past the threshold.
    const script = engine.execute(["EVAL", "while true do end", "0"], 0, true);
    assert.ok(script instanceof Promise);
    for (const attempt of [client.call("SET", "k", "v"), client.transaction([["GET", "k"]])]) {
      await assert.rejects(attempt, (e) => {
        assert.ok(e instanceof UnavailableError);
        assert.equal(e.status, 503);
        assert.equal(e.code, "atlas_busy");
        return true;
      });
    }
    engine.busyScript!.kill();
    assert.match((await script as { value: string }).value, /Script killed by user/);
    assert.equal(await client.call("SET", "k", "v"), "OK");
    // A script's own error reply that merely reads "BUSY" is a value, not an outage.
    assert.deepEqual(
      await client.call("EVAL", "return redis.error_reply('BUSY mine')", "0"),
      { error: "BUSY mine" },
    );
  } finally {
    await engine.close();
  }
});
