/**
 * INFO's counters for what scripts run, side by side with redis-server 7.0.15: a command a script
 * calls counts in commandstats (calls / failed_calls, or rejected_calls when it is refused before
 * running: OOM, a write from EVAL_RO, noscript, arity) and its error in errorstats once, where it
 * happens; the script's own error reply, when it carries that error on (redis.call raising it, or
 * `return redis.pcall(...)`), does not count it again. An error the script makes itself
 * (redis.error_reply) counts with the script's reply.
 */
import assert from "node:assert/strict";
import { type RawClient, withRedisAndAtlasd } from "../atlas/testing/atlasd_harness.ts";

/** The counters compared: errorstats, total_error_replies, and these commands' call counts. */
async function counters(client: RawClient, commands: readonly string[]): Promise<string[]> {
  const info = (await client.one("INFO", "everything")) as { v: string };
  const lines = info.v.split("\r\n");
  const out = lines.filter((l) =>
    l.startsWith("errorstat_") || l.startsWith("total_error_replies:")
  );
  for (const command of commands) {
    const line = lines.find((l) => l.startsWith(`cmdstat_${command}:`)) ?? `cmdstat_${command}:-`;
    out.push(line.replace(/usec=\d+,usec_per_call=[\d.]+,/, ""));
  }
  return out;
}

const CASES: { name: string; setup?: string[][]; run: string[][]; commands: string[] }[] = [
  {
    name: "redis.call refused for OOM",
    setup: [["SET", "pad", "1"], ["CONFIG", "SET", "maxmemory", "1"]],
    run: [["EVAL", "return redis.call('set','x','y')", "1", "x"]],
    commands: ["set", "eval"],
  },
  {
    name: "redis.pcall refused for OOM, the script returns 1",
    setup: [["SET", "pad", "1"], ["CONFIG", "SET", "maxmemory", "1"]],
    run: [[
      "EVAL",
      "local t = redis.pcall('set','x','y') if t['err'] then return 1 end return 0",
      "1",
      "x",
    ]],
    commands: ["set", "eval"],
  },
  {
    name: "the refused call's error returned",
    setup: [["SET", "pad", "1"], ["CONFIG", "SET", "maxmemory", "1"]],
    run: [["EVAL", "return redis.pcall('set','x','y')", "1", "x"]],
    commands: ["set", "eval"],
  },
  {
    name: "a command's error raised",
    run: [["EVAL", "return redis.call('select',99)", "0"]],
    commands: ["select", "eval"],
  },
  {
    name: "a command's error caught",
    run: [["EVAL", "local t = redis.pcall('select',99) return t['err']", "0"]],
    commands: ["select", "eval"],
  },
  {
    name: "a write from EVAL_RO, raised and caught",
    run: [
      ["EVAL_RO", "return redis.call('set','x','y')", "1", "x"],
      ["EVAL_RO", "local t = redis.pcall('set','x','y') return 1", "1", "x"],
    ],
    commands: ["set", "eval_ro"],
  },
  {
    name: "WRONGTYPE from GEOADD",
    setup: [["SET", "Sicily", "1"]],
    run: [[
      "EVAL",
      "return redis.call('GEOADD','Sicily','13.361389','38.115556','Palermo')",
      "1",
      "x",
    ]],
    commands: ["geoadd", "eval"],
  },
  {
    name: "noscript and arity refusals, an unknown command",
    run: [
      ["EVAL", "return redis.pcall('multi')", "0"],
      ["EVAL", "return redis.pcall('get')", "0"],
      ["EVAL", "return redis.pcall('nosuchcommand')", "0"],
    ],
    commands: ["multi", "get", "eval"],
  },
  {
    name: "the script's own errors",
    run: [
      ["EVAL", "return redis.error_reply('MY_ERR_CODE custom msg')", "0"],
      ["EVAL", "return redis.call('set', {})", "0"],
      ["EVAL", "error('boom')", "0"],
    ],
    commands: ["set", "eval"],
  },
];

Deno.test("INFO counts the commands scripts run and their errors as redis-server does", () =>
  withRedisAndAtlasd(async (redis, atlas) => {
    const differences: string[] = [];
    for (const c of CASES) {
      for (const client of [redis, atlas]) {
        await client.call(["CONFIG", "SET", "maxmemory", "0"], ["FLUSHALL"], ...(c.setup ?? []));
        await client.call(["CONFIG", "RESETSTAT"]);
        for (const argv of c.run) await client.call(argv);
      }
      const [want, got] = [await counters(redis, c.commands), await counters(atlas, c.commands)];
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        differences.push(`${c.name}\n  atlasd: ${got.join(" ")}\n  redis:  ${want.join(" ")}`);
      }
    }
    await redis.call(["CONFIG", "SET", "maxmemory", "0"]);
    await atlas.call(["CONFIG", "SET", "maxmemory", "0"]);
    assert.deepEqual(differences, [], differences.join("\n"));
  }));
