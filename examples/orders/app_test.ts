import assert from "node:assert/strict";
import { createOrdersApp } from "./app.ts";
import { Logger } from "../../src/observability/logger.ts";
import { MetricsRegistry } from "../../src/observability/metrics.ts";

const PASSWORD = "orders-admin-123";

async function start() {
  const dataDir = await Deno.makeTempDir({ prefix: "helios-orders-" });
  const helios = await createOrdersApp({
    dataDir,
    logger: new Logger("orders", { sink: () => {} }),
    metrics: new MetricsRegistry({ defaultMetrics: false }),
    env: { get: (name) => (name === "HELIOS_ADMIN_PASSWORD" ? PASSWORD : undefined) },
    config: { worker: { poll_interval: "50ms" } },
  });
  const server = helios.listen({ port: 0 });
  const base = `http://127.0.0.1:${server.address.port}`;
  const login = async (username: string, password: string) => {
    const response = await fetch(`${base}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username, password }),
    });
    return (await response.json()).token as string;
  };
  return {
    base,
    login,
    async stop() {
      await helios.close();
      await Deno.remove(dataDir, { recursive: true });
    },
  };
}

const json = (token: string, body: unknown): RequestInit => ({
  method: "POST",
  headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
  body: JSON.stringify(body),
});

Deno.test("orders: place, confirm in the background, read back; documented in the spec", async () => {
  const app = await start();
  try {
    const admin = await app.login("admin", PASSWORD);
    const placed = await fetch(
      `${app.base}/api/v1/orders`,
      json(admin, { item: "beans", quantity: 2 }),
    );
    assert.equal(placed.status, 201);
    const order = await placed.json();
    assert.deepEqual(order, { id: "o_1", item: "beans", quantity: 2, status: "pending" });
    let status = "pending";
    for (let i = 0; i < 100 && status !== "confirmed"; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const got = await fetch(`${app.base}/api/v1/orders/o_1`, {
        headers: { authorization: `Bearer ${admin}` },
      });
      status = (await got.json()).status;
    }
    assert.equal(status, "confirmed");
    const spec = await (await fetch(`${app.base}/openapi.json`)).json();
    assert.equal(spec.info.title, "Orders");
    assert.equal(spec.paths["/api/v1/orders/{id}"].get["x-helios-permission"], "orders:read:{id}");
    assert.ok(spec.paths["/api/v1/kv/{key}"], "the built-in APIs are there too");
  } finally {
    await app.stop();
  }
});

Deno.test("orders: permissions, validation and the route's own rate limit apply", async () => {
  const app = await start();
  try {
    const admin = await app.login("admin", PASSWORD);
    await fetch(
      `${app.base}/api/v1/auth/register`,
      json("", { username: "bob", password: "bob-password-1" }),
    )
      .then((r) => r.body?.cancel());
    const bob = await app.login("bob", "bob-password-1");
    const denied = await fetch(`${app.base}/api/v1/orders`, json(bob, { item: "x", quantity: 1 }));
    assert.equal(denied.status, 403);
    assert.equal((await denied.json()).code, "permission_denied");
    const invalid = await fetch(
      `${app.base}/api/v1/orders`,
      json(admin, { item: "", quantity: 0 }),
    );
    assert.equal(invalid.status, 400);
    await invalid.body?.cancel();
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const response = await fetch(
        `${app.base}/api/v1/orders`,
        json(admin, { item: "tea", quantity: 1 }),
      );
      statuses.push(response.status);
      await response.body?.cancel();
    }
    // capacity 5; the invalid request above already took one token.
    assert.deepEqual(statuses, [201, 201, 201, 201, 429, 429]);
    const missing = await fetch(`${app.base}/api/v1/orders/o_999`, {
      headers: { authorization: `Bearer ${admin}` },
    });
    assert.equal(missing.status, 404);
    await missing.body?.cancel();
  } finally {
    await app.stop();
  }
});
