/**
 * The checkers bite: with a deliberate bug switched on through a test-only knob, the simulator
 * reports a violation; with the knob off, the same runs are clean.
 */
import assert from "node:assert/strict";
import type { TestingKnobs } from "../core/raft.ts";
import type { Message } from "../core/types.ts";
import { cluster, waitLeader } from "./scenario_helpers.ts";
import { runSeed } from "./simulator.ts";

Deno.test("bites: granting votes without the log-freshness check is caught within 40 seeds", () => {
  let found = -1;
  for (let seed = 1; seed <= 40 && found < 0; seed++) {
    const r = runSeed(seed, { testingKnobs: { skipLogFreshnessCheckOnVote: true } });
    if (!r.ok) found = seed;
  }
  assert.ok(found > 0, "no violation found in 40 seeds");
  assert.ok(runSeed(found).ok, `SEED=${found} must be clean without the bug`);
});

Deno.test("bites: stale local reads (no ReadIndex) fail the linearizability check within 30 seeds", () => {
  let found = -1;
  for (let seed = 1; seed <= 30 && found < 0; seed++) {
    const r = runSeed(seed, { unsafeLocalReads: true });
    if (r.violations.some((v) => v.startsWith("linearizability"))) found = seed;
  }
  assert.ok(found > 0, "no linearizability violation found in 30 seeds");
  assert.ok(runSeed(found).ok, `SEED=${found} must be clean with ReadIndex`);
});

Deno.test("bites: acknowledging before fsync is caught within 300 seeds", () => {
  // Acked-then-lost entries show up as lost committed entries (safety) or as a follower the
  // leader believes is further ahead than it is, wedging replication (liveness).
  let found = -1;
  for (let seed = 1; seed <= 300 && found < 0; seed++) {
    if (!runSeed(seed, { unsafeSendBeforeSync: true }).ok) found = seed;
  }
  assert.ok(found > 0, "no violation found in 300 seeds");
  assert.ok(runSeed(found).ok, `SEED=${found} must be clean when acks wait for the sync`);
});

/**
 * Raft paper, Figure 8, scripted: S1 (term 2) replicates X at index i to S2 only and crashes; S5
 * wins term 3 and writes Y at i locally and crashes; S1 wins term 4 and replicates X (term 2) to a
 * majority but not its own term-4 entry. Counting old-term entries commits X; then S5 wins term 5
 * (its last term 3 beats 2) and overwrites X. Returns the checker's violations.
 */
function figure8(knobs: TestingKnobs): string[] {
  const c = cluster(5, 71, {
    preVote: false,
    checkQuorum: false,
    electionTicks: 1000,
    msgBytesMax: 1,
    testingKnobs: knobs,
  });
  const [s1, s2, s3, s4, s5] = c.ids;
  const raft = (id: string) => c.node(id).raw.raft;
  c.run(20); // apply the bootstrap membership entries
  c.poke(s1, (r) => r.campaign());
  c.runUntil(
    () =>
      raft(s1).state === "leader" &&
      c.ids.every((id) => raft(id).log.committed === raft(s1).log.lastIndex()),
    500,
  );
  assert.equal(raft(s1).state, "leader");
  const i = raft(s1).log.lastIndex() + 1;
  // (a) X at index i reaches S2 only.
  c.net.partition([s1, s2], [s3, s4, s5]);
  c.submit(s1, { kind: "set", key: "x", value: 1 }, false, () => {});
  c.runUntil(() => raft(s2).log.lastIndex() === i, 200);
  // (b) S1 crashes; S5 wins term 3 with S3, S4 but its entry Y at i stays local.
  c.crash(s1);
  c.net.healAll();
  c.net.cut(s5, s2);
  c.net.filter = (m: Message) => (m.from === s5 && m.type === "app" ? null : m);
  c.poke(s5, (r) => r.campaign());
  c.runUntil(() => raft(s5).state === "leader", 200);
  c.submit(s5, { kind: "set", key: "x", value: 2 }, false, () => {});
  c.run(50);
  assert.equal(raft(s5).log.term(i), raft(s5).term, "S5 holds its own entry at i");
  c.crash(s5);
  c.net.filter = null;
  // (c) S1 restarts and wins term 4; its term-4 entries are stripped from appends.
  c.restart(s1);
  c.net.filter = (m: Message) => {
    if (m.from !== s1 || m.type !== "app") return m;
    return { ...m, entries: m.entries.filter((e) => e.term !== raft(s1).term) };
  };
  for (let n = 0; n < 3 && raft(s1).state !== "leader"; n++) {
    c.poke(s1, (r) => r.campaign());
    c.run(50);
  }
  assert.equal(raft(s1).state, "leader");
  c.run(200);
  assert.equal(raft(s3).log.term(i), 2, "X replicated to a majority");
  // (d) S1 crashes; S5 restarts and wins with S2, S3, S4, overwriting index i.
  c.crash(s1);
  c.net.filter = null;
  c.restart(s5);
  for (let n = 0; n < 3 && raft(s5).state !== "leader"; n++) {
    c.poke(s5, (r) => r.campaign());
    c.run(50);
  }
  c.run(300);
  c.checkLogs();
  return c.checker.violations;
}

Deno.test("bites: counting old-term entries toward commit is caught (Figure 8 scripted)", () => {
  const buggy = figure8({ countOldTermEntriesForCommit: true });
  assert.ok(
    buggy.some((v) => v.startsWith("state machine safety") || v.startsWith("leader completeness")),
    buggy.join("\n"),
  );
  assert.deepEqual(figure8({}), []);
});

Deno.test("bites: a quiet 3-node cluster with no faults has no violations", () => {
  const c = cluster(3, 72);
  waitLeader(c);
  c.run(1000);
  c.checkLogs();
  assert.deepEqual(c.checker.violations, []);
});
