/**
 * MIGRATE's connections to its targets, and the cache that keeps them between calls as Redis's
 * migrateGetSocket does: one connection per target (host:port) is kept after a MIGRATE that went
 * through, with the database it last SELECTed (the next MIGRATE to that database sends no SELECT),
 * at most 64 at a time (a random one is closed to make room), each closed after 10 s unused by the
 * server's cron (INFO migrate_cached_sockets counts them). A MIGRATE takes its target's connection
 * out of the cache while it uses it, so two running at once never share one.
 */

/** Redis's MIGRATE_SOCKET_CACHE_ITEMS and MIGRATE_SOCKET_CACHE_TTL. */
const CACHE_ITEMS_MAX = 64;
const CACHE_TTL_MS = 10_000;
/** Redis reads each reply line into a 1 KiB buffer (syncReadLine): longer ones are cut there. */
const REPLY_LINE_MAX = 1024;

/** One connection to a target; each operation bounded by the running MIGRATE's timeout. */
export class TargetConnection {
  #buffered = "";
  /** The database the last MIGRATE through it selected (-1: none known: SELECT next time). */
  lastDb = -1;
  /** When it was last given back to the cache. */
  lastUseMs = 0;
  /** The running MIGRATE's timeout for each write and read. */
  timeoutMs: number;
  /** The last write or read ran out of time (Redis retries a MIGRATE on other errors only). */
  timedOut = false;

  private constructor(private readonly conn: Deno.Conn, timeoutMs: number) {
    this.timeoutMs = timeoutMs;
  }

  static async open(host: string, port: number, timeoutMs: number): Promise<TargetConnection> {
    if (port <= 0 || port > 65535) throw new RangeError(`Invalid port ${port}`);
    const connecting = Deno.connect({ hostname: host, port });
    const conn = await within(connecting, timeoutMs);
    if (conn === TIMED_OUT) {
      connecting.then((late) => late.close(), () => {});
      throw new Error("timeout");
    }
    return new TargetConnection(conn, timeoutMs);
  }

  /** Whether a reply line was read but not taken (then the connection is not reused). */
  get holdsInput(): boolean {
    return this.#buffered.length > 0;
  }

  /** Writes everything; false on an error or the timeout. */
  async write(bytes: Uint8Array): Promise<boolean> {
    this.timedOut = false;
    let off = 0;
    while (off < bytes.length) {
      const n = await within(this.conn.write(bytes.subarray(off)).catch(() => 0), this.timeoutMs);
      if (n === TIMED_OUT) this.timedOut = true;
      if (n === TIMED_OUT || n === 0) return false;
      off += n;
    }
    return true;
  }

  /** Up to `count` reply lines (without CRLF), fewer if the target stops or times out. */
  async readLines(count: number): Promise<string[]> {
    this.timedOut = false;
    const lines: string[] = [];
    const chunk = new Uint8Array(16 * 1024);
    while (lines.length < count) {
      // As Redis's syncReadLine: up to a newline (its CR dropped), or REPLY_LINE_MAX bytes, the
      // rest left for the next line; so a target that never ends a line cannot grow this buffer.
      const end = this.#buffered.indexOf("\n");
      if (end >= 0 && end < REPLY_LINE_MAX) {
        const line = this.#buffered.slice(0, end);
        lines.push(line.endsWith("\r") ? line.slice(0, -1) : line);
        this.#buffered = this.#buffered.slice(end + 1);
        continue;
      }
      if (this.#buffered.length >= REPLY_LINE_MAX) {
        lines.push(this.#buffered.slice(0, REPLY_LINE_MAX));
        this.#buffered = this.#buffered.slice(REPLY_LINE_MAX);
        continue;
      }
      const n = await within(this.conn.read(chunk).catch(() => null), this.timeoutMs);
      if (n === TIMED_OUT) this.timedOut = true;
      if (n === null || n === TIMED_OUT) break;
      let text = "";
      for (let i = 0; i < n; i++) text += String.fromCharCode(chunk[i]);
      this.#buffered += text;
    }
    return lines;
  }

  close(): void {
    try {
      this.conn.close();
    } catch {
      // already closed
    }
  }
}

const TIMED_OUT = Symbol("timed out");

/** The promise's value, or TIMED_OUT once `ms` passed first. */
function within<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) =>
    timer = setTimeout(() => resolve(TIMED_OUT), ms)
  );
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export class MigrateSockets {
  readonly #cached = new Map<string, TargetConnection>();

  /** How many connections are cached (INFO migrate_cached_sockets). */
  get size(): number {
    return this.#cached.size;
  }

  /** The target's cached connection, taken out of the cache while in use; undefined if none. */
  take(host: string, port: number): TargetConnection | undefined {
    const key = `${host}:${port}`;
    const conn = this.#cached.get(key);
    if (conn !== undefined) this.#cached.delete(key);
    return conn;
  }

  /**
   * Keeps a connection a MIGRATE used without a socket error. Closed instead if the target
   * already has one cached (another MIGRATE ran meanwhile) or it holds unread input.
   */
  giveBack(host: string, port: number, conn: TargetConnection, nowMs: number): void {
    const key = `${host}:${port}`;
    if (this.#cached.has(key) || conn.holdsInput) {
      conn.close();
      return;
    }
    if (this.#cached.size >= CACHE_ITEMS_MAX) {
      // Redis closes a random one to make room.
      const keys = [...this.#cached.keys()];
      const victim = keys[Math.floor(Math.random() * keys.length)];
      this.#cached.get(victim)!.close();
      this.#cached.delete(victim);
    }
    conn.lastUseMs = nowMs;
    this.#cached.set(key, conn);
  }

  /** Closes the connections unused for 10 s (the server's cron). */
  sweep(nowMs: number): void {
    for (const [key, conn] of this.#cached) {
      if (nowMs - conn.lastUseMs > CACHE_TTL_MS) {
        conn.close();
        this.#cached.delete(key);
      }
    }
  }

  /** Closes every cached connection (the server is closing). */
  closeAll(): void {
    for (const conn of this.#cached.values()) conn.close();
    this.#cached.clear();
  }
}
