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

Deno.test({
  name: "data dir lock: a lock held by a zombie (killed, never reaped) is taken over",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "atlas_lock_" });
    // `sleep 0.2 &` becomes a child of the exec'd `sleep 30`, which never waits for it: a zombie
    // once it exits. (`sleep 0` could exit before the exec, and sh then reaped it: no zombie.)
    const parent = new Deno.Command("sh", {
      args: ["-c", "sleep 0.2 & echo $!; exec sleep 30"],
      stdout: "piped",
    }).spawn();
    try {
      const reader = parent.stdout.getReader();
      const { value } = await reader.read();
      reader.releaseLock();
      const zombie = Number(new TextDecoder().decode(value).trim());
      let state = "";
      for (let i = 0; i < 300 && state !== "Z"; i++) {
        const stat = await Deno.readTextFile(`/proc/${zombie}/stat`);
        state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
        if (state !== "Z") await new Promise((r) => setTimeout(r, 10));
      }
      assert.equal(state, "Z");
      await Deno.writeTextFile(join(dir, LOCK_NAME), `${zombie}\n`);
      const engine = await AtlasEngine.open({ dataDir: dir, ...OPTIONS });
      assert.equal((await Deno.readTextFile(join(dir, LOCK_NAME))).trim(), String(Deno.pid));
      await engine.close();
    } finally {
      parent.kill("SIGKILL");
      await parent.status;
      await parent.stdout.cancel().catch(() => {});
      await Deno.remove(dir, { recursive: true });
    }
  },
});
