/**
 * Commands that exist for the cluster layer. They are registered in every store so the RESP
 * server routes them to the executor; the replicated executor intercepts them, and a standalone
 * node answers them with a clear error (or runs the wrapped command directly).
 */
import { error, type Store } from "../../atlas/mod.ts";

/** `HELIOS.FORWARDED <command...>`: a write a follower forwarded; never forwarded again. */
export const FORWARDED = "helios.forwarded";
/** `HELIOS.CLUSTER STATUS | ADD-PEER id raftAddr | REMOVE-PEER id | TRANSFER-LEADER id`. */
export const CLUSTER = "helios.cluster";

export function registerClusterCommands(store: Store): void {
  store.registerCommand(
    {
      name: FORWARDED,
      arity: -2,
      flags: ["write"],
      firstKey: 0,
      lastKey: 0,
      step: 0,
      group: "server",
    },
    (inner, argv, ctx) => inner.execute(argv.slice(1), ctx),
  );
  store.registerCommand(
    {
      name: CLUSTER,
      arity: -2,
      flags: ["admin"],
      firstKey: 0,
      lastKey: 0,
      step: 0,
      group: "server",
    },
    () => ({
      reply: error("ERR This node is not in Raft cluster mode (start it with --raft)"),
      log: null,
    }),
  );
}
