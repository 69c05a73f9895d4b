/**
 * Container commands (CLIENT, CONFIG, SLOWLOG, PUBSUB...): Redis 7 checks a subcommand's name and
 * arity before running it, with its own error texts; these helpers give the same answers.
 */
import { error, type Reply, simple } from "../store/reply.ts";
import { CONTAINER_COMMANDS } from "./containers.ts";
import { SUBCOMMAND_INFO } from "./subcommand_info.ts";

/** Error texts quote user input: Redis turns its line breaks into spaces (one-line replies). */
function oneLine(text: string): string {
  return text.replace(/[\r\n]/g, " ");
}

/**
 * Checks `argv[1]` against `arities` (Redis arities, the container's name counted as argv[0]):
 * an error reply for an unknown subcommand or a wrong argument count, else null.
 */
export function checkSubcommand(
  container: string,
  arities: Readonly<Record<string, number>>,
  argv: readonly string[],
): Reply | null {
  const sub = argv[1].toLowerCase();
  const arity = Object.hasOwn(arities, sub) ? arities[sub] : undefined;
  if (arity === undefined) {
    return error(oneLine(
      `ERR unknown subcommand '${argv[1].slice(0, 128)}'. Try ${container.toUpperCase()} HELP.`,
    ));
  }
  if (arity > 0 ? argv.length !== arity : argv.length < -arity) {
    return error(`ERR wrong number of arguments for '${container}|${sub}' command`);
  }
  return null;
}

/** Redis's reply for arguments a subcommand cannot take (addReplySubcommandSyntaxError). */
export function subcommandSyntaxError(container: string, argv: readonly string[]): Reply {
  return error(oneLine(
    `ERR unknown subcommand or wrong number of arguments for '${
      argv[1].slice(0, 128)
    }'. Try ${container.toUpperCase()} HELP.`,
  ));
}

/** A HELP reply: one status line each, as Redis's addReplyHelp sends them. */
export function helpReply(lines: readonly string[]): Reply {
  return { kind: "array", value: lines.map(simple) };
}

/**
 * A rejection a container answers before running the subcommand (unknown name, wrong count):
 * Redis never "calls" those, so the slow log skips them.
 */
export function isSubcommandRejection(reply: Reply): boolean {
  return reply.kind === "error" &&
    (reply.value.startsWith("ERR unknown subcommand '") ||
      reply.value.startsWith("ERR wrong number of arguments for '"));
}

/**
 * What Redis answers for a container's subcommand before anything about the client's state is
 * looked at (subscribed mode, MULTI): an unknown subcommand or a wrong argument count, else null.
 * Null for a command that is not a container, or one called without a subcommand (its own arity
 * check answers that).
 */
export function subcommandRejection(name: string, argv: readonly string[]): Reply | null {
  if (argv.length < 2 || !CONTAINER_COMMANDS.has(name)) return null;
  const sub = argv[1].toLowerCase();
  const info = Object.hasOwn(SUBCOMMAND_INFO, `${name}|${sub}`)
    ? SUBCOMMAND_INFO[`${name}|${sub}`]
    : undefined;
  return checkSubcommand(name, info === undefined ? {} : { [sub]: info.arity }, argv);
}

/**
 * The error for a command a RESP2 client may not run while subscribed. Redis names a container's
 * subcommand in full (`client|info`), and looks the subcommand up first: an unknown one or a
 * wrong argument count answers that error instead, as it would outside subscribed mode.
 */
export function subscribedModeError(name: string, argv: readonly string[]): Reply {
  const rejected = subcommandRejection(name, argv);
  if (rejected !== null) return rejected;
  const shown = argv.length > 1 && CONTAINER_COMMANDS.has(name)
    ? `${name}|${argv[1].toLowerCase()}`
    : name;
  return error(
    `ERR Can't execute '${shown}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`,
  );
}
