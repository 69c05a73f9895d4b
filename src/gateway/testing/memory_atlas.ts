/**
 * Test support: an embedded AtlasClient over a bare in-memory Store (no disk), with the module
 * commands of the gateway (KV.CAS/KV.CAD, RL.TAKE) and the job queue registered, and time from
 * an injectable clock.
 */
import { Store } from "../../../atlas/store/store.ts";
import { EmbeddedAtlasClient } from "../../storage/embedded_client.ts";
import { registerKvCommands } from "../../kv/mod.ts";
import { registerRateLimitCommands } from "../../ratelimit/mod.ts";
import { registerQueueCommands } from "../../queue/mod.ts";
import { type Clock, systemClock } from "../../lib/clock.ts";

export function memoryAtlas(
  clock: Clock = systemClock,
): { store: Store; client: EmbeddedAtlasClient } {
  const store = new Store();
  registerKvCommands(store);
  registerRateLimitCommands(store);
  registerQueueCommands(store);
  const client = new EmbeddedAtlasClient({
    execute: (argv) => store.execute(argv, { nowMs: clock.nowMs(), random: Math.random }).reply,
    sync: () => Promise.resolve(),
  });
  return { store, client };
}
