/**
 * Jepsen's bank workload against a real 5-node cluster under the nemesis of tests/helpers/jepsen.ts
 * (partitions, silent ones too, kill -9 of the leader and of followers, restarts). Five accounts
 * hold a fixed total; clients on every node move random amounts between two of them three ways:
 *
 * - WATCH a b / MGET a b / MULTI / DECRBY a x / INCRBY b x / RPUSH log id / EXEC, retried on nil
 *   (half of them SET a and b to the balances read minus and plus x, Jepsen's classic form);
 * - MULTI / EVAL (a script that checks the balance, then moves it and logs the id) / EXEC, no WATCH;
 * - the same script alone, as ioredis runs a defined command: EVALSHA, then EVAL after NOSCRIPT;
 *
 * and other clients read every account with MGET. Every transfer logs its own id in the same
 * atomic step (the list `bank:log`), so the final log is an audit: the order the transfers
 * applied in. Checked: every read sums to the total and has no negative balance; the final state
 * is the same on every node and sums to the total; no id is in the log twice; every transfer
 * acknowledged OK is in it, every one certainly not applied (EXEC nil, the script declined, never
 * sent) is not; an error or a timeout may be either (Jepsen's indeterminate :info); replaying the
 * log from the initial balances never overdraws an account and ends at the final balances.
 *
 * HELIOS_JEPSEN_SECONDS: the fault phase (default 15); HELIOS_JEPSEN_SEED replays the choices;
 * HELIOS_JEPSEN_PARTITIONS=full makes partitions cut the forwarding connections too (default: the
 * Raft links only); HELIOS_JEPSEN_NODES=3 runs it on 3 nodes.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
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

const ACCOUNTS = ["acct:0", "acct:1", "acct:2", "acct:3", "acct:4"];
const INITIAL = 100;
const TOTAL = INITIAL * ACCOUNTS.length;
const LOG = "bank:log";
const FAULT_SECONDS = faultSeconds(15);
const NODES = clusterSize(5);

/** KEYS: from, to, log; ARGV: amount, id. 1 if moved, 0 if the balance was short. */
const TRANSFER_SCRIPT = `
local from = tonumber(redis.call('GET', KEYS[1]) or '0')
local amount = tonumber(ARGV[1])
if from < amount then return 0 end
redis.call('DECRBY', KEYS[1], amount)
redis.call('INCRBY', KEYS[2], amount)
redis.call('RPUSH', KEYS[3], ARGV[2])
return 1`;

const TRANSFER_SHA = createHash("sha1").update(TRANSFER_SCRIPT).digest("hex");

type Kind = "watch" | "multi-eval" | "eval";
/** ok: applied; none: certainly not applied; unknown: may or may not have been. */
type Status = "ok" | "none" | "unknown";

interface Transfer {
  id: string;
  kind: Kind;
  from: string;
  to: string;
  amount: number;
  node: number;
  status: Status;
  reply: string;
  callMs: number;
  returnMs: number;
}

interface Read {
  client: number;
  node: number;
  balances: number[];
  callMs: number;
  returnMs: number;
}

class Bank {
  readonly transfers = new Map<string, Transfer>();
  readonly reads: Read[] = [];
  readonly anomalies: string[] = [];

  constructor(private readonly cluster: RaftTestCluster, private readonly seed: number) {}

  async transferer(clientId: number, kind: Kind, stopped: () => boolean): Promise<void> {
    const random = createPrng(this.seed * 31 + clientId);
    const client = new NodeClient(this.cluster, clientId % this.cluster.nodes.length);
    for (let n = 0; !stopped(); n++) {
      const a = Math.floor(random() * ACCOUNTS.length);
      const b = (a + 1 + Math.floor(random() * (ACCOUNTS.length - 1))) % ACCOUNTS.length;
      const amount = 1 + Math.floor(random() * 20);
      const ok = kind === "watch"
        ? await this.#watchTransfer(
          client,
          `c${clientId}-${n}`,
          ACCOUNTS[a],
          ACCOUNTS[b],
          amount,
          random() < 0.5,
        )
        : await this.#scriptTransfer(
          client,
          kind,
          `c${clientId}-${n}`,
          ACCOUNTS[a],
          ACCOUNTS[b],
          amount,
        );
      if (!ok) await client.moveOn();
      // The scripts never conflict: paced, they leave the WATCH loops a chance to succeed.
      else if (kind !== "watch") await new Promise((resolve) => setTimeout(resolve, 5));
    }
    client.close();
  }

  /** WATCH, MGET, MULTI ... EXEC, a fresh id per attempt; false after an error (give up). */
  async #watchTransfer(
    client: NodeClient,
    base: string,
    from: string,
    to: string,
    amount: number,
    absolute: boolean,
  ): Promise<boolean> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const id = `${base}.${attempt}`;
      const node = client.target;
      const callMs = performance.now();
      const record = (status: Status, reply: string) =>
        this.transfers.set(id, {
          id,
          kind: "watch",
          from,
          to,
          amount,
          node,
          status,
          reply,
          callMs,
          returnMs: performance.now(),
        });
      const read = await client.send([["WATCH", from, to], ["MGET", from, to]]);
      if (read === null || read === UNKNOWN || read[1].kind !== "array") return false;
      const balances = read[1].value.map(balance);
      if (balances.some((v) => v < 0)) {
        this.anomalies.push(`negative balance read by WATCH transfer ${id}: ${show(read[1])}`);
      }
      if (balances[0] < amount) {
        await client.send([["UNWATCH"]]);
        return true;
      }
      // Relative moves, or Jepsen's classic absolute writes of what was read (a lost WATCH
      // abort then breaks the total, not only a balance).
      const moves = absolute
        ? [["SET", from, String(balances[0] - amount)], ["SET", to, String(balances[1] + amount)]]
        : [["DECRBY", from, String(amount)], ["INCRBY", to, String(amount)]];
      const replies = await client.send([["MULTI"], ...moves, ["RPUSH", LOG, id], ["EXEC"]]);
      if (replies === null) {
        record("none", "not sent");
        return false;
      }
      if (replies === UNKNOWN) {
        record("unknown", show(replies));
        return false;
      }
      const exec = replies[4];
      if (exec.kind === "nilArray" || exec.kind === "nil") {
        record("none", "nil");
        continue; // a watched key changed: certainly not applied; retry
      }
      const applied = exec.kind === "array" && exec.value.length === 3 &&
        exec.value.every((r) => r.kind !== "error");
      record(applied ? "ok" : "unknown", show(exec));
      if (applied && !absolute && Number((exec.value[0] as { value: number }).value) < 0) {
        this.anomalies.push(`WATCH transfer ${id} overdrew ${from}: EXEC ${show(exec)}`);
      }
      return applied;
    }
    return true;
  }

  /** EVAL alone, or inside MULTI / EXEC; false after an error. */
  async #scriptTransfer(
    client: NodeClient,
    kind: Kind,
    id: string,
    from: string,
    to: string,
    amount: number,
  ): Promise<boolean> {
    const node = client.target;
    const callMs = performance.now();
    const args = ["3", from, to, LOG, String(amount), id];
    const evalArgv = ["EVAL", TRANSFER_SCRIPT, ...args];
    // As ioredis runs a defined command: EVALSHA, and EVAL after NOSCRIPT.
    let replies = await client.send(
      kind === "eval" ? [["EVALSHA", TRANSFER_SHA, ...args]] : [["MULTI"], evalArgv, ["EXEC"]],
    );
    if (
      kind === "eval" && replies !== null && replies !== UNKNOWN &&
      replies[0].kind === "error" && replies[0].value.startsWith("NOSCRIPT")
    ) {
      replies = await client.send([evalArgv]);
    }
    let status: Status;
    let result: Reply | null = null;
    if (replies === null) status = "none";
    else if (replies === UNKNOWN) status = "unknown";
    else {
      const last = replies[replies.length - 1];
      result = kind === "eval" ? last : last.kind === "array" ? last.value[0] : last;
      status = result.kind === "integer" ? (Number(result.value) === 1 ? "ok" : "none") : "unknown";
    }
    this.transfers.set(id, {
      id,
      kind,
      from,
      to,
      amount,
      node,
      status,
      reply: result ? show(result) : show(replies),
      callMs,
      returnMs: performance.now(),
    });
    return status !== "unknown" && replies !== null;
  }

  async reader(clientId: number, stopped: () => boolean): Promise<void> {
    const client = new NodeClient(this.cluster, clientId % this.cluster.nodes.length);
    while (!stopped()) {
      const node = client.target;
      const callMs = performance.now();
      const replies = await client.send([["MGET", ...ACCOUNTS]]);
      if (replies === null || replies === UNKNOWN || replies[0].kind !== "array") {
        await client.moveOn();
        continue;
      }
      const balances = replies[0].value.map(balance);
      this.reads.push({ client: clientId, node, balances, callMs, returnMs: performance.now() });
      const sum = balances.reduce((s, v) => s + v, 0);
      if (sum !== TOTAL || balances.some((v) => v < 0)) {
        this.anomalies.push(
          `read by c${clientId} on node ${node} at ${callMs.toFixed(0)}-${
            performance.now().toFixed(0)
          } ms: [${balances}] sums to ${sum}, not ${TOTAL}`,
        );
      }
    }
    client.close();
  }

  /** The audit: the final state on every node against the transfers' log. */
  async audit(): Promise<{ balances: number[]; log: string[] }> {
    let final: { balances: number[]; log: string[] } | null = null;
    for (const node of this.cluster.nodes) {
      const client = new NodeClient(this.cluster, node.index);
      const replies = await client.send([["MGET", ...ACCOUNTS], ["LRANGE", LOG, "0", "-1"]]);
      client.close();
      assert.ok(replies !== null && replies !== UNKNOWN, `final read on node ${node.index}`);
      assert.equal(
        replies[0].kind,
        "array",
        `final read on node ${node.index}: ${show(replies[0])}`,
      );
      assert.equal(
        replies[1].kind,
        "array",
        `final read on node ${node.index}: ${show(replies[1])}`,
      );
      const state = {
        balances: (replies[0] as { value: readonly Reply[] }).value.map(balance),
        log: (replies[1] as { value: readonly Reply[] }).value.map((r) =>
          (r as { value: string }).value
        ),
      };
      if (final === null) final = state;
      else if (JSON.stringify(state) !== JSON.stringify(final)) {
        this.anomalies.push(
          `node ${node.index} ends with [${state.balances}] and ${state.log.length} logged ` +
            `transfers; node 0 with [${final.balances}] and ${final.log.length}`,
        );
      }
    }
    const { balances, log } = final!;
    const sum = balances.reduce((s, v) => s + v, 0);
    if (sum !== TOTAL) this.anomalies.push(`final balances [${balances}] sum to ${sum}`);

    const seen = new Set<string>();
    const replay = ACCOUNTS.map(() => INITIAL);
    log.forEach((id, at) => {
      const t = this.transfers.get(id);
      if (!t) {
        this.anomalies.push(`log entry ${at} "${id}" was never attempted`);
        return;
      }
      if (seen.has(id)) {
        this.anomalies.push(`transfer applied twice (log entry ${at}): ${describe(t)}`);
      }
      seen.add(id);
      if (t.status === "none") {
        this.anomalies.push(
          `transfer applied though its reply said not (log ${at}): ${describe(t)}`,
        );
      }
      const from = ACCOUNTS.indexOf(t.from);
      replay[from] -= t.amount;
      replay[ACCOUNTS.indexOf(t.to)] += t.amount;
      if (replay[from] < 0) {
        this.anomalies.push(
          `replaying the log overdraws ${t.from} at entry ${at} ([${replay}]): ${describe(t)}`,
        );
      }
    });
    for (const t of this.transfers.values()) {
      if (t.status === "ok" && !seen.has(t.id)) {
        this.anomalies.push(`acknowledged transfer lost: ${describe(t)}`);
      }
    }
    if (JSON.stringify(replay) !== JSON.stringify(balances)) {
      this.anomalies.push(`replaying the log gives [${replay}], the final state is [${balances}]`);
    }
    return final!;
  }
}

function balance(reply: Reply): number {
  return reply.kind === "bulk" ? Number(reply.value) : reply.kind === "nil" ? 0 : NaN;
}

function describe(t: Transfer): string {
  return `${t.kind} ${t.id} ${t.from} -> ${t.to} ${t.amount} via node ${t.node} at ` +
    `${t.callMs.toFixed(0)}-${t.returnMs.toFixed(0)} ms: ${t.status} (${t.reply})`;
}

Deno.test({
  name: `raft cluster (${NODES} nodes): Jepsen bank under partitions, kill -9 and restarts`,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const cluster = await RaftTestCluster.start({
      size: NODES,
      fullPartitions: fullPartitions(false),
      env: { HELIOS_ATLAS__RAFT__SNAPSHOT_THRESHOLD: "200" },
    });
    const seed = jepsenSeed();
    const bank = new Bank(cluster, seed);
    try {
      await cluster.leader();
      const setup = new NodeClient(cluster, 0);
      const mset = await setup.send([["MSET", ...ACCOUNTS.flatMap((a) => [a, String(INITIAL)])]]);
      setup.close();
      assert.equal(show(mset && mset !== UNKNOWN ? mset[0] : mset), "OK");

      const workers = (stopped: () => boolean, base: number) => [
        ...[0, 1, 2, 3, 4, 5].map((i) => bank.transferer(base + i, "watch", stopped)),
        bank.transferer(base + 6, "multi-eval", stopped),
        bank.transferer(base + 7, "eval", stopped),
        ...[8, 9].map((i) => bank.reader(base + i, stopped)),
      ];
      const faults = await runUnderFaults(cluster, {
        seconds: FAULT_SECONDS,
        seed,
        nemesis: { extra: extraFaults(["pause"]) },
        clients: (stopped) => workers(stopped, 0),
        quietClients: (stopped) => workers(stopped, 100),
      });
      const { balances, log } = await bank.audit();

      const all = [...bank.transfers.values()];
      const count = (kind: Kind, status: Status) =>
        all.filter((t) => t.kind === kind && t.status === status).length;
      const summary = `seed ${seed}; transfers ok/none/unknown: ${
        (["watch", "multi-eval", "eval"] as Kind[]).map((k) =>
          `${k} ${count(k, "ok")}/${count(k, "none")}/${count(k, "unknown")}`
        ).join(", ")
      }; ${bank.reads.length} reads; log ${log.length}; final [${balances}]; faults: ${
        faults.join("; ")
      }`;
      verbose(summary);
      assert.deepEqual(bank.anomalies.slice(0, 20), [], `anomalies (${summary})`);
      for (const kind of ["watch", "multi-eval", "eval"] as Kind[]) {
        assert.ok(count(kind, "ok") > 20, `too few ${kind} transfers: ${summary}`);
      }
      assert.ok(bank.reads.length > 100, `too few reads: ${summary}`);
    } finally {
      await cluster.close();
    }
  },
});

Deno.test({
  name: "raft cluster: EVALSHA applies on a follower restarted from a snapshot as on the others",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    // Before the script cache was in snapshots, the restarted follower answered NOSCRIPT to the
    // EVALSHA entry the others ran, and kept its old balances: the replicas diverged.
    const cluster = await RaftTestCluster.start({
      size: 3,
      env: { HELIOS_ATLAS__RAFT__SNAPSHOT_THRESHOLD: "50" },
    });
    try {
      const leader = await cluster.leader();
      const client = new NodeClient(cluster, leader);
      const one = async (argv: string[]) => {
        const replies = await client.send([argv]);
        assert.ok(replies !== null && replies !== UNKNOWN, `${argv[0]}: ${show(replies)}`);
        return replies[0];
      };
      assert.equal(show(await one(["SCRIPT", "LOAD", TRANSFER_SCRIPT])), TRANSFER_SHA);
      assert.equal(show(await one(["MSET", "x", "100", "y", "0"])), "OK");
      const follower = (leader + 1) % 3;
      for (let i = 0; (await cluster.status(follower))?.snapshot_index === 0; i++) {
        assert.equal(show(await one(["SET", `filler:${i}`, "v"])), "OK");
      }
      await cluster.kill(follower);
      await cluster.startNode(follower);
      const moved = await one(["EVALSHA", TRANSFER_SHA, "3", "x", "y", LOG, "30", "t1"]);
      assert.equal(show(moved), "1");
      client.close();
      for (const node of cluster.nodes) {
        const reader = new NodeClient(cluster, node.index);
        let replies = await reader.send([["MGET", "x", "y"]]);
        while (replies === null || replies === UNKNOWN || replies[0].kind === "error") {
          await new Promise((resolve) => setTimeout(resolve, 100)); // the restarted node catching up
          replies = await reader.send([["MGET", "x", "y"]]);
        }
        reader.close();
        assert.equal(show(replies[0]), "[70, 30]", `node ${node.index} (restarted: ${follower})`);
      }
    } finally {
      await cluster.close();
    }
  },
});
