/**
 * ACL users side by side with redis-server 7.0.15: SETUSER's rules and errors, LIST / GETUSER /
 * USERS, AUTH and HELLO AUTH as another user, NOPERM for commands, keys and channels (MULTI and
 * scripts too), ACL LOG's entries, DRYRUN, DELUSER closing the user's connections, WHOAMI,
 * CLIENT LIST's user=, requirepass as default's password. atlasd used to have `default` alone.
 */
import assert from "node:assert/strict";
import {
  RawClient,
  replyDifferences,
  type RespValue,
  showReply,
  withRedisAndAtlasd,
} from "../atlas/testing/atlasd_harness.ts";

const SETUP: string[][] = [
  ["ACL", "SETUSER", "alice", "on", ">p1", "~k*", "+get"],
  ["ACL", "SETUSER", "bob"],
  ["ACL", "SETUSER", "frank", "on", ">pw", "%R~r*", "~k*", "&news.*", "+@all"],
  ["ACL", "SETUSER", "gina", "on", "nopass", "~*", "&*", "-@all", "+@read", "+multi", "+exec"],
  ["ACL", "SETUSER", "gina", "+client|id", "-get", "+eval"],
  ["ACL", "SETUSER", "x1", "-config|get", "+config|get", "+config"],
  ["ACL", "SETUSER", "x2", "reset"],
  ["ACL", "SETUSER", "x3", "on", ">a", ">b", "<a", "#" + "c".repeat(64), "skip-sanitize-payload"],
  ["SET", "r1", "x"],
];

const ADMIN: string[][] = [
  ...SETUP,
  ["ACL", "LIST"],
  ["ACL", "USERS"],
  ["ACL", "GETUSER", "frank"],
  ["ACL", "GETUSER", "nobody"],
  ["ACL", "SETUSER", "x9", "+nosuchcmd"],
  ["ACL", "SETUSER", "x9", "+@nosuch"],
  ["ACL", "SETUSER", "x9", "+client|nosuch"],
  ["ACL", "SETUSER", "x9", "blah"],
  ["ACL", "SETUSER", "x9", "#abc"],
  ["ACL", "SETUSER", "x9", "<nopw"],
  ["ACL", "SETUSER", "x9", "%X~y"],
  ["ACL", "SETUSER", "x9", "allkeys", "~foo"],
  ["ACL", "SETUSER", "x9", "allchannels", "&foo"],
  ["ACL", "SETUSER", "a b", "on"],
  // A failed SETUSER changes nothing (x9 was never created).
  ["ACL", "USERS"],
  ["ACL", "DRYRUN", "alice", "set", "k1", "v"],
  ["ACL", "DRYRUN", "alice", "get", "k1"],
  ["ACL", "DRYRUN", "alice", "get", "zz"],
  ["ACL", "DRYRUN", "frank", "publish", "other", "m"],
  ["ACL", "DRYRUN", "nobody", "get", "k"],
  ["ACL", "DELUSER", "default"],
  ["ACL", "DELUSER", "x1", "x2", "nobody"],
  ["ACL", "USERS"],
  // Redundant rules are not kept; first-arg rules; a subcommand's first argument is refused.
  ["ACL", "SETUSER", "r1", "+@all", "+client|id", "-debug", "+debug|digest"],
  ["ACL", "SETUSER", "r2", "+memory|doctor", "+memory", "+select|0"],
  ["ACL", "SETUSER", "r3", "+config|get|appendonly"],
  ["ACL", "SETUSER", "r3", "-select|0"],
  ["ACL", "GETUSER", "r1"],
  ["ACL", "GETUSER", "r2"],
  ["ACL", "DRYRUN", "r2", "select", "0"],
  ["ACL", "DRYRUN", "r2", "select", "1"],
  // Selectors (Redis 7): more permission sets, each in parentheses, in one argument or several.
  ["ACL", "SETUSER", "sel", "on", "nopass", "-@all", "(+@write ~write::*)", "(+@read", "~read::*)"],
  ["ACL", "SETUSER", "sel2", "reset", "()"],
  ["ACL", "SETUSER", "sel3", "+mget", "~key", "(+mget ~key ~otherkey)"],
  ["ACL", "SETUSER", "bad", "(this-is-invalid)"],
  ["ACL", "SETUSER", "bad", "(&* &fail)"],
  ["ACL", "SETUSER", "bad", "("],
  ["ACL", "SETUSER", "bad", ")"],
  ["ACL", "SETUSER", "bad", " () "],
  ["ACL", "GETUSER", "sel"],
  ["ACL", "GETUSER", "sel2"],
  ["ACL", "GETUSER", "bad"],
  ["ACL", "DRYRUN", "sel", "set", "write::a", "1"],
  ["ACL", "DRYRUN", "sel", "get", "read::a"],
  ["ACL", "DRYRUN", "sel", "get", "write::a"],
  ["ACL", "DRYRUN", "sel", "ping"],
  ["ACL", "DRYRUN", "sel3", "mget", "otherkey", "someotherkey"],
  ["ACL", "DRYRUN", "sel3", "mget", "key", "otherkey", "someotherkey"],
  ["ACL", "DRYRUN", "sel3", "get", "key"],
  ["ACL", "SETUSER", "sel2", "clearselectors"],
  ["ACL", "GETUSER", "sel2"],
  // Per-key access from the key specs: ACCESS needs read, INSERT / DELETE / UPDATE write.
  ["ACL", "SETUSER", "kp", "on", "nopass", "+@all", "%R~read*", "%W~write*", "%RW~rw*"],
  ["ACL", "DRYRUN", "kp", "copy", "read", "write"],
  ["ACL", "DRYRUN", "kp", "copy", "write", "read"],
  ["ACL", "DRYRUN", "kp", "incr", "write"],
  ["ACL", "DRYRUN", "kp", "lpush", "write", "x"],
  ["ACL", "DRYRUN", "kp", "exists", "write"],
  ["ACL", "DRYRUN", "kp", "set", "write", "x"],
  ["ACL", "DRYRUN", "kp", "set", "write", "x", "get"],
  ["ACL", "DRYRUN", "kp", "bitfield", "read", "get", "u8", "0"],
  ["ACL", "DRYRUN", "kp", "bitfield", "read", "set", "u8", "0", "1"],
  ["ACL", "DRYRUN", "kp", "lmove", "rw", "write", "left", "right"],
  ["ACL", "DRYRUN", "kp", "sort", "read", "store", "write"],
  ["ACL", "DRYRUN", "kp", "sort", "read", "by", "w*"],
  ["ACL", "DRYRUN", "kp", "zunionstore", "write", "2", "read", "rw"],
  ["ACL", "DRYRUN", "kp", "xread", "streams", "read", "rw", "0", "0"],
  // acl-pubsub-default: the channels a new user (and `reset`) starts with.
  ["CONFIG", "GET", "acl-pubsub-default"],
  ["CONFIG", "SET", "acl-pubsub-default", "allchannels"],
  ["ACL", "SETUSER", "pd1", "on"],
  ["ACL", "SETUSER", "pd2", "&x", "reset"],
  ["CONFIG", "SET", "acl-pubsub-default", "sometimes"],
  ["CONFIG", "SET", "acl-pubsub-default", "resetchannels"],
  ["ACL", "GETUSER", "pd1"],
  ["ACL", "GETUSER", "pd2"],
  ["ACL", "SETUSER", "pd1", "reset"],
  ["ACL", "GETUSER", "pd1"],
  ["CONFIG", "GET", "acllog-max-len"],
  ["CONFIG", "SET", "acllog-max-len", "-1"],
  ["CONFIG", "SET", "acllog-max-len", "x"],
  ["EVAL", "return redis.acl_check_cmd('set', 'any', 'v')", "0"],
  ["EVAL", "return redis.acl_check_cmd('client', 'nope')", "0"],
];

/** Each restricted user's session, on a connection of its own. */
const SESSIONS: string[][][] = [
  [
    ["AUTH", "frank", "pw"],
    ["ACL", "WHOAMI"],
    ["GET", "r1"],
    ["SET", "r1", "y"],
    ["SET", "k1", "y"],
    ["GET", "zz"],
    ["PUBLISH", "news.a", "hi"],
    ["PUBLISH", "other", "hi"],
    ["EVAL", "return redis.call('get', 'r1')", "0"],
    ["EVAL", "return redis.pcall('set', 'zz', '1')", "0"],
    ["EVAL", "return redis.pcall('publish', 'zz', '1')", "0"],
    // redis.acl_check_cmd: the caller's rules for commands, keys and channels; nothing logged.
    ...[
      "'get', 'r1'",
      "'set', 'r1', 'v'",
      "'set', 'k1', 'v'",
      "'publish', 'news.a', 'm'",
      "'publish', 'other', 'm'",
      "'get', 1.5",
      "'config'",
      "'config', 'nope'",
      "'nosuchcmd', 'x'",
      "",
      "{}",
    ].map((args) => ["EVAL", `return redis.acl_check_cmd(${args})`, "0"]),
    ["EVAL", "return {pcall(redis.acl_check_cmd, 'nosuchcmd')}", "0"],
    ["SUBSCRIBE", "other"],
    ["PSUBSCRIBE", "news.*"],
  ],
  [
    ["AUTH", "alice", "wrong"],
    ["AUTH", "bob", "x"],
    ["AUTH", "nobody", "x"],
    ["AUTH", "alice", "p1"],
    ["SET", "k1", "v"],
    ["GET", "k1"],
    ["GET", "x"],
    ["ACL", "WHOAMI"],
    ["MULTI"],
    ["EXEC"],
  ],
  [
    ["HELLO", "2", "AUTH", "gina", "anything"],
    ["GET", "k1"],
    ["STRLEN", "k1"],
    ["CLIENT", "GETNAME"],
    ["MULTI"],
    ["STRLEN", "k1"],
    ["SET", "a", "b"],
    ["EXEC"],
    ["EVAL", "return redis.pcall('strlen', 'k1')", "0"],
    ["EVAL", "return redis.pcall('set', 'k1', 'z')", "0"],
    ...["'get', 'k1'", "'strlen', 'k1'", "'client', 'id'", "'client', 'kill', 'x'"].map((
      args,
    ) => ["EVAL", `return redis.acl_check_cmd(${args})`, "0"]),
    ["RESET"],
    ["ACL", "WHOAMI"],
  ],
];

/**
 * Replies without client ids (HELLO's), and ACL LIST's / GETUSER's command rules as a set: Redis 7.0 rebuilds
 * them from a bitmap (single commands in its hash table's order), atlasd keeps them as given.
 */
function showSession(reply: RespValue): string {
  return showReply(reply)
    .replace(/("v":"id"\},\{"t":"integer","v":)\d+/, "$1?")
    .replace(
      /("v":"user [^"]*?[+-]@all|"v":"commands"\},\{"t":"bulk","v":"[+-]@all)([^"]*)"/g,
      (_all, head: string, rules: string) => `${head}${rules.split(" ").sort().join(" ")}"`,
    );
}

Deno.test("ACL users: SETUSER, LIST, AUTH as a user, NOPERM, LOG and DELUSER as in Redis", () =>
  withRedisAndAtlasd(async (redis, atlas, servers) => {
    const differences = await replyDifferences(redis, atlas, ADMIN, showSession);
    for (const session of SESSIONS) {
      const r = await RawClient.connect(servers.redisPort);
      const a = await RawClient.connect(servers.atlasPort);
      try {
        differences.push(...await replyDifferences(r, a, session, showSession));
      } finally {
        await r.close();
        await a.close();
      }
    }
    // ACL LOG: the failed AUTHs and the denials above, newest first, grouped as Redis groups them.
    const [wantLog] = await redis.call(["ACL", "LOG"]);
    const [gotLog] = await atlas.call(["ACL", "LOG"]);
    // Each entry as what both servers must agree on: not its age, nor the client's id or address.
    const entries = (log: RespValue) =>
      (log as { v: RespValue[] }).v.map((entry) => {
        const fields = new Map(
          (entry as { v: { v: string | number }[] }).v.flatMap((x, k, all) =>
            k % 2 === 0 ? [[String(x.v), all[k + 1].v] as const] : []
          ),
        );
        const info = String(fields.get("client-info"));
        return JSON.stringify({
          count: fields.get("count"),
          reason: fields.get("reason"),
          context: fields.get("context"),
          object: fields.get("object"),
          username: fields.get("username"),
          client: info.match(/ (flags=\S+ db=\S+) .* (cmd=\S+ user=\S+) /)?.slice(1),
        });
      });
    const [want, got] = [entries(wantLog), entries(gotLog)];
    assert.equal(want.length, 10);
    for (let i = 0; i < want.length; i++) {
      if (got[i] !== want[i]) {
        differences.push(`ACL LOG entry ${i}\n  atlasd: ${got[i]}\n  redis:  ${want[i]}`);
      }
    }
    assert.deepEqual(differences, []);
  }));

Deno.test("ACL DELUSER closes the user's connections; requirepass is default's password", () =>
  withRedisAndAtlasd(async (redis, atlas, servers) => {
    for (const [admin, port] of [[redis, servers.redisPort], [atlas, servers.atlasPort]] as const) {
      await admin.call(["ACL", "SETUSER", "temp", "on", ">t", "~*", "+@all"]);
      const user = await RawClient.connect(port);
      const [authed, info] = await user.call(["AUTH", "temp", "t"], ["CLIENT", "INFO"]);
      assert.deepEqual(authed, { t: "simple", v: "OK" });
      assert.match((info as { v: string }).v, / user=temp /);
      assert.deepEqual(await admin.one("ACL", "DELUSER", "temp"), { t: "integer", v: 1 });
      const deadline = Date.now() + 5000;
      while (!user.closedByPeer && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      assert.equal(user.closedByPeer, true, `port ${port}: the connection stays open`);
      await user.close();
      // CLIENT KILL USER closes the connections acting as that user.
      await admin.call(["ACL", "SETUSER", "temp2", "on", "nopass", "+@all"]);
      const other = await RawClient.connect(port);
      await other.call(["AUTH", "temp2", "x"]);
      assert.deepEqual(await admin.one("CLIENT", "KILL", "USER", "temp2"), { t: "integer", v: 1 });
      await other.close();
    }
    const lines: string[][] = [
      ["CONFIG", "SET", "requirepass", "s3cret"],
      ["ACL", "LIST"],
      ["AUTH", "default", "s3cret"],
      ["ACL", "SETUSER", "default", "resetpass", ">other"],
      ["AUTH", "s3cret"],
      ["AUTH", "other"],
      ["CONFIG", "SET", "requirepass", ""],
      ["ACL", "LIST"],
      ["AUTH", "x"],
    ];
    assert.deepEqual(await replyDifferences(redis, atlas, lines), []);
  }));

Deno.test("EXEC checks its queued commands again against rules changed meanwhile, as Redis", () =>
  withRedisAndAtlasd(async (redis, atlas, servers) => {
    const outcome = async (admin: RawClient, port: number) => {
      await admin.call(["ACL", "SETUSER", "tx", "on", "nopass", "~*", "&*", "+@all"]);
      const user = await RawClient.connect(port);
      try {
        await user.call(["AUTH", "tx", "x"], ["MULTI"], ["SET", "a", "1"], ["GET", "a"], [
          "PUBLISH",
          "c",
          "m",
        ]);
        await admin.call(["ACL", "SETUSER", "tx", "-set", "resetchannels"]);
        const [exec] = await user.call(["EXEC"]);
        const [log] = await admin.call(["ACL", "LOG", "2"]);
        const fields = (log as { v: { v: RespValue[] }[] }).v.map((entry) =>
          entry.v.slice(0, 10).map((x) => showReply(x)).join(" ")
        );
        return [showReply(exec), ...fields];
      } finally {
        await user.close();
      }
    };
    assert.deepEqual(
      await outcome(atlas, servers.atlasPort),
      await outcome(redis, servers.redisPort),
    );
  }));

Deno.test("revoking a channel closes its subscribers; acllog-max-len bounds the log, as Redis", () =>
  withRedisAndAtlasd(async (redis, atlas, servers) => {
    const outcome = async (admin: RawClient, port: number) => {
      const seen: string[] = [];
      await admin.call(["ACL", "SETUSER", "ps", "on", ">p", "+@all", "resetchannels", "&foo:1"]);
      for (
        const [subscribe, channel, kept] of [
          ["SUBSCRIBE", "foo:1", ["&foo:1", "&bar"]], // still allowed: pardoned
          ["SUBSCRIBE", "foo:1", []],
          ["PSUBSCRIBE", "foo:1", []],
        ] as const
      ) {
        await admin.call(["ACL", "SETUSER", "ps", "resetchannels", "&foo:1"]);
        const sub = await RawClient.connect(port);
        await sub.call(["AUTH", "ps", "p"], [subscribe, channel]);
        await admin.call(["ACL", "SETUSER", "ps", "resetchannels", ...kept]);
        const deadline = Date.now() + 2000;
        while (kept.length === 0 && !sub.closedByPeer && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        seen.push(`${subscribe} ${kept.join(" ")}: closed=${sub.closedByPeer}`);
        await sub.close();
      }
      await admin.call(["ACL", "LOG", "RESET"], ["CONFIG", "SET", "acllog-max-len", "3"]);
      const user = await RawClient.connect(port);
      await user.call(["AUTH", "ps", "p"]);
      for (let i = 0; i < 6; i++) await user.call(["PUBLISH", `c${i}`, "m"]);
      await user.close();
      const [log] = await admin.call(["ACL", "LOG"]);
      seen.push(`log entries: ${(log as { v: unknown[] }).v.length}`);
      await admin.call(["CONFIG", "SET", "acllog-max-len", "128"]);
      return seen;
    };
    const want = await outcome(redis, servers.redisPort);
    assert.deepEqual(want, [
      "SUBSCRIBE &foo:1 &bar: closed=false",
      "SUBSCRIBE : closed=true",
      "PSUBSCRIBE : closed=true",
      "log entries: 3",
    ]);
    assert.deepEqual(await outcome(atlas, servers.atlasPort), want);
  }));

/** Rules the random SETUSER lines draw from: valid, invalid and tricky ones. */
const RANDOM_RULES = [
  "on",
  "off",
  "nopass",
  "resetpass",
  ">pw",
  "<pw",
  ">x",
  "<nope",
  "#" + "a".repeat(64),
  "!" + "a".repeat(64),
  "#bad",
  "~k*",
  "%R~r*",
  "%W~w*",
  "%RW~rw*",
  "%X~y",
  "%~z",
  "allkeys",
  "resetkeys",
  "&ch*",
  "&*",
  "allchannels",
  "resetchannels",
  "+@all",
  "-@all",
  "+@read",
  "-@write",
  "+@nosuch",
  "+get",
  "-get",
  "+client|id",
  "-client|kill",
  "+config|get|x",
  "+select|0",
  "-select|0",
  "+nosuch",
  "allcommands",
  "nocommands",
  "reset",
  "(~s +get)",
  "()",
  "(bad)",
  "(",
  ")",
  "clearselectors",
  "skip-sanitize-payload",
  "sanitize-payload",
  "ON",
  "+GET",
  "~",
  "&",
  "+",
  "-",
  "%R~",
  "+acl|whoami",
  "-@dangerous",
  "+@keyspace",
  "-keys",
];

/** What the user may do, probed with DRYRUN: the permissions, whatever wording the rules have. */
const PROBES: string[][] = [
  ["get", "k1"],
  ["get", "r1"],
  ["set", "w1", "v"],
  ["set", "rw1", "v", "get"],
  ["keys", "*"],
  ["sort_ro", "k1"],
  ["client", "id"],
  ["client", "kill", "id", "1"],
  ["select", "0"],
  ["select", "1"],
  ["publish", "ch1", "m"],
  ["acl", "whoami"],
  ["config", "get", "x"],
];

Deno.test("random SETUSER lines: the same replies, users and permissions as redis-server", () =>
  withRedisAndAtlasd(async (redis, atlas) => {
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    // GETUSER without its commands text (Redis 7.0 rebuilds it in its own words: PROBES compare
    // what it allows instead).
    const show = (reply: RespValue) =>
      showReply(reply).replace(/("v":"commands"\},\{"t":"bulk","v":)"[^"]*"/g, '$1"…"');
    const lines: string[][] = [];
    for (let i = 0; i < 150; i++) {
      const user = `u${random(3)}`;
      const rules = Array.from(
        { length: 1 + random(5) },
        () => RANDOM_RULES[random(RANDOM_RULES.length)],
      );
      lines.push(["ACL", "SETUSER", user, ...rules], ["ACL", "GETUSER", user]);
      for (const probe of PROBES) lines.push(["ACL", "DRYRUN", user, ...probe]);
    }
    assert.deepEqual(await replyDifferences(redis, atlas, lines, show), []);
  }));
