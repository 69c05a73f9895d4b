import assert from "node:assert/strict";
import { CompactedError, UnavailableError } from "../core/errors.ts";
import type { Entry } from "../core/types.ts";
import type { WritableStorage } from "./storage.ts";

function ent(index: number, term: number, size = 0): Entry {
  return { index, term, type: "normal", data: new Uint8Array(size) };
}

/** A storage holding entries 3..5 (terms 3, 4, 5) after a snapshot at index 3. */
function seeded(make: () => WritableStorage): WritableStorage {
  const s = make();
  s.append([ent(1, 1), ent(2, 2), ent(3, 3)]);
  s.createSnapshot(3, { voters: ["a"], learners: [] }, new Uint8Array([9]));
  s.compact(3);
  s.append([ent(4, 4), ent(5, 5)]);
  return s;
}

/**
 * The behaviour every Storage implementation must show. Call from a test file with a factory
 * that returns a fresh, empty storage; it registers one Deno.test per property.
 */
export function storageConformance(name: string, make: () => WritableStorage): void {
  const t = (what: string, fn: () => void) => Deno.test(`${name} storage: ${what}`, fn);

  t("empty storage has first 1, last 0 and term(0) = 0", () => {
    const s = make();
    assert.equal(s.firstIndex(), 1);
    assert.equal(s.lastIndex(), 0);
    assert.equal(s.term(0), 0);
    assert.deepEqual(s.entries(1, 1, Infinity), []);
  });

  t("term: compacted below the snapshot, unavailable past the end", () => {
    const s = seeded(make);
    assert.throws(() => s.term(2), CompactedError);
    assert.equal(s.term(3), 3);
    assert.equal(s.term(5), 5);
    assert.throws(() => s.term(6), UnavailableError);
    assert.equal(s.firstIndex(), 4);
    assert.equal(s.lastIndex(), 5);
  });

  t("entries: bounds and size limit (at least one entry)", () => {
    const s = seeded(make);
    assert.throws(() => s.entries(3, 5, Infinity), CompactedError);
    assert.throws(() => s.entries(4, 7, Infinity), UnavailableError);
    assert.deepEqual(s.entries(4, 6, Infinity).map((e) => e.index), [4, 5]);
    assert.deepEqual(s.entries(4, 6, 0).map((e) => e.index), [4]);
  });

  t("append truncates conflicting suffix and ignores compacted prefix", () => {
    const s = seeded(make);
    s.append([ent(5, 6), ent(6, 6)]);
    assert.deepEqual(s.entries(4, 7, Infinity).map((e) => e.term), [4, 6, 6]);
    s.append([ent(2, 2), ent(3, 3), ent(4, 4), ent(5, 7)]);
    assert.deepEqual(s.entries(4, 6, Infinity).map((e) => e.term), [4, 7]);
    assert.equal(s.lastIndex(), 5);
  });

  t("append with a gap is refused", () => {
    const s = seeded(make);
    assert.throws(() => s.append([ent(8, 8)]), UnavailableError);
  });

  t("createSnapshot + compact keep the snapshot's term readable", () => {
    const s = seeded(make);
    const snap = s.createSnapshot(5, { voters: ["a", "b"], learners: ["c"] }, new Uint8Array([1]));
    assert.equal(snap.meta.term, 5);
    s.compact(4);
    assert.equal(s.firstIndex(), 5);
    assert.equal(s.term(4), 4);
    assert.deepEqual(s.snapshot().meta.confState, { voters: ["a", "b"], learners: ["c"] });
    assert.deepEqual(s.initialState().confState.learners, ["c"]);
    assert.throws(() => s.createSnapshot(4, { voters: [], learners: [] }, new Uint8Array()));
  });

  t("applySnapshot replaces the log", () => {
    const s = seeded(make);
    s.applySnapshot({
      meta: { index: 10, term: 7, confState: { voters: ["x"], learners: [] } },
      data: new Uint8Array([1, 2]),
    });
    assert.equal(s.firstIndex(), 11);
    assert.equal(s.lastIndex(), 10);
    assert.equal(s.term(10), 7);
    assert.deepEqual(s.snapshot().data, new Uint8Array([1, 2]));
    s.append([ent(11, 7)]);
    assert.equal(s.lastIndex(), 11);
    assert.throws(() =>
      s.applySnapshot({
        meta: { index: 9, term: 7, confState: { voters: ["x"], learners: [] } },
        data: new Uint8Array(),
      })
    );
  });

  t("hard state round-trips", () => {
    const s = make();
    s.setHardState({ term: 4, vote: "node-2", commit: 0 });
    assert.deepEqual(s.initialState().hardState, { term: 4, vote: "node-2", commit: 0 });
  });
}
