import assert from "node:assert/strict";
import { join } from "node:path";
import { AtlasEngine } from "../engine.ts";
import { DataDirLockedError, LOCK_NAME } from "./lock.ts";

const OPTIONS = { activeExpireHz: 0, snapshotIntervalMs: 0 };

Deno.test("data dir lock: a second engine on the same directory is refused until the first closes", async () => {
  const dir = await Deno.makeTempDir({ prefix: "atlas_lock_" });
  try {
    const first = await AtlasEngine.open({ dataDir: dir, ...OPTIONS });
    await assert.rejects(AtlasEngine.open({ dataDir: dir, ...OPTIONS }), (error: unknown) => {
      assert.ok(error instanceof DataDirLockedError);
      assert.equal(error.pid, Deno.pid);
      assert.match(error.message, /is in use by process/);
      return true;
    });
    await first.close();
    const second = await AtlasEngine.open({ dataDir: dir, ...OPTIONS });
    await second.close();
    await assert.rejects(Deno.stat(join(dir, LOCK_NAME)), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("data dir lock: a stale lock (dead owner, or ours from a previous boot) is taken over", async () => {
  const dir = await Deno.makeTempDir({ prefix: "atlas_lock_" });
  try {
    const child = new Deno.Command(Deno.execPath(), { args: ["eval", "0"] }).spawn();
    const deadPid = child.pid;
    await child.status;
    for (const pid of [deadPid, Deno.pid]) {
      await Deno.writeTextFile(join(dir, LOCK_NAME), `${pid}\n`);
      const engine = await AtlasEngine.open({ dataDir: dir, ...OPTIONS });
      assert.equal((await Deno.readTextFile(join(dir, LOCK_NAME))).trim(), String(Deno.pid));
      await engine.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
