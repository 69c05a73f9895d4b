import assert from "node:assert/strict";
import { parseNodeList, RespAtlasClient } from "./resp_client.ts";
import { encodeCommand, ReplyParser } from "./resp_codec.ts";
import { UnavailableError } from "../errors/app_error.ts";
import { QUEUE_COMMANDS } from "../queue/commands.ts";
import { READ_ONLY_COMMANDS } from "./resp_commands.ts";

const enc = new TextEncoder();

Deno.test("reply parser handles split, nested and binary replies", () => {
  const parser = new ReplyParser();
  const text = "+OK\r\n-ERR bad\r\n:42\r\n$3\r\n\xff\x00a\r\n$-1\r\n*2\r\n$1\r\nx\r\n*1\r\n:1\r\n";
  const bytes = new Uint8Array([...text].map((ch) => ch.charCodeAt(0)));
  const replies = [];
  for (const byte of bytes) {
    parser.feed(new Uint8Array([byte]));
    for (let r = parser.next(); r; r = parser.next()) replies.push(r);
  }
  assert.deepEqual(replies, [
    { kind: "simple", value: "OK" },
    { kind: "error", value: "ERR bad" },
    { kind: "integer", value: 42 },
    { kind: "bulk", value: "\xff\x00a" },
    { kind: "nil" },
    {
      kind: "array",
      value: [{ kind: "bulk", value: "x" }, {
        kind: "array",
        value: [{ kind: "integer", value: 1 }],
      }],
    },
  ]);
});

Deno.test("reply parser rejects malformed input", () => {
  const parser = new ReplyParser();
  parser.feed(enc.encode("?what\r\n"));
  assert.throws(() => parser.next(), /Unknown reply type/);
  const big = new ReplyParser({ bulkBytesMax: 10, arrayLengthMax: 10, depthMax: 4 });
  big.feed(enc.encode("$11\r\n"));
  assert.throws(() => big.next(), /out of bounds/);
});

Deno.test("encodeCommand writes multibulk with byte lengths", () => {
  assert.equal(
    new TextDecoder().decode(encodeCommand(["SET", "k", "v"])),
    "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n",
  );
  assert.deepEqual([...encodeCommand(["\xe9"])].slice(-3), [0xe9, 13, 10]);
});

Deno.test("parseNodeList reads the --atlas flag", () => {
  assert.deepEqual(parseNodeList("127.0.0.1:1, h:2"), [
    { hostname: "127.0.0.1", port: 1 },
    { hostname: "h", port: 2 },
  ]);
  assert.throws(() => parseNodeList("nope"), /Invalid ATLAS address/);
});

/** A tiny scripted RESP server: answers each command via `answer`. */
function fakeServer(answer: (argv: string[]) => string, port = 0) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port });
  const conns = new Set<Deno.Conn>();
  const loop = (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      (async () => {
        const buf = new Uint8Array(65536);
        let pending = "";
        try {
          while (true) {
            const n = await conn.read(buf);
            if (n === null) break;
            pending += new TextDecoder().decode(buf.subarray(0, n));
            let out = "";
            while (true) {
              const m = /^\*(\d+)\r\n/.exec(pending);
              if (!m) break;
              let rest = pending.slice(m[0].length);
              const argv: string[] = [];
              let ok = true;
              for (let i = 0; i < Number(m[1]); i++) {
                const b = /^\$(\d+)\r\n/.exec(rest);
                if (!b || rest.length < b[0].length + Number(b[1]) + 2) {
                  ok = false;
                  break;
                }
                argv.push(rest.slice(b[0].length, b[0].length + Number(b[1])));
                rest = rest.slice(b[0].length + Number(b[1]) + 2);
              }
              if (!ok) break;
              pending = rest;
              out += answer(argv);
            }
            if (out) await conn.write(new TextEncoder().encode(out));
          }
        } catch {
          // connection closed by the test
        } finally {
          conns.delete(conn);
          try {
            conn.close();
          } catch { /* already closed */ }
        }
      })();
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    async close() {
      listener.close();
      for (const c of conns) c.close();
      await loop.catch(() => {});
    },
  };
}

/** A server that accepts connections and reads, but never answers (a black-holed path). */
function silentServer() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) accepted.push(conn);
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    async close() {
      listener.close();
      for (const conn of accepted) conn.close();
      await accepting.catch(() => {});
    },
  };
}

Deno.test("client pipelines calls and decodes UTF-8", async () => {
  const data = new Map<string, string>();
  const server = fakeServer(([cmd, key, value]) => {
    if (cmd === "SET") {
      data.set(key, value);
      return "+OK\r\n";
    }
    if (cmd === "GET") {
      const v = data.get(key);
      return v === undefined ? "$-1\r\n" : `$${v.length}\r\n${v}\r\n`;
    }
    return "-ERR unknown\r\n";
  });
  const client = new RespAtlasClient({ nodes: [{ hostname: "127.0.0.1", port: server.port }] });
  try {
    const sets = await Promise.all(
      Array.from({ length: 50 }, (_, i) => client.call("SET", `k${i}`, `v${i}`)),
    );
    assert.ok(sets.every((r) => r === "OK"));
    assert.equal(await client.call("GET", "k7"), "v7");
    assert.equal(await client.call("GET", "missing"), null);
    assert.deepEqual(await client.call("NOPE"), { error: "ERR unknown" });
  } finally {
    await client.close();
    await server.close();
  }
});

Deno.test("client fails over to the next node and follows TRYAGAIN and MOVED", async () => {
  let tries = 0;
  const leader = fakeServer(() => "+PONG\r\n");
  const follower = fakeServer(() => `-MOVED 0 127.0.0.1:${leader.port}\r\n`);
  const busy = fakeServer(() => (++tries < 2 ? "-TRYAGAIN later\r\n" : "+PONG\r\n"));
  // Port 1 refuses connections: the client must move on.
  const client = new RespAtlasClient({
    nodes: [{ hostname: "127.0.0.1", port: 1 }, { hostname: "127.0.0.1", port: follower.port }],
    backoffMs: 1,
  });
  const busyClient = new RespAtlasClient({
    nodes: [{ hostname: "127.0.0.1", port: busy.port }],
    backoffMs: 1,
  });
  try {
    assert.equal(await client.call("PING"), "PONG");
    assert.equal(client.currentNode.port, leader.port);
    assert.equal(await busyClient.call("SET", "a", "b"), "PONG");
    assert.equal(tries, 2);
  } finally {
    await client.close();
    await busyClient.close();
    await leader.close();
    await follower.close();
    await busy.close();
  }
});

Deno.test("client retries a BUSY reply (another client's script) until the script ended", async () => {
  let tries = 0;
  const scripting = fakeServer(() =>
    ++tries < 3
      ? "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n"
      : "+OK\r\n"
  );
  const client = new RespAtlasClient({
    nodes: [{ hostname: "127.0.0.1", port: scripting.port }],
    backoffMs: 1,
  });
  try {
    assert.equal(await client.call("SET", "a", "b"), "OK");
    assert.equal(tries, 3);
  } finally {
    await client.close();
    await scripting.close();
  }
});

Deno.test("client gives a 503 when no node answers", async () => {
  const client = new RespAtlasClient({
    nodes: [{ hostname: "127.0.0.1", port: 1 }],
    attemptsMax: 2,
    backoffMs: 1,
  });
  try {
    await assert.rejects(client.call("GET", "k"), (e) => e instanceof UnavailableError);
  } finally {
    await client.close();
  }
});

Deno.test("client fails fast with 503 when too many commands are in flight", async () => {
  // A server that never answers: every command stays in flight.
  const silent = silentServer();
  const client = new RespAtlasClient({
    nodes: [{ hostname: "127.0.0.1", port: silent.port }],
    inflightMax: 3,
    poolSize: 1,
  });
  try {
    const stuck = [client.call("GET", "a"), client.call("GET", "b"), client.call("GET", "c")];
    for (const call of stuck) call.catch(() => {});
    await assert.rejects(
      client.call("GET", "d"),
      (e) => e instanceof UnavailableError && e.code === "atlas_overloaded",
    );
  } finally {
    await client.close();
    await silent.close();
  }
});

Deno.test("client: a node that stops answering (black-holed path) times out and the client fails over", async () => {
  // Node 1 accepts and reads but never answers; node 2 answers.
  const silent = silentServer();
  const healthy = fakeServer((argv) => argv[0] === "GET" ? "$2\r\nok\r\n" : "+OK\r\n");
  const client = new RespAtlasClient({
    nodes: [
      { hostname: "127.0.0.1", port: silent.port },
      { hostname: "127.0.0.1", port: healthy.port },
    ],
    replyTimeoutMs: 100,
    backoffMs: 1,
  });
  try {
    // A write's outcome is unknown once sent: 503, never a silent retry elsewhere.
    await assert.rejects(
      client.call("SET", "k", "v"),
      (e) => e instanceof UnavailableError && /outcome is unknown/.test(e.message),
    );
    // The client moved on: the next calls are served by the node that answers.
    assert.equal(await client.call("GET", "k"), "ok");
    assert.equal(client.currentNode.port, healthy.port);
  } finally {
    await client.close();
    await silent.close();
    await healthy.close();
  }
});

Deno.test("client: a read on a silent node is retried on the next one", async () => {
  const silent = silentServer();
  const healthy = fakeServer(() => "$2\r\nok\r\n");
  const client = new RespAtlasClient({
    nodes: [
      { hostname: "127.0.0.1", port: silent.port },
      { hostname: "127.0.0.1", port: healthy.port },
    ],
    replyTimeoutMs: 100,
    backoffMs: 1,
  });
  try {
    const started = Date.now();
    assert.equal(await client.call("GET", "k"), "ok");
    assert.ok(Date.now() - started < 2000);
  } finally {
    await client.close();
    await silent.close();
    await healthy.close();
  }
});

Deno.test("client: a write answered 'may or may not have been applied' is never resent", async () => {
  // A Raft leader that could not confirm a commit in time answers this while the entry may still
  // commit under the next leader: resending the write could apply it twice (a second JOB.CLAIM
  // leasing more jobs, an enqueue refused as a duplicate of itself).
  const ambiguous =
    "-TRYAGAIN Timed out waiting for the Raft commit; the write may or may not have been applied\r\n";
  const seen: string[] = [];
  const first = fakeServer((argv) => {
    seen.push(`first ${argv[0]}`);
    if (argv[0] === "MULTI") return "+OK\r\n";
    if (argv[0] === "EXEC") return `*1\r\n${ambiguous}`; // one entry: every command's reply
    if (argv[0] === "JOB.ENQUEUE") return "+QUEUED\r\n";
    return ambiguous;
  });
  const second = fakeServer((argv) => {
    seen.push(`second ${argv[0]}`);
    return argv[0] === "JOB.GET" ? "$2\r\nok\r\n" : "+OK\r\n";
  });
  const nodes = [first.port, second.port].map((port) => ({ hostname: "127.0.0.1", port }));
  const client = new RespAtlasClient({ nodes, backoffMs: 1 });
  const txClient = new RespAtlasClient({ nodes, backoffMs: 1 });
  try {
    await assert.rejects(
      client.call("JOB.CLAIM", "1", "2", "w", "1000", "1", "q"),
      (e) =>
        e instanceof UnavailableError && e.code === "atlas_unavailable" &&
        /outcome is unknown/.test(e.message),
    );
    assert.deepEqual(seen, ["first JOB.CLAIM"]);
    // A read is resent (it changes nothing), and the client left the node that could not commit.
    seen.length = 0;
    assert.equal(await client.call("JOB.GET", "j_1"), "ok");
    assert.deepEqual(seen, ["second JOB.GET"]);
    // The same answer to a MULTI/EXEC block (one Raft entry): not resent either.
    seen.length = 0;
    await assert.rejects(
      txClient.transaction([["JOB.ENQUEUE", "1", "j_1", "{}", "1"]]),
      (e) => e instanceof UnavailableError && /outcome is unknown/.test(e.message),
    );
    assert.deepEqual(seen, ["first MULTI", "first JOB.ENQUEUE", "first EXEC"]);
  } finally {
    await client.close();
    await txClient.close();
    await first.close();
    await second.close();
  }
});

Deno.test("client: 'not applied' answers are retried on the next node; so is a transaction that was not applied", async () => {
  // A node cut off from the majority answers CLUSTERDOWN for as long as the partition lasts: the
  // client must move to another node rather than retry the one that cannot serve it.
  const seen: string[] = [];
  const minority = fakeServer((argv) => {
    seen.push(`minority ${argv[0]}`);
    if (argv[0] === "MULTI") return "+OK\r\n";
    if (argv[0] === "EXEC") {
      const no = "-CLUSTERDOWN No Raft leader is elected; retry shortly\r\n";
      return `*2\r\n${no}${no}`;
    }
    if (argv[0].startsWith("JOB.")) return argv[0] === "JOB.ENQUEUE" ? "+QUEUED\r\n" : "";
    return "-CLUSTERDOWN No Raft leader is elected; retry shortly\r\n";
  });
  const majority = fakeServer((argv) => {
    seen.push(`majority ${argv[0]}`);
    if (argv[0] === "MULTI") return "+OK\r\n";
    if (argv[0] === "EXEC") return "*2\r\n$1\r\na\r\n$1\r\nb\r\n";
    if (argv[0] === "JOB.ENQUEUE") return "+QUEUED\r\n";
    return "+OK\r\n";
  });
  const nodes = [minority.port, majority.port].map((port) => ({ hostname: "127.0.0.1", port }));
  const client = new RespAtlasClient({ nodes, backoffMs: 1 });
  const txClient = new RespAtlasClient({ nodes, backoffMs: 1 });
  try {
    assert.equal(await client.call("SET", "k", "v"), "OK");
    assert.deepEqual(seen, ["minority SET", "majority SET"]);
    assert.equal(client.currentNode.port, majority.port);
    assert.equal(await client.call("SET", "k", "v"), "OK");
    assert.equal(seen.filter((s) => s.startsWith("minority")).length, 1);

    // A MULTI/EXEC block every command of which got "not applied" was not applied: resent whole.
    seen.length = 0;
    const replies = await txClient.transaction([
      ["JOB.ENQUEUE", "1", "j_1", "{}", "1"],
      ["JOB.ENQUEUE", "1", "j_2", "{}", "2"],
    ]);
    assert.deepEqual(replies, ["a", "b"]);
    assert.equal(seen.filter((s) => s === "majority EXEC").length, 1);
  } finally {
    await client.close();
    await txClient.close();
    await minority.close();
    await majority.close();
  }
});

Deno.test("client: moving to another node lets the commands in flight on the old one finish", async () => {
  // Node 1 answers INCR after a while and closes the connection of a BREAK at once; node 2 is
  // healthy. The broken connection moves the client to node 2, but the INCR already sent on the
  // pool's other connection to node 1 is answered there: failing it would report an unknown
  // outcome for a write the node applied.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  const serving = (async () => {
    for await (const conn of listener) {
      conns.push(conn);
      (async () => {
        const buf = new Uint8Array(4096);
        try {
          for (;;) {
            const n = await conn.read(buf);
            if (n === null) return;
            const text = new TextDecoder().decode(buf.subarray(0, n));
            if (text.includes("BREAK")) return conn.close();
            if (text.includes("INCR")) {
              await new Promise((resolve) => setTimeout(resolve, 200));
              await conn.write(new TextEncoder().encode(":1\r\n"));
            }
          }
        } catch { /* closed by the test */ }
      })();
    }
  })();
  const healthy = fakeServer(() => "+OK\r\n");
  const client = new RespAtlasClient({
    nodes: [{ hostname: "127.0.0.1", port: (listener.addr as Deno.NetAddr).port }, {
      hostname: "127.0.0.1",
      port: healthy.port,
    }],
    poolSize: 2,
    backoffMs: 1,
  });
  try {
    // Pool slot 0; an error is kept as the value, so a failure shows in the assertion below.
    const incr = client.call("INCR", "counter").catch((e: Error) => e.message);
    const broken = client.call("BREAK"); // pool slot 1: its connection is closed by the node
    await assert.rejects(broken, (e) => e instanceof UnavailableError);
    assert.equal(client.currentNode.port, healthy.port);
    assert.equal(await incr, 1);
    assert.equal(await client.call("SET", "k", "v"), "OK");
  } finally {
    await client.close();
    listener.close();
    for (const conn of conns) {
      try {
        conn.close();
      } catch { /* already closed */ }
    }
    await serving.catch(() => {});
    await healthy.close();
  }
});

Deno.test("the job queue's reads are read-only to the client: resent after a broken connection", () => {
  // A JOB.GET / LIST / QUEUES / PEEK whose connection broke (a node killed) is resent elsewhere,
  // not answered 503 as a write of unknown outcome would be.
  for (const def of QUEUE_COMMANDS) {
    assert.equal(READ_ONLY_COMMANDS.has(def.name.toUpperCase()), !def.write, def.name);
  }
});

Deno.test("client readiness: false once no node answers, true again when one does (probed by PING)", async () => {
  const answer = (argv: string[]) => argv[0] === "PING" ? "+PONG\r\n" : "$1\r\nv\r\n";
  let server = fakeServer(answer);
  const port = server.port;
  const client = new RespAtlasClient({
    nodes: [{ hostname: "127.0.0.1", port }],
    attemptsMax: 2,
    backoffMs: 1,
    connectTimeoutMs: 200,
  });
  try {
    assert.equal(await client.call("GET", "k"), "v");
    assert.equal(client.ready(), true);
    await server.close();
    await assert.rejects(client.call("GET", "k"), (e) => e instanceof UnavailableError);
    assert.equal(client.ready(), false);
    server = fakeServer(answer, port); // the node is back: the next readiness checks notice
    for (let i = 0; i < 100 && !client.ready(); i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(client.ready(), true);
  } finally {
    await client.close();
    await server.close();
  }
});
