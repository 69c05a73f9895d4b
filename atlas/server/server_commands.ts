/**
 * Server commands: INFO, TIME, SAVE BGSAVE BGREWRITEAOF LASTSAVE, SHUTDOWN, DEBUG
 * (debug_command.ts), MODULE and LOLWUT (module_commands.ts).
 */
import { busyReply } from "../store/errors.ts";
import { array, bulk, error, integer, type Reply, simple } from "../store/reply.ts";
import type { Client } from "./client.ts";
import type { ServerContext } from "./context.ts";
import { debug } from "./debug_command.ts";
import { info } from "./info.ts";
import { MODULE_COMMANDS } from "./module_commands.ts";
import { keylessCommands, type ServerCommand } from "./table.ts";
import type { HandlerResult } from "./types.ts";

function time(): Reply {
  const us = BigInt(Math.floor((performance.timeOrigin + performance.now()) * 1000));
  return array([bulk(String(us / 1000000n)), bulk(String(us % 1000000n))]);
}

/** SAVE BGSAVE BGREWRITEAOF LASTSAVE: the persistence hooks if given, else the executor. */
function persistenceCommand(ctx: ServerContext, client: Client, argv: string[]): HandlerResult {
  const p = ctx.persistence;
  const name = argv[0].toLowerCase();
  if (name === "bgsave" && argv.length > 1) {
    if (argv.length > 2 || argv[1].toLowerCase() !== "schedule") return error("ERR syntax error");
  }
  const hook = name === "save"
    ? p.save
    : name === "bgsave"
    ? p.bgsave
    : name === "bgrewriteaof"
    ? p.rewriteAof
    : p.lastSaveMs;
  if (hook === undefined) {
    // Inside EXEC Redis only schedules them (its cron starts them a moment later, BGSAVE even
    // while an AOF rewrite runs): the same effect, in its words.
    if (!client.inExec || (name !== "bgsave" && name !== "bgrewriteaof")) {
      return ctx.executor.execute(argv);
    }
    const scheduled = name === "bgsave" ? [argv[0], "SCHEDULE"] : argv;
    return Promise.resolve(ctx.executor.execute(scheduled)).then(scheduledInExec);
  }
  if (name === "lastsave") return integer(Math.floor(p.lastSaveMs!() / 1000));
  if (name === "save") {
    return Promise.resolve(p.save!()).then(() => simple("OK"), (err) => error(`ERR ${err}`));
  }
  const job = name === "bgsave" ? p.bgsave! : p.rewriteAof!;
  Promise.resolve(job.call(p)).catch((err) =>
    ctx.logger.error("Background persistence job failed", { command: name, error: String(err) })
  );
  return simple(
    name === "bgsave"
      ? "Background saving started"
      : "Background append only file rewriting started",
  );
}

function scheduledInExec(reply: Reply): Reply {
  return reply.kind === "simple" ? simple(reply.value.replace(/ started$/, " scheduled")) : reply;
}

/**
 * SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]: snapshots first when SAVE is given (the AOF is
 * always on, so a restart loses nothing acknowledged without one), then stops the process the
 * way SIGTERM does (the AOF synced and closed). Like Redis the client gets no reply on success:
 * its connection closes. NOW and FORCE are accepted (there are no replicas to wait for); a
 * failed snapshot aborts the shutdown unless FORCE.
 */
function shutdown(ctx: ServerContext, client: Client, argv: string[]): Reply | Promise<Reply> {
  let save: boolean | null = null;
  let force = false;
  for (const arg of argv.slice(1)) {
    const option = arg.toLowerCase();
    if (option === "nosave" || option === "save") {
      if (save !== null && save !== (option === "save")) return error("ERR syntax error");
      save = option === "save";
    } else if (option === "force") force = true;
    else if (option === "abort") return error("ERR No shutdown in progress.");
    else if (option !== "now") return error("ERR syntax error");
  }
  // During a busy script only SHUTDOWN NOSAVE goes through.
  const busy = ctx.executor.busyScript ?? null;
  if (save !== false && busy !== null) return busyReply(busy.kind);
  const stop = ctx.shutdown;
  if (stop === undefined) {
    return error("ERR SHUTDOWN is not available: this server is embedded in an application");
  }
  ctx.logger.info("SHUTDOWN requested", { save: save === true });
  return (async (): Promise<Reply> => {
    if (save === true) {
      const saved = await (ctx.persistence.save !== undefined
        ? Promise.resolve(ctx.persistence.save()).then(() =>
          null, (err) => String(err))
        : Promise.resolve(ctx.executor.execute(["SAVE"])).then(
          (reply) => (reply.kind === "error" ? reply.value : null),
          (err) => String(err),
        ));
      if (saved !== null) {
        ctx.logger.error("Snapshot before shutdown failed", { error: saved });
        if (!force) return error("ERR Errors trying to SHUTDOWN. Check logs.");
      }
    }
    stop();
    // No reply: nothing more is written to this client and its connection closes.
    client.output.failed = true;
    client.closeAfterFlush = true;
    return simple("OK");
  })();
}

const srv = keylessCommands("server");

export const SERVER_COMMANDS: ServerCommand[] = [
  srv("info", -1, ["loading", "stale"], info),
  srv("time", 1, ["loading", "stale", "fast"], time),
  srv("save", 1, ["admin", "noscript", "no-async-loading", "no-multi"], persistenceCommand),
  srv("bgsave", -1, ["admin", "noscript", "no-async-loading"], persistenceCommand),
  srv("bgrewriteaof", 1, ["admin", "noscript", "no-async-loading"], persistenceCommand),
  srv("lastsave", 1, ["loading", "stale", "fast"], persistenceCommand),
  srv(
    "shutdown",
    -1,
    ["admin", "noscript", "loading", "stale", "no-multi", "allow-busy"],
    shutdown,
  ),
  srv("debug", -2, ["admin", "noscript", "loading", "stale"], debug),
  ...MODULE_COMMANDS, // MODULE, LOLWUT
];
