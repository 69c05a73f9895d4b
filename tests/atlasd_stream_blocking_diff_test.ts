/**
 * Side by side with redis-server 7.0.15: XREAD / XREADGROUP BLOCK and the stream CONFIG knobs.
 *
 * Blocking scenarios: SETUP on a command connection, the blocking command(s) on their own
 * connections (RESP2, then RESP3), once the server reports them blocked the TRIGGER commands,
 * then `CLIENT UNBLOCK` of each waiter (1 and a nil reply when it was still waiting, 0 when
 * something had served it) and the waiter's reply, then AFTER. Every reply must equal Redis's;
 * what a waiter receives and whether it was still waiting are compared, never timings.
 *
 * What atlasd did before this test: a waiter woke on any change of its key and only when entries
 * were there to read. Redis 7.0 wakes stream waiters only when the key is signalled (XADD,
 * XGROUP DESTROY, the key created / deleted / replaced) and then serves them when the stream's
 * last ID is past theirs, so `XADD key MAXLEN 0 * f v` (or an XADD deleted in the same MULTI, or
 * XGROUP DESTROY of another group) answers an empty entry list (XREADGROUP also creates the
 * consumer), where atlasd kept waiting; and XGROUP SETID moving a group back does not wake its
 * XREADGROUP waiters (the next XADD delivers from the new ID), where atlasd served them at once.
 * CONFIG GET / SET stream-node-max-bytes and stream-node-max-entries were unknown to atlasd; they
 * now shape stream nodes (XINFO STREAM's radix-tree-keys) and `~` trimming's default LIMIT
 * (100 * stream-node-max-entries, 10000 when that is not positive, at most 1000000) as in Redis.
 * And every XGROUP subcommand, XACK, XCLAIM, XAUTOCLAIM, XREADGROUP, XSETID and an XDEL / XTRIM
 * that removed nothing broke a WATCH on the key, where Redis 7.0 does not signal it.
 *
 * Later, atlasd told a signal from other changes by what XINFO STREAM showed, so: XSETID to a
 * higher ID with ENTRIESADDED, followed by any change (XDEL), woke an XREAD waiter with an empty
 * list; a group destroyed and created again in one MULTI or script left its XREADGROUP waiters
 * blocked, where Redis serves them from the new group; and XGROUP DESTROY broke a WATCH on the
 * key (and invalidated it for client tracking). The store now reports signals itself.
 */
import assert from "node:assert/strict";
import {
  encodeCommand,
  RawClient,
  replyDifferences,
  showReply,
  watchDifferences,
  withRedisAndAtlasd,
} from "../atlas/testing/atlasd_harness.ts";

interface Scenario {
  name: string;
  setup: string[];
  /** Blocking commands, each on its own connection, blocked in this order. */
  block: string[];
  /** `SLEEP ms` waits here (for a TTL to pass) instead of sending a command. */
  trigger: string[];
  after?: string[];
}

const SCENARIOS: Scenario[] = [
  {
    name: "XREAD $ is served an empty list by XADD MAXLEN 0",
    setup: ["XADD s 1-1 f v"],
    block: ["XREAD BLOCK 0 STREAMS s $"],
    trigger: ["XADD s MAXLEN 0 2-1 f v"],
    after: ["XLEN s"],
  },
  {
    name: "XREADGROUP > is served an empty list by XADD MAXLEN 0 and its consumer is created",
    setup: ["XADD s 1-1 f v", "XGROUP CREATE s g $"],
    block: ["XREADGROUP GROUP g c BLOCK 0 STREAMS s >"],
    trigger: ["XADD s MAXLEN 0 2-1 f v"],
    after: ["XINFO GROUPS s", "XPENDING s g"],
  },
  {
    name: "two XREADGROUP waiters of a group, both served empty",
    setup: ["XGROUP CREATE s g $ MKSTREAM", "XGROUP CREATECONSUMER s g c1"],
    block: [
      "XREADGROUP GROUP g c1 BLOCK 0 STREAMS s >",
      "XREADGROUP GROUP g c2 NOACK BLOCK 0 STREAMS s >",
    ],
    trigger: ["XADD s MAXLEN 0 1-1 f v"],
    after: ["XINFO GROUPS s"],
  },
  {
    name: "an XADD deleted in the same MULTI still serves an empty list",
    setup: ["XADD s 1-1 f v", "XGROUP CREATE s g $"],
    block: ["XREAD BLOCK 0 STREAMS s $", "XREADGROUP GROUP g c BLOCK 0 STREAMS s >"],
    trigger: ["MULTI", "XADD s 2-1 f v", "XDEL s 2-1", "EXEC"],
    after: ["XINFO GROUPS s"],
  },
  {
    name: "XGROUP SETID back does not wake the group's waiter; the next XADD delivers from there",
    setup: ["XADD s 1-1 f v", "XGROUP CREATE s g $"],
    block: ["XREADGROUP GROUP g c BLOCK 0 STREAMS s >"],
    trigger: ["XGROUP SETID s g 0", "XADD s 2-1 f v"],
    after: ["XPENDING s g"],
  },
  {
    name: "nothing but a signal wakes a group waiter (SETID, CREATE, XTRIM, XACK, consumers)",
    setup: ["XADD s 1-1 f v", "XADD s 2-1 f v", "XGROUP CREATE s g $", "XGROUP CREATE s h 0"],
    block: ["XREADGROUP GROUP g c BLOCK 0 STREAMS s >"],
    trigger: [
      "XGROUP SETID s g 0",
      "XGROUP CREATE s g2 0",
      "XGROUP CREATECONSUMER s g c",
      "XGROUP DELCONSUMER s g c",
      "XREADGROUP GROUP h x COUNT 1 STREAMS s >",
      "XACK s h 1-1",
      "XDEL s 1-1",
      "XTRIM s MAXLEN 5",
      "XCLAIM s g c 0 2-1 LASTID 0-0",
    ],
  },
  {
    name: "XGROUP DESTROY of another group wakes readers whose ID is below the last ID",
    setup: [
      "XADD s 1-1 f v",
      "XADD s 2-1 f v",
      "XDEL s 2-1",
      "XGROUP CREATE s other 0",
      "XGROUP CREATE s g 1-1",
    ],
    block: ["XREAD BLOCK 0 STREAMS s 1-1", "XREADGROUP GROUP g c BLOCK 0 STREAMS s >"],
    trigger: ["XGROUP DESTROY s other"],
    after: ["XINFO GROUPS s"],
  },
  {
    // Before, the late error of a woken command was not counted (Redis 7.0's stream-cgroups.tcl).
    name: "XGROUP DESTROY answers its group's waiter NOGROUP, counted in INFO errorstats",
    setup: ["CONFIG RESETSTAT", "XGROUP CREATE s g $ MKSTREAM"],
    block: ["XREADGROUP GROUP g c BLOCK 0 STREAMS s >"],
    trigger: ["XGROUP DESTROY s g"],
    after: ["INFO errorstats"],
  },
  {
    name: "SETID back then DESTROY of another group serves the group's history",
    setup: ["XADD s 1-1 f v", "XADD s 2-1 f v", "XGROUP CREATE s g $", "XGROUP CREATE s o $"],
    block: ["XREADGROUP GROUP g c BLOCK 0 STREAMS s >"],
    trigger: ["XGROUP SETID s g 1-1", "XGROUP DESTROY s o"],
    after: ["XINFO GROUPS s"],
  },
  {
    name: "XDEL / XSETID / XTRIM do not wake XREAD, even with the last ID past the reader's",
    setup: ["XADD s 1-1 f v", "XADD s 2-1 f v", "XADD s 3-1 f v", "XDEL s 3-1"],
    block: ["XREAD BLOCK 0 STREAMS s 2-1", "XREAD BLOCK 0 STREAMS s $"],
    trigger: ["XDEL s 2-1", "XSETID s 10-0", "XTRIM s MAXLEN 0", "XGROUP CREATE s g 0"],
  },
  {
    name: "XSETID to a higher ID with ENTRIESADDED is no signal, even followed by XDEL",
    setup: ["XADD s 1-1 f v", "XADD s 2-1 f v"],
    block: ["XREAD BLOCK 0 STREAMS s $", "XREAD BLOCK 0 STREAMS s 2-1"],
    trigger: [
      "XSETID s 10-0 ENTRIESADDED 5",
      "XDEL s 1-1",
      "MULTI",
      "XSETID s 20-0 ENTRIESADDED 9 MAXDELETEDID 15-0",
      "XDEL s 2-1",
      "EXEC",
    ],
    after: ["XINFO STREAM s"],
  },
  {
    name: "a group destroyed and created again in one MULTI serves its waiter from the new group",
    setup: ["XADD s 1-1 f v", "XADD s 2-1 f v", "XGROUP CREATE s g $"],
    block: ["XREADGROUP GROUP g c BLOCK 0 STREAMS s >"],
    trigger: ["MULTI", "XGROUP DESTROY s g", "XGROUP CREATE s g 1-1", "EXEC"],
    after: ["XINFO GROUPS s", "XPENDING s g"],
  },
  {
    name: "a group destroyed and created again at $ in one MULTI keeps its waiter blocked",
    setup: ["XADD s 1-1 f v", "XGROUP CREATE s g $"],
    block: ["XREADGROUP GROUP g c BLOCK 0 STREAMS s >"],
    trigger: ["MULTI", "XGROUP DESTROY s g", "XGROUP CREATE s g $", "EXEC", "XADD s 2-1 f v"],
    after: ["XINFO GROUPS s"],
  },
  {
    name: "a group destroyed and created again by a script serves its waiter from the new group",
    setup: ["XADD s 1-1 f v", "XADD s 2-1 f v", "XGROUP CREATE s g $"],
    block: ["XREADGROUP GROUP g c COUNT 1 BLOCK 0 STREAMS s >"],
    trigger: [
      "EVAL redis.call('XGROUP','DESTROY',KEYS[1],'g');return(redis.call('XGROUP','CREATE',KEYS[1],'g','0')) 1 s",
    ],
    after: ["XINFO GROUPS s"],
  },
  {
    name: "a group destroyed, its key deleted and the group made again in one MULTI",
    setup: ["XADD s 1-1 f v", "XGROUP CREATE s g $"],
    block: ["XREADGROUP GROUP g c BLOCK 0 STREAMS s >", "XREAD BLOCK 0 STREAMS s 1-1"],
    trigger: ["MULTI", "XGROUP DESTROY s g", "DEL s", "XGROUP CREATE s g 0 MKSTREAM", "EXEC"],
  },
  {
    name: "XREADGROUP: the key expires",
    setup: ["XADD s 1-1 f v", "XGROUP CREATE s g $"],
    block: ["XREADGROUP GROUP g c BLOCK 0 STREAMS s >", "XREAD BLOCK 0 STREAMS s 5-0"],
    trigger: ["PEXPIRE s 10", "SLEEP 50", "EXISTS s"],
  },
  {
    name: "after XSETID, XADD MAXLEN 0 wakes XREAD $ with nothing",
    setup: ["XADD s 1-1 f v"],
    block: ["XREAD BLOCK 0 STREAMS s $"],
    trigger: ["XSETID s 10-0", "XADD s MAXLEN 0 11-0 f v"],
  },
  {
    name: "an ID still past the last one keeps XREAD waiting",
    setup: ["XADD s 5-0 f v"],
    block: ["XREAD BLOCK 0 STREAMS s 100-0", "XREAD BLOCK 0 STREAMS s $"],
    trigger: ["XADD s MAXLEN 0 6-0 f v", "XADD s 50-0 f v"],
  },
  {
    name: "XREAD on several keys: the signalled key only, COUNT applied",
    setup: ["XADD a 1-1 f v"],
    block: ["XREAD COUNT 1 BLOCK 0 STREAMS a b c $ $ 0"],
    trigger: ["MULTI", "XADD b 5-1 f v", "XADD b 5-2 f v", "EXEC"],
  },
  {
    name: "XREAD on two keys signalled in one MULTI: the first signalled key answers, even empty",
    setup: ["XGROUP CREATE a g $ MKSTREAM", "XGROUP CREATE b g $ MKSTREAM"],
    block: ["XREAD BLOCK 0 STREAMS a b $ $", "XREADGROUP GROUP g c BLOCK 0 STREAMS a b > >"],
    trigger: ["MULTI", "XADD b MAXLEN 0 1-1 f v", "XADD a 1-1 f v", "EXEC"],
    after: ["XPENDING a g", "XINFO GROUPS b"],
  },
  {
    name: "XREAD on a key named twice waits on its first ID",
    setup: ["XADD s MAXLEN 0 5-0 f v"],
    block: ["XREAD BLOCK 0 STREAMS s s $ 0"],
    trigger: ["XADD s MAXLEN 0 6-0 f v"],
  },
  {
    name: "XREAD: the key deleted, made a string, then a stream again",
    setup: ["XADD s 5-1 f v"],
    block: ["XREAD BLOCK 0 STREAMS s $"],
    trigger: ["DEL s", "SET s x", "DEL s", "XADD s 1-1 f v", "XADD s 6-1 f v"],
  },
  {
    name: "XADD NOMKSTREAM on a missing key wakes nobody; creating it does",
    setup: [],
    block: ["XREAD BLOCK 0 STREAMS s 0", "XREAD BLOCK 0 STREAMS s $"],
    trigger: ["XADD s NOMKSTREAM 1-1 f v", "EXISTS s", "XGROUP CREATE s g $ MKSTREAM"],
    after: ["XADD s 1-1 f v"],
  },
  {
    name: "XREADGROUP NOACK and COUNT, two waiters of one group share a MULTI's entries",
    setup: ["XGROUP CREATE s g $ MKSTREAM"],
    block: [
      "XREADGROUP GROUP g c1 COUNT 1 BLOCK 0 STREAMS s >",
      "XREADGROUP GROUP g c2 COUNT 1 NOACK BLOCK 0 STREAMS s >",
    ],
    trigger: ["MULTI", "XADD s 1-1 f v", "XADD s 2-1 f v", "XADD s 3-1 f v", "EXEC"],
    after: ["XPENDING s g", "XINFO GROUPS s"],
  },
  {
    name: "XREADGROUP: the group destroyed, the key deleted, replaced or flushed",
    setup: [
      "XGROUP CREATE s g $ MKSTREAM",
      "XGROUP CREATE t g $ MKSTREAM",
      "XGROUP CREATE u g $ MKSTREAM",
      "XGROUP CREATE v g $ MKSTREAM",
    ],
    block: [
      "XREADGROUP GROUP g c BLOCK 0 STREAMS s >",
      "XREADGROUP GROUP g c BLOCK 0 STREAMS t >",
      "XREADGROUP GROUP g c BLOCK 0 STREAMS u >",
      "XREADGROUP GROUP g c BLOCK 0 STREAMS v >",
    ],
    trigger: ["XGROUP DESTROY s g", "DEL t", "SET u x", "FLUSHALL"],
  },
  {
    name: "XREADGROUP on two keys: the group destroyed on one",
    setup: ["XGROUP CREATE s g $ MKSTREAM", "XGROUP CREATE t g $ MKSTREAM"],
    block: ["XREADGROUP GROUP g c BLOCK 0 STREAMS s t > >"],
    trigger: ["XGROUP DESTROY t g"],
  },
  {
    name: "RENAME onto the waiters' key",
    setup: [
      "XADD s 1-1 f v",
      "XGROUP CREATE s g $",
      "XADD t 5-1 f v",
      "XGROUP CREATE t g 0",
    ],
    block: ["XREAD BLOCK 0 STREAMS s $", "XREADGROUP GROUP g c BLOCK 0 STREAMS s >"],
    trigger: ["RENAME t s"],
  },
];

/** `command` between WATCH key and MULTI / PING / EXEC: EXEC answers nil if it signalled `key`. */
const watched = (key: string, command: string) => [
  `WATCH ${key}`,
  command,
  "MULTI",
  "PING",
  "EXEC",
];

/** Sent one by one (space-separated); every reply must equal Redis's. */
const LINES: string[] = [
  // Redis 7.0 signals a stream key (WATCH, client tracking) for XADD and for XDEL / XTRIM that
  // removed something, not for XSETID, consumer-group changes (XGROUP DESTROY included, which
  // only wakes blocked readers) or deliveries.
  "XADD w 1-1 f v",
  "XADD w 2-1 f v",
  "XGROUP CREATE w g 0",
  "XGROUP CREATE w gone 0",
  ...watched("w", "XGROUP DESTROY w gone"),
  ...watched("w", "XGROUP DESTROY w gone"),
  ...watched("w", "XGROUP CREATE w g2 0"),
  ...watched("w", "XGROUP CREATE w g2 0"),
  ...watched("w", "XGROUP SETID w g 0"),
  ...watched("w", "XGROUP CREATECONSUMER w g c9"),
  ...watched("w", "XGROUP DELCONSUMER w g c9"),
  ...watched("w", "XREADGROUP GROUP g c COUNT 1 STREAMS w >"),
  ...watched("w", "XREADGROUP GROUP g c STREAMS w 0"),
  ...watched("w", "XCLAIM w g c2 0 1-1"),
  ...watched("w", "XCLAIM w g c2 0 9-9 LASTID 3-0"),
  ...watched("w", "XAUTOCLAIM w g c3 0 0"),
  ...watched("w", "XACK w g 1-1"),
  ...watched("w", "XSETID w 5-0 ENTRIESADDED 9"),
  ...watched("w", "XDEL w 9-9"),
  ...watched("w", "XTRIM w MAXLEN 10"),
  ...watched("w", "XDEL w 2-1"),
  ...watched("w", "XTRIM w MAXLEN 0"),
  ...watched("w", "XADD w 6-0 f v"),
  ...watched("nw", "XGROUP CREATE nw g $ MKSTREAM"),
  ...watched("nw", "XADD nw NOMKSTREAM 1-1 f v"),
  "CONFIG GET stream-node-max-bytes",
  "CONFIG GET stream-node-max-entries",
  "CONFIG SET stream-node-max-bytes 1k",
  "CONFIG GET stream-node-max-bytes",
  "CONFIG SET stream-node-max-bytes -1",
  "CONFIG SET stream-node-max-bytes 9223372036854775808",
  "CONFIG SET stream-node-max-bytes 9223372036854775807",
  "CONFIG GET stream-node-max-bytes",
  "CONFIG SET stream-node-max-bytes 1.5",
  "CONFIG SET stream-node-max-entries -1",
  "CONFIG SET stream-node-max-entries 1k",
  "CONFIG SET stream-node-max-entries 01",
  "CONFIG SET stream-node-max-entries 9223372036854775808",
  "CONFIG SET stream-node-max-entries 9223372036854775807",
  "CONFIG GET stream-node-max-entries",
  "CONFIG SET stream-node-max-entries 0",
  "CONFIG GET stream-node-max-entries",
  "CONFIG SET stream-node-max-entries 5 stream-node-max-bytes x",
  "CONFIG GET stream-node-max-entries",
  // Nodes of 3 entries; then no entry bound, 60 bytes.
  "CONFIG SET stream-node-max-entries 3 stream-node-max-bytes 4096",
  "XADD s 1-1 a 1",
  "XADD s 1-2 a 1",
  "XADD s 1-3 a 1",
  "XADD s 1-4 a 1",
  "XADD s 1-5 a 1",
  "XADD s 1-6 a 1",
  "XADD s 1-7 a 1",
  "XINFO STREAM s",
  "XTRIM s MAXLEN ~ 2",
  "XINFO STREAM s",
  "CONFIG SET stream-node-max-entries 0 stream-node-max-bytes 60",
  "XADD s 2-1 a 1",
  "XADD s 2-2 a 1",
  "XADD s 2-3 abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz 1",
  "XADD s 2-4 a 1",
  "XINFO STREAM s",
  // `~` trimming's default LIMIT is 100 * stream-node-max-entries: nodes of one entry here.
  "CONFIG SET stream-node-max-entries 1 stream-node-max-bytes 4096",
  ...Array.from({ length: 120 }, (_, i) => `XADD t 1-${i + 1} a 1`),
  "XTRIM t MAXLEN ~ 0",
  "XLEN t",
  "XADD t MAXLEN ~ 0 2-1 a 1",
  "XLEN t",
  ...Array.from({ length: 5 }, (_, i) => `XADD u 1-${i + 1} a 1`),
  "XTRIM u MAXLEN ~ 0 LIMIT 2",
  "XLEN u",
  // 100 * 2^63-1 wraps below 0: Redis takes 10000 then.
  "CONFIG SET stream-node-max-entries 9223372036854775807",
  "XTRIM u MAXLEN ~ 0",
  "XLEN u",
  "CONFIG SET stream-node-max-entries 100 stream-node-max-bytes 4096",
  // Timeouts and options with BLOCK: errors, and a nil on timeout.
  "XREAD BLOCK 1 STREAMS nokey $",
  "XREAD BLOCK 0.5 STREAMS s $",
  "XREAD BLOCK 1e3 STREAMS s $",
  "XGROUP CREATE s g $",
  "XREADGROUP GROUP g c BLOCK 1 STREAMS s >",
  "XREADGROUP GROUP g c BLOCK 0.5 STREAMS s >",
  "XREADGROUP GROUP g c BLOCK 1 NOACK COUNT 1 STREAMS s >",
  "XINFO GROUPS s",
  "XREADGROUP GROUP g c BLOCK 1 STREAMS s 0",
  "XREADGROUP GROUP g c BLOCK 1 STREAMS s 0 s >",
  "MULTI",
  "XREAD BLOCK 0 STREAMS s $",
  "XREADGROUP GROUP g c BLOCK 0 STREAMS s >",
  "EXEC",
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function blockedClients(c: RawClient): Promise<number> {
  const info = await c.one("INFO", "clients");
  const text = info.t === "bulk" || info.t === "verbatim" ? String(info.v) : "";
  return Number(/blocked_clients:(\d+)/.exec(text)?.[1] ?? -1);
}

/** Every reply of one scenario on one server, as text. */
async function transcript(port: number, s: Scenario, proto: string): Promise<string[]> {
  const cmd = await RawClient.connect(port);
  const waiters: RawClient[] = [];
  const out: string[] = [];
  const run = async (lines: string[]) => {
    for (const line of lines) {
      const [name, ms] = line.split(" ");
      if (name === "SLEEP") await sleep(Number(ms));
      else out.push(`${line} -> ${showReply(await cmd.one(...line.split(" ")))}`);
    }
  };
  try {
    await cmd.one("FLUSHALL");
    await run(s.setup);
    const ids: string[] = [];
    for (const line of s.block) {
      const w = await RawClient.connect(port);
      waiters.push(w);
      await w.one("HELLO", proto);
      ids.push(String(((await w.one("CLIENT", "ID")) as { v: number }).v));
      await w.writeRaw(encodeCommand(line.split(" ")));
      const giveUp = Date.now() + 10_000; // a guard against hanging, not a timing assertion
      while (await blockedClients(cmd) !== waiters.length) {
        if (Date.now() > giveUp) throw new Error(`${line}: never blocked`);
        await sleep(2);
      }
    }
    await run(s.trigger);
    for (let i = 0; i < waiters.length; i++) {
      out.push(`CLIENT UNBLOCK -> ${showReply(await cmd.one("CLIENT", "UNBLOCK", ids[i]))}`);
      out.push(`waiter ${i + 1}: ${showReply(await waiters[i].next())}`);
    }
    await run(s.after ?? []);
  } finally {
    for (const w of waiters) await w.close();
    await cmd.close();
  }
  return out;
}

Deno.test("stream blocking reads match redis-server (what each waiter gets, RESP2 and RESP3)", () =>
  withRedisAndAtlasd(async (_redis, _atlas, servers) => {
    const differences: string[] = [];
    for (const proto of ["2", "3"]) {
      for (const s of SCENARIOS) {
        const want = await transcript(servers.redisPort, s, proto);
        const got = await transcript(servers.atlasPort, s, proto);
        if (got.join("\n") !== want.join("\n")) {
          differences.push(
            `RESP${proto} ${s.name}\n  atlasd:\n    ${got.join("\n    ")}\n  redis:\n    ${
              want.join("\n    ")
            }`,
          );
        }
      }
    }
    assert.deepEqual(differences, []);
  }));

Deno.test("stream WATCH signals, CONFIG knobs and BLOCK options match redis-server (RESP2 and RESP3)", () =>
  withRedisAndAtlasd(async (redis, atlas) => {
    for (const proto of ["2", "3"]) {
      for (const c of [redis, atlas]) await c.call(["FLUSHALL"], ["HELLO", proto]);
      const lines = LINES.map((line) => line.split(" "));
      assert.deepEqual(await replyDifferences(redis, atlas, lines, showReply, `RESP${proto} `), []);
    }
  }));

Deno.test("consumer-group changes: WATCH, keyspace events and client tracking match redis-server", () =>
  withRedisAndAtlasd(async (_redis, _atlas, servers) => {
    const setup = [
      ["XADD", "w", "1-1", "f", "v"],
      ["XADD", "w", "2-1", "f", "v"],
      ["XGROUP", "CREATE", "w", "g", "0"],
      ["XGROUP", "CREATECONSUMER", "w", "g", "c1"],
    ];
    const ops = [
      ["XGROUP", "DESTROY", "w", "g"],
      ["XGROUP", "DESTROY", "w", "nosuchgroup"],
      ["XGROUP", "CREATE", "w", "g2", "0"],
      ["XGROUP", "CREATE", "w", "g", "0"],
      ["XGROUP", "CREATE", "nw", "g", "0", "MKSTREAM"],
      ["XGROUP", "CREATECONSUMER", "w", "g", "c2"],
      ["XGROUP", "CREATECONSUMER", "w", "g", "c1"],
      ["XGROUP", "DELCONSUMER", "w", "g", "c1"],
      ["XGROUP", "DELCONSUMER", "w", "g", "nosuchconsumer"],
      ["XGROUP", "SETID", "w", "g", "0"],
      ["XGROUP", "SETID", "w", "g", "$", "ENTRIESREAD", "2"],
      ["XSETID", "w", "5-0", "ENTRIESADDED", "9"],
    ];
    const cases = ops.map((op) => ({ watch: op[2], op }));
    assert.deepEqual(
      await watchDifferences(servers, cases, setup, { keyspaceEvents: "KEA" }),
      [],
    );
    // A tracking client reads the key; only a signalled change invalidates it.
    const invalidations = async (port: number) => {
      const reader = await RawClient.connect(port);
      const writer = await RawClient.connect(port);
      try {
        await writer.call(["FLUSHALL"], ...setup);
        await reader.call(["HELLO", "3"], ["CLIENT", "TRACKING", "ON"], ["XLEN", "w"]);
        await writer.call(["XGROUP", "DESTROY", "w", "g"], ["XGROUP", "CREATE", "w", "g", "$"]);
        await reader.call(["PING"]);
        const quiet = reader.pushes.splice(0).map(showReply);
        await writer.call(["XADD", "w", "3-1", "f", "v"]);
        await reader.call(["PING"]);
        return [...quiet, "then XADD:", ...reader.pushes.splice(0).map(showReply)];
      } finally {
        await reader.close();
        await writer.close();
      }
    };
    assert.deepEqual(
      await invalidations(servers.atlasPort),
      await invalidations(servers.redisPort),
    );
  }));
