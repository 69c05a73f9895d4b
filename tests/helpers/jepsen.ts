/**
 * The parts of a Jepsen-style run shared by the real-process cluster tests: the nemesis (network
 * partitions, loud and silent, isolating the leader, kill -9 of the leader or of any node and
 * restarts; process pauses and membership changes, see ExtraFault), the run itself (clients under faults, then healing and a quiet phase), and a client
 * that talks to one node at a time and moves to the next after an error.
 *
 * HELIOS_JEPSEN_SECONDS sets the length of the fault phase; HELIOS_JEPSEN_SEED replays a run's
 * random choices (the nemesis's and the clients'; the processes' timing is the machine's);
 * HELIOS_JEPSEN_FAULTS picks the extra fault kinds; HELIOS_JEPSEN_PARTITIONS what a partition
 * cuts; HELIOS_JEPSEN_NODES the cluster's size (where a test lets it vary).
 */
import type { Reply } from "../../atlas/mod.ts";
import { createPrng } from "../../src/lib/prng.ts";
import { RespConnection, RespConnectionError } from "../../src/storage/resp_connection.ts";
import type { RaftTestCluster } from "./raft_cluster.ts";

export function faultSeconds(defaultSeconds: number): number {
  return Number(Deno.env.get("HELIOS_JEPSEN_SECONDS") ?? String(defaultSeconds));
}

/**
 * HELIOS_JEPSEN_PARTITIONS: `full` (a partition cuts all traffic between its sides: the Raft
 * links and the connections followers forward writes to the leader over, as a firewall rule
 * dropping everything between two hosts does) or `raft` (the Raft links only: a partitioned
 * follower still forwards writes to the leader). True for `full`; each test has its own default.
 */
export function fullPartitions(defaultFull: boolean): boolean {
  const given = Deno.env.get("HELIOS_JEPSEN_PARTITIONS");
  if (given === undefined) return defaultFull;
  if (given !== "full" && given !== "raft") {
    throw new Error(`HELIOS_JEPSEN_PARTITIONS: "${given}" is not full or raft`);
  }
  return given === "full";
}

/** HELIOS_JEPSEN_NODES: the cluster's size (3, 5 or 7), for the tests that let it vary. */
export function clusterSize(defaultSize: number): number {
  const size = Number(Deno.env.get("HELIOS_JEPSEN_NODES") ?? String(defaultSize));
  if (![3, 5, 7].includes(size)) throw new Error(`HELIOS_JEPSEN_NODES: ${size} is not 3, 5 or 7`);
  return size;
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
 * Fault kinds beyond the classic rotation (partitions, the leader isolated, kill -9):
 *
 * - `pause`: SIGSTOP for 1-4 s (longer than an election), then SIGCONT: the leader, which
 *   resumes believing it still leads; a random node; three nodes at once; the leader again and
 *   again for about an election timeout; a follower cut off long enough to need a snapshot,
 *   paused just as the network heals.
 * - `membership`: REMOVE-PEER a follower, the leader, a node cut off by a partition, a paused
 *   node, or a follower while another node is cut off (sometimes pausing the leader while the
 *   change is in flight); stop it; start it again with --raft-join and ADD-PEER it back (its data
 *   directory wiped half of the time, so it rejoins from a snapshot, and sometimes paused right
 *   after it was added back, while the snapshot comes in). Each fault ends with every member a
 *   voter again.
 *
 * HELIOS_JEPSEN_FAULTS picks them (comma-separated, `none` for the classic rotation only);
 * each test has its own default. HELIOS_JEPSEN_EXTRA_SHARE sets the share of faults drawn from
 * them (1: extra faults only).
 */
export type ExtraFault = "pause" | "membership";

const EXTRA_FAULTS: readonly ExtraFault[] = ["pause", "membership"];

export function extraFaults(defaults: ExtraFault[]): ExtraFault[] {
  const given = Deno.env.get("HELIOS_JEPSEN_FAULTS");
  if (given === undefined) return defaults;
  const kinds = given.split(",").map((k) => k.trim()).filter((k) => k !== "" && k !== "none");
  for (const kind of kinds) {
    if (!EXTRA_FAULTS.includes(kind as ExtraFault)) {
      throw new Error(`HELIOS_JEPSEN_FAULTS: unknown fault "${kind}" (${EXTRA_FAULTS.join(", ")})`);
    }
  }
  return kinds as ExtraFault[];
}

export interface NemesisOptions {
  /** Extra fault kinds mixed into the rotation (default none). */
  extra?: readonly ExtraFault[];
  /** The share of faults drawn from `extra` (default 1/3; 1 for extra faults only). */
  extraShare?: number;
}

/**
 * Rotates faults until `stopped()`: a partition of two nodes from the rest (half of them silent:
 * connections stay open and carry nothing, so nodes notice only by timeouts), the leader isolated,
 * kill -9 of the leader, kill -9 of a random node; a killed node restarts a second later. The
 * extra kinds (above) come between them, chosen by a random stream of their own, so a seed still
 * gives the classic faults in the same order.
 */
export async function nemesis(
  cluster: RaftTestCluster,
  stopped: () => boolean,
  log: string[],
  seed: number,
  options: NemesisOptions = {},
): Promise<void> {
  const random = createPrng(seed);
  const extraRandom = createPrng((seed ^ 0x5bd1e995) >>> 0);
  const extra = options.extra ?? [];
  const extraShare = Number(
    Deno.env.get("HELIOS_JEPSEN_EXTRA_SHARE") ?? String(options.extraShare ?? 1 / 3),
  );
  const all = cluster.nodes.map((n) => n.index);
  const startedMs = performance.now();
  let faultMs = startedMs;
  let logged = log.length;
  const timed = () => {
    const now = performance.now();
    for (; logged < log.length; logged++) {
      verbose(
        `${((faultMs - startedMs) / 1000).toFixed(1)} s: ${log[logged]} (${
          ((now - faultMs) / 1000).toFixed(1)
        } s)`,
      );
    }
    faultMs = now;
  };
  while (!stopped()) {
    timed();
    if (extra.length > 0 && extraRandom() < extraShare) {
      const kind = extra[Math.floor(extraRandom() * extra.length)];
      if (kind === "pause") await pauseFault(cluster, log, extraRandom);
      else await membershipFault(cluster, log, extraRandom);
      await sleep(700);
      continue;
    }
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
  timed();
}

/**
 * SIGSTOP for 1-4 s (the election timeout is 200 ms), then SIGCONT: the leader, a random node,
 * three nodes at once (no quorum left running), or the leader again and again for less than an
 * election or just over one (it flaps between leading and being deposed).
 */
async function pauseFault(
  cluster: RaftTestCluster,
  log: string[],
  random: () => number,
): Promise<void> {
  const all = cluster.nodes.map((n) => n.index);
  const roll = random();
  const ms = 1000 + Math.floor(random() * 3000);
  if (roll < 0.6) {
    const leader = roll < 0.4 ? await cluster.leader(all, 5000).catch(() => null) : null;
    const victim = leader ?? all[Math.floor(random() * all.length)];
    log.push(`pause ${leader !== null ? "leader " : ""}${victim} for ${ms} ms`);
    cluster.pause(victim);
    await sleep(ms);
    cluster.resume(victim);
    return;
  }
  if (roll < 0.72) {
    const victims = [...all].sort(() => random() - 0.5).slice(0, 3);
    log.push(`pause ${victims.join(",")} for ${ms} ms`);
    for (const victim of victims) cluster.pause(victim);
    await sleep(ms);
    for (const victim of victims) cluster.resume(victim);
    return;
  }
  if (roll < 0.85) {
    const pauses: string[] = [];
    for (let n = 0; n < 5; n++) {
      const leader = await cluster.leader(all, 2000).catch(() => null);
      if (leader === null) continue;
      const short = 100 + Math.floor(random() * 500);
      pauses.push(`${leader} ${short} ms`);
      cluster.pause(leader);
      await sleep(short);
      cluster.resume(leader);
      await sleep(Math.floor(random() * 300));
    }
    log.push(`pause the leader again and again (${pauses.join(", ")})`);
    return;
  }
  // A follower cut off long enough to fall behind the leader's compacted log, paused just as
  // the network heals: the leader's snapshot is on its way to a stopped process.
  const leader = await cluster.leader(all, 5000).catch(() => all[0]);
  const others = all.filter((i) => i !== leader);
  const victim = others[Math.floor(random() * others.length)];
  const delayMs = Math.floor(random() * 300);
  log.push(`cut off ${victim}, heal, pause it after ${delayMs} ms for ${ms} ms`);
  cluster.partition([victim], all.filter((i) => i !== victim));
  await sleep(3000);
  cluster.heal();
  await sleep(delayMs);
  cluster.pause(victim);
  await sleep(ms);
  cluster.resume(victim);
}

/**
 * Removes a member and adds it back, under the clients' load: the member is a follower, the
 * leader, a node cut off by a partition, or a follower removed and added back while another node
 * is cut off. It is stopped once removed, as the docs say, and started again with --raft-join
 * (its data directory wiped half of the time) before ADD-PEER.
 */
async function membershipFault(
  cluster: RaftTestCluster,
  log: string[],
  random: () => number,
): Promise<void> {
  const all = cluster.nodes.map((n) => n.index);
  const pick = (from: number[]) => from[Math.floor(random() * from.length)];
  const leader = await cluster.leader(all, 5000).catch(() => null);
  const roll = random();
  const wipe = random() < 0.5;
  const pauseAfterAdd = random() < 0.3;
  const pauseLeaderDuring = random() < 0.3;
  let victim: number;
  let cutOff: number | null = null; // a node partitioned away while the change happens
  let askVictim = false; // the cut-off victim is asked to remove itself too
  let what: string;
  if (roll < 0.3 || leader === null) {
    victim = pick(all.filter((i) => i !== leader));
    what = `remove follower ${victim}`;
  } else if (roll < 0.55) {
    victim = leader;
    what = `remove leader ${victim}`;
  } else if (roll < 0.65) {
    victim = pick(all);
    what = `remove paused ${victim === leader ? "leader " : ""}${victim}`;
    cluster.pause(victim);
  } else if (roll < 0.85) {
    victim = random() < 0.5 ? leader : pick(all);
    what = `remove ${victim === leader ? "leader " : ""}${victim} cut off by a${
      random() < 0.5 ? "" : " silent"
    } partition`;
    askVictim = random() < 0.5;
    if (askVictim) what += " (asking it too)";
    if (what.includes("silent")) {
      cluster.partitionSilently(
        [victim],
        all.filter((i) => i !== victim),
      );
    } else cluster.partition([victim], all.filter((i) => i !== victim));
  } else {
    cutOff = pick(all);
    victim = pick(all.filter((i) => i !== cutOff && i !== leader));
    what = `remove follower ${victim} while ${cutOff} is cut off`;
    cluster.partition([cutOff], all.filter((i) => i !== cutOff));
  }
  const meanwhile = pauseLeaderDuring ? " (pausing the leader meanwhile)" : "";
  const after = `${wipe ? ", wipe it" : ""}, add it back${pauseAfterAdd ? ", pause it" : ""}`;
  log.push(`${what}${meanwhile}${after}`);
  const id = cluster.nodes[victim].id;
  const reachable = all.filter((i) => i !== victim && i !== cutOff);
  // The change sent (to the leader itself half of the time), then the leader paused while it is
  // in flight; it must still answer once resumed. Then make sure the change is done.
  const pauseLeaderWhile = async (argv: string[]) => {
    if (!pauseLeaderDuring) return;
    // The leader may be the node being removed: it removes itself, and is paused meanwhile.
    const candidates = all.filter((i) => i !== cutOff);
    const current = await cluster.leader(candidates, 2000).catch(() => null);
    const via = current !== null && random() < 0.5 ? current : pick(reachable);
    const inFlight = cluster.clusterCommand(via, argv);
    await sleep(Math.floor(random() * 30));
    if (current !== null) cluster.pause(current);
    await sleep(1000 + Math.floor(random() * 1000));
    if (current !== null) cluster.resume(current);
    verbose(`  ${argv[0]} ${argv[1]} with leader ${current} paused: ${await inFlight}`);
  };
  await pauseLeaderWhile(["REMOVE-PEER", id]);
  // Cut off, the victim cannot commit its own removal (if it still leads) or pass it on; the
  // others do it without it. It must still answer, within its request timeout.
  const victimsAnswer = askVictim ? cluster.clusterCommand(victim, ["REMOVE-PEER", id]) : null;
  await changeMembership(cluster, reachable, ["REMOVE-PEER", id], (voters) => !voters.includes(id));
  if (victimsAnswer) verbose(`  REMOVE-PEER ${id} through itself: ${await victimsAnswer}`);
  await cluster.kill(victim);
  if (cutOff === null) cluster.heal();
  await sleep(500);
  if (wipe) await Deno.remove(cluster.nodes[victim].dataDir, { recursive: true });
  cluster.nodes[victim].joined = true;
  await cluster.startNode(victim);
  await pauseLeaderWhile(["ADD-PEER", id, cluster.memberAddress(victim)]);
  await changeMembership(
    cluster,
    reachable,
    ["ADD-PEER", id, cluster.memberAddress(victim)],
    (voters) => voters.includes(id),
  );
  if (pauseAfterAdd) {
    cluster.pause(victim);
    await sleep(1000 + Math.floor(random() * 2000));
    cluster.resume(victim);
  }
  if (cutOff !== null) {
    await sleep(500);
    cluster.heal();
  }
}

/**
 * Sends a membership change through the nodes in `via` until the leader among them shows it
 * done. A change that does not get through in 30 s fails the run: the cluster kept a quorum.
 */
async function changeMembership(
  cluster: RaftTestCluster,
  via: number[],
  argv: string[],
  done: (voters: string[]) => boolean,
): Promise<void> {
  const deadline = Date.now() + 30_000;
  const startedMs = performance.now();
  const replies: string[] = [];
  const took = () => `${((performance.now() - startedMs) / 1000).toFixed(1)} s`;
  for (let attempt = 0; Date.now() < deadline; attempt++) {
    // The leader may be the node being removed: any node that says it leads tells the voters.
    const leader = await cluster.leader(undefined, 2000).catch(() => null);
    const status = leader === null ? null : await cluster.status(leader);
    if (status && done(status.voters)) {
      return verbose(`  ${argv[0]} ${argv[1]}: done (${took()}; ${replies.join(" / ")})`);
    }
    const reply = await cluster.clusterCommand(via[attempt % via.length], argv);
    if (reply === "OK") {
      return verbose(`  ${argv[0]} ${argv[1]}: OK (${took()}; ${replies.join(" / ")})`);
    }
    replies.push(reply);
    await sleep(200);
  }
  throw new Error(
    `${argv.join(" ")} did not complete in 30 s; replies: ${replies.slice(-5).join(" / ")}`,
  );
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
  /** Extra fault kinds for the nemesis (above). */
  nemesis?: NemesisOptions;
}

/**
 * Runs `clients` under the nemesis for `seconds`, heals the network, restarts any node down,
 * waits for the clients to finish and for a leader, then runs the quiet clients. Returns the
 * faults injected, in order.
 */
export async function runUnderFaults(cluster: RaftTestCluster, run: JepsenRun): Promise<string[]> {
  const faults: string[] = [];
  verbose(
    `${cluster.nodes.length} nodes, seed ${run.seed}; partitions cut ${
      cluster.fullPartitions ? "all traffic (Raft and forwarding)" : "the Raft links only"
    }`,
  );
  await cluster.leader();
  let stop = false;
  const stopped = () => stop;
  const clients = run.clients(stopped);
  const faultsDone = nemesis(cluster, stopped, faults, run.seed, run.nemesis);
  await sleep(run.seconds * 1000);
  stop = true;
  try {
    await faultsDone;
  } finally {
    cluster.resumeAll();
    cluster.heal();
  }
  for (const node of cluster.nodes) if (!node.process) await cluster.startNode(node.index);
  const healedMs = performance.now();
  await allWithin(clients, 60_000, "clients still waiting for replies a minute after the faults");
  verbose(`clients done ${((performance.now() - healedMs) / 1000).toFixed(1)} s after healing`);
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

/** Awaits `promises`; fails if they have not all settled within `ms` (a stuck client). */
async function allWithin(promises: Promise<void>[], ms: number, what: string): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(what)), ms);
  });
  try {
    await Promise.race([Promise.all(promises), late]);
  } finally {
    clearTimeout(timer);
  }
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
