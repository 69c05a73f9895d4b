/**
 * The parts of a Jepsen-style run shared by the real-process cluster tests: the nemesis (network
 * partitions, loud and silent, isolating the leader, kill -9 of the leader or of any node and
 * restarts), the run itself (clients under faults, then healing and a quiet phase), and a client
 * that talks to one node at a time and moves to the next after an error.
 *
 * HELIOS_JEPSEN_SECONDS sets the length of the fault phase; HELIOS_JEPSEN_SEED replays a run's
 * random choices (the nemesis's and the clients'; the processes' timing is the machine's).
 */
import type { Reply } from "../../atlas/mod.ts";
import { createPrng } from "../../src/lib/prng.ts";
import { RespConnection, RespConnectionError } from "../../src/storage/resp_connection.ts";
import type { RaftTestCluster } from "./raft_cluster.ts";

export function faultSeconds(defaultSeconds: number): number {
  return Number(Deno.env.get("HELIOS_JEPSEN_SECONDS") ?? String(defaultSeconds));
}

/** HELIOS_JEPSEN_SEED, or a fresh one (print it with any failure). */
export function jepsenSeed(): number {
  const given = Deno.env.get("HELIOS_JEPSEN_SEED");
  return given ? Number(given) : Math.floor(Math.random() * 2 ** 31);
}

export function verbose(line: string): void {
  if (Deno.env.get("HELIOS_JEPSEN_VERBOSE")) {
    Deno.stderr.writeSync(new TextEncoder().encode(`jepsen: ${line}\n`));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Rotates faults until `stopped()`: a partition of two nodes from the rest (half of them silent:
 * connections stay open and carry nothing, so nodes notice only by timeouts), the leader isolated,
 * kill -9 of the leader, kill -9 of a random node; a killed node restarts a second later.
 */
export async function nemesis(
  cluster: RaftTestCluster,
  stopped: () => boolean,
  log: string[],
  seed: number,
): Promise<void> {
  const random = createPrng(seed);
  const all = cluster.nodes.map((n) => n.index);
  while (!stopped()) {
    const fault = Math.floor(random() * 5);
    if (fault === 0 || fault === 3) {
      const silent = fault === 3;
      const shuffled = [...all].sort(() => random() - 0.5);
      const minority = shuffled.slice(0, 2);
      if (silent) cluster.partitionSilently(minority, shuffled.slice(2));
      else cluster.partition(minority, shuffled.slice(2));
      log.push(`${silent ? "silent " : ""}partition ${minority.join(",")} | rest`);
      await sleep(silent ? 6000 : 1500); // longer than a link's silence limit (4 s)
      cluster.heal();
    } else if (fault === 1) {
      const leader = await cluster.leader(all, 5000).catch(() => all[0]);
      cluster.partition([leader], all.filter((i) => i !== leader));
      log.push(`isolate leader ${leader}`);
      await sleep(1500);
      cluster.heal();
    } else {
      const victim = fault === 4
        ? await cluster.leader(all, 5000).catch(() => all[0])
        : all[Math.floor(random() * all.length)];
      log.push(`kill -9 ${fault === 4 ? "leader " : ""}${victim}`);
      await cluster.kill(victim);
      await sleep(1000);
      await cluster.startNode(victim);
    }
    await sleep(700);
  }
}

export interface JepsenRun {
  /** Length of the fault phase. */
  seconds: number;
  seed: number;
  /** Clients running through the faults; each loops until `stopped()`. */
  clients: (stopped: () => boolean) => Promise<void>[];
  /** Clients of the quiet phase after healing (default none). */
  quietClients?: (stopped: () => boolean) => Promise<void>[];
  quietMs?: number;
}

/**
 * Runs `clients` under the nemesis for `seconds`, heals the network, restarts any node down,
 * waits for the clients to finish and for a leader, then runs the quiet clients. Returns the
 * faults injected, in order.
 */
export async function runUnderFaults(cluster: RaftTestCluster, run: JepsenRun): Promise<string[]> {
  const faults: string[] = [];
  await cluster.leader();
  let stop = false;
  const stopped = () => stop;
  const clients = run.clients(stopped);
  const faultsDone = nemesis(cluster, stopped, faults, run.seed);
  await sleep(run.seconds * 1000);
  stop = true;
  await faultsDone;
  cluster.heal();
  for (const node of cluster.nodes) if (!node.process) await cluster.startNode(node.index);
  await Promise.all(clients);
  await cluster.leader();
  if (run.quietClients) {
    let quietStop = false;
    const quiet = run.quietClients(() => quietStop);
    await sleep(run.quietMs ?? 2000);
    quietStop = true;
    await Promise.all(quiet);
  }
  return faults;
}

/** A request whose reply never came: the connection broke or timed out after sending. */
export const UNKNOWN = Symbol("unknown outcome");

/**
 * A client of one node at a time: commands go back to back on one connection (MULTI ... EXEC
 * stays together). A broken connection is dropped; moveOn() switches to the next node.
 */
export class NodeClient {
  #connection: RespConnection | null = null;

  constructor(private readonly cluster: RaftTestCluster, public target: number) {}

  /**
   * The replies, UNKNOWN if the connection broke after the commands were sent (they may or may
   * not have run), or null if they were certainly never sent (no connection).
   */
  async send(commands: string[][]): Promise<Reply[] | typeof UNKNOWN | null> {
    try {
      this.#connection ??= await RespConnection.open({
        hostname: "127.0.0.1",
        port: this.cluster.nodes[this.target].respPort,
        connectTimeoutMs: 2000,
        replyTimeoutMs: 15_000,
      });
      return await this.#connection.sendMany(commands);
    } catch (cause) {
      this.#drop();
      if (cause instanceof RespConnectionError) return cause.sent ? UNKNOWN : null;
      throw cause;
    }
  }

  /** After an error: drop the connection and go to the next node, after a short pause. */
  async moveOn(): Promise<void> {
    this.#drop();
    this.target = (this.target + 1) % this.cluster.nodes.length;
    await sleep(20);
  }

  close(): void {
    this.#drop();
  }

  #drop(): void {
    this.#connection?.close();
    this.#connection = null;
  }
}

/** The text of a reply, for anomaly reports. */
export function show(reply: Reply | readonly Reply[] | typeof UNKNOWN | null): string {
  if (reply === null) return "not sent";
  if (reply === UNKNOWN) return "unknown (connection lost)";
  if (Array.isArray(reply)) return reply.map(show).join(" ");
  reply = reply as Reply;
  switch (reply.kind) {
    case "nil":
    case "nilArray":
      return "nil";
    case "array":
    case "set":
    case "push":
      return `[${reply.value.map(show).join(", ")}]`;
    case "error":
      return `-${reply.value}`;
    case "map":
      return "{map}";
    default:
      return String(reply.value);
  }
}
