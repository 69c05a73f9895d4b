import assert from "node:assert/strict";
import { checkLinearizable, type HistoryOp } from "./linearizability.ts";
import type { KvOp, KvResult } from "./kv.ts";

function op(
  client: string,
  o: KvOp,
  callMs: number,
  returnMs: number,
  result: KvResult,
  status: HistoryOp["status"] = "ok",
): HistoryOp {
  return { client, op: o, callMs, returnMs, status, result };
}
const set = (value: number): KvOp => ({ kind: "set", key: "x", value });
const get: KvOp = { kind: "get", key: "x" };

Deno.test("linearizability: sequential history is accepted", () => {
  const h = [op("a", set(1), 0, 1, null), op("b", get, 2, 3, 1)];
  assert.equal(checkLinearizable(h).verdict, "ok");
});

Deno.test("linearizability: stale read after a completed write is rejected", () => {
  const h = [op("a", set(1), 0, 1, null), op("b", get, 2, 3, null)];
  assert.equal(checkLinearizable(h).verdict, "illegal");
});

Deno.test("linearizability: concurrent read may see old or new value", () => {
  const old = [op("a", set(1), 0, 10, null), op("b", get, 2, 3, null)];
  const fresh = [op("a", set(1), 0, 10, null), op("b", get, 2, 3, 1)];
  assert.equal(checkLinearizable(old).verdict, "ok");
  assert.equal(checkLinearizable(fresh).verdict, "ok");
});

Deno.test("linearizability: reads going back in time are rejected", () => {
  const h = [
    op("a", set(1), 0, 100, null),
    op("b", get, 1, 2, 1),
    op("c", get, 3, 4, null),
  ];
  assert.equal(checkLinearizable(h).verdict, "illegal");
});

Deno.test("linearizability: unknown write may or may not take effect", () => {
  const took = [op("a", set(1), 0, 0, null, "unknown"), op("b", get, 5, 6, 1)];
  const didNot = [op("a", set(1), 0, 0, null, "unknown"), op("b", get, 5, 6, null)];
  assert.equal(checkLinearizable(took).verdict, "ok");
  assert.equal(checkLinearizable(didNot).verdict, "ok");
  // ...but it cannot take effect before it was invoked.
  const early = [op("b", get, 0, 1, 1), op("a", set(1), 5, 0, null, "unknown")];
  assert.equal(checkLinearizable(early).verdict, "illegal");
});

Deno.test("linearizability: failed ops are ignored, lost increments are caught", () => {
  const incr: KvOp = { kind: "incr", key: "x" };
  const ok = [
    op("a", incr, 0, 5, 1),
    op("b", incr, 1, 6, 2),
    op("c", set(9), 2, 3, null, "fail"),
    op("d", get, 7, 8, 2),
  ];
  assert.equal(checkLinearizable(ok).verdict, "ok");
  const lost = [op("a", incr, 0, 5, 1), op("b", incr, 1, 6, 1)];
  assert.equal(checkLinearizable(lost).verdict, "illegal");
});

Deno.test("linearizability: cas results must match the order chosen", () => {
  const cas = (expect: number | null, value: number): KvOp => ({
    kind: "cas",
    key: "x",
    expect,
    value,
  });
  const bothWin = [op("a", cas(null, 1), 0, 5, 1), op("b", cas(null, 2), 1, 6, 1)];
  assert.equal(checkLinearizable(bothWin).verdict, "illegal");
  const oneWins = [
    op("a", cas(null, 1), 0, 5, 1),
    op("b", cas(null, 2), 1, 6, 0),
    op("c", get, 7, 8, 1),
  ];
  assert.equal(checkLinearizable(oneWins).verdict, "ok");
});

Deno.test("linearizability: keys are checked independently and the culprit key is named", () => {
  const h = [
    op("a", { kind: "set", key: "k1", value: 1 }, 0, 1, null),
    op("a", { kind: "get", key: "k1" }, 2, 3, 1),
    op("b", { kind: "set", key: "k2", value: 5 }, 0, 1, null),
    op("b", { kind: "get", key: "k2" }, 2, 3, 4),
  ];
  const r = checkLinearizable(h);
  assert.equal(r.verdict, "illegal");
  assert.equal(r.key, "k2");
});

Deno.test("linearizability: search is bounded and reports unknown instead of hanging", () => {
  const h: HistoryOp[] = [];
  for (let i = 0; i < 40; i++) h.push(op(`c${i}`, set(i), 0, 100, null));
  h.push(op("r", get, 101, 102, 999));
  const r = checkLinearizable(h, { stepsMax: 1000 });
  assert.equal(r.verdict, "unknown");
  assert.ok(r.steps <= 1001);
});

Deno.test("linearizability: a shouldStop callback (e.g. a deadline) also ends the search", () => {
  const h: HistoryOp[] = [];
  for (let i = 0; i < 40; i++) h.push(op(`c${i}`, set(i), 0, 100, null));
  h.push(op("r", get, 101, 102, 999));
  let polls = 0;
  const r = checkLinearizable(h, { shouldStop: () => ++polls >= 3 });
  assert.equal(r.verdict, "unknown");
  assert.equal(polls, 3);
});
