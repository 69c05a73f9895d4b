/**
 * bench/raft_vs_etcd: a 3-node etcd (Debian etcd-server) and a 3-node Helios ATLAS cluster on
 * loopback, both fsyncing before they acknowledge, driven by the client each system's users use
 * (etcd: its gRPC client `etcd3`; Helios: `ioredis`). For 16, 64 and 256 concurrent clients:
 * writes/s and linearizable reads/s with p50/p99 latency, 256-byte values, side by side in one
 * run, the two systems alternating. Not a test: it prints a table of figures and ratios.
 *
 *   deno run -A bench/raft_vs_etcd/main.ts          (BENCH_SECONDS=5 per cell by default)
 */
import { Etcd3 } from "etcd3";
import { Redis } from "ioredis";
import { freePort } from "../../tests/helpers/fault_proxy.ts";
import { RaftTestCluster } from "../../tests/helpers/raft_cluster.ts";
import { ensureDebianTools } from "../debian_tools.ts";

const SECONDS = Number(Deno.env.get("BENCH_SECONDS") ?? "5");
const CONCURRENCY = (Deno.env.get("BENCH_CONCURRENCY") ?? "16,64,256").split(",").map(Number);
const VALUE = "v".repeat(256);

interface Cell {
  opsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  /** CPU time (user + system) of the three server processes per 1000 operations. */
  serverCpuMsPer1000: number;
}

/** CPU time (user + system, all threads) of a process, from /proc (100 Hz ticks). */
function processCpuMs(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function serversCpuMs(pids: number[]): number {
  return pids.reduce((sum, pid) => sum + processCpuMs(pid), 0);
}

async function drive(
  concurrency: number,
  op: (worker: number, n: number) => Promise<unknown>,
  serverPids: number[],
): Promise<Cell> {
  const cpuBefore = serversCpuMs(serverPids);
  const latencies: number[] = [];
  let errors = 0;
  const endAt = performance.now() + SECONDS * 1000;
  await Promise.all(Array.from({ length: concurrency }, async (_, worker) => {
    for (let n = 0; performance.now() < endAt; n++) {
      const started = performance.now();
      try {
        await op(worker, n);
        latencies.push(performance.now() - started);
      } catch {
        errors++;
      }
    }
  }));
  const cpuMs = serversCpuMs(serverPids) - cpuBefore;
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return {
    opsPerSecond: latencies.length / SECONDS,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    errors,
    serverCpuMsPer1000: (cpuMs / Math.max(1, latencies.length)) * 1000,
  };
}

async function startEtcd(root: string) {
  const names = ["e1", "e2", "e3"];
  const peerPorts = names.map(() => freePort());
  const clientPorts = names.map(() => freePort());
  const initial = names.map((n, i) => `${n}=http://127.0.0.1:${peerPorts[i]}`).join(",");
  const children = names.map((name, i) =>
    new Deno.Command("etcd", {
      args: [
        "--name",
        name,
        "--data-dir",
        `${root}/${name}`,
        "--listen-client-urls",
        `http://127.0.0.1:${clientPorts[i]}`,
        "--advertise-client-urls",
        `http://127.0.0.1:${clientPorts[i]}`,
        "--listen-peer-urls",
        `http://127.0.0.1:${peerPorts[i]}`,
        "--initial-advertise-peer-urls",
        `http://127.0.0.1:${peerPorts[i]}`,
        "--initial-cluster",
        initial,
        "--initial-cluster-state",
        "new",
        "--log-level",
        "error",
      ],
      stdout: "null",
      stderr: "null",
    }).spawn()
  );
  const client = new Etcd3({ hosts: clientPorts.map((p) => `127.0.0.1:${p}`) });
  for (let i = 0; i < 100; i++) {
    try {
      await client.put("ready").value("1");
      break;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  return {
    client,
    pids: children.map((child) => child.pid),
    async stop() {
      client.close();
      for (const child of children) child.kill("SIGTERM");
      await Promise.all(children.map((c) => c.status));
    },
  };
}

async function main() {
  await ensureDebianTools({ etcd: "etcd-server" });
  const root = await Deno.makeTempDir({ prefix: "bench-raft-" });
  const etcd = await startEtcd(root);
  // Helios with its documented timeouts (the test cluster's defaults are tighter, for speed).
  const helios = await RaftTestCluster.start({
    size: 3,
    direct: true,
    env: {
      HELIOS_ATLAS__RAFT__HEARTBEAT_TIMEOUT: "50ms",
      HELIOS_ATLAS__RAFT__ELECTION_TIMEOUT: "500ms",
    },
  });
  await helios.leader();
  const heliosPids = helios.nodes.map((node) => node.process!.child.pid);
  const rows: string[][] = [];
  try {
    for (const concurrency of CONCURRENCY) {
      const connections = Math.min(concurrency, 32);
      const redis = Array.from(
        { length: connections },
        (_, i) =>
          new Redis({ port: helios.nodes[i % 3].respPort, host: "127.0.0.1", lazyConnect: false }),
      );
      const heliosOps = {
        write: (w: number, n: number) => redis[w % connections].set(`k${w}:${n % 1000}`, VALUE),
        read: (w: number, n: number) => redis[w % connections].get(`k${w}:${n % 1000}`),
      };
      const etcdOps = {
        write: (w: number, n: number) => etcd.client.put(`k${w}:${n % 1000}`).value(VALUE).exec(),
        read: (w: number, n: number) => etcd.client.get(`k${w}:${n % 1000}`).string(),
      };
      for (const kind of ["write", "read"] as const) {
        // Alternate which system goes first, so neither always runs on a warmer machine.
        const order = concurrency % 2 === 0 && kind === "read"
          ? ["etcd", "helios"]
          : ["helios", "etcd"];
        const cells: Record<string, Cell> = {};
        for (const system of order) {
          const ops = system === "helios" ? heliosOps : etcdOps;
          const pids = system === "helios" ? heliosPids : etcd.pids;
          cells[system] = await drive(concurrency, ops[kind], pids);
        }
        const h = cells.helios;
        const e = cells.etcd;
        rows.push([
          kind === "write" ? "writes" : "linearizable reads",
          String(concurrency),
          h.opsPerSecond.toFixed(0),
          e.opsPerSecond.toFixed(0),
          (h.opsPerSecond / e.opsPerSecond).toFixed(2) + "x",
          `${h.p50Ms.toFixed(2)} / ${h.p99Ms.toFixed(2)}`,
          `${e.p50Ms.toFixed(2)} / ${e.p99Ms.toFixed(2)}`,
          (h.p99Ms / e.p99Ms).toFixed(2) + "x",
          `${h.serverCpuMsPer1000.toFixed(0)} / ${e.serverCpuMsPer1000.toFixed(0)}`,
          `${h.errors}/${e.errors}`,
        ]);
      }
      for (const r of redis) r.disconnect();
    }
  } finally {
    await helios.close();
    await etcd.stop();
    await Deno.remove(root, { recursive: true });
  }
  const header = [
    "op",
    "clients",
    "helios/s",
    "etcd/s",
    "ratio",
    "helios p50/p99 ms",
    "etcd p50/p99 ms",
    "p99 ratio",
    "server CPU ms/1000 ops h/e",
    "errors h/e",
  ];
  const table = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...table.map((r) => r[c].length)));
  const lines = table.map((r) =>
    "| " + r.map((cell, c) => cell.padEnd(widths[c])).join(" | ") + " |"
  );
  lines.splice(1, 0, "|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|");
  // deno-lint-ignore no-console
  console.log(
    `raft_vs_etcd: ${SECONDS}s per cell, 256-byte values, 3 nodes each, fsync before ack\n` +
      lines.join("\n"),
  );
}

if (import.meta.main) await main();
