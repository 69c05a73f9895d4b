import type { Reply } from "./store/reply.ts";
import type { PausedScript } from "./store/store.ts";

/**
 * What the RESP server (and any in-process caller) runs commands against. The embedded engine
 * answers synchronously; a Raft-replicated executor answers with a Promise once the command is
 * committed and applied. Callers keep per-connection reply order either way.
 *
 * Durability contract: a caller must not release the reply to a write before `sync()` called
 * after that write has resolved. `sync()` is group commit: every call made in the same event-loop
 * turn shares one write + fsync (under `every`), or one write (under `interval` and `none`).
 */
export interface CommandExecutor {
  /**
   * Runs one command. `argv[0]` is the command name in any case; all items are binary strings.
   * `db`: the database (SELECT index) it runs against, 0 when absent; an executor with one
   * database never gets another. `interruptible`: true for a client's own command, "exec" for
   * one an EXEC runs: a script it runs may pause (see busyScript) and the command answer a
   * Promise (the EXEC then waits for it before its next command).
   */
  execute(argv: string[], db?: number, interruptible?: boolean | "exec"): Reply | Promise<Reply>;
  /**
   * The script that paused half-way through a client's command (`interruptible`: Redis's script
   * past busy-reply-threshold), or null: while there is one, every execute answers BUSY and the
   * server answers its clients BUSY too, but for the allow-busy commands. Optional: an executor
   * whose scripts always run to their end (a Raft replica) has none.
   */
  readonly busyScript?: PausedScript | null;
  /** Resolves when every write executed so far is as durable as the configured mode promises. */
  sync(): Promise<void>;
  /**
   * Whether some write (anyone's) is not yet durable. A reply that could show such a write — a
   * read of a key another client just wrote — waits for `sync()` too, as Redis sends no reply
   * before its AOF flush. Optional: executors without it only sync after their own writes.
   */
  hasUnsyncedWrites?(): boolean;
  /**
   * Runs a MULTI/EXEC block as one unit, when the executor cannot otherwise guarantee that
   * nothing interleaves (a replicated executor puts the block in one Raft entry). Optional: EXEC
   * on a synchronous executor simply runs the commands back to back. `watched`: the client's
   * watched keys as `<db>:<key>` (atlas/server/watches.ts watchId); `dbs`: each command's
   * database (absent: all in database 0).
   */
  executeTransaction?(
    commands: string[][],
    watched?: Iterable<string>,
    dbs?: number[],
  ): Promise<Reply[] | null>;
  /**
   * Whether this executor refuses memory-growing writes before running them (a Raft node near
   * its V8 heap limit, which cannot mark its store: replicas must apply alike). MULTI then queues
   * nothing and EXEC refuses a block holding such a write, as the store's own outOfMemory makes
   * them. Optional: an executor whose store says it itself.
   */
  outOfMemory?(): boolean;
  /**
   * Delivers a PUBLISH or SPUBLISH to the subscribers of every node: a replicated executor sends
   * it through its log, and each node delivers it to its own subscribers as it applies the entry
   * (after the writes before it). Optional: a single node's server delivers it itself.
   */
  publish?(kind: "publish" | "spublish", channel: string, message: string): Promise<Reply>;
  /**
   * Resolves once this node has applied every write acknowledged anywhere before the call (on a
   * Raft follower, a ReadIndex round), with null, or with the error to answer when it cannot
   * tell; returns null when nothing needs waiting for. EXEC awaits it before judging WATCHed
   * keys: a write another node acknowledged must mark them dirty. Optional: a single node has
   * applied every write it acknowledged.
   */
  barrier?(): Promise<Reply | null> | null;
}
