/**
 * XREAD BLOCK on an in-process server: served at once, woken by another client's XADD (RESP2 and
 * RESP3 shapes as redis-server 7.0 answers), `$` fixed at call time, waiters with different IDs,
 * timeout, MULTI, and a replicated-style (async) executor. No timing assertions.
 */
import assert from "node:assert/strict";
import type { RespValue } from "../testing/atlasd_harness.ts";
import { type BlockingEnv, withBlockingServer } from "../testing/blocking_env.ts";
import { RecordingExecutor } from "../testing/recording_executor.ts";

function withServer(fn: (env: BlockingEnv) => Promise<void>, async = false): Promise<void> {
  return withBlockingServer(new RecordingExecutor(async, () => 1000), fn);
}

const b = (v: string): RespValue => ({ t: "bulk", v });
const arr = (...v: RespValue[]): RespValue => ({ t: "array", v });
const entry = (id: string, ...fv: string[]) => arr(b(id), arr(...fv.map(b)));
const NIL_ARRAY_2: RespValue = { t: "nil" };

for (const async of [false, true]) {
  const mode = async ? "async executor" : "sync executor";

  Deno.test(`XREAD BLOCK: served at once, or woken by another client's XADD (${mode})`, async () => {
    await withServer(async ({ connect, blocked, executor }) => {
      const a = await connect(2);
      const c = await connect(3);
      const w = await connect(2);
      await w.one("XADD", "s", "1-1", "f", "v");
      assert.deepEqual(
        await a.one("XREAD", "BLOCK", "0", "STREAMS", "s", "0"),
        arr(arr(b("s"), arr(entry("1-1", "f", "v")))),
      );
      // `$` is the last ID when the call is made: only later entries wake the waiters.
      const two = a.one("XREAD", "COUNT", "1", "BLOCK", "0", "STREAMS", "nokey", "s", "$", "$");
      await blocked(1);
      const three = c.one("XREAD", "BLOCK", "0", "STREAMS", "s", "$");
      await blocked(2);
      await w.one("XADD", "s", "2-1", "f", "w");
      assert.deepEqual(await two, arr(arr(b("s"), arr(entry("2-1", "f", "w")))));
      assert.deepEqual(await three, { t: "map", v: [[b("s"), arr(entry("2-1", "f", "w"))]] });
      // The waiters were served by plain reads with `$` fixed to the ID seen when they blocked.
      assert.ok(executor.ran.some((x) => x.join(" ") === "XREAD COUNT 1 STREAMS s 1-1"));
    }, async);
  });
}

Deno.test("XREAD BLOCK: waiters with different IDs on one key are each served when they can", async () => {
  await withServer(async ({ connect, blocked }) => {
    const a = await connect(2);
    const c = await connect(2);
    const w = await connect(2);
    await w.one("XADD", "s", "5-0", "f", "v");
    const far = a.one("XREAD", "BLOCK", "0", "STREAMS", "s", "100-0");
    await blocked(1);
    const near = c.one("XREAD", "BLOCK", "0", "STREAMS", "s", "$");
    await blocked(2);
    await w.one("XADD", "s", "6-0", "f", "x");
    assert.deepEqual(await near, arr(arr(b("s"), arr(entry("6-0", "f", "x")))));
    await blocked(1);
    await w.one("XADD", "s", "100-1", "f", "y");
    assert.deepEqual(await far, arr(arr(b("s"), arr(entry("100-1", "f", "y")))));
  });
});

Deno.test("XREAD BLOCK: timeout, errors, and MULTI never blocks", async () => {
  await withServer(async ({ connect }) => {
    const a = await connect(2);
    await a.one("SET", "str", "v");
    assert.deepEqual(await a.one("XREAD", "BLOCK", "1", "STREAMS", "s", "$"), NIL_ARRAY_2);
    assert.deepEqual(await a.one("XREAD", "BLOCK", "x", "STREAMS", "s", "$"), {
      t: "error",
      v: "ERR timeout is not an integer or out of range",
    });
    assert.deepEqual(await a.one("XREAD", "BLOCK", "-1", "STREAMS", "s", "$"), {
      t: "error",
      v: "ERR timeout is negative",
    });
    assert.deepEqual(await a.one("XREAD", "BLOCK", "0", "STREAMS", "str", "$"), {
      t: "error",
      v: "WRONGTYPE Operation against a key holding the wrong kind of value",
    });
    assert.deepEqual(
      await a.call(["MULTI"], ["XREAD", "BLOCK", "0", "STREAMS", "s", "$"], ["EXEC"]),
      [{ t: "simple", v: "OK" }, { t: "simple", v: "QUEUED" }, arr(NIL_ARRAY_2)],
    );
  });
});

Deno.test("XREADGROUP BLOCK: woken by XADD, delivers once, served by the plain form", async () => {
  await withServer(async ({ connect, blocked, executor }) => {
    const a = await connect(2);
    const c = await connect(3);
    const w = await connect(2);
    await w.one("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM");
    const first = a.one("XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "s", ">");
    await blocked(1);
    const second = c.one("XREADGROUP", "GROUP", "g", "bob", "BLOCK", "0", "STREAMS", "s", ">");
    await blocked(2);
    await w.one("XADD", "s", "1-1", "f", "v");
    // First come first served; the group hands the entry out once, so bob keeps waiting.
    assert.deepEqual(await first, arr(arr(b("s"), arr(entry("1-1", "f", "v")))));
    await blocked(1);
    await w.one("XADD", "s", "2-1", "f", "w");
    assert.deepEqual(await second, { t: "map", v: [[b("s"), arr(entry("2-1", "f", "w"))]] });
    assert.deepEqual(
      await w.one("XPENDING", "s", "g"),
      arr(
        { t: "integer", v: 2 },
        b("1-1"),
        b("2-1"),
        arr(arr(b("alice"), b("1")), arr(b("bob"), b("1"))),
      ),
    );
    // History reads never block.
    assert.deepEqual(
      await a.one("XREADGROUP", "GROUP", "g", "carol", "BLOCK", "0", "STREAMS", "s", "0"),
      arr(arr(b("s"), arr())),
    );
    const served = executor.ran.filter((x) => x[0] === "XREADGROUP" && !x.includes("BLOCK"));
    assert.ok(served.some((x) => x.join(" ") === "XREADGROUP GROUP g alice COUNT 0 STREAMS s >"));
  });
});

Deno.test("XREADGROUP BLOCK: a destroyed group or a deleted key ends the wait as in Redis", async () => {
  for (const async of [false, true]) {
    await withServer(async ({ connect, blocked }) => {
      const a = await connect(2);
      const w = await connect(2);
      await w.one("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM");
      const gone = a.one("XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">");
      await blocked(1);
      await w.one("XGROUP", "DESTROY", "s", "g");
      assert.deepEqual(await gone, {
        t: "error",
        v: "NOGROUP the consumer group this client was blocked on no longer exists",
      });
      await w.one("XGROUP", "CREATE", "s", "g", "$");
      const deleted = a.one("XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">");
      await blocked(1);
      await w.one("SET", "s", "now a string");
      assert.deepEqual(await deleted, {
        t: "error",
        v: "UNBLOCKED the stream key no longer exists",
      });
    }, async);
  }
});

Deno.test("XREAD / XREADGROUP BLOCK: XADD MAXLEN 0 serves an empty list (Redis serves on the last ID)", async () => {
  for (const async of [false, true]) {
    await withServer(async ({ connect, blocked }) => {
      const a = await connect(2);
      const c = await connect(3);
      const w = await connect(2);
      await w.one("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM");
      const read = a.one("XREAD", "BLOCK", "0", "STREAMS", "s", "$");
      await blocked(1);
      const group = c.one("XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "s", ">");
      await blocked(2);
      await w.one("XADD", "s", "MAXLEN", "0", "1-1", "f", "v");
      assert.deepEqual(await read, arr(arr(b("s"), arr())));
      assert.deepEqual(await group, { t: "map", v: [[b("s"), arr()]] });
      // Served, the consumer exists (as XREADGROUP's delivery would have made it).
      const consumers = await w.one("XINFO", "CONSUMERS", "s", "g");
      assert.equal(consumers.t === "array" ? consumers.v.length : -1, 1);
    }, async);
  }
});

Deno.test("XREADGROUP BLOCK: XGROUP SETID and other changes that do not signal the key wake nobody", async () => {
  for (const async of [false, true]) {
    await withServer(async ({ connect, blocked }) => {
      const a = await connect(2);
      const w = await connect(2);
      await w.one("XADD", "s", "1-1", "f", "v");
      await w.one("XGROUP", "CREATE", "s", "g", "$");
      const got = a.one("XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">");
      await blocked(1);
      await w.one("XGROUP", "SETID", "s", "g", "0");
      await w.one("XGROUP", "CREATE", "s", "h", "0");
      await w.one("XSETID", "s", "5-0");
      await w.one("PING"); // the server has served what it would by now
      await blocked(1);
      // The next signal (XADD) serves everything after the group's new last ID.
      await w.one("XADD", "s", "6-0", "f", "w");
      assert.deepEqual(
        await got,
        arr(arr(b("s"), arr(entry("1-1", "f", "v"), entry("6-0", "f", "w")))),
      );
    }, async);
  }
});

Deno.test("XREAD BLOCK: XGROUP DESTROY signals the key: a reader below the last ID gets nothing", async () => {
  await withServer(async ({ connect, blocked }) => {
    const a = await connect(2);
    const w = await connect(2);
    await w.one("XADD", "s", "1-1", "f", "v");
    await w.one("XADD", "s", "2-1", "f", "v");
    await w.one("XDEL", "s", "2-1");
    await w.one("XGROUP", "CREATE", "s", "g", "0");
    const got = a.one("XREAD", "BLOCK", "0", "STREAMS", "s", "1-1");
    await blocked(1);
    await w.one("XDEL", "s", "1-1");
    await blocked(1);
    await w.one("XGROUP", "DESTROY", "s", "g");
    assert.deepEqual(await got, arr(arr(b("s"), arr())));
  });
});
