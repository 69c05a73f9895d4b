/**
 * A worker's long-poll claim against a real `helios gateway` process, whose client goes away
 * while it waits: the gateway must hand the waiter nothing (a job leased to a gone worker would
 * sit RUNNING until its lease expired), and its output must stay JSON lines. The claim route
 * reads the request's AbortSignal; Deno 2.9's legacy abort mode prints a plain-text warning to
 * stderr the first time a signal is read, which deno.json's `no-legacy-abort` opts out of.
 */
import assert from "node:assert/strict";
import { apiToken, freePort, startGateway, writeGatewayConfig } from "./jobs_processes.ts";

Deno.test("an HTTP long-poll whose client left leases nothing; the gateway logs only JSON lines", async () => {
  const dir = await Deno.makeTempDir({ prefix: "helios-long-poll-" });
  const port = freePort();
  const base = `http://127.0.0.1:${port}`;
  const gateway = startGateway(await writeGatewayConfig(dir, port, "none"));
  try {
    await gateway.ready(base);
    const token = await apiToken(base);
    const post = (path: string, body: unknown, signal?: AbortSignal) =>
      fetch(`${base}${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
        signal,
      });

    const leaving = new AbortController();
    const abandoned = post("/api/v1/jobs/claim", {
      worker_id: "gone",
      queues: ["long-poll"],
      max: 1,
      wait_ms: 20_000,
    }, leaving.signal).then(() => "answered", () => "aborted");
    // Long enough for the claim to reach the gateway and start waiting on the empty queue.
    await new Promise((resolve) => setTimeout(resolve, 500));
    leaving.abort();
    assert.equal(await abandoned, "aborted");

    const enqueued = await post("/api/v1/jobs", { queue: "long-poll", task: "t", payload: {} });
    assert.equal(enqueued.status, 201);
    const { id } = await enqueued.json();
    const claimed = await post("/api/v1/jobs/claim", {
      worker_id: "present",
      queues: ["long-poll"],
      max: 1,
      wait_ms: 0,
    });
    assert.equal(claimed.status, 200);
    const { jobs } = await claimed.json();
    assert.deepEqual(jobs.map((job: { id: string }) => job.id), [id]);
  } finally {
    await gateway.kill("SIGTERM");
    await Deno.remove(dir, { recursive: true });
  }
  const notJson = gateway.out.filter((line) => {
    try {
      return typeof JSON.parse(line) !== "object";
    } catch {
      return true;
    }
  });
  assert.deepEqual(notJson, []);
});
