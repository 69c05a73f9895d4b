/**
 * Commands that exist for the cluster layer. They are registered in every store so the RESP
 * server routes them to the executor; the replicated executor intercepts them, and a standalone
 * node answers them with a clear error (or runs the wrapped command directly).
 */
import { bulk, type CommandSpec, error, OK, type Store } from "../../atlas/mod.ts";
import { encodeReply } from "./reply_codec.ts";

/** `HELIOS.FORWARDED <command...>`: a write a follower forwarded; never forwarded again. */
export const FORWARDED = "helios.forwarded";
/**
 * `HELIOS.FWD <command...>`: the same, a command or a HELIOS.TX block, answered with the reply
 * encoded whole (reply_codec.ts, a bulk string) so the follower renders it for its client exactly
 * as the leader would have, in RESP2 or RESP3: over the forwarding connection's RESP2 a map, a
 * double or RESP3's nested pairs came back as plain arrays and strings (XREADGROUP, ZINCRBY...).
 */
export const FORWARDED_ENCODED = "helios.fwd";
/** `HELIOS.TX <count> (<argc> <arg>...)...`: a follower's MULTI/EXEC block, forwarded as one. */
export const TRANSACTION = "helios.tx";
/**
 * `HELIOS.TXDB <count> (<db> <argc> <arg>...)...`: the same with each command's database, for a
 * block with commands outside database 0 (SELECT before MULTI or inside it).
 */
export const TRANSACTION_IN_DATABASES = "helios.txdb";
/**
 * `HELIOS.INDB <db> <command...>`, inside HELIOS.FWD: a forwarded write of a client that
 * SELECTed another database than 0. A leader from before databases in a cluster answers it as an
 * unknown command, having run nothing, rather than writing to database 0.
 */
export const IN_DATABASE = "helios.indb";
/**
 * `HELIOS.PUBLISH publish|spublish <channel> <message>`: a client's PUBLISH in a cluster, an entry
 * of the log that every node delivers to its own subscribers as it applies it.
 */
export const PUBLISH = "helios.publish";
/** `HELIOS.CLUSTER STATUS | ADD-PEER id raftAddr | REMOVE-PEER id | TRANSFER-LEADER id`. */
export const CLUSTER = "helios.cluster";

/** A block's commands and each one's database (absent: all in database 0). */
export interface Transaction {
  commands: string[][];
  dbs?: number[];
}

/** Flattens a MULTI/EXEC block into HELIOS.TX's (or, with other databases, HELIOS.TXDB's) arguments. */
export function encodeTransaction(commands: string[][], dbs?: number[]): string[] {
  const inDatabases = dbs !== undefined && dbs.some((db) => db !== 0);
  const argv = [inDatabases ? TRANSACTION_IN_DATABASES : TRANSACTION, String(commands.length)];
  commands.forEach((command, i) => {
    if (inDatabases) argv.push(String(dbs[i]));
    argv.push(String(command.length), ...command);
  });
  return argv;
}

/** The commands of a HELIOS.TX or HELIOS.TXDB argv, or null when it is malformed. */
export function decodeTransaction(argv: string[]): Transaction | null {
  const inDatabases = argv[0].toLowerCase() === TRANSACTION_IN_DATABASES;
  const count = Number(argv[1]);
  if (!Number.isSafeInteger(count) || count < 0) return null;
  const commands: string[][] = [];
  const dbs: number[] = [];
  let at = 2;
  for (let i = 0; i < count; i++) {
    if (inDatabases) {
      const db = Number(argv[at++]);
      if (!Number.isSafeInteger(db) || db < 0) return null;
      dbs.push(db);
    }
    const argc = Number(argv[at++]);
    if (!Number.isSafeInteger(argc) || argc < 1 || at + argc > argv.length) return null;
    commands.push(argv.slice(at, at + argc));
    at += argc;
  }
  if (at !== argv.length) return null;
  return inDatabases ? { commands, dbs } : { commands };
}

/** Whether argv is a forwarded block (HELIOS.TX or HELIOS.TXDB). */
export function isTransaction(argv: readonly string[]): boolean {
  const name = argv[0].toLowerCase();
  return name === TRANSACTION || name === TRANSACTION_IN_DATABASES;
}

/** The spec of a cluster command: keyless, any number of arguments, in the server group. */
function internalCommand(name: string, flag: "write" | "admin"): CommandSpec {
  return { name, arity: -2, flags: [flag], firstKey: 0, lastKey: 0, step: 0, group: "server" };
}

export function registerClusterCommands(store: Store): void {
  store.registerCommand(
    internalCommand(TRANSACTION, "write"),
    (inner, argv, ctx) => {
      const block = decodeTransaction(argv);
      if (block === null) return { reply: error("ERR malformed HELIOS.TX"), log: null };
      const results = block.commands.map((command) => inner.execute(command, ctx));
      const logs = results.flatMap((r) => r.log ?? []);
      return {
        reply: { kind: "array", value: results.map((r) => r.reply) },
        log: logs.length > 0 ? logs : null,
      };
    },
  );
  store.registerCommand(
    internalCommand(FORWARDED, "write"),
    (inner, argv, ctx) => inner.execute(argv.slice(1), ctx),
  );
  store.registerCommand(
    internalCommand(FORWARDED_ENCODED, "write"),
    (inner, argv, ctx) => {
      const result = inner.execute(argv.slice(1), ctx);
      return { reply: bulk(encodeReply(result.reply)), log: result.log };
    },
  );
  store.registerCommand(
    { ...internalCommand(PUBLISH, "write"), arity: 4 },
    (inner, argv, ctx) => {
      const kind = argv[1].toLowerCase();
      if (kind !== "publish" && kind !== "spublish") {
        return { reply: error("ERR HELIOS.PUBLISH takes publish or spublish"), log: null };
      }
      // The server's hook delivers to this node's subscribers (none without a server: nothing
      // to deliver to). Pub/sub is not data: nothing is logged or kept.
      inner.scriptServerHook?.call([kind, argv[2], argv[3]], ctx);
      return { reply: OK, log: null };
    },
  );
  store.registerCommand(
    internalCommand(CLUSTER, "admin"),
    () => ({
      reply: error("ERR This node is not in Raft cluster mode (start it with --raft)"),
      log: null,
    }),
  );
}
