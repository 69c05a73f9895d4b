import assert from "node:assert/strict";
import { NotLeaderError, ProposalDroppedError } from "../core/errors.ts";
import { assertSafe, cluster, nodesWith, one, request, waitLeader } from "./scenario_helpers.ts";

Deno.test("features: a proposal on a follower fails fast with a leader hint", () => {
  const c = cluster(3, 61);
  const l = waitLeader(c);
  c.run(100);
  const f = c.ids.find((id) => id !== l)!;
  const t0 = c.now;
  const r = request(c, f, { kind: "set", key: "x", value: 1 });
  assert.equal(r?.status, "fail");
  assert.equal(r?.hint, l);
  assert.ok(c.now - t0 <= 5, "refusal must be immediate");
  assert.throws(() => c.node(f).raw.propose(new Uint8Array([1])), (e: unknown) => {
    return e instanceof NotLeaderError && e.leaderHint === l && e.code === "NOT_LEADER";
  });
});

Deno.test("features: ReadIndex reads on leader and followers see the latest write", () => {
  const c = cluster(3, 62);
  const l = waitLeader(c);
  one(c, "x", 7, 3);
  for (const id of c.ids) {
    const before = c.net.sentByType.get("heartbeat") ?? 0;
    const r = request(c, id, { kind: "get", key: "x" }, { readIndex: true });
    assert.deepEqual([r?.status, r?.result], ["ok", 7], `read at ${id}`);
    // The leader confirmed leadership with a heartbeat round before answering.
    assert.ok((c.net.sentByType.get("heartbeat") ?? 0) > before);
  }
  assert.ok(l);
  assertSafe(c);
});

Deno.test("features: a partitioned old leader cannot serve a ReadIndex read", () => {
  const c = cluster(3, 63, { checkQuorum: false });
  const l = waitLeader(c);
  one(c, "x", 1, 3);
  c.isolate(l);
  const r = request(c, l, { kind: "get", key: "x" }, { readIndex: true, maxMs: 1000 });
  assert.equal(r, null, "a leader without a quorum must not answer");
});

Deno.test("features: leadership transfer hands over and refuses proposals meanwhile", () => {
  const c = cluster(3, 64);
  const l = waitLeader(c);
  one(c, "x", 1, 3);
  const target = c.ids.find((id) => id !== l)!;
  c.transferLeader(l, target);
  assert.throws(() => c.node(l).raw.propose(new Uint8Array([1])), ProposalDroppedError);
  assert.ok(c.runUntil(() => c.leader() === target, 500), "transfer did not complete");
  one(c, "x", 2, 3);
  assertSafe(c);
});

Deno.test("features: transfer to a lagging follower waits for it to catch up", () => {
  const c = cluster(3, 65);
  const l = waitLeader(c);
  const target = c.ids.find((id) => id !== l)!;
  c.isolate(target);
  for (let v = 1; v <= 5; v++) one(c, "x", v, 2);
  c.reconnect(target);
  c.transferLeader(l, target);
  assert.ok(c.runUntil(() => c.leader() === target, 1000));
  assert.equal(c.node(target).kv.get("x"), 5);
  assertSafe(c);
});

Deno.test("features: membership changes one at a time (learner, promote, remove)", () => {
  const c = cluster(3, 66, { spareNodes: 1 });
  const l = waitLeader(c);
  one(c, "x", 1, 3);
  const n4 = "node-4";
  c.proposeConfChange(l, { type: "addLearner", nodeId: n4 });
  assert.throws(
    () => c.proposeConfChange(l, { type: "addVoter", nodeId: n4 }),
    ProposalDroppedError,
    "a second change while one is pending must be refused",
  );
  c.runUntil(() => c.node(l).raw.status().confState.learners.includes(n4), 1000);
  one(c, "x", 2, 4);
  assert.ok(nodesWith(c, "x", 2).includes(n4), "learner replicates");
  assert.equal(c.node(n4).raw.raft.state, "follower");
  // A learner does not count toward the quorum: with two voters down nothing commits.
  const voters = c.ids.filter((id) => id !== l && id !== n4);
  c.proposeConfChange(l, { type: "addVoter", nodeId: n4 });
  c.runUntil(() => c.node(l).raw.status().confState.voters.includes(n4), 1000);
  c.run(100);
  assert.deepEqual(c.node(n4).raw.status().confState.voters.length, 4);
  c.isolate(voters[0]);
  one(c, "x", 3, 3); // 3 of 4 voters
  c.reconnect(voters[0]);
  const leader = c.leader()!;
  const victim = c.ids.find((id) => id !== leader)!;
  c.proposeConfChange(leader, { type: "removeNode", nodeId: victim });
  c.runUntil(() => !c.node(leader).raw.status().confState.voters.includes(victim), 1000);
  c.crash(victim);
  one(c, "x", 4, 3);
  assertSafe(c);
});

Deno.test("features: removing the leader makes it step down and the rest elect a new one", () => {
  const c = cluster(3, 67);
  const l = waitLeader(c);
  one(c, "x", 1, 3);
  c.proposeConfChange(l, { type: "removeNode", nodeId: l });
  assert.ok(c.runUntil(() => c.leader() !== null && c.leader() !== l, 3000));
  assert.equal(c.node(c.leader()!).raw.status().confState.voters.length, 2);
  one(c, "x", 2, 2);
  assertSafe(c);
});

Deno.test("features: invalid membership changes are refused with a reason", () => {
  const c = cluster(3, 68);
  const l = waitLeader(c);
  c.run(100);
  assert.throws(() => c.proposeConfChange(l, { type: "addVoter", nodeId: l }), /already a voter/);
  assert.throws(
    () => c.proposeConfChange(l, { type: "removeNode", nodeId: "node-9" }),
    /not a member/,
  );
});

Deno.test("features: uncommitted bytes are bounded on an isolated leader", () => {
  const c = cluster(3, 69, { checkQuorum: false });
  const l = waitLeader(c);
  one(c, "x", 1, 3);
  c.isolate(l);
  const raw = c.node(l).raw;
  let accepted = 0;
  let error: unknown = null;
  for (let i = 0; i < 100 && !error; i++) {
    try {
      raw.propose(new Uint8Array(1024 * 1024));
      accepted++;
    } catch (e) {
      error = e;
    }
  }
  assert.ok(error instanceof ProposalDroppedError && /uncommitted/.test(error.message));
  assert.ok(accepted >= 15 && accepted <= 17, `accepted ${accepted} MiB`);
});
