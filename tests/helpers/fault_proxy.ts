/**
 * A TCP proxy for one network link, used to partition Raft peers in real-process tests: node A
 * dials node B through it (A's --raft-peers names the proxy; or B's resp_addr in A's peer list,
 * for the link A forwards writes to B over), and `block()` cuts the link by closing its
 * connections and refusing new ones until `unblock()`. `stall()` cuts it the way a dropped route
 * or a firewall DROP does: connections stay open but nothing gets through, and new ones are
 * accepted but never reach the target, until `unblock()`.
 */
export class FaultProxy {
  #blocked = false;
  #stalled = false;
  #resume: () => void = () => {};
  #resumed: Promise<void> = Promise.resolve();
  readonly #pairs = new Set<Deno.Conn>();
  readonly #accepting: Promise<void>;

  private constructor(
    private readonly listener: Deno.TcpListener,
    private targetPort: number,
  ) {
    this.#accepting = this.#acceptLoop();
  }

  static start(targetPort: number): FaultProxy {
    return new FaultProxy(Deno.listen({ hostname: "127.0.0.1", port: 0 }), targetPort);
  }

  get port(): number {
    return this.listener.addr.port;
  }

  /**
   * Sends new connections to `port` from now on (a node restarted on another port); open ones
   * stay where they are. Port 0: nothing listens yet, new connections are closed at once.
   */
  retarget(port: number): void {
    this.targetPort = port;
  }

  get blocked(): boolean {
    return this.#blocked;
  }

  block(): void {
    this.#blocked = true;
    for (const conn of this.#pairs) closeQuietly(conn);
    this.#pairs.clear();
  }

  stall(): void {
    if (this.#stalled) return;
    this.#stalled = true;
    this.#resumed = new Promise((resolve) => (this.#resume = resolve));
  }

  unblock(): void {
    this.#blocked = false;
    this.#stalled = false;
    this.#resume();
  }

  /** Resolves once the link is not stalled. */
  async #passable(): Promise<void> {
    while (this.#stalled) await this.#resumed;
  }

  async close(): Promise<void> {
    this.block();
    this.#stalled = false;
    this.#resume(); // stalled relays see their closed connections and end
    this.listener.close();
    await this.#accepting;
  }

  async #acceptLoop(): Promise<void> {
    for (;;) {
      let inbound: Deno.Conn;
      try {
        inbound = await this.listener.accept();
      } catch {
        return; // listener closed
      }
      if (this.#blocked) {
        closeQuietly(inbound);
        continue;
      }
      this.#pipe(inbound);
    }
  }

  async #pipe(inbound: Deno.Conn): Promise<void> {
    let outbound: Deno.Conn;
    this.#pairs.add(inbound);
    await this.#passable();
    if (this.#blocked) {
      this.#pairs.delete(inbound);
      return closeQuietly(inbound);
    }
    try {
      if (this.targetPort === 0) throw new Error("no target yet");
      outbound = await Deno.connect({ hostname: "127.0.0.1", port: this.targetPort });
    } catch {
      closeQuietly(inbound);
      this.#pairs.delete(inbound);
      return;
    }
    // Like the peers themselves: without it, Nagle plus the far end's delayed ACK adds 40 ms
    // stalls to a one-way stream of small frames, which is what a Raft link is.
    try {
      (inbound as Deno.TcpConn).setNoDelay(true);
      (outbound as Deno.TcpConn).setNoDelay(true);
    } catch {
      // Closed meanwhile (block(), close()): a "Bad resource ID" here was an uncaught error.
      closeQuietly(inbound);
      closeQuietly(outbound);
      this.#pairs.delete(inbound);
      return;
    }
    this.#pairs.add(inbound).add(outbound);
    const done = () => {
      closeQuietly(inbound);
      closeQuietly(outbound);
      this.#pairs.delete(inbound);
      this.#pairs.delete(outbound);
    };
    await Promise.allSettled([this.#relay(inbound, outbound), this.#relay(outbound, inbound)]);
    done();
  }

  /** Copies one direction; while stalled, bytes wait here (the sender's TCP buffers fill up). */
  async #relay(from: Deno.Conn, to: Deno.Conn): Promise<void> {
    const buffer = new Uint8Array(64 * 1024);
    try {
      for (;;) {
        await this.#passable();
        const n = await from.read(buffer);
        if (n === null) break;
        await this.#passable();
        let written = 0;
        while (written < n) written += await to.write(buffer.subarray(written, n));
      }
    } catch {
      // Closed by block(), by the peer, or by the other direction.
    }
    closeQuietly(from);
    closeQuietly(to);
  }
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Already closed by the other direction of the pipe.
  }
}

/** Ports for listeners that must be known before they start (Raft peers name each other). */
export { freePort } from "../../atlas/testing/atlasd_harness.ts";
