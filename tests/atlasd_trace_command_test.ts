/**
 * HELIOS.TRACE <traceparent> <command...> on a real `helios atlasd`: the command runs as if sent
 * alone (the gateway's RESP hop carries its trace this way), a script in it included — one that
 * runs past busy-reply-threshold pauses like any client's: the others get BUSY, SCRIPT KILL ends it.
 */
import assert from "node:assert/strict";
import { RawClient, startAtlasd } from "../atlas/testing/atlasd_harness.ts";

const TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

Deno.test("HELIOS.TRACE runs the command it wraps; a long script in it can be killed", async () => {
  const atlasd = await startAtlasd(["--sync-mode", "none"]);
  const traced = await RawClient.connect(atlasd.port);
  const other = await RawClient.connect(atlasd.port);
  try {
    assert.deepEqual(await traced.one("HELIOS.TRACE", TRACEPARENT, "SET", "k", "v"), {
      t: "simple",
      v: "OK",
    });
    assert.deepEqual(await other.one("GET", "k"), { t: "bulk", v: "v" });
    await other.one("CONFIG", "SET", "busy-reply-threshold", "10");
    const looping = traced.one("HELIOS.TRACE", TRACEPARENT, "EVAL", "while true do end", "0");
    let busy = "";
    for (let i = 0; i < 200 && !busy.startsWith("BUSY"); i++) {
      const reply = await other.one("PING");
      busy = reply.t === "error" ? reply.v : "";
      if (!busy.startsWith("BUSY")) await new Promise((resolve) => setTimeout(resolve, 25));
    }
    assert.match(busy, /^BUSY Redis is busy running a script/);
    assert.deepEqual(await other.one("SCRIPT", "KILL"), { t: "simple", v: "OK" });
    const killed = await looping;
    assert.equal(killed.t, "error");
    assert.match((killed as { v: string }).v, /Script killed by user with SCRIPT KILL/);
    assert.deepEqual(await other.one("PING"), { t: "simple", v: "PONG" });
  } finally {
    await traced.close();
    await other.close();
    await atlasd.stop();
  }
});
