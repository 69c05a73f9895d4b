/**
 * Test harness for atlasd real-process tests: start atlasd (atlas/testing/atlasd_main.ts) or a
 * real redis-server on a free loopback port, and a raw RESP2/RESP3 client that keeps reply
 * types (so differential tests compare kinds, not just values). Pushes go to `pushes`.
 */

export type RespValue =
  | { t: "simple" | "error" | "bulk" | "double" | "bignum" | "verbatim"; v: string }
  | { t: "integer"; v: number | bigint }
  | { t: "nil" }
  | { t: "bool"; v: boolean }
  | { t: "array" | "set" | "push"; v: RespValue[] }
  | { t: "map"; v: [RespValue, RespValue][] };

export interface Proc {
  readonly port: number;
  /** The server process id (for CPU accounting in benchmarks). */
  readonly pid: number;
  /** Where `helios atlasd` serves Prometheus metrics (0: not known, as for redis-server). */
  readonly metricsPort?: number;
  stop(): Promise<void>;
}

const HELIOS_MAIN = new URL("../../main.ts", import.meta.url).pathname;
const TEST_MAIN = new URL("./atlasd_main.ts", import.meta.url).pathname;

export interface StartAtlasdOptions {
  /** Extra environment (e.g. HELIOS_ATLAS__SNAPSHOT_INTERVAL_CMDS) on top of NO_COLOR=1. */
  env?: Record<string, string>;
  /** Kill the process and reject if it is not listening by then (default: wait forever). */
  startTimeoutMs?: number;
}

/**
 * Spawns the real `helios atlasd` (main.ts) on a temporary data dir, RESP and metrics on
 * 127.0.0.1 port 0; resolves once it logged its RESP "Listening" line. `extraArgs` are CLI
 * flags (e.g. `--sync-mode none`). With ATLASD_ENTRY=testing, atlas/testing/atlasd_main.ts
 * (engine + server only) is used instead.
 */
export async function startAtlasd(
  extraArgs: string[] = [],
  dataDir?: string,
  options: StartAtlasdOptions = {},
): Promise<Proc> {
  const dir = dataDir ?? await Deno.makeTempDir({ prefix: "atlasd_test_" });
  const viaCli = Deno.env.get("ATLASD_ENTRY") !== "testing";
  const args = viaCli
    ? [
      "run",
      "-A",
      HELIOS_MAIN,
      "atlasd",
      "--data-dir",
      dir,
      "--listen",
      "127.0.0.1:0",
      "--metrics-listen",
      "127.0.0.1:0",
      ...extraArgs,
    ]
    : ["run", "-A", TEST_MAIN, dir, ...extraArgs];
  const child = new Deno.Command(Deno.execPath(), {
    args,
    stdout: "piped",
    stderr: "inherit",
    env: { NO_COLOR: "1", ...options.env },
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  let port = 0;
  let metricsPort = 0;
  let timedOut = false;
  const startTimer = options.startTimeoutMs === undefined ? undefined : setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL"); // ends stdout, so the read below returns done
  }, options.startTimeoutMs);
  try {
    // The CLI logs its metrics listener too (after the RESP one).
    while (port === 0 || (viaCli && metricsPort === 0)) {
      const { value, done } = await reader.read();
      if (done) {
        const why = timedOut ? `not listening after ${options.startTimeoutMs} ms` : "exited";
        throw new Error(`atlasd ${why} before listening: ${text}`);
      }
      text += value;
      const m = text.match(/"listener":"resp","address":"127\.0\.0\.1:(\d+)"/) ??
        text.match(/"message":"listening","addr":"127\.0\.0\.1:(\d+)"/);
      if (m) port = Number(m[1]);
      const metrics = text.match(/"listener":"metrics","address":"127\.0\.0\.1:(\d+)"/);
      if (metrics) metricsPort = Number(metrics[1]);
    }
  } finally {
    clearTimeout(startTimer);
  }
  const drain = (async () => {
    while (!(await reader.read()).done) { /* keep the pipe flowing */ }
  })();
  return {
    port,
    pid: child.pid,
    metricsPort,
    async stop() {
      await terminate(child);
      await drain;
      if (dataDir === undefined) await Deno.remove(dir, { recursive: true });
    },
  };
}

/** How long a server may take to exit after SIGTERM before it is killed. */
const TERM_GRACE_MS = 5000;

/**
 * SIGTERM, then SIGKILL after TERM_GRACE_MS: redis-server defers SIGTERM while a script runs past
 * busy-reply-threshold (its cron does not run), so a test that failed with one running would
 * otherwise wait forever and leave the server spinning.
 */
export async function terminate(child: Deno.ChildProcess): Promise<void> {
  try {
    child.kill("SIGTERM");
  } catch {
    await child.status; // already exited (SHUTDOWN)
    return;
  }
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch {
      // Exited meanwhile.
    }
  }, TERM_GRACE_MS);
  try {
    await child.status;
  } finally {
    clearTimeout(timer);
  }
}

/** Ports this process handed out: a cluster picks several before any of them is bound. */
const handedOut = new Set<number>();

/**
 * A port for a server started by port number (redis-server): drawn below the kernel's ephemeral
 * range, so no port-0 listener or outgoing connection can take it before the server binds it,
 * and never one this process handed out before (two random picks for one cluster could
 * otherwise be the same free port).
 */
export function freePort(): number {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (handedOut.has(port)) continue;
    try {
      Deno.listen({ hostname: "127.0.0.1", port }).close();
      handedOut.add(port);
      return port;
    } catch (error) {
      if (!(error instanceof Deno.errors.AddrInUse)) throw error;
    }
  }
  throw new Error("No free port below the ephemeral range after 200 tries");
}

/** Starts a real redis-server (no persistence unless args say so) on a free port. */
export async function startRedis(
  args: string[] = ["--save", "", "--appendonly", "no"],
): Promise<Proc> {
  const port = freePort();
  const dir = await Deno.makeTempDir({ prefix: "redis_test_" });
  const child = new Deno.Command("redis-server", {
    args: [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--daemonize",
      "no",
      "--dir",
      dir,
      ...args,
    ],
    stdout: "null",
    stderr: "null",
  }).spawn();
  for (let i = 0; i < 100; i++) {
    try {
      const c = await Deno.connect({ hostname: "127.0.0.1", port });
      c.close();
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    port,
    pid: child.pid,
    async stop() {
      await terminate(child);
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Runs redis-cli with args; returns stdout. */
export async function redisCli(port: number, args: string[], stdin?: string): Promise<string> {
  const child = new Deno.Command("redis-cli", {
    args: ["-p", String(port), ...args],
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const out = await child.output();
  return new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
}

const latin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);

export function encodeCommand(argv: string[]): Uint8Array {
  return latin1(`*${argv.length}\r\n` + argv.map((a) => `$${a.length}\r\n${a}\r\n`).join(""));
}

/** A minimal RESP client keeping reply types; binary strings in and out. */
export class RawClient {
  readonly pushes: RespValue[] = [];
  #conn: Deno.Conn;
  #buf = "";
  #waiters: ((v: RespValue) => void)[] = [];
  #replies: RespValue[] = [];
  #closed = false;
  #reading: Promise<void>;

  private constructor(conn: Deno.Conn) {
    this.#conn = conn;
    this.#reading = this.#readLoop();
  }

  static async connect(port: number, hostname = "127.0.0.1"): Promise<RawClient> {
    return new RawClient(await Deno.connect({ hostname, port }));
  }

  get closedByPeer(): boolean {
    return this.#closed;
  }

  async writeRaw(bytes: Uint8Array | string): Promise<void> {
    const data = typeof bytes === "string" ? latin1(bytes) : bytes;
    let off = 0;
    while (off < data.length) off += await this.#conn.write(data.subarray(off));
  }

  /** Sends commands (pipelined) and resolves with their replies in order. */
  async call(...commands: string[][]): Promise<RespValue[]> {
    const waits = commands.map(() => this.next());
    const parts = commands.map(encodeCommand);
    const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) {
      all.set(p, o);
      o += p.length;
    }
    await this.writeRaw(all);
    return Promise.all(waits);
  }

  async one(...argv: string[]): Promise<RespValue> {
    return (await this.call(argv))[0];
  }

  /** The next non-push reply. */
  next(timeoutMs = 10_000): Promise<RespValue> {
    const ready = this.#replies.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.#waiters.indexOf(wrapped);
        if (i >= 0) this.#waiters.splice(i, 1);
        reject(new Error("RawClient: no reply in time"));
      }, timeoutMs);
      const wrapped = (v: RespValue) => {
        clearTimeout(timer);
        resolve(v);
      };
      this.#waiters.push(wrapped);
    });
  }

  /** Waits until `count` pushes arrived (or the timeout), then returns and clears them. */
  async takePushes(count: number, timeoutMs = 5000): Promise<RespValue[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.pushes.length < count && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    return this.pushes.splice(0, this.pushes.length);
  }

  async close(): Promise<void> {
    try {
      this.#conn.close();
    } catch {
      // Closed by the peer already.
    }
    await this.#reading;
  }

  async #readLoop(): Promise<void> {
    const chunk = new Uint8Array(64 * 1024);
    while (true) {
      let n: number | null;
      try {
        n = await this.#conn.read(chunk);
      } catch {
        n = null;
      }
      if (n === null) break;
      // String.fromCharCode keeps bytes 0x80-0x9f exact (TextDecoder("latin1") is windows-1252).
      let s = "";
      for (let i = 0; i < n; i += 8192) {
        s += String.fromCharCode(...chunk.subarray(i, Math.min(n, i + 8192)));
      }
      this.#buf += s;
      while (true) {
        const parsed = parseValue(this.#buf, 0);
        if (parsed === null) break;
        this.#buf = this.#buf.slice(parsed[1]);
        const v = parsed[0];
        if (v.t === "push") this.pushes.push(v);
        else if (this.#waiters.length > 0) this.#waiters.shift()!(v);
        else this.#replies.push(v);
      }
    }
    this.#closed = true;
  }
}

/** The names of the clients CLIENT LIST shows (`name=`; "" for a client without one). */
export async function clientNames(client: RawClient): Promise<string[]> {
  const list = await client.one("CLIENT", "LIST");
  return [...(list as { v: string }).v.matchAll(/ name=(\S*)/g)].map((m) => m[1]);
}

/** CLIENT LIST's tot-mem of the client named `name` (0 when no such client is connected). */
export async function clientTotMem(client: RawClient, name: string): Promise<number> {
  const list = (await client.one("CLIENT", "LIST") as { v: string }).v;
  const line = list.split("\n").find((l) => l.includes(` name=${name} `));
  return line === undefined ? 0 : Number(/ tot-mem=(\d+)/.exec(line)![1]);
}

/** One field of an INFO section, as text; throws when the section does not have it. */
export async function infoField(
  client: RawClient,
  section: string,
  field: string,
): Promise<string> {
  const info = (await client.one("INFO", section) as { v: string }).v;
  const line = info.split("\r\n").find((l) => l.startsWith(`${field}:`));
  if (line === undefined) throw new Error(`no ${field} in INFO ${section}`);
  return line.slice(field.length + 1);
}

/** Polls `condition` every 10 ms until it holds; throws after `timeoutMs`. */
export async function waitUntil(
  condition: () => Promise<boolean>,
  timeoutMs = 2000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A subscriber's RESP2 message arrays are ordinary arrays: route them as pushes when asked. */
export function isPubsubArray(v: RespValue): boolean {
  return v.t === "array" && v.v.length >= 3 && v.v[0].t === "bulk" &&
    PUBSUB_KINDS.has((v.v[0] as { v: string }).v);
}

const PUBSUB_KINDS = new Set([
  "message",
  "pmessage",
  "smessage",
  "subscribe",
  "unsubscribe",
  "psubscribe",
  "punsubscribe",
  "ssubscribe",
  "sunsubscribe",
]);

/** Parses one RESP2/RESP3 value at `pos`; null if incomplete. Returns [value, nextPos]. */
export function parseValue(s: string, pos: number): [RespValue, number] | null {
  const nl = s.indexOf("\r\n", pos);
  if (nl < 0) return null;
  const type = s[pos];
  const line = s.slice(pos + 1, nl);
  const after = nl + 2;
  switch (type) {
    case "+":
      return [{ t: "simple", v: line }, after];
    case "-":
      return [{ t: "error", v: line }, after];
    case ":": {
      const n = Number(line);
      return [{ t: "integer", v: Number.isSafeInteger(n) ? n : BigInt(line) }, after];
    }
    case ",":
      return [{ t: "double", v: line }, after];
    case "(":
      return [{ t: "bignum", v: line }, after];
    case "#":
      return [{ t: "bool", v: line === "t" }, after];
    case "_":
      return [{ t: "nil" }, after];
    case "$":
    case "=": {
      const len = Number(line);
      if (len < 0) return [{ t: "nil" }, after];
      if (s.length < after + len + 2) return null;
      const v = s.slice(after, after + len);
      return [{ t: type === "$" ? "bulk" : "verbatim", v }, after + len + 2];
    }
    case "*":
    case "~":
    case ">": {
      const count = Number(line);
      if (count < 0) return [{ t: "nil" }, after];
      const items: RespValue[] = [];
      let p = after;
      for (let i = 0; i < count; i++) {
        const r = parseValue(s, p);
        if (r === null) return null;
        items.push(r[0]);
        p = r[1];
      }
      return [{ t: type === "*" ? "array" : type === "~" ? "set" : "push", v: items }, p];
    }
    case "%": {
      const count = Number(line);
      const pairs: [RespValue, RespValue][] = [];
      let p = after;
      for (let i = 0; i < count; i++) {
        const k = parseValue(s, p);
        if (k === null) return null;
        const v = parseValue(s, k[1]);
        if (v === null) return null;
        pairs.push([k[0], v[0]]);
        p = v[1];
      }
      return [{ t: "map", v: pairs }, p];
    }
    default:
      throw new Error(`RawClient: unexpected RESP type byte ${JSON.stringify(type)}`);
  }
}

/** The two servers of a side-by-side test, for opening more connections. */
export interface SideBySide {
  redisPort: number;
  atlasPort: number;
}

/**
 * Runs `body` with a client of a fresh redis-server (started with `redisArgs`) and one of a
 * fresh atlasd (`--sync-mode none`), closing the clients and stopping both servers after.
 */
export async function withRedisAndAtlasd(
  body: (redis: RawClient, atlas: RawClient, servers: SideBySide) => Promise<void>,
  redisArgs?: string[],
): Promise<void> {
  const redisProc = await startRedis(redisArgs);
  const atlasProc = await startAtlasd(["--sync-mode", "none"]);
  const redis = await RawClient.connect(redisProc.port);
  const atlas = await RawClient.connect(atlasProc.port);
  try {
    await body(redis, atlas, { redisPort: redisProc.port, atlasPort: atlasProc.port });
  } finally {
    await redis.close();
    await atlas.close();
    await atlasProc.stop();
    await redisProc.stop();
  }
}

/** A reply as comparable text (JSON; integers beyond 2^53 arrive as bigints). */
export function showReply(reply: RespValue): string {
  return JSON.stringify(reply, (_k, x) => typeof x === "bigint" ? String(x) : x);
}

/**
 * Sends each command to redis-server and then to atlasd, in order (later commands see what
 * earlier ones stored), and lists every one whose replies differ, shown by `show` (`showReply`
 * unless a test normalises unordered or random replies; it gets the command's index), so a test
 * reports all its differences at once. `label` prefixes each entry (e.g. "RESP3 ").
 */
export async function replyDifferences(
  redis: RawClient,
  atlas: RawClient,
  commands: readonly (readonly string[])[],
  show: (reply: RespValue, index: number) => string = showReply,
  label = "",
): Promise<string[]> {
  const differences: string[] = [];
  for (let i = 0; i < commands.length; i++) {
    const argv = [...commands[i]];
    const [want] = await redis.call(argv);
    const [got] = await atlas.call(argv);
    const [a, b] = [show(got, i), show(want, i)];
    if (a !== b) differences.push(`${label}${argv.join(" ")}\n  atlasd: ${a}\n  redis:  ${b}`);
  }
  return differences;
}

/**
 * A case of `watchDifferences`: the key the first connection WATCHes, the command (`op`) or
 * commands (`ops`) the second one runs before the first's MULTI / PING / EXEC, and what the second
 * stores first (`setup`, after FLUSHALL and the shared setup; its replies are not compared).
 */
export type WatchCase =
  & { watch: string; setup?: readonly (readonly string[])[] }
  & ({ op: readonly string[] } | { ops: readonly (readonly string[])[] });

/** What `watchDifferences` compares besides the replies from WATCH to EXEC. */
export interface WatchOptions {
  /** Sent on the second connection after the EXEC; their replies are compared too. */
  after?: readonly (readonly string[])[];
  /**
   * notify-keyspace-events flags, set after the setup and cleared after the EXEC: the messages
   * the case's commands publish on `__key*__:*` (to a RESP3 subscriber) are compared too.
   */
  keyspaceEvents?: string;
  /** Shows a case's replies, as one array (`showReply` unless a test shortens long ones). */
  show?: (replies: RespValue) => string;
  /** Receives redis-server's shown outcome of each case, e.g. to check both outcomes occur. */
  outcomes?: string[];
}

/**
 * Runs each case on redis-server and then on atlasd, each over connections of its own opened
 * here: a second connection runs FLUSHALL, `setup` and the case's setup, the first WATCHes the
 * case's key, the second runs the case's commands, the first sends MULTI PING EXEC (and
 * `options` add what the test compares besides). Lists every case whose outcome differs, as
 * "WATCH key; command; ...", so a test reports all its differences at once.
 */
export async function watchDifferences(
  servers: SideBySide,
  cases: readonly WatchCase[],
  setup: readonly (readonly string[])[] = [],
  options: WatchOptions = {},
): Promise<string[]> {
  const { after = [], keyspaceEvents, show = showReply, outcomes } = options;
  const argvs = (commands: readonly (readonly string[])[]) => commands.map((argv) => [...argv]);
  const opened: RawClient[] = [];
  const connect = async (port: number) => {
    const client = await RawClient.connect(port);
    opened.push(client);
    return client;
  };
  try {
    const sides: { watcher: RawClient; other: RawClient; sub?: RawClient }[] = [];
    for (const port of [servers.redisPort, servers.atlasPort]) {
      const side = { watcher: await connect(port), other: await connect(port) };
      if (keyspaceEvents === undefined) {
        sides.push(side);
        continue;
      }
      const sub = await connect(port);
      await sub.call(["HELLO", "3"]);
      await sub.writeRaw(encodeCommand(["PSUBSCRIBE", "__key*__:*"])); // answered by a push
      if ((await sub.takePushes(1)).length !== 1) throw new Error("PSUBSCRIBE unconfirmed");
      sides.push({ ...side, sub });
    }
    const notify = (flags: string) => ["CONFIG", "SET", "notify-keyspace-events", flags];
    const outcome = async (side: (typeof sides)[number], c: WatchCase, ops: string[][]) => {
      const { watcher, other, sub } = side;
      const on = keyspaceEvents === undefined ? [] : [notify(keyspaceEvents)];
      await other.call(["FLUSHALL"], ...argvs(setup), ...argvs(c.setup ?? []), ...on);
      const replies = await watcher.call(["WATCH", c.watch]);
      replies.push(...await other.call(...ops));
      let published = "";
      if (sub !== undefined) {
        await sub.call(["PING"]); // every message the commands published arrives before this reply
        published = sub.pushes.splice(0).map((p) => ` ${showReply(p)}`).join("");
      }
      replies.push(...await watcher.call(["MULTI"], ["PING"], ["EXEC"]));
      if (sub !== undefined) await other.call(notify(""));
      if (after.length > 0) replies.push(...await other.call(...argvs(after)));
      return show({ t: "array", v: replies }) + published;
    };
    const differences: string[] = [];
    for (const c of cases) {
      const ops = "op" in c ? [[...c.op]] : argvs(c.ops);
      const want = await outcome(sides[0], c, ops);
      const got = await outcome(sides[1], c, ops);
      outcomes?.push(want);
      const line = `WATCH ${c.watch}; ${ops.map((argv) => argv.join(" ")).join("; ")}`;
      if (got !== want) differences.push(`${line}\n  atlasd: ${got}\n  redis:  ${want}`);
    }
    return differences;
  } finally {
    for (const client of opened) await client.close();
  }
}
