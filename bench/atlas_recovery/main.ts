// deno-lint-ignore-file no-console -- a benchmark script: printing is its output
/**
 * Restart time and memory per key: ATLAS versus Redis 7, side by side in one run.
 *
 * Both get the same data: KEYS string keys (10% with a TTL) written and then compacted (ATLAS:
 * a snapshot; Redis: BGREWRITEAOF, an RDB-preamble base), then TAIL more writes (half overwrite,
 * half new) left in the AOF. Each round restarts each server in a fresh process, alternating
 * which goes first, and measures spawn → serving (wall) plus the loader's own figure, and the
 * memory the data took (ATLAS: V8 heap growth after GC; Redis: used_memory growth).
 *
 *   deno run -A bench/atlas_recovery/main.ts          (ATLAS_BENCH_KEYS=1000000 ATLAS_BENCH_TAIL=100000)
 */
import { join } from "node:path";
import { AtlasEngine } from "../../atlas/mod.ts";
import { mulberry32 } from "../../atlas/testing/prng.ts";
import { ensureDebianTools } from "../debian_tools.ts";

await ensureDebianTools({ "redis-server": "redis-server", "redis-cli": "redis-tools" });

const KEYS = Number(Deno.env.get("ATLAS_BENCH_KEYS") ?? 1_000_000);
const TAIL = Number(Deno.env.get("ATLAS_BENCH_TAIL") ?? 100_000);
const ROUNDS = Number(Deno.env.get("ATLAS_BENCH_ROUNDS") ?? 3);
const REDIS_PORT = 18_000 + Math.floor(Math.random() * 1000);
const TTL_MS = 86_400_000;
const CHILD = new URL("./load_child.ts", import.meta.url).pathname;

type Command = string[];

/** The dataset as commands: base (compacted) and tail (left in the AOF). */
function* commands(from: number, to: number, tail: boolean): Generator<Command> {
  const random = mulberry32(from * 7 + (tail ? 1 : 0));
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  for (let i = from; i < to; i++) {
    let value = "";
    for (let c = 0; c < 32; c++) value += alphabet[Math.floor(random() * alphabet.length)];
    const index = tail && i % 2 === 0 ? Math.floor(random() * KEYS) : i;
    const key = `key:${index}`;
    yield i % 10 === 0 ? ["SET", key, value, "PX", String(TTL_MS)] : ["SET", key, value];
  }
}

function resp(command: Command): string {
  return `*${command.length}\r\n` + command.map((arg) => `$${arg.length}\r\n${arg}\r\n`).join("");
}

async function prepareAtlas(dir: string): Promise<void> {
  const engine = await AtlasEngine.open({
    dataDir: dir,
    fsync: "none",
    activeExpireHz: 0,
    snapshotIntervalMs: 0,
  });
  for (const command of commands(0, KEYS, false)) engine.execute(command);
  const snapshot = await engine.snapshot();
  console.log(
    `ATLAS snapshot of ${snapshot.keys} keys: ${(snapshot.sizeBytes / 1e6).toFixed(1)} MB in ${
      snapshot.durationSeconds.toFixed(2)
    } s`,
  );
  for (const command of commands(KEYS, KEYS + TAIL, true)) engine.execute(command);
  await engine.close();
}

/** A tiny RESP client: enough for PING, INFO, BGREWRITEAOF and SHUTDOWN. */
class RedisConn {
  private buffer = "";
  private constructor(private readonly conn: Deno.TcpConn) {}

  static async open(port: number): Promise<RedisConn> {
    return new RedisConn(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  async call(...command: Command): Promise<string> {
    await this.conn.write(new TextEncoder().encode(resp(command)));
    for (;;) {
      const reply = this.parse();
      if (reply !== null) return reply;
      const chunk = new Uint8Array(1 << 16);
      const n = await this.conn.read(chunk);
      if (n === null) throw new Error("Redis closed the connection");
      this.buffer += new TextDecoder().decode(chunk.subarray(0, n));
    }
  }

  private parse(): string | null {
    const end = this.buffer.indexOf("\r\n");
    if (end < 0) return null;
    if (this.buffer[0] === "$") {
      const length = Number(this.buffer.slice(1, end));
      if (this.buffer.length < end + 2 + length + 2) return null;
      const value = this.buffer.slice(end + 2, end + 2 + length);
      this.buffer = this.buffer.slice(end + 4 + length);
      return value;
    }
    const line = this.buffer.slice(0, end);
    this.buffer = this.buffer.slice(end + 2);
    return line;
  }

  close(): void {
    this.conn.close();
  }
}

function startRedis(dir: string): Deno.ChildProcess {
  return new Deno.Command("redis-server", {
    args: [
      "--port",
      String(REDIS_PORT),
      "--bind",
      "127.0.0.1",
      "--dir",
      dir,
      "--save",
      "",
      "--appendonly",
      "yes",
      "--appendfsync",
      "no",
      "--daemonize",
      "no",
      "--logfile",
      join(dir, "redis.log"),
    ],
    stdout: "null",
    stderr: "null",
  }).spawn();
}

/** Waits until Redis answers PING with PONG (not -LOADING); returns the connection. */
async function waitServing(): Promise<RedisConn> {
  for (;;) {
    try {
      const conn = await RedisConn.open(REDIS_PORT);
      if ((await conn.call("PING")) === "+PONG") return conn;
      conn.close();
    } catch (error) {
      if (!(error instanceof Deno.errors.ConnectionRefused)) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

function infoField(info: string, name: string): number {
  const match = new RegExp(`^${name}:(\\S+)`, "m").exec(info);
  if (!match) throw new Error(`INFO has no ${name}`);
  return Number(match[1]);
}

async function stopRedis(conn: RedisConn, child: Deno.ChildProcess): Promise<void> {
  await conn.call("SHUTDOWN").catch(() => undefined);
  conn.close();
  await child.status;
}

async function prepareRedis(dir: string): Promise<number> {
  const child = startRedis(dir);
  const conn = await waitServing();
  const emptyUsed = infoField(await conn.call("INFO", "memory"), "used_memory");
  const pipe = async (from: number, to: number, tail: boolean) => {
    const cli = new Deno.Command("redis-cli", {
      args: ["-p", String(REDIS_PORT), "--pipe"],
      stdin: "piped",
      stdout: "null",
    }).spawn();
    const writer = cli.stdin.getWriter();
    let batch = "";
    for (const command of commands(from, to, tail)) {
      batch += resp(command);
      if (batch.length > 1 << 20) {
        await writer.write(new TextEncoder().encode(batch));
        batch = "";
      }
    }
    await writer.write(new TextEncoder().encode(batch));
    await writer.close();
    await cli.status;
  };
  await pipe(0, KEYS, false);
  await conn.call("BGREWRITEAOF");
  while (infoField(await conn.call("INFO", "persistence"), "aof_rewrite_in_progress") === 1) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  while (infoField(await conn.call("INFO", "persistence"), "aof_rewrite_scheduled") === 1) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await pipe(KEYS, KEYS + TAIL, true);
  await stopRedis(conn, child);
  return emptyUsed;
}

interface Sample {
  wallMs: number;
  /** CPU time of the server process up to serving (user + system). */
  cpuMs: number;
  loadMs: number;
  keys: number;
  bytes: number;
  rssBytes: number;
}

async function measureAtlas(dir: string): Promise<Sample> {
  const startMs = performance.now();
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--v8-flags=--expose-gc", CHILD, dir],
    stderr: "inherit",
  }).output();
  const wallMs = performance.now() - startMs;
  if (!output.success) throw new Error("ATLAS load child failed");
  const result = JSON.parse(new TextDecoder().decode(output.stdout));
  return {
    wallMs,
    cpuMs: result.cpuMs,
    loadMs: result.loadMs,
    keys: result.keys,
    bytes: result.heapBytes,
    rssBytes: result.rssBytes,
  };
}

async function measureRedis(dir: string, emptyUsed: number): Promise<Sample> {
  const startMs = performance.now();
  const child = startRedis(dir);
  const conn = await waitServing();
  const wallMs = performance.now() - startMs;
  const cpuMs = await processCpuMs(child.pid);
  const memory = await conn.call("INFO", "memory");
  const keys = Number(/keys=(\d+)/.exec(await conn.call("INFO", "keyspace"))?.[1] ?? 0);
  const log = await Deno.readTextFile(join(dir, "redis.log"));
  const loaded = [...log.matchAll(/DB loaded from append only file: ([\d.]+) seconds/g)].at(-1);
  const rss = infoField(memory, "used_memory_rss");
  await stopRedis(conn, child);
  return {
    wallMs,
    cpuMs,
    loadMs: loaded ? Number(loaded[1]) * 1000 : NaN,
    keys,
    bytes: infoField(memory, "used_memory") - emptyUsed,
    rssBytes: rss,
  };
}

/** utime + stime of a process from /proc (Linux), in ms. */
async function processCpuMs(pid: number): Promise<number> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticksPerSecond = 100; // USER_HZ on Linux
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function main(): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "atlas_recovery_bench_" });
  const atlasDir = join(root, "atlas");
  const redisDir = join(root, "redis");
  await Deno.mkdir(redisDir);
  try {
    console.log(
      `Dataset: ${KEYS} keys (32-byte values, 10% with TTL), then ${TAIL} more writes in the AOF`,
    );
    await prepareAtlas(atlasDir);
    const emptyUsed = await prepareRedis(redisDir);
    const atlas: Sample[] = [];
    const redis: Sample[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? ["atlas", "redis"] : ["redis", "atlas"];
      for (const who of order) {
        const sample = who === "atlas"
          ? await measureAtlas(atlasDir)
          : await measureRedis(redisDir, emptyUsed);
        (who === "atlas" ? atlas : redis).push(sample);
        console.log(
          `round ${round + 1} ${who.padEnd(5)}: restart ${sample.wallMs.toFixed(0)} ms wall, ` +
            `load ${sample.loadMs.toFixed(0)} ms, cpu ${
              sample.cpuMs.toFixed(0)
            } ms, ${sample.keys} keys, ` +
            `${(sample.bytes / sample.keys).toFixed(1)} B/key`,
        );
      }
    }
    const summary = (samples: Sample[]) => ({
      wallMs: median(samples.map((s) => s.wallMs)),
      loadMs: median(samples.map((s) => s.loadMs)),
      cpuMs: median(samples.map((s) => s.cpuMs)),
      bytesPerKey: median(samples.map((s) => s.bytes / s.keys)),
    });
    const a = summary(atlas);
    const r = summary(redis);
    console.log("\nmedian            ATLAS      Redis   ATLAS/Redis (goal <= 2.0)");
    console.log(
      `restart wall   ${a.wallMs.toFixed(0).padStart(7)} ms ${
        r.wallMs.toFixed(0).padStart(7)
      } ms   ${(a.wallMs / r.wallMs).toFixed(2)}`,
    );
    console.log(
      `load (own)     ${a.loadMs.toFixed(0).padStart(7)} ms ${
        r.loadMs.toFixed(0).padStart(7)
      } ms   ${(a.loadMs / r.loadMs).toFixed(2)}`,
    );
    console.log(
      `restart cpu    ${a.cpuMs.toFixed(0).padStart(7)} ms ${r.cpuMs.toFixed(0).padStart(7)} ms   ${
        (a.cpuMs / r.cpuMs).toFixed(2)
      }`,
    );
    console.log(
      `memory/key     ${a.bytesPerKey.toFixed(1).padStart(7)} B  ${
        r.bytesPerKey.toFixed(1).padStart(7)
      } B    ${(a.bytesPerKey / r.bytesPerKey).toFixed(2)}`,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

if (import.meta.main) await main();
