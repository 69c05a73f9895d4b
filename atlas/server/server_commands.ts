/** Server commands: INFO, TIME, SAVE BGSAVE BGREWRITEAOF LASTSAVE, DEBUG SLEEP. */
import { array, bulk, error, integer, type Reply, simple } from "../store/reply.ts";
import type { Client } from "./client.ts";
import type { ServerContext } from "./context.ts";
import { info } from "./info.ts";
import type { ServerCommand } from "./table.ts";
import type { HandlerResult } from "./types.ts";

function time(): Reply {
  const us = BigInt(Math.floor((performance.timeOrigin + performance.now()) * 1000));
  return array([bulk(String(us / 1000000n)), bulk(String(us % 1000000n))]);
}

/** SAVE BGSAVE BGREWRITEAOF LASTSAVE: the persistence hooks if given, else the executor. */
function persistenceCommand(ctx: ServerContext, _client: Client, argv: string[]): HandlerResult {
  const p = ctx.persistence;
  const name = argv[0].toLowerCase();
  if (name === "bgsave" && argv.length === 2 && argv[1].toLowerCase() === "schedule") {
    argv = [argv[0]];
  }
  const hook = name === "save"
    ? p.save
    : name === "bgsave"
    ? p.bgsave
    : name === "bgrewriteaof"
    ? p.rewriteAof
    : p.lastSaveMs;
  if (hook === undefined) return ctx.executor.execute(argv);
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

function debug(_ctx: ServerContext, _client: Client, argv: string[]): Reply | Promise<Reply> {
  const sub = argv[1].toLowerCase();
  if (sub === "sleep" && argv.length === 3) {
    const s = Number(argv[2]);
    if (!Number.isFinite(s) || s < 0) return error("ERR value is not a valid float");
    const ms = Math.min(s * 1000, 60_000);
    return new Promise((resolve) => setTimeout(() => resolve(simple("OK")), ms));
  }
  return error(`ERR unknown subcommand '${argv[1].slice(0, 128)}'. Try DEBUG HELP.`);
}

const srv = (
  name: string,
  arity: number,
  flags: string[],
  handler: ServerCommand["handler"],
): ServerCommand => ({
  name,
  arity,
  flags,
  firstKey: 0,
  lastKey: 0,
  step: 0,
  group: "server",
  handler,
});

export const SERVER_COMMANDS: ServerCommand[] = [
  srv("info", -1, ["loading", "stale"], info),
  srv("time", 1, ["loading", "stale", "fast"], time),
  srv("save", 1, ["admin", "noscript", "no-async-loading", "no-multi"], persistenceCommand),
  srv("bgsave", -1, ["admin", "noscript", "no-async-loading"], persistenceCommand),
  srv("bgrewriteaof", 1, ["admin", "noscript", "no-async-loading"], persistenceCommand),
  srv("lastsave", 1, ["loading", "stale", "fast"], persistenceCommand),
  srv("debug", -2, ["admin", "noscript", "loading", "stale"], debug),
];
