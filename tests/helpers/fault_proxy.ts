/**
 * A TCP proxy for one network link, used to partition Raft peers in real-process tests: node A
 * dials node B through it (A's --raft-peers names the proxy), and `block()` cuts the link by
 * closing its connections and refusing new ones until `unblock()`.
 */
export class FaultProxy {
  #blocked = false;
  readonly #pairs = new Set<Deno.Conn>();
  readonly #accepting: Promise<void>;

  private constructor(
    private readonly listener: Deno.TcpListener,
    private readonly targetPort: number,
  ) {
    this.#accepting = this.#acceptLoop();
  }

  static start(targetPort: number): FaultProxy {
    return new FaultProxy(Deno.listen({ hostname: "127.0.0.1", port: 0 }), targetPort);
  }

  get port(): number {
    return this.listener.addr.port;
  }

  get blocked(): boolean {
    return this.#blocked;
  }

  block(): void {
    this.#blocked = true;
    for (const conn of this.#pairs) closeQuietly(conn);
    this.#pairs.clear();
  }

  unblock(): void {
    this.#blocked = false;
  }

  async close(): Promise<void> {
    this.block();
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
    try {
      outbound = await Deno.connect({ hostname: "127.0.0.1", port: this.targetPort });
    } catch {
      closeQuietly(inbound);
      return;
    }
    // Like the peers themselves: without it, Nagle plus the far end's delayed ACK adds 40 ms
    // stalls to a one-way stream of small frames, which is what a Raft link is.
    (inbound as Deno.TcpConn).setNoDelay(true);
    (outbound as Deno.TcpConn).setNoDelay(true);
    this.#pairs.add(inbound).add(outbound);
    const done = () => {
      closeQuietly(inbound);
      closeQuietly(outbound);
      this.#pairs.delete(inbound);
      this.#pairs.delete(outbound);
    };
    await Promise.allSettled([
      inbound.readable.pipeTo(outbound.writable),
      outbound.readable.pipeTo(inbound.writable),
    ]);
    done();
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
