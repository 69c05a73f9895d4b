/**
 * Remote storage mode: the same gateway over a RespAtlasClient (pool, pipelining) to an ATLAS
 * RESP server passes the same route checks as the embedded mode, and keeps serving after the
 * first listed node dies (failover to the next).
 */
import assert from "node:assert/strict";
import { startAtlasServer, Store } from "../atlas/mod.ts";
import { registerGatewayCommands } from "../routes/mod.ts";
import { RespAtlasClient } from "../src/storage/resp_client.ts";
import { checkRoutes } from "./gateway_route_checks.ts";
import { startGateway } from "./gateway_support.ts";

function atlasServer(store: Store) {
  return startAtlasServer({
    executor: {
      execute: (argv) => store.execute(argv, { nowMs: Date.now(), random: Math.random }).reply,
      sync: () => Promise.resolve(),
    },
    store,
    hostname: "127.0.0.1",
    port: 0,
  });
}

Deno.test("gateway over remote ATLAS (RESP): routes per the spec, and failover", async (t) => {
  const store = new Store();
  registerGatewayCommands(store);
  const first = atlasServer(store);
  const second = atlasServer(store); // a second node over the same data, as a replica would be
  const atlas = new RespAtlasClient({
    nodes: [first.addr, second.addr].map((a) => ({ hostname: a.hostname, port: a.port })),
    backoffMs: 1,
  });
  const gw = startGateway({
    atlas,
    gateway: { cors_origins: ["https://app.example"], body_limit_bytes: 4096 },
  });
  let firstClosed = false;
  try {
    await checkRoutes(t, {
      base: gw.base,
      admin: "admin-token",
      reader: "reader-token",
      apiToken: "hlt_api-token",
    });
    await t.step("the first node dies: reads and writes go to the next", async () => {
      await first.close();
      firstClosed = true;
      const headers = { authorization: "Bearer admin-token", "content-type": "application/json" };
      // The first call may find its pooled connection dead: a write on a broken connection
      // fails with 503 (outcome unknown) rather than risk applying twice; reads retry.
      const read = await fetch(`${gw.base}/api/v1/kv/after`, { headers });
      await read.body?.cancel();
      assert.equal(read.status, 404);
      const write = await fetch(`${gw.base}/api/v1/kv/after`, {
        method: "POST",
        headers,
        body: '{"value":"ok"}',
      });
      await write.body?.cancel();
      assert.equal(write.status, 200);
      assert.equal(atlas.currentNode.port, second.addr.port);
    });
  } finally {
    await gw.close();
    await atlas.close();
    if (!firstClosed) await first.close();
    await second.close();
  }
});
