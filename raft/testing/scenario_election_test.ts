import assert from "node:assert/strict";
import { assertSafe, cluster, waitLeader } from "./scenario_helpers.ts";

Deno.test("election: initial election picks one stable leader", () => {
  const c = cluster(3, 11);
  const leader = waitLeader(c, 1000);
  const term = c.node(leader).raw.raft.term;
  c.run(2000);
  assert.equal(c.leader(), leader, "leader changed without failures");
  for (const id of c.ids) assert.equal(c.node(id).raw.raft.term, term, `${id} term moved`);
  assertSafe(c);
});

Deno.test("election: re-election after leader loss, and the old leader rejoins as follower", () => {
  const c = cluster(3, 12);
  const l1 = waitLeader(c);
  c.isolate(l1);
  assert.ok(c.runUntil(() => c.leaders().some((id) => id !== l1), 2000), "no new leader");
  const l2 = c.leaders().find((id) => id !== l1)!;
  c.reconnect(l1);
  c.run(1000);
  assert.deepEqual(c.leaders(), [l2]);
  assert.equal(c.node(l1).raw.raft.lead, l2);
  assertSafe(c);
});

Deno.test("election: no leader without a quorum", () => {
  const c = cluster(3, 13);
  const l1 = waitLeader(c);
  const others = c.ids.filter((id) => id !== l1);
  c.isolate(l1);
  c.isolate(others[0]);
  c.run(3000);
  // CheckQuorum makes the cut-off leader step down; nobody else can win alone.
  assert.deepEqual(c.leaders(), []);
  c.net.healAll();
  c.isolate(l1);
  assert.ok(c.runUntil(() => c.leaders().length === 1 && c.leader() !== l1, 2000));
  assertSafe(c);
});

Deno.test("election: many elections with 3 of 7 nodes down", () => {
  const c = cluster(7, 14);
  waitLeader(c);
  for (let iter = 0; iter < 10; iter++) {
    for (const id of c.ids) c.reconnect(id);
    const down = c.random.shuffle(c.ids).slice(0, 3);
    for (const id of down) c.isolate(id);
    const live = c.ids.filter((id) => !down.includes(id));
    const ok = c.runUntil(() => c.leaders().some((id) => live.includes(id)), 3000);
    assert.ok(ok, `iteration ${iter}: no leader among ${live.join(",")}`);
  }
  assert.ok(c.checker.leaderCount() >= 2, "expected several elections");
  assertSafe(c);
});

Deno.test("election: CheckQuorum makes an isolated leader step down", () => {
  const c = cluster(5, 15);
  const l1 = waitLeader(c);
  c.isolate(l1);
  assert.ok(
    c.runUntil(() => c.node(l1).raw.raft.state !== "leader", 400),
    "isolated leader kept leading",
  );
  assertSafe(c);
});

Deno.test("election: PreVote keeps a rejoining partitioned follower from bumping terms", () => {
  const c = cluster(3, 16);
  const l1 = waitLeader(c);
  const term = c.node(l1).raw.raft.term;
  const f = c.ids.find((id) => id !== l1)!;
  c.isolate(f);
  c.run(2000);
  assert.equal(c.node(f).raw.raft.term, term, "pre-candidate must not raise its term");
  c.reconnect(f);
  c.run(1000);
  assert.equal(c.leader(), l1);
  assert.equal(c.node(l1).raw.raft.term, term);
  assertSafe(c);
});

Deno.test("election: without PreVote a rejoining follower disrupts (shows what PreVote buys)", () => {
  const c = cluster(3, 17, { preVote: false, checkQuorum: false });
  const l1 = waitLeader(c);
  const term = c.node(l1).raw.raft.term;
  const f = c.ids.find((id) => id !== l1)!;
  c.isolate(f);
  c.run(2000);
  assert.ok(c.node(f).raw.raft.term > term);
  c.reconnect(f);
  waitLeader(c);
  c.run(500);
  assert.ok(c.node(c.leader()!).raw.raft.term > term);
  assertSafe(c);
});
