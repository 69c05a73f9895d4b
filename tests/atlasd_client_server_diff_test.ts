/**
 * Side by side with redis-server 7.0.15: connection and server introspection. What CLIENT INFO
 * and CLIENT LIST show of a connection (flags in Redis's order, with O for a monitor, d once a
 * watched key changed and e for CLIENT NO-EVICT, which RESET keeps; qbuf and argv-mem of the
 * command being run or blocked; multi-mem of a MULTI queue), the order of CLIENT LIST ID's lines,
 * how CLIENT UNBLOCK and WAIT read their numbers, and the NOAUTH text of HELLO before AUTH (and
 * that an unauthenticated client gets arity and subcommand errors before NOAUTH). Before
 * this test atlasd put P last and never showed O, d or e, answered qbuf, argv-mem and multi-mem 0,
 * listed CLIENT LIST ID's clients in connection order once each, took "01" and "-0" as integers in
 * CLIENT UNBLOCK, WAIT and CLIENT PAUSE (WAIT 01 0 blocked forever), refused WAIT's 19-digit numbers, and named
 * HELLO's syntax "HELLO <proto> AUTH" where Redis 7.0.15 writes "HELLO AUTH". Later, CLIENT INFO
 * / LIST queued in a MULTI showed the queued command itself (cmd=client|info, flags N, multi=-1),
 * where Redis, still in the transaction, shows cmd=exec, flags x and the queue.
 */
import assert from "node:assert/strict";
import {
  RawClient,
  replyDifferences,
  type RespValue,
  showReply,
  withRedisAndAtlasd,
} from "../atlas/testing/atlasd_harness.ts";

/** Sent one by one on one connection of each server; every reply must equal Redis's. */
const LINES: string[][] = [
  // CLIENT UNBLOCK: the reason first, then the id as a strict int64.
  ["CLIENT", "UNBLOCK", "01"],
  ["CLIENT", "UNBLOCK", "-0"],
  ["CLIENT", "UNBLOCK", "+1"],
  ["CLIENT", "UNBLOCK", " 1"],
  ["CLIENT", "UNBLOCK", "01", "TIMEOUT"],
  ["CLIENT", "UNBLOCK", "01", "FOO"],
  ["CLIENT", "UNBLOCK", "x", "ERROR"],
  ["CLIENT", "UNBLOCK", "-1"],
  ["CLIENT", "UNBLOCK", "999999", "ERROR"],
  ["CLIENT", "UNBLOCK", "9223372036854775807"],
  ["CLIENT", "UNBLOCK", "9223372036854775808"],
  ["CLIENT", "UNBLOCK", "1", "TIMEOUT", "x"],
  // WAIT: the count, then the timeout, each a strict int64; a negative count is fine.
  ["WAIT", "01", "10"],
  ["WAIT", "-0", "10"],
  ["WAIT", "1", "01"],
  ["WAIT", "1", "-0"],
  ["WAIT", "1", "+5"],
  ["WAIT", "9223372036854775807", "-1"],
  ["WAIT", "-9223372036854775808", "0"],
  ["WAIT", "0", "9223372036854775807"],
  ["WAIT", "0", "-9223372036854775808"],
  ["WAIT", "9223372036854775808", "0"],
  ["WAIT", "0", "9223372036854775808"],
  ["WAIT", "99999999999999999", "-1"],
  ["WAIT", "x", "x"],
  ["WAIT", "0", "1.5"],
  ["WAIT", "0", "-1"],
  ["WAIT", "-5", "10"],
  ["WAIT", "1", "10"],
  ["WAIT", "0", "0"],
  // CLIENT NO-EVICT / PAUSE / GETREDIR / TRACKINGINFO arguments.
  ["CLIENT", "NO-EVICT", "maybe"],
  ["CLIENT", "NO-EVICT", ""],
  ["CLIENT", "NO-EVICT", "On"],
  ["CLIENT", "NO-EVICT", "off", "x"],
  ["CLIENT", "PAUSE", "x"],
  ["CLIENT", "PAUSE", "-1"],
  ["CLIENT", "PAUSE", "x", "foo"],
  ["CLIENT", "PAUSE", "0", "WRITE", "x"],
  ["CLIENT", "PAUSE", "01"],
  ["CLIENT", "PAUSE", "-0"],
  ["CLIENT", "PAUSE", "9223372036854775808"],
  ["CLIENT", "PAUSE", "9223372036854775807", "WRITE"], // its end wraps into the past: OK, over
  ["SET", "after-pause", "1"],
  ["CLIENT", "UNPAUSE"],
  ["CLIENT", "UNPAUSE", "x"],
  ["CLIENT", "GETREDIR", "x"],
  ["CLIENT", "TRACKINGINFO"],
  ["CLIENT", "SETNAME", "a\nb"],
  ["CLIENT", "SETNAME", "\x7f"],
  ["CLIENT", "SETNAME", "~!"],
  ["CLIENT", "GETNAME"],
  ["CLIENT", "SETNAME", ""],
  ["CLIENT", "GETNAME"],
  // PING / ECHO arity and binary.
  ["PING", "a", "b"],
  ["ECHO"],
  ["ECHO", "a", "b"],
  ["ECHO", "\x00\xff\r\n"],
  ["PING", ""],
  // HELLO option errors.
  ["HELLO", "2", "AUTH", "default"],
  ["HELLO", "2", "SETNAME"],
  ["HELLO", "4", "SETNAME", "a b"],
  ["HELLO", "2", "AUTH", "bob", "x"],
  // SLOWLOG GET counts.
  ["SLOWLOG", "GET", "9223372036854775807"],
  ["SLOWLOG", "GET", "-1"],
  ["SLOWLOG", "GET", "-2"],
];

/** CLIENT INFO / LIST fields about Redis's own allocations, ids, addresses and timing. */
const UNCOMPARED = new Set([
  "id",
  "addr",
  "laddr",
  "fd",
  "age",
  "idle",
  "qbuf-free",
  "rbs",
  "rbp",
  "tot-mem",
  // Redis 7.2's CLIENT SETINFO fields, which atlasd already shows.
  "lib-name",
  "lib-ver",
]);

/** A CLIENT INFO line without the fields above (RESP3's verbatim "txt:" prefix dropped). */
function comparable(line: string): string {
  return line.replace(/^txt:/, "").trim().split(" ")
    .filter((field) => !UNCOMPARED.has(field.slice(0, field.indexOf("="))))
    .join(" ");
}

function text(reply: RespValue): string {
  return "v" in reply && typeof reply.v === "string" ? reply.v : showReply(reply);
}

interface InfoCase {
  /** Run (each awaited) on a fresh connection before it asks CLIENT INFO. */
  steps: string[][];
  /** Then run on a second connection, before the CLIENT INFO. */
  other?: string[][];
}

const SELF_CASES: InfoCase[] = [
  { steps: [] },
  { steps: [["CLIENT", "SETNAME", "me"]] },
  { steps: [["CLIENT", "NO-EVICT", "on"]] },
  { steps: [["CLIENT", "NO-EVICT", "on"], ["CLIENT", "NO-EVICT", "off"]] },
  // Redis 7.0.15's RESET keeps no-evict.
  { steps: [["CLIENT", "NO-EVICT", "on"], ["RESET"]] },
  { steps: [["CLIENT", "TRACKING", "ON", "BCAST"], ["CLIENT", "NO-EVICT", "ON"]] },
  { steps: [["HELLO", "3"], ["CLIENT", "TRACKING", "ON"]] },
  { steps: [["WATCH", "k"]], other: [["SET", "k", "1"]] },
  { steps: [["WATCH", "k"]], other: [["DEL", "nokey"]] },
  { steps: [["WATCH", "k"], ["UNWATCH"]], other: [["SET", "k", "2"]] },
];

/** Steps a connection named "target" sends without waiting (it may block), then CLIENT LIST. */
const OBSERVED_CASES: InfoCase[] = [
  { steps: [] },
  { steps: [["MULTI"]] },
  { steps: [["MULTI"], ["SET", "a", "1"], ["GET", "abcdef"]] },
  { steps: [["MULTI"], ["SET", "a", "1"], ["NOSUCH"]] },
  { steps: [["BLPOP", "nolist", "0"]] },
  { steps: [["BLMOVE", "nolist", "x", "LEFT", "RIGHT", "0"]] },
  { steps: [["XREAD", "BLOCK", "0", "STREAMS", "nostream", "$"]] },
  { steps: [["WAIT", "1", "0"]] },
  { steps: [["MONITOR"]] },
  { steps: [["CLIENT", "NO-EVICT", "on"], ["MONITOR"]] },
  { steps: [["HELLO", "3"], ["SUBSCRIBE", "a"], ["MULTI"]] },
  { steps: [["HELLO", "3"], ["SUBSCRIBE", "a"], ["CLIENT", "TRACKING", "ON"]] },
  { steps: [["SUBSCRIBE", "a"], ["PSUBSCRIBE", "b*"], ["SSUBSCRIBE", "c"]] },
  { steps: [["WATCH", "x"], ["MULTI"]], other: [["SET", "x", "1"]] },
  { steps: [["WATCH", "x"], ["MULTI"], ["BLPOP", "nolist", "0"]], other: [["SET", "x", "2"]] },
];

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** CLIENT INFO after `c.steps` on a fresh connection to `port`. */
async function selfInfo(port: number, c: InfoCase): Promise<string> {
  const client = await RawClient.connect(port);
  const other = await RawClient.connect(port);
  try {
    for (const argv of c.steps) await client.call(argv);
    for (const argv of c.other ?? []) await other.call(argv);
    return comparable(text(await client.one("CLIENT", "INFO")));
  } finally {
    await client.close();
    await other.close();
  }
}

/** The line of a connection named "target" after `c.steps`, as another one's CLIENT LIST shows. */
async function observedInfo(port: number, c: InfoCase): Promise<string> {
  const target = await RawClient.connect(port);
  const observer = await RawClient.connect(port);
  try {
    await target.call(["CLIENT", "SETNAME", "target"]);
    await target.writeRaw(
      c.steps.map((argv) =>
        `*${argv.length}\r\n` + argv.map((a) => `$${a.length}\r\n${a}\r\n`).join("")
      ).join(""),
    );
    await pause(150);
    for (const argv of c.other ?? []) await observer.call(argv);
    const list = text(await observer.one("CLIENT", "LIST"));
    const line = list.split("\n").find((l) => l.includes(" name=target "));
    return line === undefined ? "(no line)" : comparable(line);
  } finally {
    await target.close();
    await observer.close();
  }
}

Deno.test("connection and server introspection matches redis-server", (t) =>
  withRedisAndAtlasd(async (redis, atlas, { redisPort, atlasPort }) => {
    await t.step("argument errors and replies", async () => {
      assert.deepEqual(await replyDifferences(redis, atlas, LINES), []);
    });

    await t.step("CLIENT INFO of this connection", async () => {
      const differences: string[] = [];
      for (const c of SELF_CASES) {
        const want = await selfInfo(redisPort, c);
        const got = await selfInfo(atlasPort, c);
        const name = [...c.steps, ...(c.other ?? [])].map((a) => a.join(" ")).join("; ");
        if (got !== want) differences.push(`${name}\n  atlasd: ${got}\n  redis:  ${want}`);
      }
      assert.deepEqual(differences, []);
    });

    await t.step("CLIENT LIST lines of other connections", async () => {
      const differences: string[] = [];
      for (const c of OBSERVED_CASES) {
        const want = await observedInfo(redisPort, c);
        const got = await observedInfo(atlasPort, c);
        const name = [...c.steps, ...(c.other ?? [])].map((a) => a.join(" ")).join("; ");
        if (got !== want) differences.push(`${name}\n  atlasd: ${got}\n  redis:  ${want}`);
      }
      assert.deepEqual(differences, []);
    });

    await t.step("CLIENT INFO / LIST run by EXEC show the transaction", async () => {
      // Redis's client stays in MULTI state until EXEC ends: flags x, multi= and multi-mem= of
      // the queue, argv-mem / qbuf of EXEC, cmd=exec. (obl of the second line counts the first
      // line's reply, whose length depends on ids and ports: left out.)
      const lines: string[][] = [];
      for (const port of [redisPort, atlasPort]) {
        const c = await RawClient.connect(port);
        try {
          await c.call(["CLIENT", "SETNAME", "inexec"]);
          for (const argv of [["MULTI"], ["SET", "a", "1"], ["CLIENT", "INFO"]]) await c.call(argv);
          for (const argv of [["CLIENT", "LIST", "TYPE", "normal"], ["GET", "a"]]) {
            await c.call(argv);
          }
          const exec = await c.one("EXEC");
          const [, info, list] = (exec as { v: RespValue[] }).v;
          const own = text(list).split("\n").find((l) => l.includes(" name=inexec "));
          lines.push([
            comparable(text(info)),
            comparable(own ?? "(no line)").replace(/ obl=\d+/, ""),
            comparable(text(await c.one("CLIENT", "INFO"))),
          ]);
        } finally {
          await c.close();
        }
      }
      assert.deepEqual(lines[1], lines[0]);
    });

    await t.step("CLIENT LIST ID lists the ids in the order given, repeats included", async () => {
      const names: string[][] = [];
      for (const port of [redisPort, atlasPort]) {
        const clients = await Promise.all([0, 1, 2].map(() => RawClient.connect(port)));
        try {
          const ids: string[] = [];
          for (const [i, c] of clients.entries()) {
            await c.call(["CLIENT", "SETNAME", `c${i}`]);
            ids.push(String((await c.one("CLIENT", "ID") as { v: number }).v));
          }
          const list = text(
            await clients[0].one("CLIENT", "LIST", "ID", ids[2], ids[1], ids[2], "0", ids[0]),
          );
          names.push(
            list.split("\n").filter((l) => l !== "").map((l) => l.match(/ name=(\S*)/)![1]),
          );
        } finally {
          for (const c of clients) await c.close();
        }
      }
      assert.deepEqual(names[1], names[0]);
      assert.deepEqual(names[0], ["c2", "c1", "c2", "c0"]);
    });

    await t.step("HELLO before AUTH when a password is required", async () => {
      for (const client of [redis, atlas]) {
        await client.call(["CONFIG", "SET", "requirepass", "pw"]);
      }
      const sequence = [
        ["HELLO"],
        ["HELLO", "3"],
        ["HELLO", "2", "SETNAME", "n"],
        ["HELLO", "3", "AUTH", "default", "nope"],
        // Before authenticating: arity and subcommand errors come first, then NOAUTH.
        ["GET"],
        ["GET", "k"],
        ["CLIENT"],
        ["CLIENT", "FOO"],
        ["CLIENT", "ID", "x"],
        ["CLIENT", "ID"],
        ["CONFIG", "GET"],
        ["NOSUCH"],
        ["AUTH", "pw", "x", "y"],
        ["AUTH", "nope"],
        ["PING"],
        ["HELLO", "2", "AUTH", "default", "pw", "SETNAME", "a b"],
        ["PING"],
      ];
      const replies: RespValue[][] = [];
      for (const port of [redisPort, atlasPort]) {
        const fresh = await RawClient.connect(port);
        try {
          replies.push(await fresh.call(...sequence));
        } finally {
          await fresh.close();
        }
      }
      for (const client of [redis, atlas]) await client.call(["CONFIG", "SET", "requirepass", ""]);
      assert.deepEqual(replies[1].map(showReply), replies[0].map(showReply));
    });
  }));

Deno.test("RESP3 clients get INFO, CLIENT INFO / LIST and the DOCTORs as verbatim text, as from redis-server", () =>
  withRedisAndAtlasd(async (redis, atlas) => {
    const commands = [
      ["INFO", "server"],
      ["CLIENT", "INFO"],
      ["CLIENT", "LIST"],
      ["MEMORY", "DOCTOR"],
      ["MEMORY", "MALLOC-STATS"],
      ["LATENCY", "DOCTOR"],
    ];
    const shapes: string[][] = [];
    for (const client of [redis, atlas]) {
      await client.call(["HELLO", "3"]);
      const shape: string[] = [];
      for (const command of commands) {
        const [reply] = await client.call(command);
        const v = "v" in reply && typeof reply.v === "string" ? reply.v : "";
        shape.push(`${command.join(" ")}: ${reply.t} ${v.slice(0, 4)}`);
      }
      await client.call(["HELLO", "2"]);
      const [plain] = await client.call(["CLIENT", "INFO"]);
      shape.push(`RESP2 CLIENT INFO: ${plain.t}`);
      shapes.push(shape);
    }
    assert.deepEqual(shapes[1], shapes[0]);
    assert.ok(shapes[0].every((line) => !line.includes(": verbatim") || line.endsWith("txt:")));
  }));
