import assert from "node:assert/strict";
import { startGateway } from "./gateway_support.ts";

Deno.test("a path parameter that cannot form a permission resource is a 400 problem, not a 403", async () => {
  const gw = startGateway();
  try {
    const longKey = "k".repeat(600);
    const response = await fetch(`${gw.base}/api/v1/kv/${longKey}`, {
      headers: { authorization: "Bearer admin-token" },
    });
    assert.equal(response.status, 400);
    assert.equal(response.headers.get("content-type"), "application/problem+json");
    const problem = await response.json();
    assert.equal(problem.code, "validation_failed");
    // A short key with the same token is allowed: the 400 is about the input, not the caller.
    const ok = await fetch(`${gw.base}/api/v1/kv/short`, {
      headers: { authorization: "Bearer admin-token" },
    });
    assert.notEqual(ok.status, 400);
    assert.notEqual(ok.status, 403);
    await ok.body?.cancel();
  } finally {
    await gw.close();
  }
});
