/**
 * Fault tests with real upstream processes on loopback: killed, slow, 5xx bursts and refused
 * connections fail over; outlier ejection and re-admission; circuit breaker transitions; a POST
 * is never retried once its body was sent.
 */
import assert from "node:assert/strict";
import {
  eventually,
  get,
  pool,
  sleep,
  startProxy,
  startUpstream,
  targetStatus,
} from "./proxy_harness.ts";
import { freePort } from "./helpers/fault_proxy.ts";

const noActiveChecks = { health_check: { enabled: false } };

Deno.test("proxy faults: a killed target fails over, is ejected, and is re-admitted", async () => {
  const a = await startUpstream("A");
  const b = await startUpstream("B");
  const proxy = startProxy(pool([a.url, b.url], {
    balancer: "round_robin",
    ...noActiveChecks,
    outlier_detection: { consecutive_failures: 2, base_ejection_time: "400ms" },
  }));
  let a2: Awaited<ReturnType<typeof startUpstream>> | null = null;
  try {
    assert.deepEqual(
      new Set([(await get(proxy.url)).text, (await get(proxy.url)).text]),
      new Set(["A", "B"]),
    );
    await a.kill();
    for (let i = 0; i < 10; i++) {
      const response = await get(proxy.url);
      assert.equal(response.status, 200);
      assert.equal(response.text, "B");
    }
    assert.equal(targetStatus(proxy.proxy, a.url).ejected, true);
    assert.match(
      await proxy.metrics.text(),
      /proxy_ejections_total\{upstream="app",target="http:\/\/127\.0\.0\.1:\d+"\} [1-9]/,
    );
    a2 = await startUpstream("A", a.port);
    await eventually(async () => (await get(proxy.url)).text === "A");
    assert.equal(targetStatus(proxy.proxy, a.url).ejected, false);
  } finally {
    await proxy.close();
    await a.kill();
    await a2?.kill();
    await b.kill();
  }
});

Deno.test("proxy faults: a target refusing connections is skipped without errors", async () => {
  const b = await startUpstream("B");
  const closed = `http://127.0.0.1:${freePort()}`;
  const proxy = startProxy(pool([closed, b.url], { balancer: "round_robin", ...noActiveChecks }));
  try {
    for (let i = 0; i < 8; i++) {
      const response = await get(proxy.url);
      assert.equal(response.status, 200);
      assert.equal(response.text, "B");
    }
    const lonely = startProxy(pool([closed], noActiveChecks));
    const response = await fetch(lonely.url);
    assert.equal(response.status, 502);
    assert.equal(response.headers.get("content-type"), "application/problem+json");
    assert.equal((await response.json()).code, "upstream_failed");
    await lonely.close();
  } finally {
    await proxy.close();
    await b.kill();
  }
});

Deno.test("proxy faults: a slow target times out (504) and GETs fail over", async () => {
  const a = await startUpstream("A");
  const b = await startUpstream("B");
  const timeouts = { timeouts: { connect: "200ms", response_header: "800ms" } };
  const proxy = startProxy(
    pool([a.url, b.url], { balancer: "round_robin", ...noActiveChecks, ...timeouts }),
  );
  const single = startProxy(pool([a.url], { ...noActiveChecks, ...timeouts }));
  try {
    await a.ctl("delay=4000");
    for (let i = 0; i < 4; i++) {
      const response = await get(proxy.url);
      assert.equal(response.status, 200, proxy.logs.join("\n"));
      assert.equal(response.text, "B");
    }
    const response = await fetch(single.url);
    assert.equal(response.status, 504);
    assert.equal((await response.json()).code, "upstream_timeout");
  } finally {
    await a.ctl("delay=0");
    await proxy.close();
    await single.close();
    await a.kill();
    await b.kill();
  }
});

Deno.test("proxy faults: 5xx bursts fail over, eject the target, and it comes back", async () => {
  const a = await startUpstream("A");
  const b = await startUpstream("B");
  const proxy = startProxy(pool([a.url, b.url], {
    balancer: "round_robin",
    ...noActiveChecks,
    outlier_detection: { consecutive_failures: 3, base_ejection_time: "500ms" },
  }));
  try {
    await a.ctl("fail=-1");
    for (let i = 0; i < 12; i++) {
      const response = await get(proxy.url);
      assert.equal(response.status, 200, "GETs are retried on the healthy target");
      assert.equal(response.text, "B");
    }
    assert.equal(targetStatus(proxy.proxy, a.url).ejected, true);
    const hitsWhileEjected = (await a.stats()).hits;
    for (let i = 0; i < 5; i++) await get(proxy.url);
    assert.equal((await a.stats()).hits, hitsWhileEjected, "no traffic to an ejected target");
    await a.ctl("fail=0");
    await eventually(async () => (await get(proxy.url)).text === "A");
    assert.match(await proxy.metrics.text(), /proxy_retries_total\{upstream="app"\} [1-9]/);
  } finally {
    await proxy.close();
    await a.kill();
    await b.kill();
  }
});

Deno.test("proxy faults: circuit breaker goes open, half-open, then closed", async () => {
  const a = await startUpstream("A");
  const proxy = startProxy(pool([a.url], {
    ...noActiveChecks,
    outlier_detection: { enabled: false },
    circuit_breaker: { failure_threshold: 3, cooldown: "400ms" },
    retries: { attempts: 1 },
  }));
  try {
    await a.ctl("fail=-1");
    for (let i = 0; i < 3; i++) assert.equal((await get(proxy.url)).status, 500);
    assert.equal(targetStatus(proxy.proxy, a.url).circuit, "open");
    const hits = (await a.stats()).hits;
    const refused = await fetch(proxy.url);
    assert.equal(refused.status, 503);
    assert.equal((await refused.json()).code, "no_healthy_upstream");
    assert.equal((await a.stats()).hits, hits, "an open circuit sends nothing upstream");
    assert.match(
      await proxy.metrics.text(),
      /proxy_circuit_state\{upstream="app",target="[^"]+"\} 1/,
    );
    await a.ctl("fail=0");
    await eventually(() => targetStatus(proxy.proxy, a.url).circuit === "half_open");
    const probe = await get(proxy.url);
    assert.equal(probe.status, 200);
    assert.equal(targetStatus(proxy.proxy, a.url).circuit, "closed");
  } finally {
    await proxy.close();
    await a.kill();
  }
});

Deno.test("proxy faults: a POST is never retried after its body was sent", async () => {
  const a = await startUpstream("A");
  const b = await startUpstream("B");
  // retryable: true, so only the body-sent rule can stop the retry.
  const proxy = startProxy(pool([a.url, b.url], {
    balancer: "round_robin",
    ...noActiveChecks,
    outlier_detection: { enabled: false },
  }, { retryable: true }));
  try {
    await a.ctl("fail=-1");
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const response = await fetch(`${proxy.url}/submit`, {
        method: "POST",
        body: "x".repeat(10_000),
      });
      statuses.push(response.status);
      await response.body?.cancel();
    }
    const [sa, sb] = [await a.stats(), await b.stats()];
    assert.equal(sa.posts + sb.posts, 6, "each POST reached exactly one upstream");
    assert.equal(statuses.filter((s) => s === 500).length, sa.posts);
    assert.ok(sa.posts >= 1 && sb.posts >= 1);
    // GETs on the same pool are retried.
    for (let i = 0; i < 4; i++) assert.equal((await get(proxy.url)).status, 200);
  } finally {
    await proxy.close();
    await a.kill();
    await b.kill();
  }
});

Deno.test("proxy faults: active health checks mark a target down and up again", async () => {
  const a = await startUpstream("A");
  const b = await startUpstream("B");
  const proxy = startProxy(
    pool([a.url, b.url], {
      balancer: "round_robin",
      health_check: {
        path: "/health",
        interval: "50ms",
        timeout: "500ms",
        healthy_threshold: 1,
        unhealthy_threshold: 2,
      },
    }),
  );
  try {
    await a.ctl("health=503");
    await eventually(() => !targetStatus(proxy.proxy, a.url).healthy);
    for (let i = 0; i < 4; i++) assert.equal((await get(proxy.url)).text, "B");
    assert.match(
      await proxy.metrics.text(),
      /proxy_backend_healthy\{upstream="app",target="[^"]+"\} 0/,
    );
    await a.ctl("health=200");
    await eventually(() => targetStatus(proxy.proxy, a.url).healthy);
    await sleep(10);
    const seen = new Set<string>();
    for (let i = 0; i < 4; i++) seen.add((await get(proxy.url)).text);
    assert.deepEqual(seen, new Set(["A", "B"]));
  } finally {
    await proxy.close();
    await a.kill();
    await b.kill();
  }
});

Deno.test("proxy faults: concurrency caps answer 503 and consistent hashing pins a header", async () => {
  const a = await startUpstream("A");
  const b = await startUpstream("B");
  const capped = startProxy(pool([a.url], {
    ...noActiveChecks,
    limits: { max_requests: 1, max_pending: 0 },
  }));
  const hashed = startProxy(pool([a.url, b.url], {
    ...noActiveChecks,
    balancer: "consistent_hash",
    hash_on: { source: "header", name: "x-user" },
  }));
  try {
    const slow = fetch(`${capped.url}/slow?ms=500`);
    await sleep(100);
    const refused = await fetch(capped.url);
    assert.equal(refused.status, 503);
    assert.equal((await refused.json()).code, "upstream_overloaded");
    assert.equal((await slow).status, 200);
    await (await slow).body?.cancel();
    for (const user of ["alice", "bob", "carol", "dave"]) {
      const first = (await get(hashed.url, { headers: { "x-user": user } })).text;
      for (let i = 0; i < 3; i++) {
        assert.equal((await get(hashed.url, { headers: { "x-user": user } })).text, first);
      }
    }
  } finally {
    await capped.close();
    await hashed.close();
    await a.kill();
    await b.kill();
  }
});

Deno.test("proxy faults: a POST fails over from a refused connection only on retryable routes", async () => {
  const b = await startUpstream("B");
  const closed = `http://127.0.0.1:${freePort()}`;
  const upstream = { balancer: "round_robin", ...noActiveChecks };
  const retryable = startProxy(pool([closed, b.url], upstream, { retryable: true }));
  const plain = startProxy(pool([closed, b.url], upstream));
  try {
    for (let i = 0; i < 4; i++) {
      const response = await fetch(`${retryable.url}/echo`, { method: "POST", body: "payload" });
      assert.equal(response.status, 200, "nothing was sent to the refusing target");
      assert.equal((await response.json()).bodyBytes, 7);
    }
    // Without `retryable`, a POST is not retried at all: one of the first two hits the refusal.
    const statuses = [];
    for (let i = 0; i < 2; i++) {
      const response = await fetch(`${plain.url}/echo`, { method: "POST", body: "payload" });
      statuses.push(response.status);
      await response.body?.cancel();
    }
    assert.deepEqual(statuses.sort(), [200, 502]);
  } finally {
    await retryable.close();
    await plain.close();
    await b.kill();
  }
});
