/**
 * SHUTDOWN against a real `helios atlasd`: the process stops the way SIGTERM stops it (exit 0,
 * the AOF synced), SAVE writes a snapshot first, and everything acknowledged is there after a
 * restart. Refusals (options, inside MULTI) leave the server running.
 */
import assert from "node:assert/strict";
import { RespConnection } from "../src/storage/resp_connection.ts";
import { HeliosProcess } from "./helpers/helios_process.ts";

function startAtlasd(dataDir: string): HeliosProcess {
  return HeliosProcess.start([
    "atlasd",
    "--data-dir",
    dataDir,
    "--listen",
    "127.0.0.1:0",
    "--metrics-listen",
    "127.0.0.1:0",
    "--sync-mode",
    "every",
  ]);
}

async function connect(proc: HeliosProcess): Promise<RespConnection> {
  const port = Number((await proc.address("resp")).split(":").pop());
  return await RespConnection.open({ hostname: "127.0.0.1", port, connectTimeoutMs: 2000 });
}

Deno.test("SHUTDOWN SAVE snapshots, exits 0, and the data is back after a restart", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "helios-shutdown-" });
  let proc = startAtlasd(dataDir);
  try {
    const c = await connect(proc);
    try {
      assert.deepEqual(await c.send(["SET", "greeting", "hello"]), { kind: "simple", value: "OK" });
      assert.deepEqual(await c.send(["RPUSH", "list", "a", "b"]), { kind: "integer", value: 2 });
      assert.deepEqual(await c.send(["SHUTDOWN", "NOSAVE", "SAVE"]), {
        kind: "error",
        value: "ERR syntax error",
      });
      assert.deepEqual(await c.send(["SHUTDOWN", "ABORT"]), {
        kind: "error",
        value: "ERR No shutdown in progress.",
      });
      assert.deepEqual(await c.send(["MULTI"]), { kind: "simple", value: "OK" });
      assert.deepEqual(await c.send(["SHUTDOWN"]), {
        kind: "error",
        value: "ERR Command not allowed inside a transaction",
      });
      assert.deepEqual(await c.send(["DISCARD"]), { kind: "simple", value: "OK" });
      // Like Redis, a successful SHUTDOWN answers nothing: the connection closes.
      await assert.rejects(c.send(["SHUTDOWN", "SAVE"]));
    } finally {
      c.close();
    }
    const status = await proc.exited;
    assert.equal(status.code, 0);
    assert.ok(
      proc.lines.some((l) => l.message === "Stopped" && l.extra.reason === "SHUTDOWN command"),
    );
    const files = [...Deno.readDirSync(dataDir)].map((e) => e.name);
    assert.ok(
      files.some((name) => /^snapshot\.\d+\.snap$/.test(name)),
      `files: ${files}`,
    );
    await proc.stop();

    proc = startAtlasd(dataDir);
    const again = await connect(proc);
    try {
      assert.deepEqual(await again.send(["GET", "greeting"]), { kind: "bulk", value: "hello" });
      assert.deepEqual(await again.send(["LRANGE", "list", "0", "-1"]), {
        kind: "array",
        value: [{ kind: "bulk", value: "a" }, { kind: "bulk", value: "b" }],
      });
    } finally {
      again.close();
    }
  } finally {
    await proc.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
});
