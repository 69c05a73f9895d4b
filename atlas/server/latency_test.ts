import assert from "node:assert/strict";
import type { Reply } from "../store/reply.ts";
import type { RespValue } from "../testing/atlasd_harness.ts";
import { withBlockingServer } from "../testing/blocking_env.ts";
import { busyExecutor } from "../testing/busy_commands.ts";
import { LatencyMonitor } from "./latency.ts";
import { histogramReply, recordLatency } from "./latency_histogram.ts";
import type { CommandEntry } from "./types.ts";

const OK: RespValue = { t: "simple", v: "OK" };
const int = (v: number): RespValue => ({ t: "integer", v });
const bulk = (v: string): RespValue => ({ t: "bulk", v });
const arr = (...v: RespValue[]): RespValue => ({ t: "array", v });

const withServer = (fn: Parameters<typeof withBlockingServer>[1]) =>
  withBlockingServer(busyExecutor(), fn);

/** `histogram_usec` of a histogramReply as [bound µs, calls at or under it] pairs. */
function points(reply: Reply): [number, number][] {
  const [calls, usec] = (reply as { value: readonly (readonly [Reply, Reply])[] }).value;
  const steps = (usec[1] as { value: readonly (readonly [Reply, Reply])[] }).value;
  const out = steps.map((
    [k, v],
  ) => [(k as { value: number }).value, (v as { value: number }).value]);
  assert.equal((calls[1] as { value: number }).value, out.at(-1)?.[1] ?? 0);
  return out as [number, number][];
}

Deno.test("latency histogram steps are Redis's: powers of two from 1 µs, cumulative", () => {
  const entry = { latencyHistogram: null } as CommandEntry;
  // 1032·2^i ns is where step i ends (Redis's HDR bucket at 1024·2^i is 8·2^i ns wide).
  for (const us of [0, 0.5, 1, 2.063, 2.064, 4.127, 4.128, 33, 1000, 5_000_000]) {
    recordLatency(entry, us);
  }
  assert.deepEqual(points(histogramReply(entry.latencyHistogram!)), [
    [1, 3], // 0, 0.5 and 1 µs
    [2, 4], // 2.063
    [4, 6], // 2.064 and 4.127
    [8, 7], // 4.128
    [33, 8], // 33 µs is under 33.024
    [1056, 9], // 1 ms
    [1082130, 10], // 5 s, clamped to Redis's 1 s maximum
  ]);
});

Deno.test("latency events keep the worst sample of each second, 160 of them, and a maximum", () => {
  const monitor = new LatencyMonitor();
  monitor.add("command", 20, 1_000_000);
  monitor.add("command", 50, 1_000_500); // same second: the worst one stays
  monitor.add("command", 10, 1_000_900);
  monitor.add("command", 30, 1_001_000);
  const series = monitor.get("command")!;
  assert.deepEqual(series.history(), [
    { timeS: 1000, latencyMs: 50 },
    { timeS: 1001, latencyMs: 30 },
  ]);
  assert.deepEqual([series.latest, series.maxMs], [{ timeS: 1001, latencyMs: 30 }, 50]);
  for (let s = 2; s < 200; s++) monitor.add("command", s, 1_000_000 + s * 1000);
  const kept = series.history();
  assert.equal(kept.length, 160);
  assert.deepEqual([kept[0].timeS, kept.at(-1)!.timeS], [1040, 1199]);
  assert.equal(series.maxMs, 199);
  monitor.add("fast-command", 5);
  assert.equal(monitor.reset(["command", "nosuch"]), 1);
  assert.equal(monitor.reset([]), 1);
  assert.deepEqual([...monitor.events()], []);
});

Deno.test("LATENCY records nothing at threshold 0, then command and fast-command events", async () => {
  await withServer(async ({ connect }) => {
    const c = await connect();
    await c.one("TEST.BUSY", "30");
    assert.deepEqual(await c.one("LATENCY", "LATEST"), arr());
    assert.deepEqual(await c.one("LATENCY", "HISTORY", "command"), arr());
    assert.deepEqual(await c.one("LATENCY", "GRAPH", "command"), {
      t: "error",
      v: "ERR No samples available for event 'command'",
    });
    assert.match((await c.one("LATENCY", "DOCTOR") as { v: string }).v, /monitor is off/);

    assert.deepEqual(await c.one("CONFIG", "SET", "latency-monitor-threshold", "20"), OK);
    await c.call(["TEST.BUSY", "30"], ["TEST.BUSY", "1"], ["TEST.BUSYFAST", "25"]);
    const latest = (await c.one("LATENCY", "LATEST")) as { v: { v: RespValue[] }[] };
    const rows = latest.v.map((row) => row.v);
    assert.deepEqual(
      rows.map((r) => r[0]).sort((a, b) =>
        (a as { v: string }).v < (b as { v: string }).v ? -1 : 1
      ),
      [
        bulk("command"),
        bulk("fast-command"),
      ],
    );
    const nowS = Date.now() / 1000;
    for (const [, time, last, max] of rows) {
      assert.ok(Math.abs((time as { v: number }).v - nowS) < 60);
      assert.ok(
        (last as { v: number }).v >= 20 && (last as { v: number }).v === (max as { v: number }).v,
      );
    }
    const history = (await c.one("LATENCY", "HISTORY", "command")) as { v: { v: RespValue[] }[] };
    assert.equal(history.v.length, 1);
    assert.ok((history.v[0].v[1] as { v: number }).v >= 30);
    assert.equal((await c.one("LATENCY", "GRAPH", "command")).t, "bulk");
    assert.match(
      (await c.one("LATENCY", "DOCTOR") as { v: string }).v,
      /^Commands taking 20 ms or more were recorded[^]*\n1\. (fast-)?command: /,
    );
    assert.deepEqual(await c.one("LATENCY", "RESET", "command", "nosuch"), int(1));
    assert.deepEqual(await c.one("LATENCY", "RESET"), int(1));
    assert.deepEqual(await c.one("LATENCY", "LATEST"), arr());
  });
});

Deno.test("LATENCY HISTOGRAM reports per-command calls, RESP2 flat and RESP3 maps", async () => {
  await withServer(async ({ connect }) => {
    const c2 = await connect(2);
    const c3 = await connect(3);
    await c2.one("CONFIG", "RESETSTAT"); // also forgets the histograms, as in Redis
    await c2.call(["SET", "a", "1"], ["SET", "a", "2"], ["GET", "a"]);
    const flat = await c2.one("LATENCY", "HISTOGRAM", "set", "nosuch", "lpush");
    assert.equal(flat.t, "array");
    const [name, body] = (flat as { v: RespValue[] }).v;
    assert.deepEqual(name, bulk("set"));
    const [callsKey, calls, usecKey, usec] = (body as { v: RespValue[] }).v;
    assert.deepEqual([callsKey, calls, usecKey, usec.t], [
      bulk("calls"),
      int(2),
      bulk("histogram_usec"),
      "array",
    ]);
    assert.deepEqual((usec as { v: RespValue[] }).v.at(-1), int(2)); // cumulative: ends at calls

    const maps = await c3.one("LATENCY", "HISTOGRAM", "get");
    assert.equal(maps.t, "map");
    const [[getName, getBody]] = (maps as { v: [RespValue, RespValue][] }).v;
    assert.deepEqual(getName, bulk("get"));
    assert.equal(getBody.t, "map");
    const everything = (await c3.one("LATENCY", "HISTOGRAM")) as { v: [RespValue, RespValue][] };
    const names = everything.v.map(([k]) => (k as { v: string }).v);
    for (const n of ["set", "get", "config|resetstat", "latency|histogram"]) {
      assert.ok(names.includes(n), n);
    }
    assert.ok(!names.includes("hello"), "HELLO ran before CONFIG RESETSTAT");

    await c2.one("CONFIG", "SET", "latency-tracking", "no");
    await c2.one("GET", "a");
    const getCalls = async () => {
      const r = (await c2.one("LATENCY", "HISTOGRAM", "get")) as { v: RespValue[] };
      return (r.v[1] as { v: RespValue[] }).v[1];
    };
    assert.deepEqual(await getCalls(), int(1));
  });
});

Deno.test("latency settings: CONFIG GET/SET with Redis's checks", async () => {
  await withServer(async ({ connect }) => {
    const c = await connect();
    const get = async (pattern: string) => {
      const r = (await c.one("CONFIG", "GET", pattern)) as { v: { v: string }[] };
      return r.v.map((x) => x.v);
    };
    assert.deepEqual(await get("latency-*"), [
      "latency-monitor-threshold",
      "0",
      "latency-tracking",
      "yes",
      "latency-tracking-info-percentiles",
      "50 99 99.9",
    ]);
    const failed = (name: string, why: string): RespValue => ({
      t: "error",
      v: `ERR CONFIG SET failed (possibly related to argument '${name}') - ${why}`,
    });
    assert.deepEqual(
      await c.one("CONFIG", "SET", "latency-monitor-threshold", "-1"),
      failed(
        "latency-monitor-threshold",
        "argument must be between 0 and 9223372036854775807 inclusive",
      ),
    );
    assert.deepEqual(
      await c.one("CONFIG", "SET", "latency-tracking", "maybe"),
      failed("latency-tracking", "argument must be 'yes' or 'no'"),
    );
    assert.deepEqual(
      await c.one("CONFIG", "SET", "latency-tracking-info-percentiles", "50 x"),
      failed(
        "latency-tracking-info-percentiles",
        "Invalid latency-tracking-info-percentiles parameters",
      ),
    );
    assert.deepEqual(
      await c.one("CONFIG", "SET", "latency-tracking-info-percentiles", "50 99.5"),
      OK,
    );
    assert.deepEqual(await c.one("CONFIG", "SET", "latency-monitor-threshold", "100"), OK);
    assert.deepEqual(await get("latency-*"), [
      "latency-monitor-threshold",
      "100",
      "latency-tracking",
      "yes",
      "latency-tracking-info-percentiles",
      "50 99.5",
    ]);
  });
});

Deno.test("with the slow log and the monitor off, histograms use dispatch's sampled timings", async () => {
  await withServer(async ({ connect }) => {
    const c = await connect();
    await c.one("CONFIG", "SET", "slowlog-log-slower-than", "-1");
    // The first 1024 calls of a command are all timed, then 1 in 64 stands for 64 calls.
    const gets = Array.from({ length: 1100 }, () => ["GET", "k"]);
    for (let i = 0; i < gets.length; i += 100) await c.call(...gets.slice(i, i + 100));
    const reply = (await c.one("LATENCY", "HISTOGRAM", "get")) as { v: RespValue[] };
    const body = (reply.v[1] as { v: RespValue[] }).v;
    assert.deepEqual(body[1], int(1024 + 2 * 64)); // calls 1024 and 1088 were sampled
    assert.deepEqual(await c.one("SLOWLOG", "LEN"), int(0));
  });
});

Deno.test("latency events from outside the server (the engine's expire-cycle) obey the threshold", async () => {
  await withServer(async ({ server, connect }) => {
    const c = await connect();
    server.latencyEvent("expire-cycle", 30); // the monitor is off (threshold 0): nothing kept
    assert.deepEqual(await c.one("LATENCY", "LATEST"), arr());
    assert.deepEqual(await c.one("CONFIG", "SET", "latency-monitor-threshold", "20"), OK);
    server.latencyEvent("expire-cycle", 19.9); // under the threshold
    server.latencyEvent("aof-fsync-always", 25.7);
    const latest = (await c.one("LATENCY", "LATEST")) as { v: { v: RespValue[] }[] };
    assert.deepEqual(latest.v.map((e) => [e.v[0], e.v[2], e.v[3]]), [
      [bulk("aof-fsync-always"), int(25), int(25)],
    ]);
  });
});
