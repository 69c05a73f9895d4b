/**
 * A Store-backed CommandExecutor for server tests: records every argv it ran (the would-be log).
 * `async`: answers with a Promise and applies each command a tick later, in order, like a
 * replicated executor. `nowMs` is the clock the commands see (default: the real one).
 */
import type { CommandExecutor } from "../executor.ts";
import type { Reply } from "../store/reply.ts";
import { Store } from "../store/store.ts";

export class RecordingExecutor implements CommandExecutor {
  readonly store = new Store();
  readonly ran: string[][] = [];
  #applied: Promise<unknown> = Promise.resolve();

  constructor(readonly async = false, readonly nowMs: () => number = Date.now) {}

  execute(argv: string[]): Reply | Promise<Reply> {
    this.ran.push(argv);
    const apply = () => this.store.execute(argv, { nowMs: this.nowMs(), random: () => 0.5 }).reply;
    if (!this.async) return apply();
    const reply = this.#applied.then(() => new Promise<Reply>((r) => setTimeout(() => r(apply()))));
    this.#applied = reply;
    return reply;
  }

  sync(): Promise<void> {
    return Promise.resolve();
  }
}
