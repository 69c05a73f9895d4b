import assert from "node:assert/strict";
import { ManualClock } from "../lib/clock.ts";
import { createPrng } from "../lib/prng.ts";
import { validateRoutes } from "./config.ts";
import { Upstream } from "./upstream.ts";

function upstreamOf(targets: number, extra: Record<string, unknown> = {}) {
  const file = validateRoutes({
    upstreams: {
      app: {
        balancer: "round_robin",
        targets: Array.from(
          { length: targets },
          (_, i) => ({ url: `http://127.0.0.1:${9000 + i}` }),
        ),
        ...extra,
      },
    },
    routes: [],
  }, "test");
  const clock = new ManualClock(0);
  const ejected: string[] = [];
  const upstream = new Upstream(
    "app",
    file.upstreams.app,
    { failureThreshold: 100, cooldownMs: 1000 },
    clock,
    { onBreakerChange() {}, onEjected: (t) => ejected.push(t.id) },
    createPrng(1),
  );
  return { upstream, clock, ejected };
}

function fail(upstream: Upstream, index: number, times: number) {
  for (let i = 0; i < times; i++) {
    const lease = upstream.pick(upstream.targets.filter((_, j) => j !== index), undefined);
    assert.ok(lease !== null && lease !== "busy");
    upstream.release(lease, false);
  }
}

Deno.test("upstream ejects at most max_ejection_percent of its targets", () => {
  const { upstream, ejected } = upstreamOf(4, {
    outlier_detection: {
      consecutive_failures: 2,
      max_ejection_percent: 50,
      panic_threshold_percent: 0,
    },
  });
  for (let i = 0; i < 4; i++) fail(upstream, i, 2);
  assert.equal(ejected.length, 2, "only half the pool may be ejected");
});

Deno.test("upstream in panic mode balances across unhealthy targets", () => {
  const { upstream } = upstreamOf(3, { outlier_detection: { panic_threshold_percent: 50 } });
  upstream.targets[0].health.healthy = false;
  assert.equal(upstream.inPanic(), false);
  const picked = new Set<number>();
  for (let i = 0; i < 6; i++) {
    const lease = upstream.pick(null, undefined);
    assert.ok(lease !== null && lease !== "busy");
    picked.add(upstream.targets.indexOf(lease.target));
    upstream.release(lease, true);
  }
  assert.deepEqual(picked, new Set([1, 2]), "no traffic to the unhealthy one");
  upstream.targets[1].health.healthy = false;
  assert.equal(upstream.inPanic(), true, "one of three healthy is below 50%");
  picked.clear();
  for (let i = 0; i < 6; i++) {
    const lease = upstream.pick(null, undefined);
    assert.ok(lease !== null && lease !== "busy");
    picked.add(upstream.targets.indexOf(lease.target));
    upstream.release(lease, true);
  }
  assert.deepEqual(picked, new Set([0, 1, 2]));
});

Deno.test("upstream concurrency caps report busy and wake a waiter on release", async () => {
  const { upstream } = upstreamOf(1, { limits: { max_requests: 1, max_pending: 1 } });
  const first = upstream.pick(null, undefined);
  assert.ok(first !== null && first !== "busy");
  assert.equal(upstream.pick(null, undefined), "busy");
  const waiting = upstream.waitForSlot();
  assert.equal(await upstream.waitForSlot(), false, "the pending queue holds one");
  upstream.release(first, true);
  assert.equal(await waiting, true);
  const second = upstream.pick(null, undefined);
  assert.ok(second !== null && second !== "busy");
  upstream.release(second, true);
});
