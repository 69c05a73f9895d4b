import assert from "node:assert/strict";
import { Workload } from "./workload.ts";
import { checkLinearizable } from "./linearizability.ts";
import { assertSafe, cluster, nodesWith, one, waitLeader } from "./scenario_helpers.ts";

Deno.test("persistence: state survives a crash of all nodes", () => {
  const c = cluster(3, 41);
  waitLeader(c);
  one(c, "a", 11, 3);
  one(c, "b", 12, 3);
  for (const id of c.ids) c.crash(id);
  c.run(100);
  for (const id of c.ids) c.restart(id);
  waitLeader(c);
  one(c, "c", 13, 3);
  assert.equal(nodesWith(c, "a", 11).length, 3);
  assert.equal(nodesWith(c, "b", 12).length, 3);
  assertSafe(c);
});

Deno.test("persistence: leader crash and restart", () => {
  const c = cluster(3, 42);
  const l = waitLeader(c);
  one(c, "a", 1, 3);
  c.crash(l);
  one(c, "a", 2, 2);
  c.restart(l);
  one(c, "a", 3, 3);
  assert.ok(nodesWith(c, "a", 3).includes(l));
  assertSafe(c);
});

Deno.test("persistence: follower crash and restart", () => {
  const c = cluster(3, 43);
  const l = waitLeader(c);
  one(c, "a", 1, 3);
  const f = c.ids.find((id) => id !== l)!;
  c.crash(f);
  one(c, "a", 2, 2);
  c.restart(f);
  one(c, "a", 3, 3);
  assertSafe(c);
});

/** Lab's Figure 8 test: leaders crash at random points, possibly before replicating. */
function figure8Stress(seed: number, unreliable: boolean): void {
  const c = cluster(5, seed, { diskLatencyMsMax: 5 });
  if (unreliable) {
    c.net.defaults = { lossRate: 0.1, duplicateRate: 0.05, delayMsMin: 1, delayMsMax: 25 };
  }
  const r = c.random.fork();
  waitLeader(c, 5000);
  let up = 5;
  for (let iter = 0; iter < 60; iter++) {
    const l = c.leader();
    if (l) c.submit(l, { kind: "set", key: "x", value: iter }, false, () => {});
    c.run(r.chance(0.1) ? r.range(0, 500) : r.range(0, 15));
    const leaderNow = c.leader();
    if (leaderNow && r.chance(0.5)) {
      c.crash(leaderNow);
      up--;
    }
    if (up < 3) {
      const down = c.ids.filter((id) => !c.node(id).up);
      c.restart(r.pick(down));
      up++;
    }
  }
  c.net.healAll();
  for (const id of c.ids) c.restart(id);
  one(c, "x", 1000, 5, 10_000);
  assertSafe(c);
}

Deno.test("persistence: Figure 8 (reliable network)", () => {
  for (const seed of [44, 45, 46]) figure8Stress(seed, false);
});

Deno.test("persistence: Figure 8 (unreliable network)", () => {
  for (const seed of [47, 48, 49]) figure8Stress(seed, true);
});

Deno.test("persistence: churn with crashes, restarts and partitions stays linearizable", () => {
  const c = cluster(5, 50, { snapshotEveryEntries: 15 });
  const w = new Workload(c, c.random.fork(), {
    clients: 4,
    keys: 2,
    opTimeoutMs: 400,
    readIndexRate: 0.5,
  });
  w.start();
  const r = c.random.fork();
  for (let i = 0; i < 40; i++) {
    c.run(r.range(10, 120));
    const id = r.pick(c.ids);
    const x = r.next();
    if (x < 0.3) c.crash(id);
    else if (x < 0.6) c.restart(id);
    else if (x < 0.8) c.isolate(id);
    else c.reconnect(id);
  }
  c.net.healAll();
  for (const id of c.ids) c.restart(id);
  c.run(2000);
  w.running = false;
  c.run(1000);
  assert.ok(w.okAfter(0) > 50, `only ${w.okAfter(0)} operations succeeded`);
  assert.equal(checkLinearizable(w.history).verdict, "ok");
  assertSafe(c);
});
