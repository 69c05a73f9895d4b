/**
 * Crash matrix against real `helios atlasd` processes (tests/atlas_crash_test.ts kills an
 * in-process engine; this kills the server behind real pipelined clients). For each sync mode
 * (every / interval / none) one data directory goes through repeated cycles of: writers on
 * pipelined connections (SET of tiny, 1 KiB, 100-300 KiB, MiB-sized and binary values, INCR,
 * APPEND, RPUSH / HSET / ZADD / XADD on growing collections, MULTI/EXEC blocks, EVAL scripts that
 * write several keys, EXPIRE / PEXPIREAT), a BGSAVE / BGREWRITEAOF loop on top of frequent
 * count-triggered snapshots, sometimes redis-benchmark with 128 KiB values; then kill -9 at a
 * chosen moment (steady writes, during a snapshot, right after a rotation, during a pipelined
 * batch of MiB values), `aof check` of the directory, a restart (bounded), and a check of every
 * acknowledged reply. A process crash loses nothing acknowledged in any mode (docs/aof.md).
 *
 * Every client keeps an exact record of what it sent and what was acknowledged, per key on one
 * connection (so in order): a string holds its last acknowledged value or a later one sent; a
 * counter is between its acknowledged and its sent increments; a collection is a prefix of what
 * was sent, at least as long as acknowledged; a MULTI/EXEC block or script is all or nothing.
 *
 * HELIOS_CRASH_ROUNDS (default 4) sets the kill cycles per mode; HELIOS_CRASH_SEED replays one.
 */
import assert from "node:assert/strict";
import { checkDataDir } from "../atlas/aof/check_dir.ts";
import { mulberry32 } from "../atlas/testing/prng.ts";
import {
  parseValue,
  type Proc,
  type RespValue,
  startAtlasd,
} from "../atlas/testing/atlasd_harness.ts";

const ROUNDS = Number(Deno.env.get("HELIOS_CRASH_ROUNDS") ?? 4);
const SEED = Number(Deno.env.get("HELIOS_CRASH_SEED") ?? Math.floor(Math.random() * 2 ** 31));
const WORKERS = 3;
/** A restart that takes longer than this (a few hundred MiB to load) fails the test. */
const START_TIMEOUT_MS = 60_000;
const HELIOS_MAIN = new URL("../main.ts", import.meta.url).pathname;

// ---------------------------------------------------------------------------------------------
// A pipelined RESP client: every command gets its reply or null (the connection died first).

function latin1Bytes(s: string, out: Uint8Array, offset: number): number {
  for (let i = 0; i < s.length; i++) out[offset + i] = s.charCodeAt(i);
  return offset + s.length;
}

function encodeCommands(commands: string[][]): Uint8Array {
  let size = 0;
  for (const argv of commands) {
    size += 16;
    for (const arg of argv) size += arg.length + 16;
  }
  const out = new Uint8Array(size);
  let p = 0;
  for (const argv of commands) {
    p = latin1Bytes(`*${argv.length}\r\n`, out, p);
    for (const arg of argv) {
      p = latin1Bytes(`$${arg.length}\r\n`, out, p);
      p = latin1Bytes(arg, out, p);
      p = latin1Bytes("\r\n", out, p);
    }
  }
  return out.subarray(0, p);
}

class PipeClient {
  #conn: Deno.Conn;
  #buf = "";
  #pos = 0;
  #waiters: ((v: RespValue | null) => void)[] = [];
  #dead = false;
  readonly done: Promise<void>;

  private constructor(conn: Deno.Conn) {
    this.#conn = conn;
    this.done = this.#read();
  }

  static async connect(port: number): Promise<PipeClient> {
    return new PipeClient(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  get dead(): boolean {
    return this.#dead;
  }

  /** Sends the commands in one write; each promise is its reply, or null if none came. */
  send(commands: string[][]): Promise<RespValue | null>[] {
    const replies = commands.map(() =>
      new Promise<RespValue | null>((resolve) => {
        if (this.#dead) resolve(null);
        else this.#waiters.push(resolve);
      })
    );
    if (!this.#dead) void this.#write(encodeCommands(commands));
    return replies;
  }

  async call(...commands: string[][]): Promise<(RespValue | null)[]> {
    return await Promise.all(this.send(commands));
  }

  close(): Promise<void> {
    try {
      this.#conn.close();
    } catch {
      // Closed already.
    }
    return this.done;
  }

  async #write(bytes: Uint8Array): Promise<void> {
    try {
      for (let off = 0; off < bytes.length;) off += await this.#conn.write(bytes.subarray(off));
    } catch {
      this.#kill();
    }
  }

  #kill(): void {
    if (this.#dead) return;
    this.#dead = true;
    try {
      this.#conn.close();
    } catch {
      // Closed already.
    }
  }

  async #read(): Promise<void> {
    const chunk = new Uint8Array(256 * 1024);
    try {
      while (true) {
        const n = await this.#conn.read(chunk);
        if (n === null) break;
        let s = "";
        for (let i = 0; i < n; i += 8192) {
          s += String.fromCharCode(...chunk.subarray(i, Math.min(n, i + 8192)));
        }
        this.#buf = this.#pos > 0 ? this.#buf.slice(this.#pos) + s : this.#buf + s;
        this.#pos = 0;
        while (true) {
          const parsed = parseValue(this.#buf, this.#pos);
          if (parsed === null) break;
          this.#pos = parsed[1];
          this.#waiters.shift()?.(parsed[0]);
        }
      }
    } catch {
      // Reset by the peer (killed): the pending commands get no reply.
    }
    this.#dead = true;
    for (const waiter of this.#waiters.splice(0)) waiter(null);
  }
}

const str = (v: RespValue | null): string | null => v !== null && v.t === "bulk" ? v.v : null;
const int = (v: RespValue | null): number | null =>
  v !== null && v.t === "integer" ? Number(v.v) : null;
const arr = (v: RespValue | null): RespValue[] | null => v !== null && v.t === "array" ? v.v : null;

// ---------------------------------------------------------------------------------------------
// What one worker sent and what was acknowledged, and the checks after a restart.

/** A string key: the values written in order; `acked` indexes the last acknowledged one. */
interface StringKey {
  history: (string | null)[];
  acked: number;
}

/** An appended-to value: the items sent in order, and how many were acknowledged. */
interface SeqKey {
  items: string[];
  acked: number;
}

interface Counter {
  sent: number;
  acked: number;
}

/** A MULTI/EXEC block or an EVAL script that set keys a and b to `value`. */
interface Group {
  a: string;
  b: string;
  value: string;
  acked: boolean;
}

interface Expiring {
  key: string;
  /** Absolute PEXPIRETIME expected, or a [min, max] window for a relative EXPIRE. */
  at: number | [number, number];
  /** 0 nothing acknowledged, 1 the SET, 2 the expiry too. */
  acked: number;
  /** PEXPIREAT in the past: the key is deleted once acknowledged. */
  gone: boolean;
}

const SCRIPT = "redis.call('SET', KEYS[1], ARGV[1]); redis.call('SET', KEYS[2], ARGV[1]); " +
  "return redis.call('RPUSH', KEYS[3], ARGV[1])";

class Values {
  /** 4 MiB of seeded bytes 0-255, sliced into values. */
  readonly block: string;
  constructor(private readonly random: () => number) {
    const parts: string[] = [];
    const bytes = new Uint8Array(8192);
    for (let i = 0; i < 512; i++) {
      for (let j = 0; j < bytes.length; j++) bytes[j] = Math.floor(random() * 256);
      parts.push(String.fromCharCode(...bytes));
    }
    this.block = parts.join("");
  }

  /** A unique value: the tag, then seeded bytes of a size drawn from the matrix's classes. */
  make(tag: string, forceBig = false): string {
    const r = this.random();
    const size = forceBig
      ? 1_000_000 + Math.floor(this.random() * 2_500_000)
      : r < 0.45
      ? Math.floor(this.random() * 16)
      : r < 0.7
      ? 1024
      : r < 0.8
      ? Math.floor(this.random() * 4096) // binary, any byte
      : r < 0.985
      ? 100_000 + Math.floor(this.random() * 200_000)
      : 1_000_000 + Math.floor(this.random() * 2_500_000);
    const start = Math.floor(this.random() * (this.block.length - size));
    return `${tag}|${this.block.slice(start, start + size)}`;
  }
}

class Worker {
  readonly strings = new Map<string, StringKey>();
  readonly seqs = new Map<string, SeqKey>();
  readonly counters = new Map<string, Counter>();
  groups: Group[] = [];
  expiring: Expiring[] = [];
  private n = 0;
  acks = 0;

  constructor(
    readonly id: number,
    readonly values: Values,
    private readonly random: () => number,
  ) {
    for (const kind of ["append", "list", "hash", "zset", "stream", "evlist"]) {
      this.seqs.set(`${kind}:${id}`, { items: [], acked: 0 });
    }
    for (const name of ["cnt", "txcnt"]) this.counters.set(`${name}:${id}`, { sent: 0, acked: 0 });
  }

  private stringKey(key: string): StringKey {
    let entry = this.strings.get(key);
    if (entry === undefined) this.strings.set(key, entry = { history: [null], acked: 0 });
    return entry;
  }

  /** Builds one pipelined batch: the commands and a handler per reply. */
  batch(
    bigBatch: boolean,
  ): { commands: string[][]; handlers: ((v: RespValue | null) => void)[] } {
    const commands: string[][] = [];
    const handlers: ((v: RespValue | null) => void)[] = [];
    const add = (argv: string[], onReply: (v: RespValue | null) => void) => {
      commands.push(argv);
      handlers.push(onReply);
    };
    const w = this.id;
    const count = bigBatch ? 6 : 1 + Math.floor(this.random() * 8);
    for (let c = 0; c < count; c++) {
      const n = this.n++;
      const op = bigBatch ? 0 : Math.floor(this.random() * 12);
      const tag = `${w}.${n}`;
      if (op <= 2) { // SET over a small set of keys: overwrites
        const key = `str:${w}:${Math.floor(this.random() * 12)}`;
        const entry = this.stringKey(key);
        const value = this.values.make(tag, bigBatch);
        entry.history.push(value);
        const index = entry.history.length - 1;
        add(["SET", key, value], (v) => {
          if (v?.t === "simple" && v.v === "OK") entry.acked = Math.max(entry.acked, index);
        });
      } else if (op === 3) {
        const counter = this.counters.get(`cnt:${w}`)!;
        counter.sent++;
        add(["INCR", `cnt:${w}`], (v) => {
          const got = int(v);
          if (got !== null) counter.acked = Math.max(counter.acked, got);
        });
      } else if (op <= 8) {
        const kinds = ["append", "list", "hash", "zset", "stream"] as const;
        const kind = kinds[op - 4];
        const key = `${kind}:${w}`;
        const seq = this.seqs.get(key)!;
        const item = this.random() < 0.05 ? this.values.make(tag) : `i${tag}`;
        seq.items.push(item);
        const index = seq.items.length;
        const argv = kind === "append"
          ? ["APPEND", key, item]
          : kind === "list"
          ? ["RPUSH", key, item]
          : kind === "hash"
          ? ["HSET", key, `f${String(index).padStart(8, "0")}`, item]
          : kind === "zset"
          ? ["ZADD", key, String(index), item]
          : ["XADD", key, "*", "v", item];
        add(argv, (v) => {
          if (v !== null && v.t !== "error") seq.acked = Math.max(seq.acked, index);
        });
      } else if (op === 9) { // MULTI/EXEC: two keys and a counter, all or nothing
        const group: Group = { a: `tx:${tag}:a`, b: `tx:${tag}:b`, value: `t${tag}`, acked: false };
        this.groups.push(group);
        const counter = this.counters.get(`txcnt:${w}`)!;
        counter.sent++;
        add(["MULTI"], () => {});
        add(["SET", group.a, group.value], () => {});
        add(["SET", group.b, group.value], () => {});
        add(["INCR", `txcnt:${w}`], () => {});
        add(["EXEC"], (v) => {
          const replies = arr(v);
          if (replies === null) return;
          group.acked = true;
          const got = int(replies[2]);
          if (got !== null) counter.acked = Math.max(counter.acked, got);
        });
      } else if (op === 10) { // EVAL writing three keys
        const group: Group = { a: `ev:${tag}:a`, b: `ev:${tag}:b`, value: `e${tag}`, acked: false };
        this.groups.push(group);
        const seq = this.seqs.get(`evlist:${w}`)!;
        seq.items.push(group.value);
        const index = seq.items.length;
        add(["EVAL", SCRIPT, "3", group.a, group.b, `evlist:${w}`, group.value], (v) => {
          if (int(v) !== null) {
            group.acked = true;
            seq.acked = Math.max(seq.acked, index);
          }
        });
      } else { // expiries: absolute, relative, and one in the past (deletes)
        const key = `exp:${tag}`;
        const kind = Math.floor(this.random() * 3);
        const entry: Expiring = { key, at: 0, acked: 0, gone: kind === 2 };
        this.expiring.push(entry);
        add(["SET", key, `x${tag}`], (v) => {
          if (v?.t === "simple") entry.acked = Math.max(entry.acked, 1);
        });
        const onExpiry = (v: RespValue | null) => {
          if (int(v) === 1) entry.acked = 2;
        };
        if (kind === 0) {
          entry.at = Date.now() + 3_600_000 + n;
          add(["PEXPIREAT", key, String(entry.at)], onExpiry);
        } else if (kind === 1) {
          const sentAt = Date.now();
          add(["EXPIRE", key, "7200"], (v) => {
            entry.at = [sentAt + 7_200_000 - 1000, Date.now() + 7_200_000 + 1000];
            onExpiry(v);
          });
          entry.at = [sentAt + 7_200_000 - 1000, Number.MAX_SAFE_INTEGER];
        } else {
          add(["PEXPIREAT", key, "1000"], onExpiry);
        }
      }
    }
    return {
      commands,
      handlers: handlers.map((h) => (v: RespValue | null) => {
        if (v !== null) this.acks++;
        h(v);
      }),
    };
  }

  /** Runs batches on one connection until it dies (the server was killed) or `stop` is set. */
  async run(port: number, stop: { stopped: boolean }, bigBatches: boolean): Promise<void> {
    const client = await PipeClient.connect(port);
    try {
      while (!stop.stopped && !client.dead) {
        const { commands, handlers } = this.batch(bigBatches && this.random() < 0.5);
        const replies = client.send(commands);
        for (let i = 0; i < replies.length; i++) handlers[i](await replies[i]);
      }
    } finally {
      await client.close();
    }
  }

  /** Checks the restarted server against the record; then the record restarts from its state. */
  async verify(client: PipeClient, where: string): Promise<void> {
    const w = this.id;
    // Strings: the last acknowledged value or one sent after it, byte for byte.
    const keys = [...this.strings.keys()];
    const got = await client.call(...keys.map((key) => ["GET", key]));
    keys.forEach((key, i) => {
      const entry = this.strings.get(key)!;
      const value = str(got[i]);
      const at = entry.history.indexOf(value, entry.acked);
      assert.ok(
        at >= 0,
        `${where}: ${key} is ${describe(value)}, not the acknowledged ${
          describe(entry.history[entry.acked])
        } (or a later write)`,
      );
      this.strings.set(key, { history: [value], acked: 0 });
    });
    // Counters: between acknowledged and sent.
    for (const [key, counter] of this.counters) {
      const value = Number(str((await client.call(["GET", key]))[0]) ?? 0);
      assert.ok(
        value >= counter.acked && value <= counter.sent,
        `${where}: ${key} = ${value}, acknowledged ${counter.acked}, sent ${counter.sent}`,
      );
      this.counters.set(key, { sent: value, acked: value });
    }
    // Collections: a prefix of what was sent, no shorter than acknowledged.
    for (const [key, seq] of this.seqs) {
      const kind = key.slice(0, key.indexOf(":"));
      let items: string[];
      if (kind === "append") {
        const value = str((await client.call(["GET", key]))[0]) ?? "";
        let length = 0;
        let count = 0;
        while (count < seq.items.length && length < value.length) {
          length += seq.items[count++].length;
        }
        assert.equal(length, value.length, `${where}: ${key} ends inside an APPEND`);
        items = seq.items.slice(0, count);
        assert.ok(value === items.join(""), `${where}: ${key} is not what was appended`);
      } else {
        const [reply] = await client.call(
          kind === "hash"
            ? ["HGETALL", key]
            : kind === "zset"
            ? ["ZRANGE", key, "0", "-1"]
            : kind === "stream"
            ? ["XRANGE", key, "-", "+"]
            : ["LRANGE", key, "0", "-1"],
        );
        const list = arr(reply) ?? [];
        if (kind === "hash") {
          const pairs: [string, string][] = [];
          for (let i = 0; i < list.length; i += 2) pairs.push([str(list[i])!, str(list[i + 1])!]);
          pairs.sort((x, y) => x[0] < y[0] ? -1 : 1);
          items = pairs.map(([field, value], i) => {
            assert.equal(field, `f${String(i + 1).padStart(8, "0")}`, `${where}: ${key} has a gap`);
            return value;
          });
        } else if (kind === "stream") {
          items = list.map((entry) => str(arr(arr(entry)![1])![1])!);
        } else items = list.map((item) => str(item)!);
        const prefix = items.every((item, i) => item === seq.items[i]);
        assert.ok(prefix, `${where}: ${key} is not a prefix of what was sent`);
      }
      assert.ok(
        items.length >= seq.acked,
        `${where}: ${key} has ${items.length} items, ${seq.acked} were acknowledged`,
      );
      this.seqs.set(key, { items, acked: items.length });
    }
    // MULTI/EXEC blocks and scripts: all or nothing; acknowledged ones all.
    const evlist = new Set(this.seqs.get(`evlist:${w}`)!.items);
    const pairs = await client.call(...this.groups.map((g) => ["MGET", g.a, g.b]));
    this.groups.forEach((group, i) => {
      const [a, b] = arr(pairs[i])!.map(str);
      const present = a === group.value && b === group.value;
      assert.ok(present || (a === null && b === null), `${where}: ${group.a} half applied`);
      assert.ok(present || !group.acked, `${where}: acknowledged ${group.a} lost`);
      if (group.a.startsWith("ev:")) {
        assert.equal(evlist.has(group.value), present, `${where}: ${group.a} vs its list item`);
      }
    });
    this.groups = [];
    // Expiries: the deadline exactly as acknowledged (replayed as an absolute time).
    const times = await client.call(...this.expiring.map((e) => ["PEXPIRETIME", e.key]));
    this.expiring.forEach((entry, i) => {
      const t = int(times[i])!;
      const atOk = typeof entry.at === "number"
        ? t === entry.at
        : t >= entry.at[0] && t <= entry.at[1];
      const ok = entry.gone
        ? (entry.acked === 2 ? t === -2 : t === -2 || (entry.acked < 2 && t === -1))
        : entry.acked === 2
        ? atOk
        : entry.acked === 1
        ? atOk || t === -1
        : atOk || t === -1 || t === -2;
      assert.ok(
        ok,
        `${where}: ${entry.key} PEXPIRETIME ${t}, expected ${entry.at} (${entry.acked})`,
      );
    });
    this.expiring = [];
  }
}

function describe(value: string | null): string {
  if (value === null) return "absent";
  const tag = value.slice(0, value.indexOf("|") >= 0 ? value.indexOf("|") : 20);
  return `${JSON.stringify(tag)} (${value.length} bytes)`;
}

// ---------------------------------------------------------------------------------------------

async function infoField(client: PipeClient, field: string): Promise<string | null> {
  const info = str((await client.call(["INFO", "persistence"]))[0]);
  if (info === null) return null;
  return info.match(new RegExp(`^${field}:(.*)$`, "m"))?.[1].trim() ?? null;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type KillMoment = "steady" | "snapshot" | "rotation" | "big-batch";
const MOMENTS: KillMoment[] = ["snapshot", "steady", "big-batch", "rotation"];

/** Waits for the kill moment, with a control connection; returns what it saw. */
async function waitForMoment(
  port: number,
  moment: KillMoment,
  random: () => number,
  acked: () => number,
): Promise<string> {
  const control = await PipeClient.connect(port);
  try {
    // Some writes acknowledged first, so every kill lands on busy writers.
    while (acked() < 50 && !control.dead) await sleep(10);
    if (moment === "steady" || moment === "big-batch") {
      await sleep(100 + random() * 1200);
      return moment;
    }
    // A snapshot has something to write: let a few big values in.
    await sleep(300 + random() * 500);
    for (let attempt = 0; attempt < 200 && !control.dead; attempt++) {
      const before = Number(await infoField(control, "rdb_saves"));
      const [reply] = await control.call([random() < 0.5 ? "BGSAVE" : "BGREWRITEAOF"]);
      if (reply?.t === "error") { // one is running already
        if (moment === "snapshot") return "snapshot (running)";
        await sleep(20);
        continue;
      }
      if (moment === "rotation") return "rotation"; // the AOF was just split
      if (await infoField(control, "rdb_bgsave_in_progress") === "1") {
        await sleep(random() * 300);
        return "snapshot";
      }
      return `snapshot (finished: ${before})`;
    }
    return moment;
  } finally {
    await control.close();
  }
}

/** BGSAVE / BGREWRITEAOF every few hundred ms on top of the count-triggered snapshots. */
async function saveLoop(port: number, stop: { stopped: boolean }, random: () => number) {
  const client = await PipeClient.connect(port);
  try {
    while (!stop.stopped && !client.dead) {
      await client.call([random() < 0.5 ? "BGSAVE" : "BGREWRITEAOF"]);
      await sleep(100 + random() * 400);
    }
  } finally {
    await client.close();
  }
}

function startBenchmark(port: number): Deno.ChildProcess | null {
  try {
    return new Deno.Command("redis-benchmark", {
      args: ["-p", String(port), "-t", "set", "-d", "131072", "-r", "200", "-n", "10000000"]
        .concat(["-c", "4", "-P", "4", "-q"]),
      stdout: "null",
      stderr: "null",
    }).spawn();
  } catch {
    return null; // not installed: the Deno clients alone
  }
}

async function aofCheckCli(dataDir: string): Promise<{ code: number; text: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", HELIOS_MAIN, "aof", "check", dataDir],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  return { code: out.code, text };
}

const SNAPSHOT_ENV = {
  // Count-triggered snapshots all the time: every kill lands near a snapshot or a rotation.
  HELIOS_ATLAS__SNAPSHOT_INTERVAL_CMDS: "400",
  HELIOS_ATLAS__SNAPSHOT_MIN_INTERVAL: "0s",
};

async function crashMatrix(mode: "every" | "interval" | "none", seed: number): Promise<void> {
  // deno-lint-ignore no-console -- the seed, to replay a failure with HELIOS_CRASH_SEED
  console.log(
    `crash matrix: mode=${mode} seed=${seed} (HELIOS_CRASH_SEED=${SEED}) rounds=${ROUNDS}`,
  );
  const random = mulberry32(seed);
  const values = new Values(random);
  const workers = Array.from({ length: WORKERS }, (_, id) => new Worker(id, values, random));
  const base = await Deno.makeTempDir({ prefix: "atlasd_crash_matrix_" });
  const dataDir = `${base}/data`;
  const start = () =>
    startAtlasd(["--sync-mode", mode], dataDir, {
      env: SNAPSHOT_ENV,
      startTimeoutMs: START_TIMEOUT_MS,
    });
  let proc: Proc | null = await start();
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const moment = MOMENTS[(round + seed) % MOMENTS.length];
      const where = `mode=${mode} seed=${seed} round=${round} (${moment})`;
      const stop = { stopped: false };
      const port = proc.port;
      const bench = round % 2 === 1 ? startBenchmark(port) : null;
      const running = [
        ...workers.map((worker) => worker.run(port, stop, moment === "big-batch")),
        saveLoop(port, stop, random),
      ];
      const ackedBefore = workers.reduce((sum, w) => sum + w.acks, 0);
      const saw = await waitForMoment(
        port,
        moment,
        random,
        () => workers.reduce((sum, w) => sum + w.acks, 0) - ackedBefore,
      );
      Deno.kill(proc.pid, "SIGKILL");
      await proc.stop(); // reaps it (the SIGTERM finds it gone)
      proc = null;
      await Promise.all(running);
      if (bench !== null) {
        try {
          bench.kill("SIGKILL");
        } catch {
          // Exited when the server went away.
        }
        await bench.status;
      }
      const acked = workers.reduce((sum, w) => sum + w.acks, 0) - ackedBefore;
      // The log as recovery will read it: a torn tail of the last part at most.
      const check = await checkDataDir(dataDir, { fix: false, yes: false });
      assert.ok(check.status !== "corrupt", `${where}: aof check: ${check.message}`);
      const files = [...Deno.readDirSync(dataDir)].map((e) => e.name).sort().join(" ");
      // deno-lint-ignore no-console -- what each kill hit, for the record of a failing seed
      console.log(`  round ${round}: killed at ${saw}, ${acked} acks, ${check.status}: ${files}`);

      proc = await start();
      const client = await PipeClient.connect(proc.port);
      try {
        for (const worker of workers) await worker.verify(client, where);
      } finally {
        await client.close();
      }
    }
    await proc.stop(); // a clean shutdown leaves a log that checks OK from end to end
    proc = null;
    const cli = await aofCheckCli(dataDir);
    assert.equal(cli.code, 0, `mode=${mode} seed=${seed}: helios aof check: ${cli.text}`);
    proc = await start();
    const client = await PipeClient.connect(proc.port);
    try {
      for (const worker of workers) await worker.verify(client, `mode=${mode} after clean stop`);
    } finally {
      await client.close();
    }
  } finally {
    await proc?.stop();
    await Deno.remove(base, { recursive: true });
  }
}

for (const [i, mode] of (["every", "interval", "none"] as const).entries()) {
  Deno.test(`atlasd kill -9 crash matrix: --sync-mode ${mode}`, async () => {
    await crashMatrix(mode, SEED + i);
  });
}
