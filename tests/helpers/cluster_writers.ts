/**
 * Background writers for cluster tests: each loops SET on its own keys through whichever node it
 * can reach, records what was acknowledged, and moves to another node on an error. Bounded by
 * `stop()`; acknowledged writes are what a test then checks survived.
 */
import type { RawClient, RespValue } from "../../atlas/testing/atlasd_harness.ts";
import type { RespConnection } from "../../src/storage/resp_connection.ts";
import type { RaftTestCluster } from "./raft_cluster.ts";

export class ClusterWriters {
  readonly acked = new Map<string, string>();
  errors = 0;
  #stopped = false;
  readonly #loops: Promise<void>[];

  constructor(private readonly cluster: RaftTestCluster, writers: number) {
    this.#loops = Array.from({ length: writers }, (_, w) => this.#loop(w));
  }

  async waitForAcks(count: number, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.acked.size < count) {
      if (Date.now() > deadline) {
        throw new Error(`Only ${this.acked.size} of ${count} writes acknowledged`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all(this.#loops);
  }

  async #loop(writer: number): Promise<void> {
    let target = writer % this.cluster.nodes.length;
    let connection: RespConnection | null = null;
    for (let n = 0; !this.#stopped; n++) {
      const key = `w${writer}:${n}`;
      const value = `v${n}-${writer}`;
      try {
        connection ??= await this.cluster.connect(target);
        const reply = await connection.send(["SET", key, value]);
        if (reply.kind === "simple" && reply.value === "OK") {
          this.acked.set(key, value);
          continue;
        }
        this.errors++;
      } catch {
        this.errors++;
        connection?.close();
        connection = null;
      }
      target = (target + 1) % this.cluster.nodes.length;
      connection?.close();
      connection = null;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    connection?.close();
  }
}

/** Reads every acknowledged key from one node; returns the keys whose value is wrong or missing. */
export async function missingWrites(
  connection: RespConnection,
  acked: Map<string, string>,
): Promise<string[]> {
  const keys = [...acked.keys()];
  const missing: string[] = [];
  for (let i = 0; i < keys.length; i += 500) {
    const chunk = keys.slice(i, i + 500);
    const reply = await connection.send(["MGET", ...chunk]);
    if (reply.kind !== "array") throw new Error(`MGET failed: ${JSON.stringify(reply)}`);
    reply.value.forEach((r, j) => {
      if (r.kind !== "bulk" || r.value !== acked.get(chunk[j])) missing.push(chunk[j]);
    });
  }
  return missing;
}

/** Sends like a cluster client: CLUSTERDOWN/TRYAGAIN (an election going on) are retried. */
export async function sendRetrying(connection: RespConnection, argv: string[]) {
  for (let attempt = 0;; attempt++) {
    const reply = await connection.send(argv);
    const retryable = reply.kind === "error" && /^(CLUSTERDOWN|TRYAGAIN) /.test(reply.value);
    if (!retryable || attempt === 30) return reply;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * RawClient's `one`, retried while the node answers CLUSTERDOWN / TRYAGAIN (it does not know the
 * leader's address yet, or a ReadIndex round timed out on a loaded machine), as a client would.
 */
export async function oneRetrying(client: RawClient, ...argv: string[]): Promise<RespValue> {
  for (let attempt = 0;; attempt++) {
    const reply = await client.one(...argv);
    const retryable = reply.t === "error" && /^(CLUSTERDOWN|TRYAGAIN) /.test(reply.v);
    if (!retryable || attempt === 200) return reply;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
