/**
 * SCRIPT KILL, FUNCTION KILL and FUNCTION STATS while a script runs past busy-reply-threshold
 * (the executor's busyScript): answered from that script's state, as Redis's scriptKill and
 * functionStatsCommand do. Without a busy script they reach the store, which answers NOTBUSY and
 * a null running_script.
 */
import { busyReply } from "../store/errors.ts";
import { array, bulk, error, integer, OK, type Reply } from "../store/reply.ts";
import type { PausedScript } from "../store/store.ts";
import type { ServerContext } from "./context.ts";
import type { CommandEntry } from "./types.ts";

const UNKILLABLE = error(
  "UNKILLABLE Sorry the script already executed write commands against the dataset. You can " +
    "either wait the script termination or kill the server in a hard way using the SHUTDOWN " +
    "NOSAVE command.",
);

/** The reply to a busy-time command, or null for a command that runs as usual. */
export function busyScriptCommand(
  ctx: ServerContext,
  busy: PausedScript,
  entry: CommandEntry,
  argv: string[],
): Reply | null {
  if (argv.length !== 2 || (entry.name !== "script" && entry.name !== "function")) return null;
  const sub = argv[1].toLowerCase();
  if (sub === "kill") return kill(busy, entry.name === "script" ? "eval" : "function");
  if (sub === "stats" && entry.name === "function") return functionStats(ctx, busy);
  return null;
}

/**
 * Redis's order: a script that wrote cannot be killed (its writes would stay half-done); SCRIPT
 * KILL does not stop a function nor FUNCTION KILL a script (each is answered the BUSY text that
 * names the right one). Else the script ends with "Script killed by user" at its next slice.
 */
function kill(busy: PausedScript, by: PausedScript["kind"]): Reply {
  if (busy.wrote()) return UNKILLABLE;
  if (busy.kind !== by) return busyReply(busy.kind);
  busy.kill();
  return OK;
}

function functionStats(ctx: ServerContext, busy: PausedScript): Reply {
  if (busy.kind === "eval") return busyReply("eval");
  const stats = ctx.store?.scriptingStats?.();
  return {
    kind: "map",
    value: [
      [bulk("running_script"), {
        kind: "map",
        value: [
          [bulk("name"), bulk(busy.name)],
          [bulk("command"), array(busy.argv.map(bulk))],
          [bulk("duration_ms"), integer(Math.floor(performance.now() - busy.startedMs))],
        ],
      }],
      [bulk("engines"), {
        kind: "map",
        value: [[bulk("LUA"), {
          kind: "map",
          value: [
            [bulk("libraries_count"), integer(stats?.libraries ?? 0)],
            [bulk("functions_count"), integer(stats?.functions ?? 0)],
          ],
        }]],
      }],
    ],
  };
}
