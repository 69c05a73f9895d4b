/**
 * An in-process atlasd for blocking-command tests: a RecordingExecutor behind a server on a free
 * port, clients closed afterwards, and a wait until `n` clients are blocked (so a write that
 * follows must wake them).
 */
import { type AtlasServer, startAtlasServer } from "../server.ts";
import { RawClient } from "./atlasd_harness.ts";
import type { RecordingExecutor } from "./recording_executor.ts";

export interface BlockingEnv {
  readonly server: AtlasServer;
  readonly executor: RecordingExecutor;
  /** Connects a client; closed when the test ends. proto 3 sends HELLO 3 first. */
  connect(proto?: 2 | 3): Promise<RawClient>;
  /** Resolves once `n` clients are blocked. */
  blocked(n: number): Promise<void>;
}

export async function withBlockingServer(
  executor: RecordingExecutor,
  fn: (env: BlockingEnv) => Promise<void>,
): Promise<void> {
  const server = startAtlasServer({ executor, store: executor.store, port: 0 });
  const clients: RawClient[] = [];
  const env: BlockingEnv = {
    server,
    executor,
    async connect(proto = 2) {
      const c = await RawClient.connect(server.addr.port);
      clients.push(c);
      if (proto === 3) await c.one("HELLO", "3");
      return c;
    },
    async blocked(n) {
      const giveUp = Date.now() + 10_000; // a guard against hanging, not a timing assertion
      while (server.stats.blockedClients !== n) {
        if (Date.now() > giveUp) {
          throw new Error(`${server.stats.blockedClients} blocked, not ${n}`);
        }
        await new Promise((r) => setTimeout(r, 2));
      }
    },
  };
  try {
    await fn(env);
  } finally {
    for (const c of clients) await c.close();
    await server.close();
  }
}
