/**
 * Test support: a real ATLAS Store (in memory, no disk) with the JOB.* commands registered, behind
 * an EmbeddedAtlasClient; every command's log is kept so tests can replay it into a fresh store.
 */
import { Store } from "../../../atlas/mod.ts";
import { type Clock, systemClock } from "../../lib/clock.ts";
import { EmbeddedAtlasClient } from "../../storage/embedded_client.ts";
import { registerQueueCommands } from "../module.ts";

export interface MemoryJobs {
  store: Store;
  client: EmbeddedAtlasClient;
  log: string[][];
}

export function memoryJobs(clock: Clock = systemClock): MemoryJobs {
  const store = new Store();
  registerQueueCommands(store);
  const log: string[][] = [];
  const client = new EmbeddedAtlasClient({
    execute: (argv) => {
      const result = store.execute(argv, { nowMs: clock.nowMs(), random: Math.random });
      if (result.log) log.push(...result.log);
      return result.reply;
    },
    sync: () => Promise.resolve(),
  });
  return { store, client, log };
}

/** A fresh store with the module, fed `log` as a replay (AOF load / Raft apply). */
export function replayInto(log: string[][], nowMs: number): Store {
  const store = new Store();
  registerQueueCommands(store);
  for (const argv of log) store.execute(argv, { nowMs, random: () => 0, replaying: true });
  return store;
}
