/**
 * SCRIPT DEBUG YES|SYNC and the EVAL after it. atlasd has no Lua debugger, and redis-cli's
 * `--ldb` / `--ldb-sync-mode` ignore SCRIPT DEBUG's reply: a refusal there was never shown, the
 * script then ran for real (Redis's forked session rolls its writes back) and redis-cli's debugger
 * prompt sent `step`, `continue`... as commands. So, as Redis does when a session cannot start
 * (a script that does not compile), SCRIPT DEBUG answers OK and the client's next EVAL / EVAL_RO
 * ends the session at once: the LDB `<endsession>` line, then the refusal as the EVAL's error (the
 * script is not run), then the connection closes as at the end of Redis's debugging sessions.
 * redis-cli prints "Eval debugging session can't start:" and the refusal, and exits.
 */
import { array, error, OK, type Reply, simple } from "../store/reply.ts";
import type { Client } from "./client.ts";
import type { CommandEntry } from "./types.ts";
import { ReplyList } from "./types.ts";

const NO_DEBUGGER = "ERR SCRIPT DEBUG YES/SYNC is not supported: atlasd has no Lua debugger " +
  "(the script was not run)";
const END_SESSION: Reply = array([simple("<endsession>")]);

/**
 * What a scripting command answers on a connection because of SCRIPT DEBUG, or null when it
 * runs as usual (on the executor).
 */
export function luaDebugReply(
  client: Client,
  entry: CommandEntry,
  argv: readonly string[],
): Reply | ReplyList | null {
  switch (entry.name) {
    case "script": {
      if (argv.length !== 3 || argv[1].toLowerCase() !== "debug") return null;
      const mode = argv[2].toLowerCase();
      if (mode !== "yes" && mode !== "sync" && mode !== "no") return null;
      if (client.execQueue !== null) {
        return error("ERR SCRIPT DEBUG must be called outside a pipeline");
      }
      client.luaDebug = mode !== "no";
      return OK;
    }
    case "eval":
    case "eval_ro":
      if (!client.luaDebug) return null;
      client.luaDebug = false;
      client.closeAfterFlush = true;
      return new ReplyList([END_SESSION, error(NO_DEBUGGER)]);
    case "evalsha":
    case "evalsha_ro":
      return client.luaDebug ? error("ERR Please use EVAL instead of EVALSHA for debugging") : null;
    default:
      return null;
  }
}
