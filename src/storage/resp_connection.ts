/**
 * One TCP connection to a RESP server with pipelining: commands issued in the same event-loop turn
 * go out in one write, and replies resolve their promises in order. A broken connection rejects
 * everything still waiting with RespConnectionError, telling whether the command was sent.
 */
import type { Reply } from "../../atlas/mod.ts";
import { encodeCommand, ReplyParser } from "./resp_codec.ts";

export class RespConnectionError extends Error {
  override name = "RespConnectionError";
  constructor(message: string, readonly sent: boolean, options?: ErrorOptions) {
    super(message, options);
  }
}

/**
 * Commands were in flight and nothing came back for the connection's replyTimeoutMs: the path
 * is presumed dead (a black-holed route leaves TCP open for many minutes) and the connection is
 * closed. Like any break after sending, the commands' outcome is unknown.
 */
export class RespReplyTimeoutError extends RespConnectionError {
  override name = "RespReplyTimeoutError";
}

interface Pending {
  resolve(reply: Reply): void;
  reject(error: Error): void;
}

export interface RespConnectionOptions {
  hostname: string;
  port: number;
  connectTimeoutMs: number;
  /** Sent as AUTH right after connecting when non-empty. */
  password?: string;
  /**
   * Close the connection (RespReplyTimeoutError) when commands are in flight and no reply byte
   * has arrived for this long. Off when absent or 0: only for peers whose every command is
   * answered promptly (no blocking commands, no replies that take long to start).
   */
  replyTimeoutMs?: number;
}

export class RespConnection {
  #conn: Deno.TcpConn;
  #parser = new ReplyParser();
  #waiting: Pending[] = [];
  #waitingHead = 0;
  #outbox: Uint8Array[] = [];
  #flushScheduled = false;
  #closed = false;
  /** closeWhenIdle() was called: no new commands; closed once the last reply is in. */
  #retiring = false;
  readonly #replyTimeoutMs: number;
  /** Date.now() of the last reply byte, or of the moment the connection became busy. */
  #progressMs = 0;
  #watchdog: ReturnType<typeof setInterval> | null = null;
  readonly done: Promise<void>;

  private constructor(conn: Deno.TcpConn, replyTimeoutMs: number) {
    this.#conn = conn;
    this.#replyTimeoutMs = replyTimeoutMs;
    conn.setNoDelay(true);
    this.done = this.#readLoop();
  }

  static async open(options: RespConnectionOptions): Promise<RespConnection> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new RespConnectionError("Connect timed out", false)),
        options.connectTimeoutMs,
      );
    });
    try {
      const conn = await Promise.race([
        Deno.connect({ hostname: options.hostname, port: options.port }),
        timeout,
      ]);
      const connection = new RespConnection(conn, options.replyTimeoutMs ?? 0);
      if (options.password) {
        const reply = await connection.send(["AUTH", options.password]);
        if (reply.kind === "error") {
          connection.close();
          throw new RespConnectionError(`AUTH failed: ${reply.value}`, false);
        }
      }
      return connection;
    } catch (error) {
      if (error instanceof RespConnectionError) throw error;
      throw new RespConnectionError(`Cannot connect: ${(error as Error).message}`, false, {
        cause: error,
      });
    } finally {
      clearTimeout(timer);
    }
  }

  /** True once closed, or retiring (closeWhenIdle): either way it takes no new commands. */
  get closed(): boolean {
    return this.#closed || this.#retiring;
  }

  /** Commands in flight (sent or queued, not answered). */
  get inflight(): number {
    return this.#waiting.length - this.#waitingHead;
  }

  /** Queues one command; several in one turn are written together. */
  send(argv: readonly string[]): Promise<Reply> {
    return this.sendMany([argv]).then((replies) => replies[0]);
  }

  /** Queues commands back to back on this connection (MULTI ... EXEC stays contiguous). */
  sendMany(commands: readonly (readonly string[])[]): Promise<Reply[]> {
    if (this.#closed || this.#retiring) {
      return Promise.reject(new RespConnectionError("Connection is closed", false));
    }
    if (this.#replyTimeoutMs > 0) {
      if (this.inflight === 0) this.#progressMs = Date.now();
      this.#watchdog ??= this.#startWatchdog();
    }
    const promises = commands.map((argv) => {
      this.#outbox.push(encodeCommand(argv));
      return new Promise<Reply>((resolve, reject) => this.#waiting.push({ resolve, reject }));
    });
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      queueMicrotask(() => this.#flush());
    }
    return Promise.all(promises);
  }

  async #flush(): Promise<void> {
    this.#flushScheduled = false;
    const parts = this.#outbox;
    this.#outbox = [];
    if (parts.length === 0 || this.#closed) return;
    let bytes: Uint8Array;
    if (parts.length === 1) {
      bytes = parts[0];
    } else {
      bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let offset = 0;
      for (const part of parts) {
        bytes.set(part, offset);
        offset += part.length;
      }
    }
    try {
      for (let written = 0; written < bytes.length;) {
        written += await this.#conn.write(bytes.subarray(written));
      }
    } catch (error) {
      this.#fail(new RespConnectionError(`Write failed: ${(error as Error).message}`, true));
    }
  }

  async #readLoop(): Promise<void> {
    const chunk = new Uint8Array(64 * 1024);
    try {
      while (true) {
        const n = await this.#conn.read(chunk);
        if (n === null) break;
        if (this.#replyTimeoutMs > 0) this.#progressMs = Date.now();
        this.#parser.feed(chunk.subarray(0, n));
        for (let reply = this.#parser.next(); reply; reply = this.#parser.next()) {
          const pending = this.#waiting[this.#waitingHead++];
          if (!pending) throw new Error("Reply without a request");
          pending.resolve(reply);
          if (this.#retiring && this.inflight === 0) {
            this.close();
            return;
          }
          if (this.#waitingHead > 1024 && this.#waitingHead * 2 > this.#waiting.length) {
            this.#waiting = this.#waiting.slice(this.#waitingHead);
            this.#waitingHead = 0;
          }
        }
      }
      this.#fail(new RespConnectionError("Connection closed by server", true));
    } catch (error) {
      this.#fail(new RespConnectionError(`Read failed: ${(error as Error).message}`, true));
    }
  }

  /** One timer per busy connection; it stops itself once nothing is in flight. */
  #startWatchdog(): ReturnType<typeof setInterval> {
    const timeoutMs = this.#replyTimeoutMs;
    const timer = setInterval(() => {
      if (this.#closed || this.inflight === 0) {
        clearInterval(timer);
        if (this.#watchdog === timer) this.#watchdog = null;
      } else if (Date.now() - this.#progressMs > timeoutMs) {
        this.#fail(new RespReplyTimeoutError(`No reply in ${timeoutMs} ms`, true));
      }
    }, Math.max(10, Math.floor(timeoutMs / 4)));
    Deno.unrefTimer(timer);
    return timer;
  }

  #fail(error: RespConnectionError): void {
    if (this.#watchdog !== null) {
      clearInterval(this.#watchdog);
      this.#watchdog = null;
    }
    const waiting = this.#waiting.slice(this.#waitingHead);
    this.#waiting = [];
    this.#waitingHead = 0;
    if (!this.#closed) {
      this.#closed = true;
      try {
        this.#conn.close();
      } catch (closeError) {
        // Already closed by the peer or by close(); nothing else to release.
        void closeError;
      }
    }
    for (const pending of waiting) pending.reject(error);
  }

  close(): void {
    this.#fail(new RespConnectionError("Connection closed by client", true));
  }

  /**
   * Takes no new commands and closes once every command in flight has its reply (at once when
   * none is). A client moving to another node retires its old connections this way: closing
   * them outright would fail the writes still waiting there with an unknown outcome, though
   * the node may answer them in a moment.
   */
  closeWhenIdle(): void {
    if (this.#closed) return;
    this.#retiring = true;
    if (this.inflight === 0) this.close();
  }
}
