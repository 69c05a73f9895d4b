/**
 * AtlasClient over an in-process executor (the embedded engine of `helios serve`). A write's
 * promise resolves only after the executor's group-commit sync, so callers get the same
 * durability as a RESP client would. While a RESP client's script runs past
 * busy-reply-threshold the engine runs nothing else: calls fail with 503 (`atlas_busy`).
 */
import { UnavailableError } from "../errors/app_error.ts";
import { type CommandExecutor, error as errorReply, type Reply } from "../../atlas/mod.ts";
import type { AtlasClient, Value } from "./atlas_client.ts";
import { replyToValue, toArgv } from "./reply_value.ts";

export class EmbeddedAtlasClient implements AtlasClient {
  constructor(private readonly executor: CommandExecutor) {}

  async call(command: string, ...args: (string | number)[]): Promise<Value> {
    const reply = this.#notBusy(await this.executor.execute(toArgv(command, args)));
    await this.executor.sync();
    return replyToValue(reply);
  }

  async transaction(commands: (string | number)[][]): Promise<Value[]> {
    // The embedded executor runs synchronously on one thread, so executing the commands back to
    // back without awaiting in between is atomic: nothing else can interleave.
    const pending: (Reply | Promise<Reply>)[] = commands.map(([command, ...args]) =>
      this.executor.execute(toArgv(String(command), args))
    );
    const replies = await Promise.all(
      pending.map((p) => Promise.resolve(p).catch((e) => errorReply(String(e)))),
    );
    for (const reply of replies) this.#notBusy(reply);
    await this.executor.sync();
    return replies.map(replyToValue);
  }

  /** The reply, unless the engine refused the command because a script is busy (not run). */
  #notBusy(reply: Reply): Reply {
    if (
      reply.kind === "error" && reply.value.startsWith("BUSY ") &&
      (this.executor.busyScript ?? null) !== null
    ) {
      throw new UnavailableError(
        "ATLAS is busy running a script (SCRIPT KILL or FUNCTION KILL stops it)",
        "atlas_busy",
        1,
      );
    }
    return reply;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
