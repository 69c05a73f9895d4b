/**
 * A worker that goes away while its claim is still being served (killed -9 during a slow store
 * call: a Raft election holds a JOB.CLAIM or JOB.PEEK for seconds) must not be handed jobs: they
 * would sit RUNNING under a lease nobody holds until it expired, each losing an attempt (a job
 * with max_attempts 1 dead without ever running). The gateway is served by Deno.serve over a
 * real socket, as `helios gateway` serves it, and the client's connection is closed while the
 * store is answering a claim.
 */
import assert from "node:assert/strict";
import { jobGateway } from "./jobs_support.ts";

/** Sends a claim over a raw connection and closes it once the store holds the claim. */
async function abandonedClaim(port: number, body: unknown, storeReached: Promise<void>) {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const json = JSON.stringify(body);
  await conn.write(
    new TextEncoder().encode(
      "POST /api/v1/jobs/claim HTTP/1.1\r\nhost: gateway\r\nauthorization: Bearer worker-token\r\n" +
        `content-type: application/json\r\ncontent-length: ${json.length}\r\n\r\n${json}`,
    ),
  );
  await storeReached;
  conn.close(); // the worker is gone
}

function slowClaims(client: { call: (command: string, ...args: (string | number)[]) => unknown }) {
  const original = client.call.bind(client);
  let reached: () => void = () => {};
  let held = new Promise<void>((resolve) => (reached = resolve));
  client.call = async (command: string, ...args: (string | number)[]) => {
    if (command === "JOB.CLAIM") {
      reached();
      await new Promise((resolve) => setTimeout(resolve, 300)); // an election, say
    }
    return await original(command, ...args);
  };
  return {
    /** Resolves when the next JOB.CLAIM reaches the store. */
    next(): Promise<void> {
      held = new Promise<void>((resolve) => (reached = resolve));
      return held;
    },
  };
}

Deno.test("a claim whose worker left while the store was answering leases nothing", async () => {
  const { gateway, memory, jobs } = jobGateway();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, gateway.fetch);
  const slow = slowClaims(memory.client);
  try {
    // 1. The worker leaves during the claim that finds the queue empty; a job arrives while the
    //    long-poll waits: it must not be leased to the worker that left.
    await abandonedClaim(
      server.addr.port,
      { worker_id: "gone-1", queues: ["q1"], max: 1, wait_ms: 2000 },
      slow.next(),
    );
    await new Promise((resolve) => setTimeout(resolve, 500)); // the first claim round ends
    const waiting = await jobs.enqueue({ queue: "q1", task: "t", payload: 1 });
    await new Promise((resolve) => setTimeout(resolve, 700)); // a round woken by the enqueue
    const first = await jobs.get(waiting.id);
    assert.equal(first.status, "PENDING", `leased to a gone worker: ${JSON.stringify(first)}`);

    // 2. The worker leaves while the claim that leases a job is being applied: the job is given
    //    back at once, its attempt not counted.
    const ready = await jobs.enqueue({ queue: "q2", task: "t", payload: 2 });
    await abandonedClaim(
      server.addr.port,
      { worker_id: "gone-2", queues: ["q2"], max: 1, wait_ms: 0 },
      slow.next(),
    );
    await new Promise((resolve) => setTimeout(resolve, 700));
    const second = await jobs.get(ready.id);
    assert.equal(second.status, "PENDING", `leased to a gone worker: ${JSON.stringify(second)}`);
    assert.equal(second.attempt, 0);

    // A worker that stays gets both, each on its first attempt.
    const claimed = await jobs.claim({ worker: "present", queues: ["q1", "q2"], max: 2 });
    assert.deepEqual(claimed.map((job) => job.attempt), [1, 1]);
  } finally {
    jobs.close();
    await server.shutdown();
  }
});
