/**
 * A script run that paused half-way (LuaVm's PAUSED) as the store's PausedScript: each resume()
 * runs it on for a slice, and its end answers the command — its reply, and the log of the
 * commands it ran. Shared by EVAL and FCALL.
 */
import type { Reply } from "../store/reply.ts";
import { type ExecResult, PAUSED_REPLY, type PausedScript } from "../store/store.ts";
import { type LuaVm, PAUSED, type RunOutcome } from "./lua_vm.ts";

export interface PausedRunOptions {
  vm: LuaVm;
  kind: PausedScript["kind"];
  name: string;
  argv: readonly string[];
  startedMs: number;
  /** Whether the script called a write command so far (the script host knows). */
  wrote: () => boolean;
  /** The log its commands write to. */
  log: string[][];
  /** What a fault inside the VM answers (the caller drops that VM). */
  onFault: (cause: unknown) => Reply;
}

export function pausedRun(o: PausedRunOptions): PausedScript {
  const paused: PausedScript = {
    kind: o.kind,
    name: o.name,
    argv: o.argv,
    startedMs: o.startedMs,
    wrote: o.wrote,
    kill: () => o.vm.killRun(),
    resume: (): ExecResult => {
      let outcome: RunOutcome;
      try {
        outcome = o.vm.resumeRun();
      } catch (cause) {
        outcome = o.onFault(cause);
      }
      if (outcome === PAUSED) return { reply: PAUSED_REPLY, log: null, paused };
      return { reply: outcome, log: o.log.length === 0 ? null : o.log };
    },
  };
  return paused;
}
