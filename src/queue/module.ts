/**
 * Registers the JOB.* commands into an ATLAS store. Call it on every store that may run them: the
 * embedded engine of `helios serve` / `helios gateway`, `helios atlasd`, and every Raft replica
 * (a replicated JOB.* command is applied by each). What a JOB.* command logs are the primitive
 * commands it ran, so AOF recovery does not need the module.
 */
import { bulk, error, NIL, type Store } from "../../atlas/mod.ts";
import { QUEUE_COMMANDS, runQueueCommand } from "./commands.ts";
import { StoreQueueData } from "./store_data.ts";
import { MetaCache } from "./table.ts";

export function registerQueueCommands(store: Store): void {
  // One per store: its entries are checked against this store's keys only.
  const cache = new MetaCache();
  for (const def of QUEUE_COMMANDS) {
    const spec: Parameters<Store["registerCommand"]>[0] = {
      name: def.name,
      arity: def.arity,
      flags: def.write ? ["write", "denyoom"] : ["readonly"],
      firstKey: 0,
      lastKey: 0,
      step: 0,
      group: "queue",
    };
    store.registerCommand(spec, (s, argv, ctx) => {
      const data = new StoreQueueData(s, ctx);
      const outcome = runQueueCommand(def, data, argv.slice(1), cache);
      // The log is the plain commands the transition ran (SET/ZADD/ZREM ...), so replaying the AOF
      // needs no module and is exact. Nothing changed, nothing logged.
      const log = data.log.length > 0 ? data.log : null;
      if (!outcome.ok) return { reply: error(outcome.error), log };
      const value = outcome.value;
      return { reply: value === null ? NIL : bulk(JSON.stringify(value)), log };
    });
  }
}
