import assert from "node:assert/strict";
import { ClusterWriters, missingWrites, sendRetrying } from "./helpers/cluster_writers.ts";
import { HeliosProcess } from "./helpers/helios_process.ts";
import { RaftTestCluster } from "./helpers/raft_cluster.ts";
import { RespConnection } from "../src/storage/resp_connection.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

async function helios(...args: string[]) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

/**
 * Each writer issues w{i}:0, w{i}:1, ... one after another, so a consistent copy that holds
 * w{i}:n also holds every acknowledged w{i}:m with m < n (writes that failed may be missing).
 */
function assertConsistentCut(keys: string[], acked: Map<string, string>): void {
  const present = new Set(keys);
  const latest = new Map<string, number>();
  for (const key of keys) {
    const [writer, n] = key.split(":");
    latest.set(writer, Math.max(latest.get(writer) ?? -1, Number(n)));
  }
  for (const key of acked.keys()) {
    const [writer, n] = key.split(":");
    if (Number(n) < (latest.get(writer) ?? -1)) {
      assert.ok(
        present.has(key),
        `the backup holds ${writer}:${latest.get(writer)} but not the earlier ${key}`,
      );
    }
  }
}

Deno.test({
  name:
    "backup → restore on a cluster under write load yields a consistent state; damaged backups are refused",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const cluster = await RaftTestCluster.start({ size: 3 });
    const writers = new ClusterWriters(cluster, 4);
    const work = await Deno.makeTempDir({ prefix: "helios-backup-" });
    let restored: HeliosProcess | null = null;
    try {
      await cluster.leader();
      await writers.waitForAcks(300);
      const ackedBefore = new Map(writers.acked);
      const follower = ((await cluster.leader()) + 1) % 3;
      const backup = await helios(
        "backup",
        "--atlas",
        `127.0.0.1:${cluster.nodes[follower].respPort}`,
        `${work}/b.hbk`,
      );
      assert.equal(backup.code, 0, backup.stderr);
      assert.match(backup.stdout, /^Backup of \d+ keys/);
      await writers.waitForAcks(writers.acked.size + 100); // writes went on during and after
      await writers.stop();

      // Restore into a fresh standalone node and read everything back.
      const restore = await helios("restore", `${work}/b.hbk`, "--data-dir", `${work}/restored`);
      assert.equal(restore.code, 0, restore.stderr);
      restored = HeliosProcess.start([
        "atlasd",
        "--data-dir",
        `${work}/restored`,
        "--listen",
        "127.0.0.1:0",
        "--metrics-listen",
        "127.0.0.1:0",
      ]);
      const port = Number((await restored.address("resp")).split(":").pop());
      const connection = await RespConnection.open({
        hostname: "127.0.0.1",
        port,
        connectTimeoutMs: 2000,
      });
      try {
        const keys = await connection.send(["KEYS", "w*"]);
        assert.equal(keys.kind, "array");
        const names = keys.kind === "array"
          ? keys.value.map((k) => (k.kind === "bulk" ? k.value : ""))
          : [];
        assertConsistentCut(names, writers.acked);
        // Everything acknowledged before the backup began is in it, with its value.
        assert.deepEqual(await missingWrites(connection, ackedBefore), []);
      } finally {
        connection.close();
      }

      // A truncated or altered file is refused, and nothing is written.
      const bytes = await Deno.readFile(`${work}/b.hbk`);
      await Deno.writeFile(`${work}/truncated.hbk`, bytes.subarray(0, bytes.length - 10));
      const altered = new Uint8Array(bytes);
      altered[Math.floor(altered.length / 2)] ^= 0x20;
      await Deno.writeFile(`${work}/altered.hbk`, altered);
      for (const name of ["truncated", "altered"]) {
        const refused = await helios(
          "restore",
          `${work}/${name}.hbk`,
          "--data-dir",
          `${work}/${name}`,
        );
        assert.equal(refused.code, 1);
        assert.match(refused.stderr, /Not a valid Helios backup: checksum mismatch/);
        assert.throws(() => Deno.statSync(`${work}/${name}`), Deno.errors.NotFound);
      }
      // Restoring over existing data is refused too.
      const again = await helios("restore", `${work}/b.hbk`, "--data-dir", `${work}/restored`);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /not empty/);
    } finally {
      await writers.stop();
      await restored?.stop("SIGINT");
      await cluster.close();
      await Deno.remove(work, { recursive: true });
    }
  },
});

Deno.test({
  name: "restore --raft seeds every member of a new cluster from one backup",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const source = await RaftTestCluster.start({ size: 3 });
    const work = await Deno.makeTempDir({ prefix: "helios-backup-raft-" });
    let seeded: RaftTestCluster | null = null;
    try {
      const leader = await source.leader();
      const c = await source.connect(leader);
      for (let i = 0; i < 50; i++) await sendRetrying(c, ["HSET", `h${i}`, "field", String(i)]);
      await sendRetrying(c, ["SET", "ttl-key", "x", "EX", "1000"]);
      c.close();
      const backup = await helios(
        "backup",
        "--atlas",
        `127.0.0.1:${source.nodes[leader].respPort}`,
        `${work}/b.hbk`,
      );
      assert.equal(backup.code, 0, backup.stderr);
      await source.close();

      // A brand-new 3-node cluster whose members are all seeded from the backup.
      seeded = await RaftTestCluster.create({ size: 3 });
      for (const node of seeded.nodes) {
        const peers = seeded.nodes.filter((n) => n !== node).map((n) => `${n.id}=127.0.0.1:1`).join(
          ",",
        );
        const r = await helios(
          "restore",
          `${work}/b.hbk`,
          "--data-dir",
          node.dataDir,
          "--raft",
          "--raft-node-id",
          node.id,
          "--raft-peers",
          peers,
        );
        assert.equal(r.code, 0, r.stderr);
      }
      await seeded.startAll();
      const newLeader = await seeded.leader();
      for (const node of seeded.nodes) {
        const conn = await seeded.connect(node.index);
        assert.deepEqual(await sendRetrying(conn, ["HGET", "h49", "field"]), {
          kind: "bulk",
          value: "49",
        });
        const ttl = await sendRetrying(conn, ["TTL", "ttl-key"]);
        assert.ok(ttl.kind === "integer" && Number(ttl.value) > 900, "the TTL survived");
        conn.close();
      }
      const w = await seeded.connect(newLeader);
      assert.deepEqual(await sendRetrying(w, ["SET", "after", "restore"]), {
        kind: "simple",
        value: "OK",
      });
      w.close();
    } finally {
      await seeded?.close();
      await Deno.remove(work, { recursive: true }).catch(() => {});
    }
  },
});
