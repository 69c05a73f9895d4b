import assert from "node:assert/strict";
import type { RawClient } from "../testing/atlasd_harness.ts";
import { withBlockingServer } from "../testing/blocking_env.ts";
import { RecordingExecutor } from "../testing/recording_executor.ts";
import { arr, bulk, err, int, NIL, OK, push } from "../testing/resp_values.ts";

const withServer = (fn: Parameters<typeof withBlockingServer>[1]) =>
  withBlockingServer(new RecordingExecutor(), fn);

const idOf = async (c: RawClient) => String((await c.one("CLIENT", "ID") as { v: number }).v);
const invalidate = (...keys: string[]) => push(bulk("invalidate"), arr(...keys.map(bulk)));
const INVALIDATE_ALL = push(bulk("invalidate"), NIL);
/** No push arrives within a short while. */
const noPushes = async (c: RawClient) => assert.deepEqual(await c.takePushes(1, 100), []);

Deno.test("TRACKING (RESP3): a read key is invalidated once, on another client's write", async () => {
  await withServer(async ({ connect }) => {
    const c = await connect(3);
    const w = await connect();
    assert.deepEqual(await c.one("CLIENT", "TRACKING", "ON"), OK);
    assert.deepEqual(await c.one("GET", "k"), NIL);
    assert.deepEqual(await c.one("MGET", "a", "b"), arr(NIL, NIL));
    assert.deepEqual(await w.one("SET", "k", "1"), OK);
    assert.deepEqual(await c.takePushes(1), [invalidate("k")]);
    assert.deepEqual(await w.one("SET", "k", "2"), OK); // forgotten after the first
    await noPushes(c);
    assert.deepEqual(await w.one("DEL", "b"), int(0)); // not a change
    assert.deepEqual(await w.one("SET", "b", "x"), OK);
    assert.deepEqual(await c.takePushes(1), [invalidate("b")]);
    // Its own write: the invalidation follows the reply (pushes are apart in RawClient).
    assert.deepEqual(await c.one("GET", "a"), NIL);
    assert.deepEqual(await c.one("SET", "a", "1"), OK);
    assert.deepEqual(await c.takePushes(1), [invalidate("a")]);
    // Writes are not tracked; OFF stops the invalidations.
    assert.deepEqual(await c.one("GET", "k"), bulk("2"));
    assert.deepEqual(await c.one("CLIENT", "TRACKING", "OFF"), OK);
    assert.deepEqual(await w.one("SET", "k", "3"), OK);
    await noPushes(c);
  });
});

Deno.test("TRACKING REDIRECT to a RESP2 subscriber of __redis__:invalidate", async () => {
  await withServer(async ({ connect }) => {
    const sub = await connect();
    const c = await connect();
    const w = await connect();
    const subId = await idOf(sub);
    assert.deepEqual(
      await sub.one("SUBSCRIBE", "__redis__:invalidate"),
      arr(bulk("subscribe"), bulk("__redis__:invalidate"), int(1)),
    );
    assert.deepEqual(await c.one("CLIENT", "TRACKING", "ON", "REDIRECT", subId), OK);
    assert.deepEqual(await c.one("CLIENT", "GETREDIR"), int(Number(subId)));
    assert.deepEqual(await c.one("GET", "k"), NIL);
    assert.deepEqual(await w.one("SET", "k", "v"), OK);
    assert.deepEqual(
      await sub.next(),
      arr(bulk("message"), bulk("__redis__:invalidate"), arr(bulk("k"))),
    );
    // A flush: a null key list (RESP2 `$-1`).
    assert.deepEqual(await w.one("FLUSHALL"), OK);
    assert.deepEqual(await sub.next(), arr(bulk("message"), bulk("__redis__:invalidate"), NIL));
    // The redirect client goes away: the redirect is broken.
    await sub.close();
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(await c.one("GET", "k"), NIL);
    assert.deepEqual(await w.one("SET", "k", "v"), OK);
    const info = await c.one("CLIENT", "TRACKINGINFO");
    assert.deepEqual(
      info,
      arr(
        bulk("flags"),
        arr(bulk("on"), bulk("broken_redirect")),
        bulk("redirect"),
        int(Number(subId)),
        bulk("prefixes"),
        arr(),
      ),
    );
  });
});

Deno.test("TRACKING BCAST with PREFIX: every matching change, one message per prefix", async () => {
  await withServer(async ({ connect }) => {
    const c = await connect(3);
    const w = await connect();
    assert.deepEqual(
      await c.one("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "u:", "PREFIX", "w:"),
      OK,
    );
    assert.deepEqual(await w.one("MSET", "u:1", "a", "u:2", "b", "w:1", "c", "x", "d"), OK);
    assert.deepEqual(await c.takePushes(2), [invalidate("u:1", "u:2"), invalidate("w:1")]);
    assert.deepEqual(
      await c.one("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "u"),
      err(
        "ERR Prefix 'u' overlaps with an existing prefix 'u:'. Prefixes for a single client must not overlap.",
      ),
    );
    assert.deepEqual(
      await c.one("CLIENT", "TRACKING", "ON", "PREFIX", "z"),
      err("ERR PREFIX option requires BCAST mode to be enabled"),
    );
    assert.deepEqual(
      await c.one("CLIENT", "TRACKING", "ON"),
      err(
        "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.",
      ),
    );
  });
});

Deno.test("TRACKING NOLOOP skips the client's own changes", async () => {
  await withServer(async ({ connect }) => {
    const c = await connect(3);
    const w = await connect();
    assert.deepEqual(await c.one("CLIENT", "TRACKING", "ON", "NOLOOP"), OK);
    assert.deepEqual(await c.one("GET", "k"), NIL);
    assert.deepEqual(await c.one("SET", "k", "mine"), OK);
    await noPushes(c);
    // The change forgot the key (as in Redis); read again, and another client's change arrives.
    assert.deepEqual(await c.one("GET", "k"), bulk("mine"));
    assert.deepEqual(await w.one("SET", "k", "theirs"), OK);
    assert.deepEqual(await c.takePushes(1), [invalidate("k")]);
    assert.deepEqual(await c.one("CLIENT", "TRACKING", "OFF"), OK);
    assert.deepEqual(await c.one("CLIENT", "TRACKING", "ON", "BCAST", "NOLOOP"), OK);
    assert.deepEqual(await c.one("SET", "k", "again"), OK);
    await noPushes(c);
    assert.deepEqual(await w.one("SET", "k", "theirs"), OK);
    assert.deepEqual(await c.takePushes(1), [invalidate("k")]);
  });
});

Deno.test("TRACKING OPTIN tracks only reads after CLIENT CACHING yes", async () => {
  await withServer(async ({ connect }) => {
    const c = await connect(3);
    const w = await connect();
    assert.deepEqual(
      await c.one("CLIENT", "CACHING", "YES"),
      err(
        "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled",
      ),
    );
    assert.deepEqual(await c.one("CLIENT", "TRACKING", "ON", "OPTIN"), OK);
    assert.deepEqual(
      await c.one("CLIENT", "CACHING", "NO"),
      err("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode."),
    );
    assert.deepEqual(await c.one("GET", "untracked"), NIL);
    assert.deepEqual(await c.one("CLIENT", "CACHING", "YES"), OK);
    assert.deepEqual(await c.one("GET", "tracked"), NIL);
    assert.deepEqual(await c.one("GET", "once"), NIL); // CACHING lasts one command
    assert.deepEqual(await w.one("MSET", "untracked", "1", "tracked", "1", "once", "1"), OK);
    assert.deepEqual(await c.takePushes(1), [invalidate("tracked")]);
    await noPushes(c);
    assert.deepEqual(
      await c.one("CLIENT", "TRACKING", "ON", "OPTOUT"),
      err(
        "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.",
      ),
    );
    assert.deepEqual(
      await c.one("CLIENT", "TRACKING", "ON", "OPTIN", "OPTOUT"),
      err("ERR You can't specify both OPTIN mode and OPTOUT mode"),
    );
  });
});

Deno.test("FLUSHALL sends a null invalidation to every tracking client, after its own reply", async () => {
  await withServer(async ({ connect }) => {
    const c = await connect(3);
    const b = await connect(3);
    assert.deepEqual(await c.one("CLIENT", "TRACKING", "ON"), OK);
    assert.deepEqual(await b.one("CLIENT", "TRACKING", "ON", "BCAST"), OK);
    assert.deepEqual(await c.one("FLUSHALL"), OK);
    assert.deepEqual(await c.takePushes(1), [INVALIDATE_ALL]);
    assert.deepEqual(await b.takePushes(1), [INVALIDATE_ALL]);
  });
});

Deno.test("an expired key is invalidated when the server deletes it", async () => {
  await withServer(async ({ connect }) => {
    const c = await connect(3);
    const w = await connect();
    assert.deepEqual(await w.one("SET", "k", "v", "PX", "30"), OK);
    assert.deepEqual(await c.one("CLIENT", "TRACKING", "ON"), OK);
    assert.deepEqual(await c.one("GET", "k"), bulk("v"));
    await new Promise((r) => setTimeout(r, 60));
    assert.deepEqual(await w.one("GET", "k"), NIL); // the access deletes it
    assert.deepEqual(await c.takePushes(1), [invalidate("k")]);
  });
});

Deno.test("CLIENT TRACKINGINFO and GETREDIR report the mode", async () => {
  await withServer(async ({ connect }) => {
    const c = await connect();
    assert.deepEqual(await c.one("CLIENT", "GETREDIR"), int(-1));
    assert.deepEqual(
      await c.one("CLIENT", "TRACKINGINFO"),
      arr(bulk("flags"), arr(bulk("off")), bulk("redirect"), int(-1), bulk("prefixes"), arr()),
    );
    assert.deepEqual(
      await c.one("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "b", "PREFIX", "a", "NOLOOP"),
      OK,
    );
    assert.deepEqual(await c.one("CLIENT", "GETREDIR"), int(0));
    assert.deepEqual(
      await c.one("CLIENT", "TRACKINGINFO"),
      arr(
        bulk("flags"),
        arr(bulk("on"), bulk("bcast"), bulk("noloop")),
        bulk("redirect"),
        int(0),
        bulk("prefixes"),
        arr(bulk("a"), bulk("b")),
      ),
    );
  });
});
