import assert from "node:assert/strict";
import { assertSafe, cluster, nodesWith, one, waitLeader } from "./scenario_helpers.ts";

function behindFollowerGetsSnapshot(seed: number, unreliable: boolean, crash: boolean): void {
  const c = cluster(3, seed, { snapshotEveryEntries: 10 });
  const l = waitLeader(c);
  one(c, "x", 1, 3);
  const f = c.ids.find((id) => id !== l)!;
  if (crash) c.crash(f);
  else c.isolate(f);
  if (unreliable) {
    c.net.defaults = { lossRate: 0.2, duplicateRate: 0.1, delayMsMin: 1, delayMsMax: 20 };
  }
  for (let v = 2; v <= 40; v++) one(c, `k${v % 4}`, v, 2, 10_000);
  const leader = c.leader()!;
  assert.ok(c.node(leader).raw.raft.log.firstIndex() > 20, "leader should have compacted its log");
  const snapsBefore = c.net.sentByType.get("snap") ?? 0;
  if (crash) c.restart(f);
  else c.reconnect(f);
  one(c, "x", 100, 3, 10_000);
  assert.ok((c.net.sentByType.get("snap") ?? 0) > snapsBefore, "a snapshot was sent");
  for (let v = 37; v <= 40; v++) {
    assert.ok(nodesWith(c, `k${v % 4}`, v).includes(f), `${f} lacks k${v % 4}`);
  }
  assertSafe(c);
}

Deno.test("snapshot: a follower behind the compacted log gets InstallSnapshot", () => {
  behindFollowerGetsSnapshot(51, false, false);
});

Deno.test("snapshot: install over an unreliable network", () => {
  for (const seed of [52, 53]) behindFollowerGetsSnapshot(seed, true, false);
});

Deno.test("snapshot: install after a follower crash", () => {
  behindFollowerGetsSnapshot(54, false, true);
});

Deno.test("snapshot: every node restarts from its snapshot", () => {
  const c = cluster(3, 55, { snapshotEveryEntries: 5 });
  waitLeader(c);
  for (let v = 1; v <= 20; v++) one(c, `k${v % 3}`, v, 3);
  c.run(200);
  for (const id of c.ids) {
    assert.ok(c.node(id).storage.snapshot().meta.index >= 15, `${id} did not snapshot`);
    c.crash(id);
  }
  for (const id of c.ids) c.restart(id);
  for (const id of c.ids) {
    // Restored from the snapshot before any message arrives; the log replays the rest.
    const n = c.node(id);
    assert.ok(n.kv.appliedIndex >= 15 && n.kv.appliedIndex === n.storage.snapshot().meta.index);
    assert.ok(n.kv.get("k0") !== null);
  }
  waitLeader(c);
  c.run(200);
  for (const id of c.ids) assert.equal(c.node(id).kv.get("k2"), 20);
  one(c, "k0", 99, 3);
  assertSafe(c);
});
