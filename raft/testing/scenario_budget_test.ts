import assert from "node:assert/strict";
import { assertSafe, cluster, one, waitLeader } from "./scenario_helpers.ts";

Deno.test("budget: electing a leader in a quiet 3-node cluster takes at most 30 messages", () => {
  for (const seed of [31, 32, 33, 34, 35]) {
    const c = cluster(3, seed);
    const l = waitLeader(c, 1000);
    // Count until every follower acknowledged the new leader's no-op.
    c.runUntil(
      () =>
        c.ids.every((id) =>
          c.node(id).raw.raft.log.committed === c.node(l).raw.raft.log.lastIndex()
        ),
      500,
    );
    assert.ok(c.net.sent <= 30, `seed ${seed}: ${c.net.sent} messages to elect (want <= 30)`);
    assertSafe(c);
  }
});

Deno.test("budget: idle traffic is bounded (heartbeats only)", () => {
  const c = cluster(3, 36);
  waitLeader(c);
  c.run(500);
  const before = c.net.sent;
  c.run(1000);
  const perSecond = c.net.sent - before;
  // One heartbeat per heartbeatTicks (ticks may run 1ms fast: clock drift) to 2 followers, plus
  // responses.
  const heartbeatsPerS = 1000 / ((c.opts.tickMs - 1) * c.opts.heartbeatTicks);
  assert.ok(perSecond <= 2 * 2 * heartbeatsPerS + 10, `${perSecond} idle messages per second`);
  const votesBefore = (c.net.sentByType.get("vote") ?? 0) + (c.net.sentByType.get("preVote") ?? 0);
  c.run(2000);
  const votesAfter = (c.net.sentByType.get("vote") ?? 0) + (c.net.sentByType.get("preVote") ?? 0);
  assert.equal(votesAfter, votesBefore, "no elections while idle");
});

Deno.test("budget: agreement uses a bounded number of messages per command", () => {
  const c = cluster(3, 37);
  waitLeader(c);
  c.run(200);
  const before = c.net.sent;
  const t0 = c.now;
  for (let i = 1; i <= 10; i++) one(c, "x", i, 3);
  const heartbeatMsgs = ((c.now - t0) / (c.opts.tickMs * c.opts.heartbeatTicks) + 2) * 4;
  const perCommand = (c.net.sent - before - heartbeatMsgs) / 10;
  // Append + ack to each follower, then the commit index travels on the next append + ack.
  assert.ok(perCommand <= 10, `${perCommand.toFixed(1)} messages per command beyond heartbeats`);
});
