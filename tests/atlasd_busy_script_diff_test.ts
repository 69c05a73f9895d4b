/**
 * A script past busy-reply-threshold, side by side with redis-server 7.0.15 (Redis's "Timedout"
 * tests of unit/scripting, unit/functions and unit/multi): the other clients are answered BUSY
 * with the text naming the KILL that applies, but for the allow-busy commands; MULTI goes through
 * and a command refused inside it aborts the EXEC; SCRIPT KILL stops a script that wrote nothing
 * (pcall cannot keep it) and FUNCTION KILL a function; one that wrote is UNKILLABLE; FUNCTION
 * STATS shows the running function; the script's own client gets its reply and then the answers
 * to what it pipelined after; SHUTDOWN NOSAVE stops the server anyway.
 */
import assert from "node:assert/strict";
import {
  type Proc,
  RawClient,
  type RespValue,
  showReply,
  startAtlasd,
  startRedis,
  withRedisAndAtlasd,
} from "../atlas/testing/atlasd_harness.ts";

const LOOP = "local i = 0 while true do i = i + 1 end";
const PCALL_LOOP = "local f = function() while 1 do redis.call('ping') end end " +
  "while 1 do pcall(f) end";
const LIBRARY = "#!lua name=busylib\n" +
  "redis.register_function('spin', function() local a = 1 while true do a = a + 1 end end)\n" +
  "redis.register_function('wrote', function(keys) redis.call('set', keys[1], 'y') " +
  "while true do end end)";

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `client`'s PING is refused BUSY: the other client's script has timed out. */
async function untilBusy(client: RawClient): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const reply = await client.one("PING");
    if (reply.t === "error" && reply.v.startsWith("BUSY")) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error("the script never became busy");
}

/** A reply as text, FUNCTION STATS's duration_ms (a timing) shown as "ms". */
function show(reply: RespValue): string {
  return showReply(reply).replace(
    /("duration_ms"\},\{"t":"integer","v":)\d+/,
    '$1"ms"',
  );
}

/** What one server answers around a killable script (EVAL or FCALL) and its kill. */
async function killableOutcome(
  client: RawClient,
  port: number,
  script: string[],
  killWith: string,
  wrongKill: string,
): Promise<Record<string, string>> {
  const runner = await RawClient.connect(port);
  const other = await RawClient.connect(port);
  const tx = await RawClient.connect(port);
  try {
    await client.call(
      ["FLUSHALL"],
      ["SET", "xx", "1"],
      ["CONFIG", "SET", "lua-time-limit", "10"],
      ["SLOWLOG", "RESET"],
    );
    await tx.call(["MULTI"], ["INCR", "xx"]); // queued before the script: its EXEC comes during
    // The script, and a PING pipelined behind it on the same connection.
    const ran = runner.call(script, ["PING"]);
    await untilBusy(other);
    const busySinceMs = performance.now();
    const outcome: Record<string, string> = {};
    const ask = async (name: string, ...argv: string[]) => {
      outcome[name] = show(await other.one(...argv));
    };
    await ask("get", "GET", "xx");
    outcome.execDuring = show(await tx.one("EXEC"));
    outcome.afterExec = show(await tx.one("PING", "out of multi"));
    await ask("wrongKill", wrongKill, "KILL");
    await ask("functionStats", "FUNCTION", "STATS");
    await ask("shutdown", "SHUTDOWN");
    await ask("multi", "MULTI");
    await ask("incrInMulti", "INCR", "xx");
    // From the first client: this one is in MULTI (a KILL would be queued).
    await pause(100);
    const killedAtMs = performance.now();
    outcome.kill = show(await client.one(killWith, "KILL"));
    const [reply, pong] = await ran;
    outcome.scriptReply = show(reply);
    outcome.pipelinedPing = show(pong);
    // The slow log holds the script's command, timed whole: at least as long as it was busy.
    const [entry] = (await client.one("SLOWLOG", "GET", "1") as { v: RespValue[] }).v as {
      v: RespValue[];
    }[];
    outcome.slowlogCommand = show(entry.v[3]);
    const loggedUs = Number((entry.v[2] as { v: number }).v);
    outcome.slowlogWhole = String(loggedUs >= (killedAtMs - busySinceMs) * 1000);
    await ask("incrQueued", "INCR", "xx");
    await ask("exec", "EXEC");
    await ask("after", "GET", "xx");
    await ask("notBusy", killWith, "KILL");
    return outcome;
  } finally {
    await runner.close();
    await other.close();
    await tx.close();
  }
}

Deno.test("busy scripts: BUSY for others, SCRIPT KILL / FUNCTION KILL, MULTI aborted, as Redis", () =>
  withRedisAndAtlasd(async (redis, atlas, servers) => {
    const cases: [string, string[], string, string][] = [
      ["eval", ["EVAL", LOOP, "0"], "SCRIPT", "FUNCTION"],
      ["eval with pcall", ["EVAL", PCALL_LOOP, "0"], "SCRIPT", "FUNCTION"],
      ["fcall", ["FCALL", "spin", "0"], "FUNCTION", "SCRIPT"],
    ];
    const differences: string[] = [];
    for (const [label, script, killWith, wrongKill] of cases) {
      const outcomes = [];
      for (
        const [client, port] of [[redis, servers.redisPort], [atlas, servers.atlasPort]] as const
      ) {
        await client.one("FUNCTION", "LOAD", "REPLACE", LIBRARY);
        outcomes.push(await killableOutcome(client, port, script, killWith, wrongKill));
      }
      const [want, got] = outcomes;
      for (const name of Object.keys(want)) {
        if (got[name] !== want[name]) {
          differences.push(`${label} ${name}\n  atlasd: ${got[name]}\n  redis:  ${want[name]}`);
        }
      }
      // The facts the comparison stands on, should both servers change together.
      assert.match(got.get, /BUSY Redis is busy running a script/);
      assert.match(got.scriptReply, /Script killed by user with SCRIPT KILL/);
      assert.match(got.exec, /EXECABORT/);
      assert.match(got.execDuring, /EXECABORT Transaction discarded because of: BUSY/);
    }
    assert.deepEqual(differences, []);
  }));

Deno.test("busy scripts: one that wrote is UNKILLABLE; FUNCTION STATS shows it; SHUTDOWN NOSAVE ends it", async () => {
  const outcomes: Record<string, string>[] = [];
  for (const start of [() => startRedis(), () => startAtlasd(["--sync-mode", "none"])]) {
    const proc: Proc = await start();
    const runner = await RawClient.connect(proc.port);
    const other = await RawClient.connect(proc.port);
    try {
      await other.call(["FUNCTION", "LOAD", LIBRARY], [
        "CONFIG",
        "SET",
        "busy-reply-threshold",
        "10",
      ]);
      const ran = runner.call(["FCALL", "wrote", "1", "k"]);
      await untilBusy(other);
      const outcome: Record<string, string> = {};
      for (const argv of [["FUNCTION", "STATS"], ["SCRIPT", "KILL"], ["FUNCTION", "KILL"]]) {
        outcome[argv.join(" ")] = show(await other.one(...argv));
      }
      await other.writeRaw("*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n");
      // The server goes away: the script's client is closed without a reply.
      ran.catch(() => undefined);
      for (let i = 0; i < 200 && !runner.closedByPeer; i++) {
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      outcome.scriptClient = runner.closedByPeer ? "closed" : "open";
      outcome.stoppedServer = await RawClient.connect(proc.port).then(
        async (c) => {
          await c.close();
          return "still listening";
        },
        () => "refused",
      );
      outcomes.push(outcome);
    } finally {
      await runner.close();
      await other.close();
      await proc.stop();
    }
  }
  const [want, got] = outcomes;
  assert.deepEqual(got, want);
  assert.match(got["SCRIPT KILL"], /UNKILLABLE Sorry the script already executed write commands/);
  assert.equal(got.stoppedServer, "refused");
});

Deno.test("busy scripts: a client blocked on a key the script writes is served after the script", () =>
  withRedisAndAtlasd(async (redis, atlas, servers) => {
    const outcomes: string[][] = [];
    for (
      const [client, port] of [[redis, servers.redisPort], [atlas, servers.atlasPort]] as const
    ) {
      const blocked = await RawClient.connect(port);
      try {
        await client.call(["FLUSHALL"], ["CONFIG", "SET", "busy-reply-threshold", "1"]);
        const popped = blocked.call(["BLPOP", "x", "0"]);
        await new Promise((resolve) => setTimeout(resolve, 100));
        // Pushes y, runs past the threshold (other clients get BUSY), pushes z: the blocked
        // client must see the end state, as Redis serves blocked keys after the command.
        // Meanwhile another client keeps sending commands (answered BUSY): each is a chance for
        // the server to serve blocked clients, which it must not take half-way through.
        const pinger = await RawClient.connect(port);
        let pinging = true;
        const pings = (async () => {
          while (pinging) {
            await pinger.one("PING");
            await new Promise((resolve) => setTimeout(resolve, 5));
          }
        })();
        const reply = await client.one(
          "EVAL",
          "redis.call('lpush', KEYS[1], 'y') local n = 0 for i = 1, 3000000 do n = n + 1 end " +
            "redis.call('lpush', KEYS[1], 'z') return n",
          "1",
          "x",
        );
        pinging = false;
        await pings;
        await pinger.close();
        outcomes.push([
          showReply(reply),
          showReply((await popped)[0]),
          showReply(await client.one("LRANGE", "x", "0", "-1")),
        ]);
      } finally {
        await client.one("CONFIG", "SET", "busy-reply-threshold", "5000");
        await blocked.close();
      }
    }
    const [want, got] = outcomes;
    assert.deepEqual(got, want);
    assert.equal(
      got[1],
      showReply({ t: "array", v: [{ t: "bulk", v: "x" }, { t: "bulk", v: "z" }] }),
    );
  }));

/** One server's answers around a script that times out inside an EXEC and is killed there. */
async function inExecOutcome(client: RawClient, port: number): Promise<Record<string, string>> {
  const runner = await RawClient.connect(port);
  const other = await RawClient.connect(port);
  try {
    await client.call(["FLUSHALL"], ["CONFIG", "SET", "lua-time-limit", "10"]);
    const queued = await runner.call(
      ["MULTI"],
      ["INCR", "counter"],
      ["EVAL", LOOP, "0"],
      ["INCR", "counter"],
    );
    // EXEC, and a GET pipelined behind it: it waits for the whole block.
    const ran = runner.call(["EXEC"], ["GET", "counter"]);
    await untilBusy(other);
    const outcome: Record<string, string> = { queued: queued.map(show).join(" ") };
    outcome.getDuring = show(await other.one("GET", "counter"));
    outcome.kill = show(await other.one("SCRIPT", "KILL"));
    const [exec, after] = await ran;
    outcome.exec = show(exec);
    outcome.after = show(after);
    outcome.counter = show(await other.one("GET", "counter"));
    return outcome;
  } finally {
    await runner.close();
    await other.close();
  }
}

Deno.test("busy scripts: one inside EXEC times out as well; killed, the rest of the block runs, as Redis", () =>
  withRedisAndAtlasd(async (redis, atlas, servers) => {
    const want = await inExecOutcome(redis, servers.redisPort);
    const got = await inExecOutcome(atlas, servers.atlasPort);
    assert.deepEqual(got, want);
    // The facts the comparison stands on, should both servers change together.
    assert.match(got.getDuring, /BUSY Redis is busy running a script/);
    assert.match(got.exec, /Script killed by user with SCRIPT KILL/);
    assert.equal(got.counter, show({ t: "bulk", v: "2" }));
  }));
