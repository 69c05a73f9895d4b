/**
 * The growth path the README promises, with real processes and the commands a user types: one
 * `helios serve` on an embedded data directory, then that data directory as node 1 of a 3-node
 * Raft cluster started with the original README's flag spelling (`--raft=true --raft-node-id=...
 * --raft-addr=... --raft-data-dir=...`), nodes 2 and 3 joined with --raft-join and `helios cluster
 * add-peer`, a gateway and a worker on the cluster, a kill -9 of the leader, and the operator's
 * moves (remove-peer and add back, backup of the cluster restored into a fresh single node).
 * Every port is chosen free (127.0.0.1:0, read back from the "Listening" log lines).
 */
import assert from "node:assert/strict";
import { AtlasEngine, binaryToUtf8, type Reply } from "../atlas/mod.ts";
import { RespConnection } from "../src/storage/resp_connection.ts";
import { HeliosProcess, runHelios } from "./helpers/helios_process.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function eventually<T>(
  what: string,
  attempt: () => Promise<T | undefined>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await attempt();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await sleep(100);
  }
  throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (last: ${last})` : ""}`);
}

async function respTo(address: string): Promise<RespConnection> {
  const [hostname, port] = address.split(":");
  return await RespConnection.open({
    hostname,
    port: Number(port),
    connectTimeoutMs: 2000,
    replyTimeoutMs: 10_000,
  });
}

async function command(address: string, argv: string[]): Promise<Reply> {
  const connection = await respTo(address);
  try {
    return await connection.send(argv);
  } finally {
    connection.close();
  }
}

interface KeyState {
  dump: string;
  pttl: number;
}

/** Every key of a node with its DUMP and PTTL (KEYS: the data sets here are small). */
async function keyspace(address: string): Promise<Map<string, KeyState>> {
  const connection = await respTo(address);
  try {
    const keys = await connection.send(["KEYS", "*"]);
    assert.equal(keys.kind, "array", JSON.stringify(keys));
    const out = new Map<string, KeyState>();
    for (const key of keys.value) {
      assert.equal(key.kind, "bulk");
      const [dump, pttl] = await Promise.all([
        connection.send(["DUMP", key.value]),
        connection.send(["PTTL", key.value]),
      ]);
      if (dump.kind !== "bulk" || pttl.kind !== "integer") continue; // expired in between
      out.set(key.value, { dump: dump.value, pttl: Number(pttl.value) });
    }
    return out;
  } finally {
    connection.close();
  }
}

/** The same keys with the same values as `before`; deadlines kept (not reset, not dropped). */
function assertCarried(
  node: string,
  before: Map<string, KeyState>,
  after: Map<string, KeyState>,
  elapsedMs: number,
): void {
  assert.deepEqual([...after.keys()].sort(), [...before.keys()].sort(), `${node}: the keys`);
  for (const [key, was] of before) {
    const now = after.get(key)!;
    assert.equal(now.dump, was.dump, `${node}: the value of ${key}`);
    if (was.pttl < 0) {
      assert.equal(now.pttl, was.pttl, `${node}: ${key} has no TTL`);
    } else {
      assert.ok(
        now.pttl <= was.pttl && now.pttl >= was.pttl - elapsedMs - 1000,
        `${node}: ${key} had ${was.pttl} ms to live, ${elapsedMs} ms ago; now ${now.pttl}`,
      );
    }
  }
}

async function http(
  base: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown } = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`http://${base}${path}`, {
    method,
    headers: {
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.body !== undefined ? { "content-type": "application/json" } : {}),
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : {} };
}

async function login(gateway: string, username: string, password: string) {
  const reply = await http(gateway, "POST", "/api/v1/auth/login", {
    body: { username, password },
  });
  assert.equal(reply.status, 200, JSON.stringify(reply.json));
  return { token: String(reply.json.token), userId: String(reply.json.user_id) };
}

/** One `helios atlasd` Raft member, started with the original README's flag spelling. */
class Member {
  process: HeliosProcess | null = null;
  resp = "127.0.0.1:0";
  metrics = "127.0.0.1:0";
  raft = "127.0.0.1:0";

  constructor(readonly id: string, readonly dataDir: string, private extra: string[] = []) {}

  /** Starts it (again on the addresses it had, if it ran before) and waits for its listeners. */
  async start(extra: string[] = this.extra): Promise<void> {
    this.extra = extra;
    this.process = HeliosProcess.start([
      "atlasd",
      `--data-dir=${this.dataDir}`,
      `--listen=${this.resp}`,
      `--metrics-listen=${this.metrics}`,
      "--raft=true",
      `--raft-node-id=${this.id}`,
      `--raft-addr=${this.raft}`,
      `--raft-data-dir=${this.dataDir}/raft`,
      ...extra,
    ]);
    this.raft = await this.process.address("raft");
    this.resp = await this.process.address("resp");
    this.metrics = await this.process.address("metrics");
  }

  async status(): Promise<
    { state: string; leader_id: string; voters: string[]; learners: string[] }
  > {
    return await (await fetch(`http://${this.metrics}/raft/status`)).json();
  }

  async stop(signal: Deno.Signal = "SIGTERM"): Promise<void> {
    await this.process?.stop(signal);
    this.process = null;
  }
}

async function clusterCli(...args: string[]) {
  return await runHelios(["cluster", ...args]);
}

Deno.test({
  name: "grow: serve's data dir becomes node 1 of a 3-node cluster; gateway, worker, failover",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const work = await Deno.makeTempDir({ prefix: "helios-grow-" });
    const hooked: string[] = [];
    const hook = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
      hooked.push(req.headers.get("x-helios-job-id") ?? "");
      await req.body?.cancel();
      return new Response("ok");
    });
    const hookUrl = `http://127.0.0.1:${hook.addr.port}/hook`;
    const members = [
      new Member("node-1", `${work}/node1`),
      new Member("node-2", `${work}/node2`),
      new Member("node-3", `${work}/node3`),
    ];
    const processes: HeliosProcess[] = [];
    try {
      // 1. One node: `helios serve` on a data directory, written through HTTP and RESP.
      const serve = HeliosProcess.start([
        "serve",
        ...["--data-dir", members[0].dataDir, "--listen", "127.0.0.1:0"],
        ...["--resp-listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0"],
      ], { HELIOS_ADMIN_PASSWORD: "rootpass123" });
      processes.push(serve);
      const single = await serve.address("gateway");
      const singleResp = await serve.address("resp");
      const registered = await http(single, "POST", "/api/v1/auth/register", {
        body: { username: "alice", password: "secret123" },
      });
      assert.equal(registered.status, 201, JSON.stringify(registered.json));
      const alice = await login(single, "alice", "secret123");
      const kv = (key: string, body: unknown) =>
        http(single, "POST", `/api/v1/kv/${key}`, { token: alice.token, body });
      assert.equal((await kv("mykey", { value: "myvalue", ttl: 3600 })).status, 200);
      assert.equal((await kv("plain", { value: "forever" })).status, 200);
      const enqueue = async (body: unknown) => {
        const reply = await http(single, "POST", "/api/v1/jobs", { token: alice.token, body });
        assert.equal(reply.status, 201, JSON.stringify(reply.json));
        return { id: String(reply.json.id), status: String(reply.json.status) };
      };
      // `hooks` is not a queue serve's worker claims from: this one waits for `helios worker`.
      const pending = await enqueue({
        queue: "hooks",
        task: "http",
        payload: { url: hookUrl, body: { n: 1 } },
      });
      const delayed = await enqueue({
        queue: "hooks",
        task: "http",
        delay_ms: 3_600_000,
        payload: { url: hookUrl, body: { n: 2 } },
      });
      const waiting = await enqueue({ payload: { task: "process_data", data: "..." } });
      assert.deepEqual(
        [pending.status, delayed.status, waiting.status],
        ["PENDING", "SCHEDULED", "PENDING"],
      );
      for (
        const argv of [
          ["SET", "greeting", "hello"],
          ["HSET", "user:1", "name", "Ada", "lang", "en"],
          ["SET", "session:x", "tok", "EX", "7200"],
        ]
      ) {
        assert.notEqual((await command(singleResp, argv)).kind, "error");
      }
      const before = await keyspace(singleResp);
      const beforeMs = Date.now();
      assert.ok(before.size >= 20, `serve's keyspace: ${[...before.keys()]}`);
      assert.ok(before.get("kv:mykey")!.pttl > 3_500_000);
      assert.equal((await serve.stop("SIGTERM")).code, 0, serve.stderr.join("\n"));

      // 2. Node 1 on serve's data directory, exactly as the original README starts it; nodes 2
      // and 3 join it (--raft-join, then `helios cluster add-peer`, through a follower for node 3).
      await members[0].start();
      await eventually(
        "node-1 leads",
        async () => (await members[0].status()).state === "leader" || undefined,
      );
      assertCarried("node-1", before, await keyspace(members[0].resp), Date.now() - beforeMs);
      for (const member of members.slice(1)) {
        await member.start(["--raft-join", `--raft-peers=node-1=${members[0].raft}`]);
        const via = member.id === "node-3" ? members[1] : members[0];
        const added = await clusterCli("add-peer", member.id, member.raft, "--atlas", via.resp);
        assert.equal(added.code, 0, added.stderr);
        assert.equal(added.stdout, "OK");
      }
      const status = await clusterCli("status", "--atlas", members[2].resp);
      assert.equal(status.code, 0, status.stderr);
      const shown = JSON.parse(status.stdout);
      assert.deepEqual(shown.voters, ["node-1", "node-2", "node-3"]);
      assert.deepEqual(shown.learners, []);
      for (const member of members) {
        assertCarried(member.id, before, await keyspace(member.resp), Date.now() - beforeMs);
      }

      // 3. A gateway on the cluster: the same user, password, keys and jobs; new writes land on
      // every node; `helios worker` runs the pending job.
      const gatewayProcess = HeliosProcess.start([
        "gateway",
        ...["--atlas", members.map((m) => m.resp).join(","), "--listen", "127.0.0.1:0"],
        ...["--metrics-listen", "127.0.0.1:0"],
      ]);
      processes.push(gatewayProcess);
      const gateway = await gatewayProcess.address("gateway");
      const again = await login(gateway, "alice", "secret123");
      assert.equal(again.userId, alice.userId);
      const read = await http(gateway, "GET", "/api/v1/kv/mykey", { token: again.token });
      assert.equal(read.status, 200);
      assert.equal(read.json.value, "myvalue");
      assert.ok(Number(read.json.ttl) > 3500 && Number(read.json.ttl) <= 3600, `${read.json.ttl}`);
      for (const job of [pending, delayed, waiting]) {
        const got = await http(gateway, "GET", `/api/v1/jobs/${job.id}`, { token: again.token });
        assert.equal(got.status, 200);
        assert.equal(got.json.status, job.status);
      }
      const written = await http(gateway, "POST", "/api/v1/kv/grown", {
        token: again.token,
        body: { value: "on the cluster" },
      });
      assert.equal(written.status, 200);
      for (const member of members) {
        const value = await command(member.resp, ["GET", "kv:grown"]);
        assert.deepEqual(value, { kind: "bulk", value: "on the cluster" }, member.id);
      }
      // A worker's API token: the admin (HELIOS_ADMIN_PASSWORD on serve) takes the worker role
      // and mints a token holding only it.
      const admin = await login(gateway, "admin", "rootpass123");
      const granted = await http(gateway, "POST", `/api/v1/admin/users/${admin.userId}/roles`, {
        token: admin.token,
        body: { role: "worker" },
      });
      assert.equal(granted.status, 200, JSON.stringify(granted.json));
      const minted = await http(gateway, "POST", "/api/v1/auth/tokens", {
        token: admin.token,
        body: { name: "worker-1", roles: ["worker"] },
      });
      assert.equal(minted.status, 201, JSON.stringify(minted.json));
      const worker = HeliosProcess.start([
        "worker",
        ...["--gateway", `http://${gateway}`, "--queues", "hooks", "--poll-interval", "1s"],
        ...["--metrics-listen", "127.0.0.1:0"],
      ], { HELIOS_TOKEN: String(minted.json.token) });
      processes.push(worker);
      await eventually("the worker runs the pending job", async () => {
        const job = await http(gateway, "GET", `/api/v1/jobs/${pending.id}`, {
          token: again.token,
        });
        return job.json.status === "COMPLETED" || undefined;
      });
      assert.deepEqual(hooked, [pending.id]);

      // kill -9 of the leader: the gateway goes on serving once a new leader is elected.
      const leaderId = (await members[0].status()).leader_id;
      const leader = members.find((m) => m.id === leaderId)!;
      await leader.stop("SIGKILL");
      await eventually("a write through the gateway after the leader's kill -9", async () => {
        const reply = await http(gateway, "POST", "/api/v1/kv/after-kill", {
          token: again.token,
          body: { value: "x" },
        });
        return reply.status === 200 || undefined;
      }, 20_000);
      const relogin = await login(gateway, "alice", "secret123");
      const after = await http(gateway, "GET", "/api/v1/kv/after-kill", { token: relogin.token });
      assert.equal(after.json.value, "x");
      // Restarted with the same command, it catches up.
      await leader.start();
      await eventually(`${leader.id} catches up`, async () => {
        const value = await command(leader.resp, ["GET", "kv:after-kill"]);
        return value.kind === "bulk" || undefined;
      });
      await worker.stop("SIGTERM");
      await gatewayProcess.stop("SIGTERM");
      await eventually("the three nodes hold the same keyspace", async () => {
        const [a, b, c] = await Promise.all(members.map((m) => keyspace(m.resp)));
        const dumps = (k: Map<string, KeyState>) =>
          JSON.stringify([...k].map(([key, s]) => [key, s.dump]).sort());
        return (dumps(a) === dumps(b) && dumps(b) === dumps(c)) || undefined;
      });
    } finally {
      for (const member of members) await member.stop("SIGKILL");
      for (const process of processes) await process.stop("SIGKILL");
      await hook.shutdown();
      await Deno.remove(work, { recursive: true });
    }
  },
});

Deno.test({
  name: "grow: a node that founded its own cluster is refused by add-peer, the cluster stays " +
    "available; remove-peer and add back; backup restored into a fresh single node",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const work = await Deno.makeTempDir({ prefix: "helios-grow-ops-" });
    const members = [
      new Member("node-1", `${work}/node1`),
      new Member("node-2", `${work}/node2`),
      new Member("node-3", `${work}/node3`),
    ];
    let fresh: HeliosProcess | null = null;
    try {
      // The original README's three commands as written: each node founds a cluster of its own.
      await Promise.all(members.slice(0, 2).map((m) => m.start()));
      await eventually(
        "node-1 leads",
        async () => (await members[0].status()).state === "leader" || undefined,
      );
      assert.deepEqual(await command(members[0].resp, ["SET", "a", "1"]), {
        kind: "simple",
        value: "OK",
      });
      // Before, ADD-PEER answered OK and made node-2 a voter at once: node-1's cluster had two
      // voters and no quorum, for good (no write, no read, no REMOVE-PEER to undo it).
      const refused = await clusterCli(
        "add-peer",
        "node-2",
        members[1].raft,
        "--atlas",
        members[0].resp,
      );
      assert.equal(refused.code, 1, refused.stdout);
      assert.match(refused.stderr, /TRYAGAIN "node-2" is a learner but has not caught up/);
      assert.match(refused.stderr, /--raft-join/);
      assert.deepEqual(await command(members[0].resp, ["SET", "b", "2"]), {
        kind: "simple",
        value: "OK",
      });
      const meanwhile = await members[0].status();
      assert.equal(meanwhile.state, "leader");
      assert.deepEqual(meanwhile.voters, ["node-1"]);
      await members[1].process!.waitFor((l) =>
        l.message === "Ignored Raft messages from another cluster"
      );

      // As the error says: node-2 starts over with --raft-join; node-3 starts that way.
      await members[1].stop();
      await Deno.remove(`${members[1].dataDir}/raft`, { recursive: true });
      const join = ["--raft-join", `--raft-peers=node-1=${members[0].raft}`];
      for (const member of members.slice(1)) {
        await member.start(join);
        const added = await clusterCli(
          "add-peer",
          member.id,
          member.raft,
          "--atlas",
          members[0].resp,
        );
        assert.equal(added.code, 0, added.stderr);
      }
      assert.deepEqual((await members[2].status()).voters, ["node-1", "node-2", "node-3"]);

      // remove-peer, stop, start again with --raft-join, add-peer: a voter again.
      const removed = await clusterCli("remove-peer", "node-3", "--atlas", members[0].resp);
      assert.equal(removed.code, 0, removed.stderr);
      await members[2].stop();
      assert.deepEqual((await members[0].status()).voters, ["node-1", "node-2"]);
      assert.equal((await command(members[1].resp, ["SET", "c", "3"])).kind, "simple");
      await members[2].start(join);
      const readded = await clusterCli(
        "add-peer",
        "node-3",
        members[2].raft,
        "--atlas",
        members[1].resp,
      );
      assert.equal(readded.code, 0, readded.stderr);
      await eventually("node-3 has what was written while it was out", async () => {
        const value = await command(members[2].resp, ["GET", "c"]);
        return value.kind === "bulk" || undefined;
      });

      // Backup of the cluster, restored into a fresh single node.
      const backup = await runHelios(["backup", "--atlas", members[2].resp, `${work}/c.hbk`]);
      assert.equal(backup.code, 0, backup.stderr);
      const restore = await runHelios(["restore", `${work}/c.hbk`, "--data-dir", `${work}/fresh`]);
      assert.equal(restore.code, 0, restore.stderr);
      fresh = HeliosProcess.start([
        "atlasd",
        ...["--data-dir", `${work}/fresh`, "--listen", "127.0.0.1:0"],
        ...["--metrics-listen", "127.0.0.1:0"],
      ]);
      const restored = await keyspace(await fresh.address("resp"));
      const source = await keyspace(members[0].resp);
      assert.deepEqual(
        [...restored].map(([k, s]) => [k, s.dump]).sort(),
        [...source].map(([k, s]) => [k, s.dump]).sort(),
      );
      assert.deepEqual([...restored.keys()].sort(), ["a", "b", "c"]);
    } finally {
      for (const member of members) await member.stop("SIGKILL");
      await fresh?.stop("SIGKILL");
      await Deno.remove(work, { recursive: true });
    }
  },
});

Deno.test({
  name: "grow: founders with --raft-peers refuse a standalone node's data set; restore takes " +
    "--raft-data-dir",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const work = await Deno.makeTempDir({ prefix: "helios-grow-refuse-" });
    const processes: HeliosProcess[] = [];
    try {
      const engine = await AtlasEngine.open({ dataDir: `${work}/standalone` });
      await engine.execute(["SET", "kept", "yes"]);
      await engine.close();
      // Several founders cannot start from one node's data: the others start empty and the
      // replicas would differ. Before, the node started and served an empty keyspace.
      const founder = HeliosProcess.start([
        "atlasd",
        ...["--data-dir", `${work}/standalone`, "--listen", "127.0.0.1:0"],
        ...["--metrics-listen", "127.0.0.1:0", "--raft", "--raft-node-id", "node-1"],
        ...["--raft-addr", "127.0.0.1:0", "--raft-peers", "node-2=127.0.0.1:1"],
      ]);
      processes.push(founder);
      const exited = await Promise.race([founder.exited, sleep(20_000).then(() => null)]);
      assert.ok(exited, "atlasd kept running on a standalone data set with --raft-peers");
      assert.equal(exited.code, 1);
      await founder.stop();
      assert.match(founder.stderr.join("\n"), /holds the data set of a standalone node \(1 keys/);
      assert.match(founder.stderr.join("\n"), /without --raft-peers/);

      // A joiner takes the cluster's data: it says that the standalone data set stays behind.
      const joiner = HeliosProcess.start([
        "atlasd",
        ...["--data-dir", `${work}/standalone`, "--listen", "127.0.0.1:0"],
        ...["--metrics-listen", "127.0.0.1:0", "--raft", "--raft-node-id", "node-2"],
        ...["--raft-addr", "127.0.0.1:0", "--raft-join"],
      ]);
      processes.push(joiner);
      const warning = await joiner.waitFor((line) => /not carried over/.test(line.message));
      assert.equal(warning.level, "WARN");
      assert.ok(
        (warning.extra.files as string[]).includes(`${work}/standalone/appendonly.1.aof`),
        JSON.stringify(warning.extra),
      );
      await joiner.stop();

      // `restore --raft` seeds the Raft directory atlasd's --raft-data-dir names.
      const source = HeliosProcess.start([
        "atlasd",
        ...["--data-dir", `${work}/standalone`, "--listen", "127.0.0.1:0"],
        ...["--metrics-listen", "127.0.0.1:0"],
      ]);
      processes.push(source);
      const backup = await runHelios([
        "backup",
        "--atlas",
        await source.address("resp"),
        `${work}/b.hbk`,
      ]);
      await source.stop("SIGTERM");
      assert.equal(backup.code, 0, backup.stderr);
      const restored = await runHelios([
        "restore",
        `${work}/b.hbk`,
        ...["--data-dir=" + `${work}/member`, "--raft=true", "--raft-node-id=node-1"],
        `--raft-data-dir=${work}/member-raft`,
      ]);
      assert.equal(restored.code, 0, restored.stderr);
      assert.equal(restored.stdout.endsWith(`into ${work}/member-raft`), true, restored.stdout);
      const member = HeliosProcess.start([
        "atlasd",
        ...[`--data-dir=${work}/member`, "--listen=127.0.0.1:0", "--metrics-listen=127.0.0.1:0"],
        ...["--raft=true", "--raft-node-id=node-1", "--raft-addr=127.0.0.1:0"],
        `--raft-data-dir=${work}/member-raft`,
      ]);
      processes.push(member);
      const resp = await member.address("resp");
      await eventually("the restored member serves the backup", async () => {
        const value = await command(resp, ["GET", "kept"]);
        return value.kind === "bulk" ? binaryToUtf8(value.value) : undefined;
      });
    } finally {
      for (const process of processes) await process.stop("SIGKILL");
      await Deno.remove(work, { recursive: true });
    }
  },
});
