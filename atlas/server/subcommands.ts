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

/** A subcommand as Redis quotes it: a C string (up to a NUL byte), at most 128 bytes. */
function quoted(arg: string): string {
  const nul = arg.indexOf("\0");
  return (nul < 0 ? arg : arg.slice(0, nul)).slice(0, 128);
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
      `ERR unknown subcommand '${quoted(argv[1])}'. Try ${container.toUpperCase()} HELP.`,
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
      quoted(argv[1])
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
  if (argv.length < 2 || !CHECKED_CONTAINERS.has(name)) return null;
  const sub = argv[1].toLowerCase();
  const full = `${name}|${sub}`;
  const arity = Object.hasOwn(SUBCOMMAND_INFO, full)
    ? SUBCOMMAND_INFO[full].arity
    : Object.hasOwn(NEWER_SUBCOMMANDS, full)
    ? NEWER_SUBCOMMANDS[full]
    : undefined;
  return checkSubcommand(name, arity === undefined ? {} : { [sub]: arity }, argv);
}

/**
 * The containers whose subcommands atlasd checks by name and arity before running them (CLUSTER's
 * are then all refused, as a Redis without cluster support refuses them).
 */
const CHECKED_CONTAINERS: ReadonlySet<string> = new Set(
  Object.keys(SUBCOMMAND_INFO).map((full) => full.slice(0, full.indexOf("|"))),
);

/**
 * Redis 7.2's subcommands atlasd answers although 7.0 does not know them (clients send CLIENT
 * SETINFO when they connect), with 7.2's arities.
 */
const NEWER_SUBCOMMANDS: Readonly<Record<string, number>> = {
  "client|setinfo": -4,
  "client|no-touch": 3,
};

/**
 * The error for a command a RESP2 client may not run while subscribed. Redis names a container's
 * subcommand in full (`client|info`); an unknown subcommand or a wrong argument count was answered
 * before (subcommandRejection).
 */
export function subscribedModeError(name: string, argv: readonly string[]): Reply {
  const shown = argv.length > 1 && CONTAINER_COMMANDS.has(name)
    ? `${name}|${argv[1].toLowerCase()}`
    : name;
  return error(
    `ERR Can't execute '${shown}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`,
  );
}

/** The subcommands that count on their own in INFO commandstats and LATENCY HISTOGRAM. */
export const COUNTED_SUBCOMMANDS: readonly string[] = [
  ...Object.keys(SUBCOMMAND_INFO),
  ...Object.keys(NEWER_SUBCOMMANDS),
];
