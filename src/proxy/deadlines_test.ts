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
