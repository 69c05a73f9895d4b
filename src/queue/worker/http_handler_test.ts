import assert from "node:assert/strict";
import { httpHandler } from "./http_handler.ts";
import { type JobContext, JobFailure } from "./registry.ts";

function context(payload: unknown, signal = new AbortController().signal): JobContext {
  return {
    id: "j_1",
    queue: "q",
    task: "http",
    attempt: 2,
    max_attempts: 3,
    payload,
    signal,
    progress() {},
  };
}

async function withSink(fn: (base: string, seen: Request[]) => Promise<void>) {
  const seen: Request[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    seen.push(request.clone());
    const path = new URL(request.url).pathname;
    if (path === "/slow") await new Promise((resolve) => setTimeout(resolve, 300));
    const status = Number(path.slice(1)) || 200;
    return new Response(`status ${status}`, {
      status,
      headers: status === 429 ? { "retry-after": "7" } : {},
    });
  });
  try {
    await fn(`http://127.0.0.1:${server.addr.port}`, seen);
  } finally {
    await server.shutdown();
  }
}

async function failure(promise: Promise<unknown>): Promise<JobFailure> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof JobFailure, String(error));
    return error;
  }
  throw new Error("expected a JobFailure");
}

Deno.test("http handler: 2xx succeeds with method, headers and JSON body delivered", async () => {
  await withSink(async (base, seen) => {
    const out = await httpHandler(
      context({ method: "put", url: `${base}/202`, headers: { "x-a": "1" }, body: { k: "v" } }),
    );
    assert.deepEqual(out, { status: 202 });
    assert.equal(seen[0].method, "PUT");
    assert.equal(seen[0].headers.get("x-a"), "1");
    assert.equal(seen[0].headers.get("content-type"), "application/json");
    assert.equal(seen[0].headers.get("x-helios-job-id"), "j_1");
    assert.deepEqual(await seen[0].json(), { k: "v" });
  });
});

Deno.test("http handler: 408/429/5xx and timeouts retry; other 4xx fail for good", async () => {
  await withSink(async (base) => {
    for (const status of [408, 500, 503]) {
      assert.equal((await failure(httpHandler(context({ url: `${base}/${status}` })))).retry, true);
    }
    const limited = await failure(httpHandler(context({ url: `${base}/429` })));
    assert.deepEqual([limited.retry, limited.retryInMs], [true, 7000]);
    for (const status of [400, 404, 410]) {
      assert.equal(
        (await failure(httpHandler(context({ url: `${base}/${status}` })))).retry,
        false,
      );
    }
    const slow = await failure(httpHandler(context({ url: `${base}/slow`, timeout_ms: 50 })));
    assert.equal(slow.retry, true);
    assert.match(slow.message, /timed out/);
  });
  const refused = await failure(httpHandler(context({ url: "http://127.0.0.1:1/" })));
  assert.equal(refused.retry, true);
  assert.equal((await failure(httpHandler(context({ url: "file:///etc/passwd" })))).retry, false);
  assert.equal((await failure(httpHandler(context({ nope: 1 })))).retry, false);
});
