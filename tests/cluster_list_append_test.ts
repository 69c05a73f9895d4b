/**
 * An Elle-style list-append workload against a real 5-node cluster under the nemesis of
 * tests/helpers/jepsen.ts (partitions, silent ones too, kill -9 of the leader and of followers,
 * restarts). Clients on every node RPUSH unique values to a few keys, alone or several keys in one
 * MULTI / EXEC, and read keys with LRANGE 0 -1, alone or several in one MULTI / EXEC.
 *
 * Lists only grow, so every read of a key must be a prefix of the final read of it, and in real
 * time a read that began after another ended must extend it. Checked, with the ops involved:
 * no value twice in a read; every read a prefix of the final list; reads in real-time order never
 * shrink; an acknowledged append is in every read of its key that began after it returned; a read
 * holds no value whose append began after the read ended; the final lists (the same on every
 * node) hold every acknowledged append exactly once and an unacknowledged one (error, timeout:
 * indeterminate) at most once; a transaction's appends are all there or none, in the final lists
 * and in every read of several keys in one transaction.
 *
 * HELIOS_JEPSEN_SECONDS: the fault phase (default 15); HELIOS_JEPSEN_SEED replays the choices;
 * HELIOS_JEPSEN_PARTITIONS=full makes partitions cut the forwarding connections too (default: the
 * Raft links only); HELIOS_JEPSEN_NODES=3 runs it on 3 nodes.
 */
import assert from "node:assert/strict";
import type { Reply } from "../atlas/mod.ts";
import { createPrng } from "../src/lib/prng.ts";
import {
  clusterSize,
  extraFaults,
  faultSeconds,
  fullPartitions,
  jepsenSeed,
  NodeClient,
  runUnderFaults,
  show,
  UNKNOWN,
  verbose,
} from "./helpers/jepsen.ts";
import { RaftTestCluster } from "./helpers/raft_cluster.ts";

const KEYS = ["la:0", "la:1", "la:2", "la:3"];
const CLIENTS = 8;
const FAULT_SECONDS = faultSeconds(15);
const NODES = clusterSize(5);

type Status = "ok" | "none" | "unknown";

interface Append {
  id: number;
  client: number;
  node: number;
  /** key → the value appended to it. */
  values: Map<string, string>;
  multi: boolean;
  status: Status;
  reply: string;
  callMs: number;
  returnMs: number;
}

interface Read {
  id: number;
  client: number;
  node: number;
  lists: Map<string, string[]>;
  callMs: number;
  returnMs: number;
}

class ListAppend {
  readonly appends: Append[] = [];
  /** value → its append. */
  readonly byValue = new Map<string, Append>();
  readonly reads: Read[] = [];
  readonly anomalies: string[] = [];
  #ops = 0;

  constructor(private readonly cluster: RaftTestCluster, private readonly seed: number) {}

  async client(clientId: number, stopped: () => boolean): Promise<void> {
    const random = createPrng(this.seed * 31 + clientId);
    const client = new NodeClient(this.cluster, clientId % this.cluster.nodes.length);
    for (let n = 0; !stopped(); n++) {
      const keys = pickKeys(random, random() < 0.5 ? 1 : 1 + Math.floor(random() * 3));
      const multi = keys.length > 1 || random() < 0.3;
      const ok = random() < 0.5
        ? await this.#append(client, clientId, n, keys, multi)
        : await this.#read(client, clientId, keys, multi);
      if (!ok) await client.moveOn();
    }
    client.close();
  }

  async #append(
    client: NodeClient,
    clientId: number,
    n: number,
    keys: string[],
    multi: boolean,
  ): Promise<boolean> {
    const values = new Map(keys.map((key, i) => [key, `${clientId}-${n}-${i}`]));
    const pushes = keys.map((key) => ["RPUSH", key, values.get(key)!]);
    const op: Append = {
      id: this.#ops++,
      client: clientId,
      node: client.target,
      values,
      multi,
      status: "unknown",
      reply: "",
      callMs: performance.now(),
      returnMs: Infinity,
    };
    this.appends.push(op);
    for (const value of values.values()) this.byValue.set(value, op);
    const replies = await client.send(multi ? [["MULTI"], ...pushes, ["EXEC"]] : pushes);
    op.returnMs = performance.now();
    if (replies === null) op.status = "none";
    else if (replies !== UNKNOWN) {
      const results = multi ? replies[replies.length - 1] : replies[0];
      op.reply = show(results);
      const each = results.kind === "array" ? results.value : [results];
      if (each.length === keys.length && each.every((r) => r.kind === "integer")) op.status = "ok";
    } else op.reply = show(replies);
    if (op.status !== "ok") op.returnMs = Infinity; // may take effect any time later
    return op.status === "ok";
  }

  async #read(
    client: NodeClient,
    clientId: number,
    keys: string[],
    multi: boolean,
  ): Promise<boolean> {
    const node = client.target;
    const callMs = performance.now();
    const ranges = keys.map((key) => ["LRANGE", key, "0", "-1"]);
    const replies = await client.send(multi ? [["MULTI"], ...ranges, ["EXEC"]] : ranges);
    const returnMs = performance.now();
    if (replies === null || replies === UNKNOWN) return false;
    const results = multi ? replies[replies.length - 1] : replies[0];
    const each = results.kind === "array" && multi ? results.value : [results];
    if (each.length !== keys.length || each.some((r) => r.kind !== "array")) return false;
    const lists = new Map(
      keys.map((key, i) => [key, (each[i] as { value: readonly Reply[] }).value.map(text)]),
    );
    this.reads.push({ id: this.#ops++, client: clientId, node, lists, callMs, returnMs });
    return true;
  }

  /** Every check, against the final lists. */
  check(final: Map<string, string[]>): void {
    const found = (...parts: string[]) => this.anomalies.push(parts.join("\n    "));
    for (const [key, list] of final) {
      const counts = new Map<string, number>();
      for (const v of list) counts.set(v, (counts.get(v) ?? 0) + 1);
      for (const [v, count] of counts) {
        const op = this.byValue.get(v);
        if (!op) found(`final ${key} holds ${v}, never appended`);
        else if (count > 1) found(`final ${key} holds ${v} ${count} times`, describeAppend(op));
        else if (op.status === "none") {
          found(`final ${key} holds ${v}, whose append was never sent`, describeAppend(op));
        }
      }
    }
    for (const op of this.appends) {
      const present = [...op.values].filter(([key, v]) => final.get(key)!.includes(v));
      if (op.status === "ok" && present.length < op.values.size) {
        found("acknowledged append missing from the final lists", describeAppend(op));
      } else if (present.length > 0 && present.length < op.values.size) {
        found(
          `a transaction's appends partly applied (${present.map(([k]) => k)})`,
          describeAppend(op),
        );
      }
    }

    for (const key of KEYS) {
      const whole = final.get(key)!;
      const position = new Map(whole.map((v, i) => [v, i]));
      const reads = this.reads.filter((r) => r.lists.has(key));
      for (const r of reads) {
        const list = r.lists.get(key)!;
        if (new Set(list).size !== list.length) found(`${key}: a value twice`, describeRead(r));
        if (list.some((v, i) => whole[i] !== v)) {
          found(`${key}: read is not a prefix of the final list [${whole}]`, describeRead(r));
        }
        for (const v of list) {
          const op = this.byValue.get(v);
          if (op && op.callMs > r.returnMs) {
            found(`${key}: read ${v} before its append began`, describeRead(r), describeAppend(op));
          }
        }
      }
      // Real time: a read that began after another ended must be at least as long.
      const byEnd = [...reads].sort((a, b) => a.returnMs - b.returnMs);
      const byStart = [...reads].sort((a, b) => a.callMs - b.callMs);
      let longest: Read | null = null;
      let e = 0;
      for (const r of byStart) {
        while (e < byEnd.length && byEnd[e].returnMs < r.callMs) {
          const done = byEnd[e++];
          if (!longest || done.lists.get(key)!.length > longest.lists.get(key)!.length) {
            longest = done;
          }
        }
        if (longest && r.lists.get(key)!.length < longest.lists.get(key)!.length) {
          found(`${key}: a later read is shorter (stale)`, describeRead(longest), describeRead(r));
        }
      }
      // An acknowledged append is in every read that began after it returned.
      const acked = this.appends.filter((op) => op.status === "ok" && op.values.has(key))
        .sort((a, b) => a.returnMs - b.returnMs);
      let needed: Append | null = null;
      let a = 0;
      for (const r of byStart) {
        while (a < acked.length && acked[a].returnMs < r.callMs) {
          const op = acked[a++];
          const at = position.get(op.values.get(key)!) ?? -1;
          if (!needed || at > (position.get(needed.values.get(key)!) ?? -1)) needed = op;
        }
        if (needed && !r.lists.get(key)!.includes(needed.values.get(key)!)) {
          found(
            `${key}: read misses an append acknowledged before it began`,
            describeAppend(needed),
            describeRead(r),
          );
        }
      }
    }

    // A read of several keys in one transaction sees a transaction's appends all or none.
    for (const r of this.reads) {
      if (r.lists.size < 2) continue;
      const seen = new Set<Append>();
      for (const list of r.lists.values()) for (const v of list) seen.add(this.byValue.get(v)!);
      for (const op of seen) {
        if (!op) continue;
        for (const [key, v] of op.values) {
          const list = r.lists.get(key);
          if (list && !list.includes(v)) {
            found(
              `transaction read saw part of an append transaction (not ${key})`,
              describeAppend(op),
              describeRead(r),
            );
          }
        }
      }
    }
  }
}

function pickKeys(random: () => number, count: number): string[] {
  const keys = [...KEYS];
  const picked: string[] = [];
  while (picked.length < count) picked.push(keys.splice(Math.floor(random() * keys.length), 1)[0]);
  return picked;
}

function text(reply: Reply): string {
  return reply.kind === "bulk" ? reply.value : show(reply);
}

function describeAppend(op: Append): string {
  return `append #${op.id} by c${op.client} via node ${op.node}${op.multi ? " (MULTI)" : ""}: ${
    [...op.values].map(([k, v]) => `${k} += ${v}`).join(", ")
  } at ${op.callMs.toFixed(0)}-${op.returnMs.toFixed(0)} ms: ${op.status} (${op.reply})`;
}

function describeRead(r: Read): string {
  return `read #${r.id} by c${r.client} via node ${r.node} at ${r.callMs.toFixed(0)}-${
    r.returnMs.toFixed(0)
  } ms: ${
    [...r.lists].map(([k, l]) => `${k} = [${l.length > 8 ? "…," + l.slice(-8) : l}] (${l.length})`)
      .join(", ")
  }`;
}

Deno.test({
  name:
    `raft cluster (${NODES} nodes): Elle-style list append under partitions, kill -9 and restarts`,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const cluster = await RaftTestCluster.start({
      size: NODES,
      fullPartitions: fullPartitions(false),
      env: { HELIOS_ATLAS__RAFT__SNAPSHOT_THRESHOLD: "200" },
    });
    const seed = jepsenSeed();
    const workload = new ListAppend(cluster, seed);
    try {
      const faults = await runUnderFaults(cluster, {
        seconds: FAULT_SECONDS,
        seed,
        nemesis: { extra: extraFaults(["pause"]) },
        clients: (stopped) =>
          Array.from({ length: CLIENTS }, (_, i) => workload.client(i, stopped)),
        quietClients: (stopped) =>
          Array.from({ length: 4 }, (_, i) => workload.client(100 + i, stopped)),
      });

      // The final lists, read on every node: the same everywhere.
      let final: Map<string, string[]> | null = null;
      for (const node of cluster.nodes) {
        const client = new NodeClient(cluster, node.index);
        const replies = await client.send(KEYS.map((key) => ["LRANGE", key, "0", "-1"]));
        client.close();
        assert.ok(replies !== null && replies !== UNKNOWN, `final read on node ${node.index}`);
        assert.ok(replies.every((r) => r.kind === "array"), `final read: ${show(replies)}`);
        const lists = new Map(
          KEYS.map((key, i) => [key, (replies[i] as { value: readonly Reply[] }).value.map(text)]),
        );
        if (final === null) final = lists;
        else {
          assert.deepEqual(lists, final, `node ${node.index}'s final lists differ from node 0's`);
        }
      }
      workload.check(final!);

      const count = (status: Status) => workload.appends.filter((a) => a.status === status).length;
      const summary = `seed ${seed}; appends ok/none/unknown ${count("ok")}/${count("none")}/${
        count("unknown")
      }; ${workload.reads.length} reads; final lengths ${
        [...final!.values()].map((l) => l.length)
      }; faults: ${faults.join("; ")}`;
      verbose(summary);
      if (workload.anomalies.length > 0) {
        verbose(
          `${workload.anomalies.length} anomalies:\n  ${
            workload.anomalies.slice(0, 20).join("\n  ")
          }`,
        );
      }
      assert.deepEqual(workload.anomalies.slice(0, 20), [], `anomalies (${summary})`);
      assert.ok(count("ok") > 200, `too few appends: ${summary}`);
      assert.ok(workload.reads.length > 200, `too few reads: ${summary}`);
    } finally {
      await cluster.close();
    }
  },
});
