import assert from "node:assert/strict";
import { assertSafe, cluster, nodesWith, one, request, waitLeader } from "./scenario_helpers.ts";

Deno.test("replication: basic agreement", () => {
  const c = cluster(3, 21);
  waitLeader(c);
  for (let i = 1; i <= 5; i++) {
    assert.equal(one(c, "x", i, 3).length, 3);
  }
  const idx = c.ids.map((id) => c.node(id).raw.raft.log.committed);
  assert.equal(new Set(idx).size, 1, "all nodes committed the same index");
  assertSafe(c);
});

Deno.test("replication: agreement despite a disconnected follower, which catches up", () => {
  const c = cluster(3, 22);
  const l = waitLeader(c);
  one(c, "x", 101, 3);
  const f = c.ids.find((id) => id !== l)!;
  c.isolate(f);
  for (let i = 102; i <= 105; i++) one(c, "x", i, 2);
  c.reconnect(f);
  one(c, "x", 106, 3);
  assertSafe(c);
});

Deno.test("replication: no agreement without a majority, then recovery", () => {
  const c = cluster(5, 23);
  const l = waitLeader(c);
  one(c, "x", 10, 5);
  const followers = c.ids.filter((id) => id !== l).slice(0, 3);
  for (const f of followers) c.isolate(f);
  const r = request(c, l, { kind: "set", key: "x", value: 20 }, { maxMs: 1000 });
  assert.equal(r, null, "a write must not commit without a majority");
  assert.deepEqual(nodesWith(c, "x", 20), []);
  c.net.healAll();
  one(c, "x", 30, 5);
  assertSafe(c);
});

Deno.test("replication: concurrent proposals all commit in one order", () => {
  const c = cluster(3, 24);
  c.recordApplied = true;
  const l = waitLeader(c);
  const results: (number | null)[] = [];
  for (let i = 0; i < 20; i++) {
    c.submit(l, { kind: "incr", key: "n" }, false, (s, r) => {
      if (s === "ok") results.push(r);
    });
  }
  c.runUntil(() => results.length === 20, 2000);
  assert.deepEqual(
    [...results].sort((a, b) => a! - b!),
    Array.from({ length: 20 }, (_, i) => i + 1),
  );
  c.run(200);
  const logs = c.ids.map((id) => c.applied.get(id)!.map((e) => `${e.index}/${e.term}`).join());
  assert.equal(new Set(logs).size, 1, "every node applied the same sequence");
  assertSafe(c);
});

Deno.test("replication: a partitioned leader rejoins and its uncommitted entries are discarded", () => {
  const c = cluster(3, 25);
  const l1 = waitLeader(c);
  one(c, "x", 101, 3);
  c.isolate(l1);
  for (let v = 102; v <= 104; v++) {
    c.submit(l1, { kind: "set", key: "x", value: v }, false, () => {});
  }
  assert.ok(c.runUntil(() => c.leaders().some((id) => id !== l1), 2000));
  one(c, "x", 103, 2);
  const l2 = c.leaders().find((id) => id !== l1)!;
  c.isolate(l2);
  c.reconnect(l1);
  one(c, "x", 104, 2);
  c.net.healAll();
  one(c, "x", 105, 3);
  assertSafe(c);
});

Deno.test("replication: fast backup over 50 conflicting entries takes few round trips", () => {
  const c = cluster(5, 26);
  const l1 = waitLeader(c);
  one(c, "x", 1, 5);
  // Leader and one follower get 50 entries that never commit.
  const f1 = c.ids.find((id) => id !== l1)!;
  const rest = c.ids.filter((id) => id !== l1 && id !== f1);
  c.net.partition([l1, f1], rest);
  for (let i = 0; i < 50; i++) {
    c.submit(l1, { kind: "set", key: "x", value: 1000 + i }, false, () => {});
  }
  c.run(300);
  // The other three elect a leader and commit 50 entries.
  c.net.healAll();
  c.net.partition(rest, [l1, f1]);
  c.isolate(l1);
  c.isolate(f1);
  assert.ok(c.runUntil(() => c.leaders().some((id) => rest.includes(id)), 3000));
  const l2 = c.leaders().find((id) => rest.includes(id))!;
  for (let i = 0; i < 50; i++) {
    c.submit(l2, { kind: "set", key: "x", value: 2000 + i }, false, () => {});
  }
  c.runUntil(() => nodesWith(c, "x", 2049).length >= 3, 3000);
  // Now l2 and one follower get 50 more uncommitted entries.
  const other = rest.find((id) => id !== l2)!;
  c.isolate(other);
  for (let i = 0; i < 50; i++) {
    c.submit(l2, { kind: "set", key: "x", value: 3000 + i }, false, () => {});
  }
  c.run(300);
  // Bring back l1 and f1 with `other`: they must converge on other's log.
  c.net.healAll();
  for (const id of c.ids) if (![l1, f1, other].includes(id)) c.isolate(id);
  const rejectsBefore = countRejects(c);
  one(c, "x", 4000, 3);
  const rejects = countRejects(c) - rejectsBefore;
  assert.ok(rejects <= 12, `backing up took ${rejects} rejected appends (want <= 12)`);
  c.net.healAll();
  one(c, "x", 5000, 5);
  assertSafe(c);
});

function countRejects(c: ReturnType<typeof cluster>): number {
  return c.net.rejectedAppends;
}

Deno.test("replication: unreliable network still agrees", () => {
  const c = cluster(5, 27);
  c.net.defaults = { lossRate: 0.1, duplicateRate: 0.1, delayMsMin: 1, delayMsMax: 30 };
  waitLeader(c, 5000);
  for (let v = 1; v <= 20; v++) {
    const l = c.leader();
    if (l) c.submit(l, { kind: "set", key: `k${v % 3}`, value: v }, false, () => {});
    c.run(20);
  }
  c.net.healAll();
  one(c, "x", 99, 5, 5000);
  assertSafe(c);
});
