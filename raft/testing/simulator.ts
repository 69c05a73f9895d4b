import type { ConfChange } from "../core/conf_change.ts";
import { RaftError } from "../core/errors.ts";
import { Prng } from "../core/prng.ts";
import type { TestingKnobs } from "../core/raft.ts";
import type { NodeId } from "../core/types.ts";
import { SimCluster } from "./cluster.ts";
import { checkLinearizable } from "./linearizability.ts";
import { Workload } from "./workload.ts";

export interface SimOptions {
  /** Length of the safety phase (faults on). */
  safetyMs?: number;
  /** Bound for the liveness phase: after healing a majority, an operation must succeed within it. */
  livenessMs?: number;
  testingKnobs?: TestingKnobs;
  /** Deliberate bug for checker tests: acknowledge writes before they are durable. */
  unsafeSendBeforeSync?: boolean;
  /** Deliberate bug for checker tests: gets read local state without ReadIndex. */
  unsafeLocalReads?: boolean;
  /** Force a cluster size instead of drawing 3, 5 or 7 from the seed. */
  nodeCount?: number;
  /** Debug hook: inspect the cluster when the run ends. */
  onEnd?: (cluster: SimCluster) => void;
  /** Receives a line per fault, election and phase change. */
  trace?: (line: string) => void;
}

export interface SimResult {
  seed: number;
  ok: boolean;
  violations: string[];
  nodeCount: number;
  simMs: number;
  messages: number;
  ops: { ok: number; fail: number; unknown: number };
  linearizability: "ok" | "illegal" | "unknown";
  /** Search steps the linearizability checker used. */
  linearizabilitySteps: number;
  maxTerm: number;
}

/**
 * One deterministic simulation: everything (cluster shape, faults, delays, workload) derives from
 * `seed`, so the same seed replays the same run exactly.
 */
export function runSeed(seed: number, opts: SimOptions = {}): SimResult {
  const random = new Prng(seed);
  const nodeCount = opts.nodeCount ?? random.pick([3, 3, 5, 5, 7]);
  const cluster = new SimCluster({
    nodeCount,
    seed: random.nextU32(),
    preVote: random.chance(0.75),
    checkQuorum: random.chance(0.75),
    snapshotEveryEntries: random.pick([0, 10, 40]),
    diskLatencyMsMax: random.pick([0, 2, 8]),
    msgBytesMax: random.pick([200, 4096, 64 * 1024]),
    inflightMsgsMax: random.pick([1, 4, 64]),
    testingKnobs: opts.testingKnobs,
    spareNodes: random.pick([0, 0, 1, 2]),
    electionTicks: random.pick([6, 10, 10, 20]),
    heartbeatTicks: random.pick([1, 2, 2, 3]),
    tickDriftMsMax: random.pick([1, 1, 3]),
    unsafeLocalReads: opts.unsafeLocalReads,
    unsafeSendBeforeSync: opts.unsafeSendBeforeSync,
  });
  const workload = new Workload(cluster, random.fork(), {
    clients: random.range(2, 5),
    keys: random.range(2, 5),
    opTimeoutMs: 600,
    readIndexRate: random.pick([0, 0.5, 1]),
  });
  const violations: string[] = [];
  cluster.trace = opts.trace ?? null;
  cluster.log(`${nodeCount} nodes, ${JSON.stringify(describeConfig(cluster))}`);
  try {
    workload.start();
    const faults = new FaultInjector(cluster, random.fork(), nodeCount);
    faults.schedule(opts.safetyMs ?? 2000);
    cluster.run(opts.safetyMs ?? 2000);
    cluster.checkLogs();
    livenessPhase(cluster, workload, random, opts.livenessMs ?? 3000, violations);
    cluster.checkLogs();
  } catch (e) {
    violations.push(`exception: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
  }
  opts.onEnd?.(cluster);
  violations.unshift(...cluster.checker.violations);
  const lin = checkLinearizable(workload.history, { stepsMax: 1_000_000 });
  if (lin.verdict === "illegal") {
    violations.push(`linearizability: history of key "${lin.key}" is not linearizable`);
  }
  const count = (s: string) => workload.history.filter((h) => h.status === s).length;
  let maxTerm = 0;
  for (const n of cluster.nodes.values()) if (n.up) maxTerm = Math.max(maxTerm, n.raw.raft.term);
  return {
    seed,
    ok: violations.length === 0,
    violations,
    nodeCount,
    simMs: cluster.now,
    messages: cluster.net.sent,
    ops: { ok: count("ok"), fail: count("fail"), unknown: count("unknown") },
    linearizability: lin.verdict,
    linearizabilitySteps: lin.steps,
    maxTerm,
  };
}

/** Heals a random majority; it must elect a leader, serve, and converge within bounds. */
function livenessPhase(
  cluster: SimCluster,
  workload: Workload,
  random: Prng,
  livenessMs: number,
  violations: string[],
): void {
  const majority = healedSet(cluster, random);
  cluster.net.healAll();
  for (const id of cluster.ids) {
    if (majority.includes(id)) cluster.restart(id);
    else cluster.isolate(id);
  }
  cluster.log(`liveness phase: healed ${majority.join(",")}`);
  const healedAt = cluster.now;
  const served = cluster.runUntil(() => workload.okAfter(healedAt) >= 3, livenessMs);
  if (!served) {
    violations.push(
      `liveness: no 3 operations succeeded within ${livenessMs}ms of healing ${majority.join(",")}`,
    );
    return;
  }
  workload.running = false;
  // Quiet: the majority must converge on one leader and apply everything it committed. Slow
  // configurations (one inflight message of a few entries) need time to replay a long log.
  const converged = () => convergenceProblems(cluster, majority).length === 0;
  if (!cluster.runUntil(converged, CONVERGE_MS_MAX)) {
    for (const p of convergenceProblems(cluster, majority)) {
      violations.push(`liveness: ${p} ${CONVERGE_MS_MAX}ms after the workload stopped`);
    }
  }
}

const CONVERGE_MS_MAX = 5000;

function describeConfig(c: SimCluster): Record<string, unknown> {
  const o = c.opts;
  return {
    preVote: o.preVote,
    checkQuorum: o.checkQuorum,
    snapshotEveryEntries: o.snapshotEveryEntries,
    diskLatencyMsMax: o.diskLatencyMsMax,
    msgBytesMax: o.msgBytesMax,
    inflightMsgsMax: o.inflightMsgsMax,
    spareNodes: o.spareNodes,
    electionTicks: o.electionTicks,
    heartbeatTicks: o.heartbeatTicks,
    tickDriftMsMax: o.tickDriftMsMax,
  };
}

function convergenceProblems(cluster: SimCluster, healed: NodeId[]): string[] {
  // A node removed (and decommissioned) after healing no longer counts.
  const majority = healed.filter((id) => !cluster.removed.has(id));
  const leaders = majority.filter((id) => cluster.node(id).raw.raft.state === "leader");
  if (leaders.length !== 1) return [`${leaders.length} leaders in the healed majority`];
  const leader = cluster.node(leaders[0]).raw;
  const commit = leader.raft.log.committed;
  const { voters, learners } = leader.status().confState;
  const problems: string[] = [];
  for (const id of majority.filter((id) => voters.includes(id) || learners.includes(id))) {
    const applied = cluster.node(id).raw.raft.log.applied;
    if (applied !== commit) problems.push(`"${id}" applied ${applied}, leader committed ${commit}`);
  }
  return problems;
}

/**
 * The nodes to heal: a random majority of the voters; with membership changes (spare nodes),
 * every node not removed, since a pending change may still add any node to the quorum. Removed
 * nodes stay cut off, as an operator would shut them down (without PreVote/CheckQuorum a removed
 * node that missed its removal disrupts elections forever: Raft thesis 4.2.3).
 */
function healedSet(cluster: SimCluster, random: Prng): NodeId[] {
  if (cluster.opts.spareNodes > 0) return cluster.ids.filter((id) => !cluster.removed.has(id));
  const ids = [...cluster.ids];
  const size = Math.floor(ids.length / 2) + 1 + random.int(Math.ceil(ids.length / 2));
  return random.shuffle(ids).slice(0, size);
}

/** Random faults during the safety phase: crashes, restarts, partitions, lossy links, transfers. */
class FaultInjector {
  readonly #everMember: Set<NodeId>;

  constructor(readonly cluster: SimCluster, readonly random: Prng, nodeCount: number) {
    this.#everMember = new Set(cluster.ids.slice(0, nodeCount));
  }

  schedule(untilMs: number): void {
    // Some seeds crash fresh leaders before their first entries spread (Figure 8 territory).
    const earlyCrashRate = this.random.pick([0, 0, 0.2, 0.5]);
    this.cluster.onLeaderElected = (id) => {
      if (this.cluster.now >= untilMs || !this.random.chance(earlyCrashRate)) return;
      this.cluster.queue.after(this.random.range(0, 12), () => {
        if (this.cluster.now < untilMs) this.cluster.crash(id);
      });
    };
    // Some seeds crash nodes in the middle of writing a batch: torn writes.
    const tearRate = this.random.pick([0, 0.01, 0.05]);
    this.cluster.onBatchWritten = (id) => {
      if (this.cluster.now >= untilMs || !this.random.chance(tearRate)) return;
      this.cluster.queue.after(0, () => this.cluster.crash(id));
    };
    const meanGapMs = this.random.pick([50, 150, 400]);
    let t = 0;
    for (;;) {
      t += this.random.range(1, 2 * meanGapMs);
      if (t >= untilMs) break;
      this.cluster.queue.after(t, () => this.#inject());
    }
  }

  /** One single-server change: add a spare as learner or voter, promote a learner, remove one. */
  #changeMembership(): void {
    const c = this.cluster;
    const r = this.random;
    const l = c.leader();
    if (!l) return;
    const { voters, learners } = c.node(l).raw.status().confState;
    const spares = c.ids.filter((id) => !this.#everMember.has(id));
    const options: ConfChange[] = [];
    for (const id of spares) {
      options.push({ type: "addLearner", nodeId: id }, { type: "addVoter", nodeId: id });
    }
    for (const id of learners) options.push({ type: "addVoter", nodeId: id });
    if (voters.length > 3) {
      for (const id of voters) options.push({ type: "removeNode", nodeId: id });
    }
    for (const id of learners) options.push({ type: "removeNode", nodeId: id });
    if (options.length === 0) return;
    const cc = r.pick(options);
    try {
      c.proposeConfChange(l, cc);
      this.#everMember.add(cc.nodeId);
    } catch (e) {
      if (!(e instanceof RaftError)) throw e;
    }
  }

  #inject(): void {
    const c = this.cluster;
    const r = this.random;
    const ids = c.ids;
    if (c.opts.spareNodes > 0 && r.chance(0.2)) {
      this.#changeMembership();
      return;
    }
    const x = r.next();
    if (x < 0.18) {
      // Half the time, hit a node in the middle of a write (to lose or tear it).
      const up = c.upIds();
      const writing = up.filter((id) => c.node(id).disk.unsyncedCount() > 0);
      const batch = writing.filter((id) => c.node(id).disk.unsyncedEntryCount() > 1);
      if (batch.length > 0 && r.chance(0.5)) c.crash(r.pick(batch));
      else if (writing.length > 0 && r.chance(0.5)) c.crash(r.pick(writing));
      else if (up.length > 0) c.crash(r.pick(up));
    } else if (x < 0.38) {
      const down = ids.filter((id) => !c.node(id).up);
      if (down.length > 0) c.restart(r.pick(down));
    } else if (x < 0.5) {
      const shuffled = r.shuffle(ids);
      const cut = r.range(1, ids.length - 1);
      c.net.partition(shuffled.slice(0, cut), shuffled.slice(cut));
      c.log(`partition ${shuffled.slice(0, cut).join(",")} | ${shuffled.slice(cut).join(",")}`);
    } else if (x < 0.56) {
      for (let i = r.range(1, 3); i > 0; i--) {
        const [from, to] = [r.pick(ids), r.pick(ids)];
        c.net.cutOneWay(from, to);
        c.log(`cut ${from} -> ${to}`);
      }
    } else if (x < 0.7) {
      c.net.healAll();
      c.log("heal network");
    } else if (x < 0.82) {
      const faults = {
        lossRate: r.pick([0, 0.05, 0.2, 0.4]),
        duplicateRate: r.pick([0, 0.05, 0.2]),
        delayMsMin: 1,
        delayMsMax: r.pick([3, 10, 40]),
      };
      if (r.chance(0.5)) {
        c.net.defaults = faults;
        c.log(`all links ${JSON.stringify(faults)}`);
      } else {
        // One bad link (one direction), e.g. a flaky NIC or a congested route.
        const [from, to] = [r.pick(ids), r.pick(ids)];
        c.net.setLink(from, to, { ...faults, lossRate: Math.max(faults.lossRate, 0.3) });
        c.log(`link ${from} -> ${to} ${JSON.stringify(faults)}`);
      }
    } else if (x < 0.88) {
      const l = c.leader();
      if (l) c.isolate(l);
    } else if (x < 0.92) {
      const l = c.leader();
      if (l) c.transferLeader(l, r.pick(ids));
    } else if (x < 0.96) {
      // A stalled process, often the leader: it wakes up believing it still leads.
      const l = c.leader();
      c.pause(l && r.chance(0.7) ? l : r.pick(ids), r.range(50, 600));
    } else {
      const l = c.leader();
      if (l) c.crash(l);
    }
  }
}
