/**
 * Registers the JOB.* commands into an ATLAS store. Call it on every store that may run them: the
 * embedded engine of `helios serve`, `helios atlasd`, and every Raft replica (before loading the
 * AOF or applying the log, since both contain JOB.* commands).
 */
import { bulk, error, NIL, type Store } from "../../atlas/mod.ts";
import { QUEUE_COMMANDS, runQueueCommand } from "./commands.ts";
import { StoreQueueData } from "./store_data.ts";

export function registerQueueCommands(store: Store): void {
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
      const outcome = runQueueCommand(def, data, argv.slice(1));
      // The command itself is the log entry: replaying it with the same argv (time and seed
      // included) redoes exactly the nested changes. Nothing changed, nothing logged.
      const log = data.dirty ? [argv] : null;
      if (!outcome.ok) return { reply: error(outcome.error), log };
      const value = outcome.value;
      return { reply: value === null ? NIL : bulk(JSON.stringify(value)), log };
    });
  }
}
