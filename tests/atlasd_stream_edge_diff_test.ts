/**
 * Side by side with redis-server 7.0.15: stream edge cases. XREAD's unbalanced STREAMS list has
 * one error text for XREAD and XREADGROUP ("Unbalanced XREAD list ..."); XADD `ms-*` whose ms is
 * the last ID's with the sequence at its maximum answers "Elements are too large to be stored"
 * (Redis returns that error without setting errno, so it is not the EDOM "equal or smaller"
 * text). Before this test atlasd answered both with another text. The other lines are agreeing
 * neighbours: option parsing and error order of XADD / XTRIM / XSETID / XGROUP / XCLAIM /
 * XAUTOCLAIM / XPENDING / XINFO, number parsing, and the lag / entries-read bookkeeping (no line
 * here answers a time).
 */
import assert from "node:assert/strict";
import { replyDifferences, withRedisAndAtlasd } from "../atlas/testing/atlasd_harness.ts";

const SETUP: string[][] = [
  ["XADD", "st", "1-1", "a", "1"],
  ["XADD", "st", "1-2", "b", "2"],
  ["XADD", "st", "2-1", "c", "3"],
  ["XADD", "st", "3-1", "d", "4"],
  ["SET", "str", "v"],
  ["XGROUP", "CREATE", "st", "g", "0"],
  ["XREADGROUP", "GROUP", "g", "c", "COUNT", "2", "STREAMS", "st", ">"],
];

/** Sent one by one; every reply must equal Redis's (space-separated, no empty arguments). */
const LINES: string[] = [
  // One text for an unbalanced STREAMS list, whatever the command or the options before it.
  "XREAD STREAMS st st 0",
  "XREAD COUNT 1 STREAMS st st 0",
  "XREAD STREAMS st 0 COUNT",
  "XREAD STREAMS a b c d e",
  "XREAD BLOCK 10 STREAMS st st 0",
  "XREADGROUP GROUP g c STREAMS st st 0",
  "XREAD STREAMS st",
  "XREAD STREAMS st str 0 0",
  "XREAD STREAMS str st 0 bad",
  "XREAD COUNT 1 STREAMS st st 0 1-1",
  // XADD `ms-*`: the sequence continues, and an exhausted one is "too large", not "smaller".
  "XADD sx 5-18446744073709551614 f v",
  "XADD sx 5-* f v",
  "XADD sx 5-* f v",
  "XADD sx 4-* f v",
  "XADD sx 5-18446744073709551615 f v",
  "XADD sx 6-* f v",
  "XADD sx 6-* f v",
  "XADD sx 18446744073709551615-18446744073709551614 f v",
  "XADD sx 18446744073709551615-* f v",
  "XADD sx 18446744073709551615-* f v",
  "XADD sx * f v",
  "XADD sx 18446744073709551615-18446744073709551615 f v",
  "XLEN sx",
  // XADD / XTRIM options: each option's errors, repeats and conflicts, in Redis's order.
  "XADD st MAXLEN ~ * a b",
  "XADD st MAXLEN 01 5-1 a b",
  "XADD st MAXLEN -0 5-1 a b",
  "XADD st MAXLEN 1e3 5-1 a b",
  "XADD st MAXLEN 9223372036854775808 5-1 a b",
  "XADD st MAXLEN -1 5-1 a b",
  "XADD st LIMIT -1 MAXLEN ~ 10 5-1 a b",
  "XADD st LIMIT 0 5-1 a b",
  "XADD st MAXLEN 10 LIMIT 0 5-1 a b",
  "XADD st MAXLEN 10 MAXLEN 10 5-1 a b",
  "XADD st MINID - 5-1 a b",
  "XADD st MINID 5-* 5-1 a b",
  "XADD st MAXLEN ~ ~ 5-1 a b",
  "XADD st MAXLEN 1 ~ 5-1 a b",
  "XADD st 9-1-1 a b",
  "XADD st 10-** a b",
  "XADD st -0 a b",
  "XADD st 8-+1 a b",
  "XADD str MAXLEN x * a b",
  "XADD nokey NOMKSTREAM MAXLEN 0 1-1 a b",
  "XTRIM st MINID = 0 LIMIT 1",
  "XTRIM st LIMIT 1 MINID ~ 0",
  "XTRIM st NOMKSTREAM MAXLEN 1",
  "XTRIM st LIMIT 5",
  "XTRIM st MAXLEN = =",
  "XTRIM str MAXLEN x",
  // XSETID: argument errors before the key, the key's checks after.
  "XSETID nokey 1 ENTRIESADDED x",
  "XSETID st 99-1 ENTRIESADDED",
  "XSETID st 99-1 MAXDELETEDID 100-1",
  "XSETID st 1-1 MAXDELETEDID 0-1 ENTRIESADDED 0",
  "XSETID st +",
  // XRANGE / XREAD / XPENDING / XCLAIM / XAUTOCLAIM numbers and IDs.
  "XRANGE st - + COUNT +1",
  "XRANGE st - + COUNT -9223372036854775808",
  "XRANGE st - + COUNT 1 COUNT 2",
  "XRANGE st (1 +",
  "XRANGE st - (+",
  "XRANGE st +1 +",
  "XREVRANGE st (2-1 -",
  "XREAD COUNT 01 STREAMS st 0",
  "XREAD COUNT 1 COUNT 2 STREAMS st 0",
  "XREAD STREAMS st 1-*",
  "XPENDING st g",
  "XPENDING st g - + 9223372036854775807 nobody",
  "XPENDING st g IDLE x - + 10",
  "XPENDING st g IDLE 10 - +",
  "XPENDING st g - + 10 nobody extra",
  "XPENDING st nog IDLE x - + 10",
  "XCLAIM st g c2 9223372036854775808 1-1 JUSTID",
  "XCLAIM st g c2 0 1-1 bad JUSTID",
  "XCLAIM st g c2 0 1-1 IDLE",
  "XCLAIM st g c2 0 1-1 TIME x JUSTID",
  "XCLAIM st g c2 0 1-1 RETRYCOUNT -1 JUSTID",
  "XCLAIM st g c2 0 1-1 LASTID bad",
  "XCLAIM st nog c x 1-1",
  "XAUTOCLAIM st g c 0 0 COUNT 0",
  "XAUTOCLAIM st g c 0 0 COUNT 576460752303423488",
  "XAUTOCLAIM st g c 0 0 JUSTID extra",
  "XAUTOCLAIM st g c 0 (1-1",
  "XAUTOCLAIM st nog c 0 bad",
  // XGROUP: option checks before the key, NOGROUP / WRONGTYPE after.
  "XGROUP CREATE st g2 0 MKSTREAM MKSTREAM",
  "XGROUP CREATE st g2 0 ENTRIESREAD -2",
  "XGROUP CREATE str g2 0 MKSTREAM",
  "XGROUP CREATE nokey g2 0 ENTRIESREAD 1 MKSTREAM",
  "XGROUP SETID st g 0 ENTRIESREAD 1 extra",
  "XGROUP SETID st g 0 MKSTREAM",
  "XGROUP SETID st nog bad",
  "XGROUP CREATECONSUMER st nog c",
  "XGROUP DESTROY st g extra",
  "XINFO STREAM st FULL COUNT",
  "XINFO STREAM st COUNT 1",
  "XINFO STREAM st FULL FULL",
  // lag / entries-read through deletions, SETID and ENTRIESREAD.
  "XGROUP CREATE st g3 1-2",
  "XGROUP CREATE st g4 0 ENTRIESREAD 2",
  "XGROUP CREATE st g5 2-1 ENTRIESREAD 100",
  "XGROUP CREATE st g6 9-9",
  "XINFO GROUPS st",
  "XDEL st 2-1",
  "XINFO GROUPS st",
  "XREADGROUP GROUP g3 c COUNT 1 STREAMS st >",
  "XINFO GROUPS st",
  "XGROUP SETID st g3 0-1",
  "XINFO GROUPS st",
  "XINFO STREAM st",
];

Deno.test("stream edge cases match redis-server (RESP2 and RESP3)", () =>
  withRedisAndAtlasd(async (redis, atlas) => {
    for (const proto of ["2", "3"]) {
      for (const c of [redis, atlas]) await c.call(["FLUSHALL"], ["HELLO", proto]);
      assert.deepEqual(await replyDifferences(redis, atlas, SETUP), []);
      const lines = LINES.map((line) => line.split(" "));
      assert.deepEqual(await replyDifferences(redis, atlas, lines), [], `RESP${proto}`);
    }
  }));
