/**
 * `HELIOS.BACKUP [source]`: the whole keyspace as one backup file (format.ts), in one bulk reply.
 * The handler runs synchronously, so the copy is consistent: no write interleaves. In a Raft
 * cluster it is a read, served after a ReadIndex barrier like any linearizable read.
 */
import { Buffer } from "node:buffer";
import type { Store } from "../../atlas/mod.ts";
import { encodeBackup } from "./format.ts";

export const BACKUP_COMMAND = "helios.backup";

export function registerBackupCommand(store: Store): void {
  if (store.commands.has(BACKUP_COMMAND)) return;
  store.registerCommand(
    {
      name: BACKUP_COMMAND,
      arity: -1,
      flags: ["readonly", "admin"],
      firstKey: 0,
      lastKey: 0,
      step: 0,
      group: "server",
    },
    (inner, argv) => {
      const view = inner.snapshotView();
      const entries = [];
      try {
        for (let e = view.next(); e !== null; e = view.next()) entries.push(e);
      } finally {
        view.close();
      }
      const bytes = encodeBackup(
        { createdAt: new Date().toISOString(), source: argv[1] ?? "atlas", keys: entries.length },
        entries,
      );
      return { reply: { kind: "bulk", value: Buffer.from(bytes).toString("latin1") }, log: null };
    },
  );
}
