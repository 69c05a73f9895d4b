/**
 * A script command's result from its Lua run, shared by EVAL and FCALL: the run's reply and the
 * log of the commands it ran — or, when the run paused half-way (LuaVm's PAUSED, past
 * busy-reply-threshold), the store's PausedScript, whose resume() runs it on a slice at a time
 * until it ends the same way.
 */
import type { Reply } from "../store/reply.ts";
import { type ExecResult, PAUSED_REPLY, type PausedScript } from "../store/store.ts";
import { type LuaVm, PAUSED, type RunOutcome } from "./lua_vm.ts";

export interface ScriptRunOptions {
  vm: LuaVm;
  kind: PausedScript["kind"];
  /** The script's SHA1 or the function's name. */
  name: string;
  argv: readonly string[];
  /** Starts the run on `vm` (LuaVm.run or callFunction). */
  start: () => RunOutcome;
  /** Whether the script called a write command so far (the script host knows). */
  wrote: () => boolean;
  /** The log its commands write to. */
  log: string[][];
  /** What a fault inside the VM (not a Lua error) answers. */
  onFault: (cause: unknown) => Reply;
}

export function runScript(o: ScriptRunOptions): ExecResult {
  const startedMs = performance.now();
  let outcome: RunOutcome;
  try {
    outcome = o.start();
  } catch (cause) {
    outcome = o.onFault(cause);
  }
  return resultOf(o, outcome, startedMs);
}

function resultOf(o: ScriptRunOptions, outcome: RunOutcome, startedMs: number): ExecResult {
  if (outcome === PAUSED) return { reply: PAUSED_REPLY, log: null, paused: paused(o, startedMs) };
  return { reply: outcome, log: o.log.length === 0 ? null : o.log };
}

function paused(o: ScriptRunOptions, startedMs: number): PausedScript {
  const script: PausedScript = {
    kind: o.kind,
    name: o.name,
    argv: o.argv,
    startedMs,
    wrote: o.wrote,
    kill: () => o.vm.killRun(),
    resume: (): ExecResult => {
      let outcome: RunOutcome;
      try {
        outcome = o.vm.resumeRun();
      } catch (cause) {
        outcome = o.onFault(cause);
      }
      return outcome === PAUSED
        ? { reply: PAUSED_REPLY, log: null, paused: script }
        : resultOf(o, outcome, startedMs);
    },
  };
  return script;
}
