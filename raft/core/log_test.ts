import assert from "node:assert/strict";
import { MemoryStorage } from "../storage/memory.ts";
import { RaftLog } from "./log.ts";
import type { Entry } from "./types.ts";

const ent = (index: number, term: number, size = 0): Entry => ({
  index,
  term,
  type: "normal",
  data: new Uint8Array(size),
});

/** A log with stable entries 1..3 (terms 1,1,2) and unstable 4..5 (terms 3,3). */
function log(): RaftLog {
  const s = new MemoryStorage();
  s.append([ent(1, 1), ent(2, 1), ent(3, 2)]);
  const l = new RaftLog(s, Infinity);
  l.append([ent(4, 3), ent(5, 3)]);
  return l;
}

Deno.test("raft log: terms and slices span storage and the unstable tail", () => {
  const l = log();
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6].map((i) => l.term(i)), [0, 1, 1, 2, 3, 3, undefined]);
  assert.deepEqual(l.slice(2, 6, Infinity)?.map((e) => e.index), [2, 3, 4, 5]);
  assert.deepEqual(l.slice(2, 6, 0)?.map((e) => e.index), [2], "size limit keeps one entry");
  assert.equal(l.stableLastIndex(), 3);
});

Deno.test("raft log: maybeAppend truncates a conflicting suffix and commits up to the last new", () => {
  const l = log();
  assert.equal(l.maybeAppend(3, 9, 5, []), null, "mismatched (index, term) is refused");
  assert.equal(l.maybeAppend(3, 2, 5, [ent(4, 4)]), 4);
  assert.equal(l.lastIndex(), 4);
  assert.equal(l.term(4), 4);
  assert.equal(l.committed, 4, "commit is capped by the last new entry");
});

Deno.test("raft log: findConflictByTerm skips a whole term", () => {
  const l = log();
  assert.deepEqual(l.findConflictByTerm(5, 2), { index: 3, term: 2 });
  assert.deepEqual(l.findConflictByTerm(5, 1), { index: 2, term: 1 });
  assert.deepEqual(l.findConflictByTerm(5, 3), { index: 5, term: 3 });
});

Deno.test("raft log: Figure 8 rule commits only entries of the given term", () => {
  const l = log();
  assert.equal(l.maybeCommit(3, 3, false), false, "index 3 is from term 2");
  assert.equal(l.maybeCommit(5, 3, false), true);
  assert.equal(l.committed, 5);
  const bug = log();
  assert.equal(bug.maybeCommit(3, 3, true), true, "the testing knob ignores the term");
});

Deno.test("raft log: isUpToDate compares last term, then length", () => {
  const l = log();
  assert.ok(l.isUpToDate(1, 4));
  assert.ok(l.isUpToDate(5, 3));
  assert.ok(!l.isUpToDate(4, 3));
  assert.ok(!l.isUpToDate(9, 2));
});

Deno.test("raft log: stableTo ignores an index whose term changed meanwhile", () => {
  const l = log();
  l.maybeAppend(3, 2, 0, [ent(4, 4)]);
  l.stableTo(5, 3);
  assert.equal(l.unstableEntries().length, 1);
  l.stableTo(4, 4);
  assert.equal(l.unstableEntries().length, 0);
});
