/**
 * Side by side with redis-server 7.0.15: what clients and dashboards call on the ACL and MODULE
 * side of a server with one user (`default`) and no modules, and LOLWUT. ACL LIST / GETUSER (with
 * and without requirepass, RESP2 and RESP3), USERS / WHOAMI, DRYRUN, GENPASS's errors and length,
 * DELUSER / LOAD / SAVE refused with Redis's texts; ACL LOG after failed AUTH and HELLO AUTH
 * (fields, grouping of repeated failures, MULTI context, count, RESET); MODULE LIST / HELP and
 * LOAD / LOADEX / UNLOAD refused as redis-server refuses them by default (before NOAUTH); LOLWUT's
 * version line (a verbatim string in RESP3). Before this test atlasd answered every ACL
 * subcommand but WHOAMI / USERS / CAT / HELP, MODULE and LOLWUT with "unknown (sub)command".
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
  ["MODULE", "LIST"],
  ["module", "list", "x"],
  ["MODULE", "HELP", "x"],
  ["MODULE"],
  ["MODULE", "nosuch"],
  ["MODULE", "LOAD"],
  ["MODULE", "LOAD", "/tmp/atlasd-no-such-module.so"],
  ["MODULE", "LOAD", "/tmp/atlasd-no-such-module.so", "a", "b"],
  ["MODULE", "LOADEX", "/tmp/x.so"],
  ["MODULE", "LOADEX", "/tmp/x.so", "CONFIG", "a", "b", "ARGS", "c"],
  ["MODULE", "UNLOAD"],
  ["MODULE", "UNLOAD", "foo"],
  ["MODULE", "UNLOAD", "foo", "bar"],
  ["LOLWUT"],
  ["lolwut", "x", "y"],
  ["LOLWUT", "VERSION"],
  ["LOLWUT", "VERSION", "7"],
  ["LOLWUT", "version", "4"],
  ["LOLWUT", "VERSION", "x"],
  ["LOLWUT", "VERSION", "1.5"],
  ["LOLWUT", "x", "VERSION", "5"],
  ["LOLWUT", "VERSION", "5", "x"],
  ["LOLWUT", "VERSION", "5", "1", "1", "x"],
  ["LOLWUT", "VERSION", "6", "1", "x"],
  ["LOLWUT", "VERSION", "4294967301", "x"],
  ["ACL", "LIST"],
  ["ACL", "LIST", "x"],
  ["ACL", "USERS"],
  ["ACL", "WHOAMI"],
  ["ACL", "GETUSER", "default"],
  ["ACL", "GETUSER", "Default"],
  ["ACL", "GETUSER", "other"],
  ["ACL", "GETUSER"],
  ["ACL", "GETUSER", "a", "b"],
  ["ACL", "LOG"],
  ["ACL", "LOG", "5"],
  ["ACL", "LOG", "-1"],
  ["ACL", "LOG", "x"],
  ["ACL", "LOG", "reset"],
  ["ACL", "LOG", "RESET", "x"],
  ["ACL", "LOG", "1", "2"],
  ["ACL", "DRYRUN", "default", "get", "x"],
  ["ACL", "DRYRUN", "default", "GET", "x"],
  ["ACL", "DRYRUN", "default", "nosuch", "x"],
  ["ACL", "DRYRUN", "other", "get", "x"],
  ["ACL", "DRYRUN", "other", "nosuch"],
  ["ACL", "DRYRUN", "default"],
  ["ACL", "DRYRUN", "default", "get"],
  ["ACL", "DRYRUN", "default", "set", "x"],
  ["ACL", "DRYRUN", "default", "ping"],
  ["ACL", "DRYRUN", "default", "client"],
  ["ACL", "DRYRUN", "default", "client", "list"],
  ["ACL", "DRYRUN", "default", "client", "nosuch"],
  ["ACL", "DRYRUN", "default", "client", "getname", "x"],
  ["ACL", "DRYRUN", "default", "config", "get", "maxmemory"],
  ["ACL", "DRYRUN", "default", "module", "list"],
  ["ACL", "DRYRUN", "default", "lolwut"],
  ["ACL", "GENPASS", "0"],
  ["ACL", "GENPASS", "-5"],
  ["ACL", "GENPASS", "4097"],
  ["ACL", "GENPASS", "x"],
  ["ACL", "GENPASS", "1", "2"],
  ["ACL", "DELUSER"],
  ["ACL", "DELUSER", "foo"],
  ["ACL", "DELUSER", "foo", "bar"],
  ["ACL", "DELUSER", "default"],
  ["ACL", "DELUSER", "foo", "default"],
  ["ACL", "LOAD"],
  ["ACL", "LOAD", "x"],
  ["ACL", "SAVE"],
  ["ACL", "SETUSER"],
  ["ACL", "nosuch"],
  ["ACL"],
  ["ACL", "CAT", "scripting", "x"],
];

Deno.test("ACL, MODULE and LOLWUT answer as redis-server's, RESP2 and RESP3", () =>
  withRedisAndAtlasd(async (redis, atlas) => {
    const differences = await replyDifferences(redis, atlas, LINES);
    for (const client of [redis, atlas]) await client.call(["HELLO", "3"]);
    differences.push(...await replyDifferences(redis, atlas, LINES, showReply, "RESP3 "));
    assert.deepEqual(differences, []);
    // LOLWUT is a verbatim string in RESP3 ("txt"), as INFO is.
    assert.deepEqual(await atlas.one("LOLWUT"), { t: "verbatim", v: "txt:Redis ver. 7.0.15\n" });
  }));

Deno.test("with requirepass: ACL LIST / GETUSER show the password's SHA-256, MODULE LOAD is refused before NOAUTH", () =>
  withRedisAndAtlasd(async (redis, atlas, servers) => {
    for (const client of [redis, atlas]) {
      assert.deepEqual(await client.one("CONFIG", "SET", "requirepass", "s3cret"), {
        t: "simple",
        v: "OK",
      });
    }
    const fresh = await Promise.all(
      [servers.redisPort, servers.atlasPort].map((port) => RawClient.connect(port)),
    );
    try {
      const before = [
        ["MODULE", "LOAD", "/tmp/x.so"],
        ["MODULE", "UNLOAD", "x"],
        ["MODULE", "LOAD"],
        ["MODULE", "nosuch"],
        ["MODULE", "LIST"],
        ["ACL", "LIST"],
        ["ACL", "GETUSER", "default"],
        ["ACL", "nosuch"],
        ["LOLWUT"],
        ["AUTH", "s3cret"],
        ["ACL", "LIST"],
        ["ACL", "GETUSER", "default"],
        ["ACL", "WHOAMI"],
        ["ACL", "DRYRUN", "default", "get", "k"],
        ["MODULE", "LIST"],
      ];
      const differences = await replyDifferences(fresh[0], fresh[1], before);
      for (const client of fresh) await client.call(["HELLO", "3"]);
      const resp3 = [["ACL", "GETUSER", "default"], ["ACL", "LIST"], ["LOLWUT"]];
      differences.push(...await replyDifferences(fresh[0], fresh[1], resp3, showReply, "RESP3 "));
      // MULTI: a refused MODULE LOAD aborts the transaction, as any rejected command does.
      const multi = [["MULTI"], ["MODULE", "LOAD", "x"], ["PING"], ["EXEC"]];
      differences.push(...await replyDifferences(fresh[0], fresh[1], multi));
      assert.deepEqual(differences, []);
      assert.deepEqual(await atlas.one("ACL", "LIST"), {
        t: "array",
        v: [{ t: "bulk", v: `user default on #${await sha256("s3cret")} ~* &* +@all` }],
      });
    } finally {
      for (const client of fresh) await client.close();
    }
  }));

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * An ACL LOG reply with what is stable between two servers: every entry's fields in order, the
 * compared values (count, reason, context, object, username), age-seconds's type and that it is
 * under a minute, and from client-info the fields describing the attempt (cmd, user, flags, multi,
 * resp, name): ids, addresses and memory figures differ between any two servers.
 */
function stableLog(reply: RespValue): string {
  if (reply.t !== "array") return showReply(reply);
  return JSON.stringify(reply.v.map((entry) => {
    const pairs: [RespValue, RespValue][] = entry.t === "map"
      ? entry.v
      : (entry as { v: RespValue[] }).v.flatMap((v, i, all) =>
        i % 2 === 0 ? [[v, all[i + 1]] as [RespValue, RespValue]] : []
      );
    return pairs.map(([k, v]) => {
      const key = (k as { v: string }).v;
      if (key === "age-seconds") {
        const age = Number((v as { v: string }).v);
        return [key, v.t, age >= 0 && age < 60];
      }
      if (key === "client-info") {
        const info = (v as { v: string }).v;
        const kept = info.split(" ").filter((f) =>
          /^(cmd|user|flags|multi|resp|name|db|sub|psub)=/.test(f)
        );
        return [key, v.t, kept.join(" ")];
      }
      return [key, showReply(v)];
    });
  }));
}

/** Shows ACL LOG replies by `stableLog`, any other reply in full. */
function logShow(commands: string[][]): (reply: RespValue, index: number) => string {
  return (reply, i) =>
    commands[i][0] === "ACL" && commands[i][1] === "LOG" ? stableLog(reply) : showReply(reply);
}

Deno.test("ACL LOG records failed AUTH and HELLO AUTH as redis-server does: fields, grouping, MULTI, count, RESET", () =>
  withRedisAndAtlasd(async (redis, atlas, servers) => {
    const session = [
      // Without a password only another user fails (default has nopass).
      ["AUTH", "default", "anything"],
      ["AUTH", "other", "x"],
      ["ACL", "LOG"],
      ["CONFIG", "SET", "requirepass", "s3cret"],
      ["AUTH", "bad"],
      ["AUTH", "bad"], // grouped with the one before: count 2
      ["auth", "bad"], // another object ("auth" as spelled): a new entry
      ["AUTH", "default", "bad"], // user default, object AUTH: grouped with the first
      ["HELLO", "3", "AUTH", "default", "nope"],
      ["HELLO", "2", "AUTH", "someone", "nope"],
      ["HELLO", "2", "AUTH", "someone", "nope", "SETNAME", "n"],
      ["AUTH", "s3cret"],
      ["ACL", "LOG"],
      ["ACL", "LOG", "2"],
      ["ACL", "LOG", "0"],
      ["MULTI"],
      ["AUTH", "wrong"],
      ["EXEC"],
      ["ACL", "LOG", "1"],
      ["AUTH", "wrong"], // toplevel: not grouped with the MULTI one
      ["ACL", "LOG", "2"],
      ["ACL", "LOG", "RESET"],
      ["ACL", "LOG"],
      ["AUTH", "wrong"],
      ["ACL", "LOG"],
      ["CONFIG", "SET", "requirepass", ""],
    ];
    const differences = await replyDifferences(redis, atlas, session, logShow(session));
    // A failure on another connection is logged with that client's details; RESP3 maps.
    const others = await Promise.all(
      [servers.redisPort, servers.atlasPort].map((port) => RawClient.connect(port)),
    );
    try {
      for (const client of others) await client.call(["CLIENT", "SETNAME", "second"]);
      const more = [["AUTH", "nobody", "x"], ["ACL", "LOG", "2"]];
      differences.push(...await replyDifferences(others[0], others[1], more, logShow(more)));
      for (const client of others) await client.call(["HELLO", "3"]);
      differences.push(
        ...await replyDifferences(others[0], others[1], more, logShow(more), "RESP3 "),
      );
    } finally {
      for (const client of others) await client.close();
    }
    assert.deepEqual(differences, []);
    // The newest entry: the second connection's two failures (RESP2, then RESP3), grouped.
    const [, log] = await atlas.call(["HELLO", "3"], ["ACL", "LOG", "1"]);
    const [entry] = (log as { v: RespValue[] }).v as { t: "map"; v: [RespValue, RespValue][] }[];
    const field = (name: string) => entry.v.find(([k]) => (k as { v: string }).v === name)![1];
    assert.deepEqual(field("count"), { t: "integer", v: 2 });
    assert.deepEqual(field("username"), { t: "bulk", v: "nobody" });
    assert.match((field("client-info") as { v: string }).v, / name=second .* cmd=auth .* resp=3/);
    assert.equal(field("age-seconds").t, "double");
  }));

Deno.test("ACL GENPASS: random hex of the asked bits, rounded up to a digit, as Redis's", () =>
  withRedisAndAtlasd(async (redis, atlas) => {
    for (const bits of [undefined, "1", "4", "5", "10", "255", "4096"]) {
      const argv = bits === undefined ? ["ACL", "GENPASS"] : ["ACL", "GENPASS", bits];
      const [want] = await redis.call(argv);
      const [got, again] = await atlas.call(argv, argv);
      const text = (r: RespValue) => (r as { v: string }).v;
      assert.equal(got.t, "bulk");
      assert.match(text(got), /^[0-9a-f]+$/);
      assert.equal(text(got).length, text(want).length, argv.join(" "));
      if (text(got).length >= 16) assert.notEqual(text(got), text(again));
    }
  }));

Deno.test("LOLWUT VERSION 5 and 6: Redis draws random art above its version line, atlasd sends the line only", () =>
  withRedisAndAtlasd(async (redis, atlas) => {
    for (const version of ["5", "6"]) {
      const [want] = await redis.call(["LOLWUT", "VERSION", version]);
      const [got] = await atlas.call(["LOLWUT", "VERSION", version]);
      assert.match((want as { v: string }).v, /Redis ver\. 7\.0\.15\n$/);
      assert.deepEqual(got, { t: "bulk", v: "Redis ver. 7.0.15\n" });
    }
  }));
