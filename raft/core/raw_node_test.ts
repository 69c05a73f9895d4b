import assert from "node:assert/strict";
import { MemoryStorage } from "../storage/memory.ts";
import { NotLeaderError } from "./errors.ts";
import { Prng } from "./prng.ts";
import { RawNode } from "./raw_node.ts";
import type { Ready } from "./raw_node.ts";

function single(): { node: RawNode; storage: MemoryStorage } {
  const storage = MemoryStorage.bootstrap(["a"]);
  const node = new RawNode({
    id: "a",
    storage,
    electionTicks: 10,
    heartbeatTicks: 1,
    random: new Prng(1),
  });
  return { node, storage };
}

/** Persists and applies a Ready the way the contract says; returns it. */
function handle(node: RawNode, storage: MemoryStorage): Ready | null {
  const rd = node.ready();
  if (!rd) return null;
  if (rd.snapshot) storage.applySnapshot(rd.snapshot);
  storage.append(rd.entries);
  if (rd.hardState) storage.setHardState(rd.hardState);
  node.advance(rd);
  return rd;
}

Deno.test("raw node: ready is null until advance, and advance without ready is a bug", () => {
  const { node, storage } = single();
  const rd = node.ready();
  assert.ok(rd, "bootstrap entries must be applied");
  assert.equal(rd.committedEntries.length, 1);
  assert.equal(node.ready(), null);
  node.advance(rd);
  assert.throws(() => node.advance(rd), /advance without an outstanding Ready/);
  while (handle(node, storage));
  assert.deepEqual(node.status().confState.voters, ["a"]);
});

Deno.test("raw node: a single node elects itself and commits a proposal after persisting it", () => {
  const { node, storage } = single();
  while (handle(node, storage));
  assert.throws(() => node.propose(new Uint8Array([1])), NotLeaderError);
  node.campaign();
  const rd = handle(node, storage)!;
  assert.equal(rd.softState?.state, "leader");
  assert.ok(rd.mustSync);
  while (handle(node, storage)); // commit and apply the leader's no-op
  const index = node.propose(new Uint8Array([7]));
  const persist = node.ready()!;
  assert.deepEqual(persist.entries.map((e) => e.index), [index]);
  assert.equal(persist.committedEntries.length, 0, "not committed before the leader persisted it");
  storage.append(persist.entries);
  node.advance(persist);
  const apply = node.ready()!;
  assert.deepEqual(apply.committedEntries.map((e) => [...e.data]), [[7]]);
  node.advance(apply);
  assert.equal(node.status().applied, index);
});

Deno.test("raw node: a restarted node keeps its term and vote and replays committed entries", () => {
  const { node, storage } = single();
  while (handle(node, storage));
  node.campaign();
  while (handle(node, storage));
  node.propose(new Uint8Array([9]));
  while (handle(node, storage));
  const { term, commit } = node.status();
  const again = new RawNode({
    id: "a",
    storage,
    electionTicks: 10,
    heartbeatTicks: 1,
    random: new Prng(2),
  });
  assert.equal(again.status().term, term);
  assert.equal(again.status().vote, "a");
  const rd = again.ready()!;
  assert.equal(rd.committedEntries[rd.committedEntries.length - 1].index, commit);
});

Deno.test("raw node: read index on a single node answers at once", () => {
  const { node, storage } = single();
  while (handle(node, storage));
  node.campaign();
  while (handle(node, storage));
  node.readIndex(new Uint8Array([1, 2]));
  const rd = node.ready()!;
  assert.deepEqual(rd.readStates.map((r) => [...r.context]), [[1, 2]]);
  assert.equal(rd.readStates[0].index, node.status().commit);
  node.advance(rd);
});

Deno.test("prng: same seed, same sequence; shuffle is a permutation", () => {
  const a = new Prng(42);
  const b = new Prng(42);
  for (let i = 0; i < 100; i++) assert.equal(a.nextU32(), b.nextU32());
  const xs = a.shuffle([1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual([...xs].sort(), [1, 2, 3, 4, 5, 6, 7]);
  for (let i = 0; i < 1000; i++) {
    const v = a.range(3, 5);
    assert.ok(v >= 3 && v <= 5);
  }
});

Deno.test("raw node: malformed peer messages are dropped with a reason, never a crash", () => {
  const { node, storage } = single();
  while (handle(node, storage));
  const base = {
    from: "b",
    to: "a",
    term: 5,
    logTerm: 0,
    index: 0,
    commit: 0,
    reject: false,
    rejectHint: 0,
  };
  const e = (index: number, term: number) => ({
    index,
    term,
    type: "normal" as const,
    data: new Uint8Array(),
  });
  const bad = [
    { ...base, type: "bogus", entries: [] },
    { ...base, type: "app", index: -1, entries: [] },
    { ...base, type: "app", entries: [e(2, 1)] },
    { ...base, type: "app", entries: [e(1, 9)] },
    { ...base, type: "snap", entries: [] },
    { ...base, type: "heartbeat", entries: [], context: new Uint8Array(10_000) },
  ];
  for (const m of bad) {
    // deno-lint-ignore no-explicit-any
    assert.equal(typeof node.step(m as any), "string", JSON.stringify(m.type));
  }
  assert.equal(node.status().term, 1, "nothing was stepped");
  assert.equal(node.step({ ...base, type: "heartbeat", entries: [] }), null);
  assert.equal(node.status().term, 5);
});
