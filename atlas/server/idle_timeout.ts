/**
 * Redis's `timeout`: a client that sent nothing for that many seconds is closed. As in Redis
 * (clientsCronHandleTimeout), subscribers, monitors, blocked clients (BLPOP, WAIT, XREAD BLOCK)
 * and clients held by CLIENT PAUSE are never idle: they wait for the server, not the other way
 * round. A blocked command's own timeout is its business.
 */
import type { ServerContext } from "./context.ts";

/** The sweep runs from the server's 100 ms sampler but looks at the clients once a second. */
const SWEEP_EVERY_MS = 1000;

export class IdleTimeout {
  /** Seconds; 0 = never (CONFIG SET timeout). */
  seconds = 0;
  #lastSweepMs = 0;

  /** Closes the clients idle past the timeout; cheap when off or swept recently. */
  sweep(ctx: ServerContext, nowMs: number): void {
    if (this.seconds === 0 || nowMs - this.#lastSweepMs < SWEEP_EVERY_MS) return;
    this.#lastSweepMs = nowMs;
    // Whole seconds, as Redis compares its unixtime with lastinteraction: idle when more than
    // `seconds` clock seconds apart, so a client active every `seconds` is never closed.
    const nowS = Math.floor(nowMs / 1000);
    for (const client of [...ctx.clients.values()]) {
      if (
        nowS - Math.floor(client.lastInteractionMs / 1000) <= this.seconds || client.closed ||
        client.subscriptionCount > 0 || client.unblock !== null || ctx.monitors.has(client) ||
        ctx.pause.isHeld(client)
      ) continue;
      ctx.disconnect(client);
    }
  }
}
