import assert from "node:assert/strict";
import type { Entry, Snapshot } from "./core/types.ts";
import { ProposalLostError, RaftNode, type StateMachine } from "./node.ts";
import { MemoryStorage } from "./storage/memory.ts";
import { MemoryNetwork } from "./transport/memory.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A tiny replicated map: entries are "key=value"; apply returns the entry's index. */
class MapMachine implements StateMachine {
  values = new Map<string, string>();
  apply(entry: Entry): unknown {
    const [key, value] = decoder.decode(entry.data).split("=");
    this.values.set(key, value);
    return entry.index;
  }
  snapshot(): Uint8Array {
    return encoder.encode(JSON.stringify([...this.values]));
  }
  restore(snapshot: Snapshot): void {
    this.values = new Map(JSON.parse(decoder.decode(snapshot.data)));
  }
}

interface TestCluster {
  network: MemoryNetwork;
  nodes: Map<string, RaftNode>;
  machines: Map<string, MapMachine>;
  stop(): Promise<void>;
}

async function startCluster(ids: string[], snapshotThreshold = 1000): Promise<TestCluster> {
  const network = new MemoryNetwork();
  const nodes = new Map<string, RaftNode>();
  const machines = new Map<string, MapMachine>();
  for (const id of ids) {
    const transport = network.transport(id);
    for (const peer of ids) if (peer !== id) transport.setPeer(peer, peer);
    const machine = new MapMachine();
    const node = new RaftNode({
      id,
      storage: MemoryStorage.bootstrap(ids),
      transport,
      stateMachine: machine,
      tickMs: 5,
      electionTicks: 10,
      heartbeatTicks: 1,
      snapshotThreshold,
      catchUpEntries: 5,
      seed: ids.indexOf(id) + 1,
    });
    nodes.set(id, node);
    machines.set(id, machine);
  }
  for (const node of nodes.values()) await node.start();
  return {
    network,
    nodes,
    machines,
    stop: async () => {
      for (const node of nodes.values()) await node.stop();
      await new Promise((resolve) => setTimeout(resolve, 10));
    },
  };
}

async function until<T>(
  find: () => T | undefined | null | false,
  what: string,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const leaderOf = (cluster: TestCluster, except?: string) =>
  until(() => [...cluster.nodes.values()].find((n) => n.isLeader && n.id !== except), "a leader");

Deno.test("raft node: elects a leader, replicates proposals, serves linearizable reads on followers", async () => {
  const cluster = await startCluster(["n1", "n2", "n3"]);
  try {
    const leader = await leaderOf(cluster);
    const index = await leader.propose(encoder.encode("a=1"));
    assert.equal(typeof index, "number");
    const follower = [...cluster.nodes.values()].find((n) => n !== leader)!;
    await follower.readBarrier();
    assert.equal(cluster.machines.get(follower.id)!.values.get("a"), "1");
    assert.throws(() => follower.propose(encoder.encode("b=2")), /not the leader/);
  } finally {
    await cluster.stop();
  }
});

Deno.test("raft node: a partitioned leader is replaced and the majority keeps committing", async () => {
  const cluster = await startCluster(["n1", "n2", "n3"]);
  try {
    const first = await leaderOf(cluster);
    await first.propose(encoder.encode("x=1"));
    cluster.network.isolate(first.id);
    const second = await leaderOf(cluster, first.id);
    await second.propose(encoder.encode("x=2"));
    cluster.network.heal();
    await until(
      () => cluster.machines.get(first.id)!.values.get("x") === "2",
      "old leader catches up",
    );
    assert.equal(first.isLeader, false);
  } finally {
    await cluster.stop();
  }
});

Deno.test("raft node: a follower far behind catches up through a snapshot", async () => {
  const cluster = await startCluster(["n1", "n2", "n3"], 10);
  try {
    const leader = await leaderOf(cluster);
    const lagging = [...cluster.nodes.values()].find((n) => n !== leader)!;
    cluster.network.isolate(lagging.id);
    for (let i = 0; i < 40; i++) await leader.propose(encoder.encode(`k${i}=${i}`));
    assert.ok(leader.status().snapshotIndex > 0, "the leader compacted its log");
    cluster.network.heal();
    await until(
      () => cluster.machines.get(lagging.id)!.values.get("k39") === "39",
      "snapshot catch-up",
    );
    assert.equal(cluster.machines.get(lagging.id)!.values.size, 40);
    assert.ok(lagging.status().snapshotIndex > 0);
  } finally {
    await cluster.stop();
  }
});

Deno.test("raft node: leadership transfer and a membership change", async () => {
  const cluster = await startCluster(["n1", "n2", "n3"]);
  try {
    const leader = await leaderOf(cluster);
    const target = [...cluster.nodes.values()].find((n) => n !== leader)!;
    leader.transferLeadership(target.id);
    await until(() => target.isLeader, "transfer");
    const removed = [...cluster.nodes.values()].find((n) => n !== target)!;
    await target.changeMembership({ type: "removeNode", nodeId: removed.id });
    assert.equal(target.status().voters.includes(removed.id), false);
    await target.propose(encoder.encode("after=remove"));
  } finally {
    await cluster.stop();
  }
});

Deno.test("raft node: proposals truncated by another leader are answered lost, also when this node reuses their index", async () => {
  const cluster = await startCluster(["n1", "n2", "n3"]);
  try {
    const first = await leaderOf(cluster);
    await first.propose(encoder.encode("x=0"));
    // Cut off, the leader still accepts proposals it can never commit.
    cluster.network.isolate(first.id);
    const stranded = Array.from({ length: 10 }, (_, i) => first.propose(encoder.encode(`s=${i}`)));
    const outcomes = stranded.map((p) =>
      p.then(() => "applied", (error) => error instanceof ProposalLostError ? "lost" : `${error}`)
    );
    const second = await leaderOf(cluster, first.id);
    await second.propose(encoder.encode("x=1"));
    cluster.network.heal();
    await until(() => cluster.machines.get(first.id)!.values.get("x") === "1", "catch-up");
    // Leader again, in a later term: its new entries take the indexes its stranded proposals
    // had (an index settles when an entry is applied there, so write past all of them).
    second.transferLeadership(first.id);
    await until(() => first.isLeader, "transfer back");
    for (let i = 2; i < 14; i++) await first.propose(encoder.encode(`x=${i}`));
    const settled = await Promise.race([
      Promise.all(outcomes),
      new Promise((resolve) => setTimeout(() => resolve("some stranded proposal hangs"), 2000)),
    ]);
    assert.deepEqual(settled, stranded.map(() => "lost"));
    assert.equal(cluster.machines.get(first.id)!.values.get("s"), undefined);
  } finally {
    await cluster.stop();
  }
});
