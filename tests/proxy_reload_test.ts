/**
 * Config changes: the admin API (token, validation, status view, atomic apply) and no request
 * lost while configs are swapped under load.
 */
import assert from "node:assert/strict";
import { Hono } from "hono";
import { mountProxyAdmin, validateRoutes } from "../src/proxy/mod.ts";
import { pool, startProxy, startUpstream } from "./proxy_harness.ts";

Deno.test("proxy admin: bearer token, validation, status, atomic apply", async () => {
  const a = await startUpstream("A");
  const b = await startUpstream("B");
  const proxy = startProxy(pool([a.url], { health_check: { enabled: false } }));
  const app = new Hono();
  mountProxyAdmin(app, proxy.proxy, "s3cret");
  const disabled = new Hono();
  mountProxyAdmin(disabled, proxy.proxy, "");
  const auth = { authorization: "Bearer s3cret" };
  try {
    assert.equal((await disabled.request("/proxy/status")).status, 403);
    assert.equal((await app.request("/proxy/status")).status, 401);
    assert.equal(
      (await app.request("/proxy/status", { headers: { authorization: "Bearer wrong" } })).status,
      401,
    );
    const status = await (await app.request("/proxy/status", { headers: auth })).json();
    assert.equal(status.upstreams[0].targets[0].url, a.url);
    assert.equal(status.upstreams[0].targets[0].circuit, "closed");

    const bad = await app.request("/proxy/config", {
      method: "PUT",
      headers: auth,
      body: JSON.stringify({ upstreams: {}, routes: [{ name: "x", upstream: "missing" }] }),
    });
    assert.equal(bad.status, 400);
    const problem = await bad.json();
    assert.equal(problem.errors[0].path, "routes.0.upstream");
    assert.equal(await fetch(proxy.url).then((r) => r.text()), "A", "old config still serves");

    const yaml =
      `upstreams:\n  app:\n    targets:\n      - url: ${b.url}\nroutes:\n  - name: app\n    upstream: app\n`;
    const ok = await app.request("/proxy/config", { method: "PUT", headers: auth, body: yaml });
    assert.equal(ok.status, 200);
    assert.equal((await ok.json()).applied, true);
    assert.equal(await fetch(proxy.url).then((r) => r.text()), "B");
    const config = await (await app.request("/proxy/config", { headers: auth })).json();
    assert.equal(config.upstreams.app.targets[0].url, b.url);
  } finally {
    await proxy.close();
    await a.kill();
    await b.kill();
  }
});

Deno.test("proxy reload: no request lost while configs are swapped under load", async () => {
  const a = await startUpstream("A");
  const b = await startUpstream("B");
  const configs = [
    pool([a.url], { health_check: { enabled: false } }),
    pool([b.url], { balancer: "least_connections", health_check: { enabled: false } }),
    pool([a.url, b.url], { balancer: "consistent_hash", health_check: { enabled: false } }),
  ];
  const proxy = startProxy(configs[2]);
  try {
    let stop = false;
    const statuses = new Map<number, number>();
    const worker = async () => {
      let n = 0;
      while (!stop && n < 400) {
        n++;
        const response = await fetch(`${proxy.url}/slow?ms=5`);
        await response.text();
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      }
    };
    const workers = Array.from({ length: 8 }, worker);
    for (let i = 0; i < 30; i++) {
      // Each apply validates and swaps the whole snapshot while requests are in flight.
      proxy.proxy.apply(validateRoutes(configs[i % 3], "test"));
      await new Promise((r) => setTimeout(r, 20));
    }
    stop = true;
    await Promise.all(workers);
    const total = [...statuses.values()].reduce((x, y) => x + y, 0);
    assert.ok(total > 50, `only ${total} requests ran`);
    assert.deepEqual([...statuses.keys()], [200], `statuses: ${JSON.stringify([...statuses])}`);
  } finally {
    await proxy.close();
    await a.kill();
    await b.kill();
  }
});
