/**
 * AtlasClient over an in-process executor (the embedded engine of `helios serve`). A write's
 * promise resolves only after the executor's group-commit sync, so callers get the same
 * durability as a RESP client would.
 */
import { type CommandExecutor, error as errorReply, type Reply } from "../../atlas/mod.ts";
import type { AtlasClient, Value } from "./atlas_client.ts";
import { replyToValue, toArgv } from "./reply_value.ts";

export class EmbeddedAtlasClient implements AtlasClient {
  constructor(private readonly executor: CommandExecutor) {}

  async call(command: string, ...args: (string | number)[]): Promise<Value> {
    const reply = await this.executor.execute(toArgv(command, args));
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
    await this.executor.sync();
    return replies.map(replyToValue);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
