import assert from "node:assert/strict";
import { deadline, pendingDeadlines } from "./deadlines.ts";

Deno.test("deadlines fire once after their time and not when cancelled", async () => {
  const fired: string[] = [];
  const a = deadline(20, () => fired.push("a"));
  const b = deadline(20, () => fired.push("b"));
  const c = deadline(5_000, () => fired.push("c"));
  b.cancel();
  b.cancel();
  await new Promise((r) => setTimeout(r, 150));
  assert.deepEqual(fired, ["a"]);
  a.cancel(); // after firing: harmless
  c.extend(10);
  await new Promise((r) => setTimeout(r, 150));
  assert.deepEqual(fired, ["a", "c"]);
  assert.equal(pendingDeadlines(), 0, "the shared ticker stops when nothing is pending");
});

Deno.test("a deadline cancelled by one firing in the same sweep does not fire", async () => {
  const fired: string[] = [];
  // Both are due at the same tick; whichever fires first cancels the other.
  const first: { d?: ReturnType<typeof deadline> } = {};
  const second: { d?: ReturnType<typeof deadline> } = {};
  first.d = deadline(10, () => {
    fired.push("first");
    second.d!.cancel();
  });
  second.d = deadline(10, () => {
    fired.push("second");
    first.d!.cancel();
  });
  // A deadline added from a callback waits for a later sweep.
  const late = deadline(10, () => deadline(10, () => fired.push("added")));
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(fired.filter((f) => f === "first" || f === "second").length, 1);
  assert.ok(fired.includes("added"));
  late.cancel();
  assert.equal(pendingDeadlines(), 0);
});

Deno.test("a restarted deadline fires again, after a cancel or after firing", async () => {
  let fired = 0;
  const d = deadline(10, () => fired++);
  d.cancel();
  d.restart(10);
  await new Promise((r) => setTimeout(r, 150));
  assert.equal(fired, 1, "restarted after a cancel");
  d.restart(10);
  d.restart(5_000); // a pending deadline only moves: still one entry
  assert.equal(pendingDeadlines(), 1);
  d.restart(10);
  await new Promise((r) => setTimeout(r, 150));
  assert.equal(fired, 2, "restarted after firing");
  assert.equal(pendingDeadlines(), 0);
});
