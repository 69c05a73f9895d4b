/**
 * Raft metrics: gauges read from the node's status at scrape time, histograms and counters fed
 * by the driver's hooks.
 */
import type { MetricsRegistry } from "./metrics.ts";

export interface RaftFacts {
  status(): {
    state: string;
    term: number;
    commitIndex: number;
    appliedIndex: number;
    snapshotIndex: number;
    peers: { id: string; rttSeconds: number | null }[];
  };
}

const STATE_VALUES: Record<string, number> = {
  follower: 0,
  preCandidate: 1,
  candidate: 2,
  leader: 3,
};

export interface RaftMetricHooks {
  onFsync(seconds: number): void;
  onAppend(seconds: number): void;
  onSnapshot(seconds: number): void;
  onLeaderChange(): void;
  onProposal(result: string): void;
}

export function registerRaftMetrics(
  metrics: MetricsRegistry,
  node: () => RaftFacts | null,
): RaftMetricHooks {
  const gauge = (
    name: string,
    help: string,
    read: (s: ReturnType<RaftFacts["status"]>) => number,
  ) =>
    metrics.gauge({
      name,
      help,
      collect() {
        const status = node()?.status();
        if (status) this.set(read(status));
      },
    });
  gauge("raft_term", "Current Raft term", (s) => s.term);
  gauge(
    "raft_state",
    "Raft role: 0 follower, 1 pre-candidate, 2 candidate, 3 leader",
    (s) => STATE_VALUES[s.state] ?? 0,
  );
  gauge("raft_commit_index", "Highest log index known committed", (s) => s.commitIndex);
  gauge("raft_applied_index", "Highest log index applied to ATLAS", (s) => s.appliedIndex);
  gauge("raft_snapshot_index", "Log index of the latest snapshot", (s) => s.snapshotIndex);
  metrics.gauge({
    name: "raft_peer_rtt_seconds",
    help: "Last measured round trip to each peer, in seconds",
    labelNames: ["peer"],
    collect() {
      this.reset();
      for (const peer of node()?.status().peers ?? []) {
        if (peer.rttSeconds !== null) this.set({ peer: peer.id }, peer.rttSeconds);
      }
    },
  });
  const leaderChanges = metrics.counter({
    name: "raft_leader_changes_total",
    help: "Times this node saw the leader change",
  });
  const proposals = metrics.counter({
    name: "raft_proposals_total",
    help: "Proposals made on this node, by result",
    labelNames: ["result"],
  });
  const fsync = metrics.histogram({
    name: "raft_fsync_duration_seconds",
    help: "Raft log fsync duration in seconds",
  });
  const append = metrics.histogram({
    name: "raft_append_duration_seconds",
    help: "Time to make a batch of Raft entries durable, in seconds",
  });
  const snapshot = metrics.histogram({
    name: "raft_snapshot_duration_seconds",
    help: "Time to take a Raft snapshot of ATLAS, in seconds",
    buckets: [0.001, 0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30],
  });
  return {
    onFsync: (s) => fsync.observe(s),
    onAppend: (s) => append.observe(s),
    onSnapshot: (s) => snapshot.observe(s),
    onLeaderChange: () => leaderChanges.inc(),
    onProposal: (result) => proposals.inc({ result }),
  };
}
